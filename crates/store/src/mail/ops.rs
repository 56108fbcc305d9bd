//! Changing messages: keywords (with CONDSTORE's UNCHANGEDSINCE), expunge, copy
//! and move. Each call is one transaction under one modseq; every mailbox it
//! touches gets that modseq as its highest, and the change log says what moved.
//!
//! The model is JMAP's: a message can be in several mailboxes at once (one UID
//! in each) and its keywords are shared by all of them. An IMAP COPY into a
//! mailbox that does not hold the message adds it there (same EMAILID, RFC
//! 8474); a COPY into a mailbox that already holds it makes a separate message.

use crate::{
    Error, Result,
    account::{Account, WriteTxn},
    changes::Change,
    keys::{self, Key},
    mail::{
        mailbox::{Mailbox, MailboxId},
        message::{EmailId, EmailMeta, EmailState, UidEntry, meta_key, state_key, uid_key},
    },
};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordOp {
    Add,
    Remove,
    Replace,
}

#[derive(Debug, Default)]
pub struct KeywordResult {
    /// Emails whose keywords changed, with their new state.
    pub updated: Vec<(EmailId, EmailState)>,
    /// Emails left alone because they changed after `unchanged_since`.
    pub conflicts: Vec<EmailId>,
}

/// Mailbox records a transaction touches, written once at the end.
#[derive(Default)]
struct Touched(BTreeMap<MailboxId, Mailbox>);

impl Touched {
    fn get<'a>(&'a mut self, account: &Account, id: MailboxId) -> Result<&'a mut Mailbox> {
        use std::collections::btree_map::Entry;
        Ok(match self.0.entry(id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(account.mailbox(id)?.ok_or(Error::NoMailbox)?),
        })
    }

    fn write(self, txn: &mut WriteTxn<'_>, modseq: u64) {
        for (_, mut m) in self.0 {
            m.highest_modseq = modseq;
            txn.put_mailbox(&m);
        }
    }
}

pub fn normalize_keyword(k: &str) -> String {
    k.to_ascii_lowercase()
}

impl Account {
    pub fn set_keywords(
        &self,
        emails: &[EmailId],
        op: KeywordOp,
        keywords: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<KeywordResult> {
        self.check_writable()?;
        let keywords: Vec<String> = keywords.iter().map(|k| normalize_keyword(k)).collect();
        let mut txn = self.begin()?;
        let mut touched = Touched::default();
        let mut result = KeywordResult::default();
        for &email in emails {
            let Some(mut state) = self.email_state(email)? else { continue };
            if unchanged_since.is_some_and(|since| state.modseq > since) {
                result.conflicts.push(email);
                continue;
            }
            let mut next = match op {
                KeywordOp::Replace => keywords.clone(),
                KeywordOp::Add => state.keywords.iter().chain(&keywords).cloned().collect(),
                KeywordOp::Remove => state.keywords.iter().filter(|k| !keywords.contains(k)).cloned().collect(),
            };
            next.sort();
            next.dedup();
            if next == state.keywords {
                continue;
            }
            let modseq = txn.modseq();
            state.keywords = next;
            state.modseq = modseq;
            for (mailbox, _) in &state.mailboxes {
                touched.get(self, *mailbox)?;
            }
            txn.put(state_key(email), &state);
            txn.log(Change::Keywords { email });
            result.updated.push((email, state));
        }
        if !result.updated.is_empty() {
            let modseq = txn.modseq();
            touched.write(&mut txn, modseq);
        }
        txn.commit()?;
        Ok(result)
    }

    /// Removes `uids` from `mailbox`; a message left in no mailbox is destroyed
    /// (its blob, records and index entries deleted). Returns the UIDs removed.
    ///
    /// Allowed for an account that is terminating: retention keeps deleting
    /// while it waits for its purge. Protocols refuse a user's expunge there.
    pub fn expunge(&self, mailbox: MailboxId, uids: &[u32]) -> Result<Vec<u32>> {
        let mut txn = self.begin()?;
        let mut touched = Touched::default();
        touched.get(self, mailbox)?;
        let mut removed = Vec::new();
        for &uid in uids {
            let Some(UidEntry { email, .. }) = self.uid_entry(mailbox, uid)? else { continue };
            txn.remove_membership(email, mailbox, uid)?;
            removed.push(uid);
        }
        if !removed.is_empty() {
            let modseq = txn.modseq();
            touched.write(&mut txn, modseq);
        }
        txn.commit()?;
        Ok(removed)
    }

    /// COPY: returns (source uid, new uid) pairs for COPYUID.
    pub fn copy(&self, from: MailboxId, uids: &[u32], to: MailboxId) -> Result<Vec<(u32, u32)>> {
        self.transfer(from, uids, to, false)
    }

    /// MOVE: as COPY, then the source UIDs are removed, in one transaction.
    pub fn move_messages(&self, from: MailboxId, uids: &[u32], to: MailboxId) -> Result<Vec<(u32, u32)>> {
        self.transfer(from, uids, to, true)
    }

    fn transfer(&self, from: MailboxId, uids: &[u32], to: MailboxId, remove: bool) -> Result<Vec<(u32, u32)>> {
        self.check_writable()?;
        let mut txn = self.begin()?;
        let mut touched = Touched::default();
        touched.get(self, from)?;
        touched.get(self, to)?;
        let mut pairs = Vec::new();
        for &uid in uids {
            let Some(UidEntry { email, received_at }) = self.uid_entry(from, uid)? else { continue };
            let state = txn.current_state(email)?;
            let target = if state.mailboxes.iter().any(|(m, _)| *m == to) {
                if from == to && remove {
                    continue; // moving a message onto itself changes nothing
                }
                txn.duplicate(email)?
            } else {
                email
            };
            let dest = touched.get(self, to)?;
            let new_uid = dest.uid_next;
            dest.uid_next += 1;
            txn.add_membership(target, to, new_uid, received_at)?;
            if remove {
                txn.remove_membership(email, from, uid)?;
            }
            pairs.push((uid, new_uid));
        }
        if !pairs.is_empty() {
            let modseq = txn.modseq();
            touched.write(&mut txn, modseq);
        }
        txn.commit()?;
        Ok(pairs)
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        match self.policy().state {
            crate::directory::AccountState::Active => Ok(()),
            _ => Err(Error::NotActive),
        }
    }
}

impl WriteTxn<'_> {
    /// The email's state as this transaction sees it (its own earlier writes
    /// are in `pending_states`).
    fn current_state(&mut self, email: EmailId) -> Result<EmailState> {
        if let Some(s) = self.pending_states.get(&email) {
            return Ok(s.clone());
        }
        self.account.email_state(email)?.ok_or(Error::NoMessage)
    }

