//! The change log: every write transaction takes the next modseq, and records
//! what it changed under `[CHANGE, modseq, n]`. IMAP MODSEQ, JMAP states and DAV
//! sync tokens are views of it; [`Account::subscribe`] wakes on each new head.

use crate::{
    Result,
    account::{Account, WriteTxn},
    keys::{self, Key},
    mail::{EmailId, MailboxId},
};
use serde::{Deserialize, Serialize};

/// One change. A transaction logs several under one modseq.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// A new message exists (delivered, appended, imported, or an independent copy).
    Created {
        email: EmailId,
    },
    /// The email now has `uid` in `mailbox`: delivered, appended, copied or moved in.
    Added {
        email: EmailId,
        mailbox: MailboxId,
        uid: u32,
    },
    /// The email's `uid` in `mailbox` is gone: expunged or moved out.
    Removed {
        email: EmailId,
        mailbox: MailboxId,
        uid: u32,
    },
    /// Its keywords changed.
    Keywords {
        email: EmailId,
    },
    /// No mailbox holds it any more; its data is deleted.
    Destroyed {
        email: EmailId,
    },
    MailboxCreated {
        mailbox: MailboxId,
    },
    /// Name, subscription, retention or other properties.
    MailboxUpdated {
        mailbox: MailboxId,
    },
    MailboxDestroyed {
        mailbox: MailboxId,
    },
    /// A message joined or left the thread (logged beside Created and
    /// Destroyed, so Thread/changes knows threads whose last message is gone).
    Thread {
        thread: u64,
    },
    /// An identity was created, changed or destroyed (JMAP Identity/changes).
    Identity {
        id: u64,
        op: ObjectOp,
    },
    /// The account's vacation response changed.
    Vacation,
    /// An outgoing submission was created, changed or destroyed.
    Submission {
        id: u64,
        op: ObjectOp,
    },
}

/// What happened to an object that has no other change-log entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectOp {
    Created,
    Updated,
    Destroyed,
}

impl WriteTxn<'_> {
    pub fn log(&mut self, change: Change) {
        let modseq = self.modseq();
        let n = self.logged;
        self.logged += 1;
        self.put(Key::new(keys::ACC_CHANGE).u64(modseq).u32(n).build(), &change);
    }
}

impl Account {
    /// Changes after `since`, in order, with their modseq.
    pub fn changes_since(&self, since: u64) -> Result<Vec<(u64, Change)>> {
        let from = Key::new(keys::ACC_CHANGE).u64(since.saturating_add(1)).build();
        let (_, to) = keys::prefix_range(vec![keys::ACC_CHANGE]);
        let mut out = Vec::new();
        for (k, v) in tresor_kv::collect(&*self.db, &self.ks, &from, &to)? {
            let c: Change = crate::sealed::open(&self.key, &self.ks, &k, &v)?;
            out.push((keys::be_u64(&k[1..]), c));
        }
        Ok(out)
    }
}
