//! PII redaction and keyed pseudonyms for ticket text and identities.