    fn save_state(&mut self, email: EmailId, state: EmailState) {
        self.put(state_key(email), &state);
        self.pending_states.insert(email, state);
    }

    fn add_membership(&mut self, email: EmailId, mailbox: MailboxId, uid: u32, received_at: crate::UnixTime) -> Result<()> {
        let modseq = self.modseq();
        let mut state = self.current_state(email)?;
        state.mailboxes.push((mailbox, uid));
        state.modseq = modseq;
        self.save_state(email, state);
        self.put(uid_key(mailbox, uid), &UidEntry { email, received_at });
        self.log(Change::Added { email, mailbox, uid });
        Ok(())
    }

    pub(crate) fn remove_membership(&mut self, email: EmailId, mailbox: MailboxId, uid: u32) -> Result<()> {
        let modseq = self.modseq();
        let mut state = self.current_state(email)?;
        state.mailboxes.retain(|m| *m != (mailbox, uid));
        state.modseq = modseq;
        self.delete(uid_key(mailbox, uid));
        self.log(Change::Removed { email, mailbox, uid });
        if state.mailboxes.is_empty() {
            self.destroy(email)?;
            self.pending_states.remove(&email);
        } else {
            self.save_state(email, state);
        }
        Ok(())
    }

    /// Deletes everything the email owns: records, blob, thread membership and
    /// the thread index entry for its own Message-ID.
    fn destroy(&mut self, email: EmailId) -> Result<()> {
        let meta: EmailMeta = self.account.get(&meta_key(email))?.ok_or(Error::NoMessage)?;
        // Its words leave the index with it (read before the blob goes).
        let raw = self.account.read_blob(meta.blob)?;
        self.unindex_email(email, &raw, &meta.summary);
        self.delete(meta_key(email));
        self.delete(state_key(email));
        self.delete_blob(meta.blob);
        self.delete(Key::new(keys::ACC_THREAD_MEMBER).u64(meta.thread).u64(email.0).build());
        if let Some(id) = &meta.summary.message_id {
            self.delete(Key::new(keys::ACC_THREAD_REF).hash(&self.account.key.name_hash(b"message-id", id.as_bytes())).build());
        }
        self.counters.bytes = self.counters.bytes.saturating_sub(meta.size);
        self.counters.messages = self.counters.messages.saturating_sub(1);
        self.log(Change::Destroyed { email });
        self.destroyed.push(email);
        self.log(Change::Thread { thread: meta.thread });
        Ok(())
    }

    /// A second, independent message with the same content (COPY into a
    /// mailbox that already holds the original).
    fn duplicate(&mut self, email: EmailId) -> Result<EmailId> {
        let meta: EmailMeta = self.account.get(&meta_key(email))?.ok_or(Error::NoMessage)?;
        let state = self.current_state(email)?;
        let raw = self.account.read_blob(meta.blob)?;
        let quota = self.account.policy().quota;
        crate::mail::message::check(quota, self.counters.bytes, self.counters.messages, meta.size)?;
        let copy = EmailId(self.counters.next_email);
        self.counters.next_email += 1;
        let blob = self.put_blob(&raw);
        self.index_email(copy, &raw, &meta.summary);
        let modseq = self.modseq();
        self.put(meta_key(copy), &EmailMeta { blob, ..meta.clone() });
        self.put(Key::new(keys::ACC_THREAD_MEMBER).u64(meta.thread).u64(copy.0).build(), &());
        self.pending_states.insert(copy, EmailState { mailboxes: Vec::new(), keywords: state.keywords, modseq });
        self.log(Change::Created { email: copy });
        self.log(Change::Thread { thread: meta.thread });
        self.counters.bytes += meta.size;
        self.counters.messages += 1;
        Ok(copy)
    }
}
