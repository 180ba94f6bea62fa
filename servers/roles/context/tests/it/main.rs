//! The context server against a running server over real TCP.
#![allow(missing_docs)]

mod quota;
