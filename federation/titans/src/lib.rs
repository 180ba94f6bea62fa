//! Titan adapters for LLM providers (OpenAI, Anthropic, Gemini, xAI, Augment) and the local Titan.
