//! IMAP (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2 and the extensions listed in
//! [`session::CAPABILITIES`]).
//!
//! - [`codec`] is sans-IO and knows no store: [`codec::framing`] cuts the byte
//!   stream into complete commands (lines plus literals) and says when a
//!   synchronising literal needs a continuation; [`codec::parse`] turns one
//!   command into a [`codec::command::Tagged`]; [`codec::encode`] writes the
//!   strings and lists responses are made of.
//! - [`session`] is the protocol state machine over one account of the store:
//!   a command in, response bytes out. The selected mailbox's view (sequence
//!   numbers, flags the client has seen) is reconciled with the store's change
//!   log at command boundaries and during IDLE.
//! - [`driver`] runs a session over a socket: TLS upgrade, literals, IDLE,
//!   COMPRESS, limits and timeouts.

pub mod codec;
pub mod driver;
pub mod session;
