//! Every cryptographic operation Tresor performs, behind small types that make the
//! wrong use hard:
//!
//! - [`DataKey`]: a random 256-bit key per account (and one for the directory). It
//!   seals values with XChaCha20-Poly1305, binding each to *where* it is stored
//!   (column family + RocksDB key as associated data), and derives the keyed hash
//!   used for every lookup by name. Zeroized on drop, never printable.
//! - [`MasterKey`]: the server's age identity; data keys exist on disk only wrapped
//!   to its recipient.
//! - [`password`]: argon2id hashes.
//!
//! Nothing in this crate does I/O except reading the master key file.

mod data_key;
mod master;
pub mod password;

pub use data_key::{DataKey, NameHash};
pub use master::MasterKey;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A sealed value failed authentication: tampered, moved to another key, or
    /// sealed under another account's key.
    #[error("sealed value failed authentication (tampered, moved or foreign)")]
    Tampered,
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("key unwrap failed: {0}")]
    Unwrap(String),
    #[error("password hashing: {0}")]
    Password(String),
}
