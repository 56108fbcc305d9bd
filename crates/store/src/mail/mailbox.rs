//! Mailboxes: records keyed by numeric id, found by name through a keyed hash.
//! Every account starts with Inbox, Drafts, Sent, Junk, Trash and Archive.

use crate::{
    Error, Result, UnixTime,
    account::{Account, Counters, WriteTxn},
    changes::Change,
    keys::{self, Key},
    sealed,
};
use serde::{Deserialize, Serialize};
use tresor_crypto::DataKey;
use tresor_kv::Batch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MailboxId(pub u32);

impl MailboxId {
    /// The inbox is the first mailbox every account gets, and keeps its id for
    /// life (RFC 3501: renaming INBOX moves its messages, INBOX stays).
    pub const INBOX: MailboxId = MailboxId(1);
}

/// RFC 6154 special use / RFC 8621 role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Inbox,
    Drafts,
    Sent,
    Junk,
    Trash,
    Archive,
}

impl Role {
    pub const DEFAULTS: [(Role, &'static str); 6] = [
        (Role::Inbox, "INBOX"),
        (Role::Drafts, "Drafts"),
        (Role::Sent, "Sent"),
        (Role::Junk, "Junk"),
        (Role::Trash, "Trash"),
        (Role::Archive, "Archive"),
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub id: MailboxId,
    /// Full hierarchical name, `/`-separated; `INBOX` for the inbox.
    pub name: String,
    pub role: Option<Role>,
    pub uid_validity: u32,
    pub uid_next: u32,
    pub highest_modseq: u64,
    pub subscribed: bool,
    pub sort_order: u32,
    /// The user's retention, in days (None: keep forever).
    pub retention_days: Option<u32>,
    pub created_at: UnixTime,
}

pub(crate) fn record_key(id: MailboxId) -> Vec<u8> {
    Key::new(keys::ACC_MAILBOX).u32(id.0).build()
}

fn name_key(key: &DataKey, name: &str) -> Vec<u8> {
    Key::new(keys::ACC_MAILBOX_NAME)
        .hash(&key.name_hash(b"mailbox", canonical(name).as_bytes()))
        .build()
}

/// `INBOX` is case-insensitive (RFC 3501 5.1); other names are exact.
fn canonical(name: &str) -> String {
    if name.eq_ignore_ascii_case("inbox") {
        "INBOX".into()
    } else {
        name.to_owned()
    }
}

/// UIDVALIDITY from the creation time, never 0: distinct across a delete and
/// re-create of the same name.
fn uid_validity(now: UnixTime, id: MailboxId) -> u32 {
    ((now as u32) ^ id.0.rotate_left(16)).max(1)
}

pub(crate) fn create_defaults(
    key: &DataKey,
    ks: &str,
    counters: &mut Counters,
    b: &mut Batch,
    now: UnixTime,
) {
    for (i, (role, name)) in Role::DEFAULTS.iter().enumerate() {
        let id = MailboxId(counters.next_mailbox);
        counters.next_mailbox += 1;
        let m = Mailbox {
            id,
            name: (*name).into(),
            role: Some(*role),
            uid_validity: uid_validity(now, id),
            uid_next: 1,
            highest_modseq: 0,
            subscribed: true,
            sort_order: i as u32,
            retention_days: default_retention(*role),
            created_at: now,
        };
        let rk = record_key(id);
        b.put(ks, rk.clone(), sealed::seal(key, ks, &rk, &m));
        let nk = name_key(key, name);
        b.put(ks, nk.clone(), sealed::seal(key, ks, &nk, &id));
    }
}

/// DESIGN.md: Trash and Junk keep mail 30 days unless the user says otherwise.
fn default_retention(role: Role) -> Option<u32> {
    matches!(role, Role::Trash | Role::Junk).then_some(30)
}

impl Account {
    pub fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        Ok(self
            .scan::<Mailbox>(vec![keys::ACC_MAILBOX])?
            .into_iter()
            .map(|(_, m)| m)
            .collect())
    }

    pub fn mailbox(&self, id: MailboxId) -> Result<Option<Mailbox>> {
        self.get(&record_key(id))
    }

    pub fn mailbox_by_name(&self, name: &str) -> Result<Option<Mailbox>> {
        match self.get::<MailboxId>(&name_key(&self.key, name))? {
            Some(id) => self.mailbox(id),
            None => Ok(None),
        }
    }

    pub fn mailbox_by_role(&self, role: Role) -> Result<Option<Mailbox>> {
        Ok(self.mailboxes()?.into_iter().find(|m| m.role == Some(role)))
    }

    pub fn create_mailbox(&self, name: &str, role: Option<Role>, now: UnixTime) -> Result<Mailbox> {
        if name.is_empty()
            || name.starts_with('/')
            || name.ends_with('/')
            || name.contains("//")
            || name.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "mailbox name",
                "empty component or control character",
            ));
        }
        let mut txn = self.begin()?;
        if self.mailbox_by_name(name)?.is_some() {
            return Err(Error::MailboxExists);
        }
        let id = MailboxId(txn.counters.next_mailbox);
        txn.counters.next_mailbox += 1;
        let modseq = txn.modseq();
        let m = Mailbox {
            id,
            name: canonical(name),
            role,
            uid_validity: uid_validity(now, id),
            uid_next: 1,
            highest_modseq: modseq,
            subscribed: false,
            sort_order: 10,
            retention_days: None,
            created_at: now,
        };
        txn.put(record_key(id), &m);
        txn.put(name_key(&self.key, name), &id);
        txn.log(Change::MailboxCreated { mailbox: id });
        txn.commit()?;
        Ok(m)
    }
}

impl WriteTxn<'_> {
    pub(crate) fn put_mailbox(&mut self, m: &Mailbox) {
        self.put(record_key(m.id), m);
    }
}
