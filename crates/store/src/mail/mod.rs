//! The mail model, shared by IMAP and JMAP: mailboxes with UIDs and UIDVALIDITY,
//! messages (an immutable part — blob, parsed summary, dates, thread — and a
//! mutable part — keywords, mailbox memberships, modseq), blobs in sealed chunks,
//! and threads.

pub mod blob;
pub mod mailbox;
pub mod mailbox_set;
pub mod message;
pub mod metadata;
pub mod ops;
pub mod outbound;
mod recent;
pub mod retention;
pub mod search_index;
mod subscriptions;
mod thread;
pub mod upload;

pub use mailbox::{Mailbox, MailboxId, MailboxPatch, Role};
pub use mailbox_set::{MailboxRef, MailboxSet, NewMailbox, Place, Refused, SetOutcome};
pub use message::{Appended, EmailId, EmailMeta, EmailState, MailboxCounts, NewMessage, UidEntry};
pub use ops::{KeywordOp, KeywordResult};
