//! A tamper-evident, hash-chained audit trail stored in segments on a blob store.
