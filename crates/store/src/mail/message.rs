//! Messages: append (delivery, IMAP APPEND, JMAP import all come here), reads,
//! and the UID index of each mailbox.

use crate::{
    Error, QuotaExceeded, Result, UnixTime,
    account::Account,
    changes::Change,
    keys::{self, Key},
    mail::mailbox::MailboxId,
};
use serde::{Deserialize, Serialize};
use tresor_message::MessageSummary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EmailId(pub u64);

/// A mailbox's message and thread counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailboxCounts {
    pub total: u64,
    pub unread: u64,
    pub threads: u64,
    pub unread_threads: u64,
}

/// What never changes after delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailMeta {
    pub blob: u64,
    pub size: u64,
    pub received_at: UnixTime,
    pub thread: u64,
    pub summary: MessageSummary,
}

/// What flags, moves and copies change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailState {
    /// (mailbox, uid) for every mailbox the message is in.
    pub mailboxes: Vec<(MailboxId, u32)>,
    /// Lower-case JMAP keywords: `$seen`, `$flagged`, `$answered`, `$draft`,
    /// `$deleted` (IMAP `\Deleted`), and user keywords.
    pub keywords: Vec<String>,
    pub modseq: u64,
}

pub struct NewMessage<'a> {
    pub raw: &'a [u8],
    pub summary: &'a MessageSummary,
    pub mailbox: MailboxId,
    pub keywords: Vec<String>,
    pub received_at: UnixTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub email: EmailId,
    pub uid: u32,
    pub uid_validity: u32,
    pub modseq: u64,
}

pub(crate) fn meta_key(id: EmailId) -> Vec<u8> {
    Key::new(keys::ACC_EMAIL).u64(id.0).build()
}

pub(crate) fn state_key(id: EmailId) -> Vec<u8> {
    Key::new(keys::ACC_EMAIL_STATE).u64(id.0).build()
}

/// A mailbox's entry for one UID: which email, and when it arrived (so
/// retention and date searches need not open every message record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UidEntry {
    pub email: EmailId,
    pub received_at: UnixTime,
}

pub(crate) fn uid_key(mailbox: MailboxId, uid: u32) -> Vec<u8> {
    Key::new(keys::ACC_UID).u32(mailbox.0).u32(uid).build()
}

impl Account {
    /// Checks the quota for `size` more bytes and one more message.
    pub fn check_quota(&self, size: u64) -> Result<()> {
        let q = self.policy().quota;
        let c = self.counters();
        check(q, c.bytes, c.messages, size)
    }

    /// Stores a message durably; returns once it is fsynced. Refused for an
    /// account that is not active, over quota, or a poisoned store.
    pub fn append(&self, new: NewMessage<'_>) -> Result<Appended> {
        self.append_in(new, &[])
    }

    /// As [`Account::append`], the message also in each of `more` (JMAP's
    /// `mailboxIds`), all in one transaction: it is in every mailbox or in
    /// none. The returned UID is the one in `new.mailbox`.
    pub fn append_in(&self, new: NewMessage<'_>, more: &[MailboxId]) -> Result<Appended> {
        let policy = self.policy();
        if policy.state != crate::directory::AccountState::Active {
            return Err(Error::NotActive);
        }
        let size = new.raw.len() as u64;
        let mut txn = self.begin()?;
        // Read under the account's write lock: UIDs are allocated from it.
        let mut mailbox = self.mailbox(new.mailbox)?.ok_or(Error::NoMailbox)?;
        check(policy.quota, txn.counters.bytes, txn.counters.messages, size)?;

        let modseq = txn.modseq();
        let email = EmailId(txn.counters.next_email);
        txn.counters.next_email += 1;
        let blob = txn.put_blob(new.raw);
        txn.index_email(email, new.raw, new.summary);
        let thread = txn.assign_thread(new.summary, email)?;
        let uid = mailbox.uid_next;
        mailbox.uid_next += 1;
        mailbox.highest_modseq = modseq;

        txn.put(meta_key(email), &EmailMeta { blob, size, received_at: new.received_at, thread, summary: new.summary.clone() });
        txn.log(Change::Created { email });
        txn.log(Change::Thread { thread });
        let mut memberships = vec![(mailbox.id, uid)];
        txn.put(uid_key(mailbox.id, uid), &UidEntry { email, received_at: new.received_at });
        txn.put_mailbox(&mailbox);
        txn.log(Change::Added { email, mailbox: mailbox.id, uid });
        for &other in more {
            if memberships.iter().any(|(m, _)| *m == other) {
                continue;
            }
            let mut other = self.mailbox(other)?.ok_or(Error::NoMailbox)?;
            let uid = other.uid_next;
            other.uid_next += 1;
            other.highest_modseq = modseq;
            memberships.push((other.id, uid));
            txn.put(uid_key(other.id, uid), &UidEntry { email, received_at: new.received_at });
            txn.put_mailbox(&other);
            txn.log(Change::Added { email, mailbox: other.id, uid });
        }
        let mut keywords = new.keywords;
        keywords.sort();
        keywords.dedup();
        txn.put(state_key(email), &EmailState { mailboxes: memberships, keywords, modseq });
        txn.counters.bytes += size;
        txn.counters.messages += 1;
        let modseq = txn.commit()?;
        Ok(Appended { email, uid, uid_validity: mailbox.uid_validity, modseq })
    }

