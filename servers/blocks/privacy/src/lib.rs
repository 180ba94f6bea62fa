//! PII redaction and keyed pseudonyms for ticket text and identities.
//!
//! - [`redact()`] replaces personal data in free text (e-mail, phone, IP, card,
//!   IBAN, SSN, MAC, URL credentials, labelled secrets, some names) with typed
//!   placeholders such as `[EMAIL]`, keeping ticket numbers, versions, error
//!   codes, dates and hashes. See [`redact`](mod@redact) for the exact rules and
//!   what is not caught.
//! - [`Pseudonymizer`] maps a person (e-mail, UPN, phone, name) to a stable,
//!   per-tenant, one-way pseudonym (`psn_…`), so stores and the audit log can
//!   refer to people, and erase them, without holding their identity.
//!
//! The crate is pure computation: no I/O, no clocks.

pub mod pseudonym;
pub mod redact;

pub use pseudonym::{
    PSEUDONYM_PREFIX, PseudonymError, Pseudonymizer, is_pseudonym, normalize_identity,
};
pub use redact::{PiiKind, Redacted, Redactor, redact};
