//! The store's error type.

use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Kv(#[from] tresor_kv::Error),
    /// A sealed value did not open: tampering, a value moved between keys, or
    /// a foreign key. Never a reason to return partial data.
    #[error("integrity check failed for a stored value ({0})")]
    Integrity(&'static str),
    #[error("the master key does not open this data directory")]
    WrongMasterKey,
    /// An earlier write failed; the store refuses writes until restarted.
    #[error("storage is poisoned after a failed write; restart after fixing the disk")]
    Poisoned,
    #[error("no such account")]
    NoAccount,
    #[error("account already exists: {0}")]
    AccountExists(String),
    #[error("address already in use: {0}")]
    AddressTaken(String),
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },
    #[error("over quota")]
    OverQuota(QuotaExceeded),
    #[error("account is not active (terminating)")]
    NotActive,
    #[error("no such mailbox")]
    NoMailbox,
    #[error("mailbox already exists")]
    MailboxExists,
    /// Another mailbox has this role (one per role, RFC 8621 2).
    #[error("another mailbox has this role")]
    RoleTaken,
    #[error("no such message")]
    NoMessage,
    #[error("{0}")]
    Io(String),
}

/// Which limit a write would break, and whether the item alone breaks it
/// (`552 5.2.2`) or only together with what is stored (`452 4.2.2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExceeded {
    pub alone: bool,
}

impl fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.alone { "item larger than the quota" } else { "quota full" })
    }
}

impl Error {
    pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> Self {
        Error::Invalid { what, why: why.into() }
    }
}