    /// The mailbox's messages in UID order.
    pub fn uids(&self, mailbox: MailboxId) -> Result<Vec<(u32, EmailId)>> {
        Ok(self.uid_entries(mailbox)?.into_iter().map(|(uid, e)| (uid, e.email)).collect())
    }

    /// The mailbox's UID entries in UID order.
    pub fn uid_entries(&self, mailbox: MailboxId) -> Result<Vec<(u32, UidEntry)>> {
        Ok(self.uid_entries_shared(mailbox)?.as_ref().clone())
    }

    /// The mailbox's UID entries in UID order, shared with other readers at
    /// the same modseq. The modseq is read first: no transaction is under way
    /// then (a transaction holds the counters), so the scan is at least that
    /// recent, and a later commit makes the entry stale by changing it.
    pub fn uid_entries_shared(&self, mailbox: MailboxId) -> Result<std::sync::Arc<Vec<(u32, UidEntry)>>> {
        let modseq = self.modseq();
        let cached = self.uid_cache.lock().unwrap_or_else(|e| e.into_inner()).get(&mailbox).cloned();
        let entries = match cached {
            Some((at, entries)) if at == modseq => return Ok(entries),
            // A few changes since: apply them from the change log instead of
            // reading (and decrypting) every entry again.
            Some((at, entries)) if at < modseq => match self.apply_uid_changes(mailbox, at, &entries)? {
                Some(updated) => updated,
                None => self.scan_uid_entries(mailbox)?,
            },
            _ => self.scan_uid_entries(mailbox)?,
        };
        let entries = std::sync::Arc::new(entries);
        self.uid_cache.lock().unwrap_or_else(|e| e.into_inner()).insert(mailbox, (modseq, entries.clone()));
        Ok(entries)
    }

    /// Whether the mailbox holds any message (one key read, nothing opened).
    pub(crate) fn holds_messages(&self, mailbox: MailboxId) -> Result<bool> {
        let (from, to) = keys::prefix_range(Key::new(keys::ACC_UID).u32(mailbox.0).build());
        Ok(tresor_kv::last(&*self.db, &self.ks, &from, &to)?.is_some())
    }

    pub(crate) fn scan_uid_entries(&self, mailbox: MailboxId) -> Result<Vec<(u32, UidEntry)>> {
        Ok(self
            .scan::<UidEntry>(Key::new(keys::ACC_UID).u32(mailbox.0).build())?
            .into_iter()
            .map(|(k, e)| (keys::be_u32(&k[5..]), e))
            .collect())
    }

    /// `entries` (as of modseq `at`) with the mailbox's Added and Removed
    /// changes since applied; None when there are too many to be worth it.
    fn apply_uid_changes(&self, mailbox: MailboxId, at: u64, entries: &[(u32, UidEntry)]) -> Result<Option<Vec<(u32, UidEntry)>>> {
        let changes = self.changes_since(at)?;
        if changes.len() > 2_000 {
            return Ok(None);
        }
        let mut out = entries.to_vec();
        for (_, change) in changes {
            match change {
                crate::changes::Change::Added { mailbox: m, uid, .. } if m == mailbox => {
                    // Gone again later in the log: nothing to add.
                    let Some(entry) = self.uid_entry(mailbox, uid)? else { continue };
                    match out.binary_search_by_key(&uid, |(u, _)| *u) {
                        Ok(i) => out[i] = (uid, entry),
                        Err(i) => out.insert(i, (uid, entry)),
                    }
                }
                crate::changes::Change::Removed { mailbox: m, uid, .. } if m == mailbox => {
                    if let Ok(i) = out.binary_search_by_key(&uid, |(u, _)| *u) {
                        out.remove(i);
                    }
                }
                crate::changes::Change::MailboxDestroyed { mailbox: m } if m == mailbox => return Ok(None),
                _ => {}
            }
        }
        Ok(Some(out))
    }

