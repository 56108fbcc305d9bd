//! The encrypted store. Everything an account owns is a sealed value in that
//! account's own keyspace; the directory of accounts is sealed under a directory
//! key; both kinds of key exist on disk only wrapped to the master key.
//!
//! - [`Store`] opens the engine, unwraps the directory key, and hands out
//!   [`Account`] handles: an `Account` exists only once its key is unwrapped, so
//!   code holding one can read and write that account and nothing else.
//! - [`directory`]: accounts, logins, aliases, passwords, states, quotas.
//! - [`mail`]: mailboxes, messages, blobs, threads, flags — the mail model that
//!   IMAP and JMAP both read.
//! - [`changes`]: the account's change log, one monotonic sequence that is
//!   IMAP's MODSEQ, JMAP's state and DAV's sync token, with a subscription for push.
//!
//! Invariants:
//! - No key of any keyspace contains a name, address, subject or any other
//!   account data: keys are type tags, numeric ids and keyed hashes ([`keys`]).
//! - Every value is sealed with its keyspace and key as associated data
//!   ([`sealed`]), so a value moved or swapped on disk fails to open.
//! - A failed write poisons the store: from then on every write fails with
//!   [`Error::Poisoned`]; nothing is retried silently and nothing unsynced is
//!   acknowledged.
//! - The store knows no protocol.

pub mod account;
pub mod audit;
pub mod changes;
pub mod directory;
mod error;
pub mod ids;
mod keyring;
pub mod keys;
pub mod lifecycle;
mod login_cache;
pub mod mail;
mod sealed;
mod store;
pub mod tokens;

pub use account::{Account, AccountId};
pub use error::{Error, QuotaExceeded, Result};
pub use store::{Store, StoreConfig};

/// Seconds since the Unix epoch; the store's only notion of time is what callers pass.
pub type UnixTime = i64;
