//! JMAP over the store, as a library of pure request processing: the server
//! crate does HTTP and authentication, then hands an authenticated account and
//! the request body here and gets the response body back.
//!
//! Architecture invariant: JMAP ids are views of the store's numeric ids
//! ([`ids`]), and states are views of the account's change log, so IMAP and JMAP
//! always agree on what exists and what changed.
//!
//! Implemented so far: the session object, RFC 8620 request processing (result
//! references with JSON pointers, the standard request- and method-level
//! errors), `Core/echo`, `Mailbox/get|changes|set`, `Thread/get`,
//! `Email/query` (every filter condition but `header` and the thread-keyword
//! ones, AND/OR/NOT; sort by `receivedAt`), `Email/get` (metadata,
//! body structure and values), `Email/changes`, and `Email/set` creates (drafts), updates
//! (keywords, mailboxIds) and destroys. Methods and properties not listed
//! answer `unknownMethod` / `invalidArguments`: nothing is claimed that is not
//! done.

pub mod blob;
pub use tresor_store::ids;
mod headers;
pub(crate) mod method;
mod refs;
mod request;
pub mod session;

pub use request::{Problem, process};

/// The capabilities this server speaks.
pub const CORE: &str = "urn:ietf:params:jmap:core";
pub const MAIL: &str = "urn:ietf:params:jmap:mail";
pub const QUOTA: &str = "urn:ietf:params:jmap:quota";
/// Tresor's own: user-defined retention (a Mailbox property and an account setting).
pub const RETENTION: &str = "urn:tresor:params:jmap:retention";
pub const WEBSOCKET: &str = "urn:ietf:params:jmap:websocket";
pub const BLOB: &str = "urn:ietf:params:jmap:blob";
pub const SUBMISSION: &str = "urn:ietf:params:jmap:submission";
pub const VACATION: &str = "urn:ietf:params:jmap:vacationresponse";

/// Operator settings the methods obey.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Bounds on the retention a user may set, in days (0: no maximum).
    pub retention_min_days: u32,
    pub retention_max_days: u32,
    /// Whether a smarthost is configured: without one, EmailSubmission/set
    /// refuses to queue what could never be sent.
    pub submission: bool,
}

impl Policy {
    /// Whether `days` (0 = keep forever) is allowed.
    pub fn retention_allowed(&self, days: u32) -> bool {
        if days == 0 {
            return self.retention_max_days == 0;
        }
        days >= self.retention_min_days && (self.retention_max_days == 0 || days <= self.retention_max_days)
    }
}

/// Limits advertised in the session and enforced by [`process`].
pub struct Limits {
    pub max_size_request: usize,
    pub max_calls_in_request: usize,
    pub max_objects_in_get: usize,
    pub max_objects_in_set: usize,
}

pub const LIMITS: Limits =
    Limits { max_size_request: 10_000_000, max_calls_in_request: 64, max_objects_in_get: 500, max_objects_in_set: 500 };
