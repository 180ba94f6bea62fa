//! Integration tests: every Titan against a fake provider on loopback that
//! replays the documented wire shapes (golden fixtures in `tests/fixtures`).

mod anthropic;
mod augment;
mod fake;
mod gemini;
mod openai;
mod registry;
