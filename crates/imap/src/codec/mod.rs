//! The IMAP wire format, sans-IO. Hand-written rather than imap-codec: see
//! ARCHITECTURE.md ("Own IMAP codec").

pub mod command;
pub mod encode;
pub mod framing;
pub mod parse;