    pub fn uid_entry(&self, mailbox: MailboxId, uid: u32) -> Result<Option<UidEntry>> {
        self.get(&uid_key(mailbox, uid))
    }

    pub fn email_meta(&self, id: EmailId) -> Result<Option<EmailMeta>> {
        Ok(self.email_meta_shared(id)?.map(|m| m.as_ref().clone()))
    }

    /// Messages, unread messages, threads and threads with an unread message
    /// in a mailbox (JMAP Mailbox counts), computed once per modseq.
    pub fn mailbox_counts(&self, mailbox: MailboxId) -> Result<MailboxCounts> {
        let modseq = self.modseq();
        if let Some((at, c)) = self.counts_cache.lock().unwrap_or_else(|e| e.into_inner()).get(&mailbox)
            && *at == modseq
        {
            return Ok(*c);
        }
        // Every mailbox at once, from two sequential scans (point reads per
        // message took minutes on a 100,000-message mailbox): thread
        // membership from its keys alone, then every email's state.
        let mut thread_of = std::collections::HashMap::new();
        let (from, to) = keys::prefix_range(vec![keys::ACC_THREAD_MEMBER]);
        self.db.scan(&self.ks, &from, &to, false, &mut |k, _| {
            if k.len() == 17 {
                thread_of.insert(keys::be_u64(&k[9..]), keys::be_u64(&k[1..9]));
            }
            std::ops::ControlFlow::Continue(())
        })?;
        type Sets = (std::collections::HashSet<u64>, std::collections::HashSet<u64>);
        let mut all: std::collections::HashMap<MailboxId, (MailboxCounts, Sets)> = std::collections::HashMap::new();
        for (k, state) in self.scan::<EmailState>(vec![keys::ACC_EMAIL_STATE])? {
            let email = keys::be_u64(&k[1..]);
            let thread = thread_of.get(&email).copied().unwrap_or(u64::MAX - email);
            let unread = !state.keywords.iter().any(|k| k == "$seen");
            for (m, _) in &state.mailboxes {
                let (c, (threads, unread_threads)) = all.entry(*m).or_default();
                c.total += 1;
                threads.insert(thread);
                if unread {
                    c.unread += 1;
                    unread_threads.insert(thread);
                }
            }
        }
        let mut cache = self.counts_cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.clear();
        for m in self.mailboxes()? {
            let (mut c, (threads, unread_threads)) = all.remove(&m.id).unwrap_or_default();
            (c.threads, c.unread_threads) = (threads.len() as u64, unread_threads.len() as u64);
            cache.insert(m.id, (modseq, c));
        }
        Ok(cache.get(&mailbox).map(|(_, c)| *c).unwrap_or_default())
    }

    /// An email's immutable record, decoded once and shared. Cached only if
    /// no transaction committed while it was read (one could have destroyed
    /// it; a destroying commit also drops the cached entry).
    pub fn email_meta_shared(&self, id: EmailId) -> Result<Option<std::sync::Arc<EmailMeta>>> {
        const CAP: usize = 4096;
        if let Some(m) = self.meta_cache.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return Ok(Some(m.clone()));
        }
        let before = self.modseq();
        let Some(meta) = self.get::<EmailMeta>(&meta_key(id))? else { return Ok(None) };
        let meta = std::sync::Arc::new(meta);
        if self.modseq() == before {
            let mut cache = self.meta_cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= CAP {
                cache.clear();
            }
            cache.insert(id, meta.clone());
        }
        Ok(Some(meta))
    }

    pub fn email_state(&self, id: EmailId) -> Result<Option<EmailState>> {
        self.get(&state_key(id))
    }

    /// The raw message as delivered.
    pub fn read_message(&self, id: EmailId) -> Result<Vec<u8>> {
        let meta = self.email_meta(id)?.ok_or(Error::NoMessage)?;
        self.read_blob(meta.blob)
    }
}

pub(crate) fn check(q: crate::directory::Quota, bytes: u64, messages: u64, size: u64) -> Result<()> {
    if let Some(max) = q.bytes {
        if size > max {
            return Err(Error::OverQuota(QuotaExceeded { alone: true }));
        }
        if bytes + size > max {
            return Err(Error::OverQuota(QuotaExceeded { alone: false }));
        }
    }
    if let Some(max) = q.messages
        && messages + 1 > max
    {
        return Err(Error::OverQuota(QuotaExceeded { alone: max == 0 }));
    }
    Ok(())
}
