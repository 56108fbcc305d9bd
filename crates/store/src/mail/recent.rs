//! IMAP4rev1 `\Recent` (RFC 3501 2.3.2): a message is recent in exactly one
//! session, the first to see its mailbox after it arrived. The store keeps,
//! per mailbox, the first UID no session has claimed yet; a session claims
//! everything below `uid_next` in one small transaction. No change-log entry:
//! nothing a client syncs changes.

use crate::{
    Result,
    account::Account,
    directory::AccountState,
    keys::{self, Key},
    mail::MailboxId,
};

pub(crate) fn key(mailbox: MailboxId) -> Vec<u8> {
    Key::new(keys::ACC_RECENT).u32(mailbox.0).build()
}

impl Account {
    /// The first UID of `mailbox` no session has claimed (1 if none was).
    pub fn recent_from(&self, mailbox: MailboxId) -> Result<u32> {
        Ok(self.get::<u32>(&key(mailbox))?.unwrap_or(1))
    }

    /// Claims the unclaimed UIDs below `uid_next` for the calling session and
    /// returns them as a range (empty when another session was first). A
    /// read-only account claims nothing and writes nothing.
    pub fn claim_recent(&self, mailbox: MailboxId, uid_next: u32) -> Result<std::ops::Range<u32>> {
        if self.policy().state != AccountState::Active {
            return Ok(0..0);
        }
        let mut txn = self.begin()?;
        let from = self.recent_from(mailbox)?;
        if from >= uid_next {
            return Ok(0..0);
        }
        txn.put(key(mailbox), &uid_next);
        txn.commit()?;
        Ok(from..uid_next)
    }
}
