//! Mailboxes: records keyed by numeric id, found by name through a keyed hash.
//! Every account starts with Inbox, Drafts, Sent, Junk, Trash and Archive.

use super::mailbox_set::{MailboxRef, MailboxSet, NewMailbox, Place};
use crate::{
    Error, Result, UnixTime,
    account::{Account, Counters, WriteTxn},
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Inbox,
    Drafts,
    Sent,
    Junk,
    Trash,
    Archive,
}

impl Role {
    /// The RFC 8621 role name (also the RFC 6154 attribute, lower-cased).
    pub fn name(self) -> &'static str {
        match self {
            Role::Inbox => "inbox",
            Role::Drafts => "drafts",
            Role::Sent => "sent",
            Role::Junk => "junk",
            Role::Trash => "trash",
            Role::Archive => "archive",
        }
    }

    /// A role from its RFC 8621 name.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::DEFAULTS.iter().map(|(r, _)| *r).find(|r| r.name() == name)
    }

    /// The usual name of the mailbox with this role.
    pub fn default_name(self) -> &'static str {
        Role::DEFAULTS.iter().find(|(r, _)| *r == self).map_or("INBOX", |(_, n)| n)
    }

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

pub(crate) fn name_key(key: &DataKey, name: &str) -> Vec<u8> {
    Key::new(keys::ACC_MAILBOX_NAME).hash(&key.name_hash(b"mailbox", canonical(name).as_bytes())).build()
}

/// `INBOX` is case-insensitive (RFC 3501 5.1); other names are exact.
pub(crate) fn canonical(name: &str) -> String {
    if name.eq_ignore_ascii_case("inbox") { "INBOX".into() } else { name.to_owned() }
}

/// UIDVALIDITY from the creation time, never 0: distinct across a delete and
/// re-create of the same name.
pub(crate) fn uid_validity(now: UnixTime, id: MailboxId) -> u32 {
    ((now as u32) ^ id.0.rotate_left(16)).max(1)
}

/// INBOX and a mailbox for each of `roles` (by its usual name). INBOX is
/// `MailboxId::INBOX`; the others take ids from `counters`.
pub(crate) fn create_defaults(key: &DataKey, ks: &str, counters: &mut Counters, b: &mut Batch, now: UnixTime, roles: &[Role]) {
    let others = roles.iter().filter(|r| **r != Role::Inbox);
    for (i, role) in std::iter::once(&Role::Inbox).chain(others).enumerate() {
        let id = match role {
            Role::Inbox => MailboxId::INBOX,
            _ => {
                counters.next_mailbox += 1;
                MailboxId(counters.next_mailbox - 1)
            }
        };
        let name = role.default_name();
        let m = Mailbox {
            id,
            name: name.into(),
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
    // A new account's search index is complete: it has no mail yet.
    let ready = vec![keys::ACC_SEARCH_READY];
    b.put(ks, ready.clone(), sealed::seal(key, ks, &ready, &()));
}

/// DESIGN.md: Trash and Junk keep mail 30 days unless the user says otherwise.
fn default_retention(role: Role) -> Option<u32> {
    matches!(role, Role::Trash | Role::Junk).then_some(30)
}

impl Account {
    pub fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        Ok(self.scan::<Mailbox>(vec![keys::ACC_MAILBOX])?.into_iter().map(|(_, m)| m).collect())
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

    /// Creates a mailbox under its full name, and the levels above it that
    /// are missing (RFC 9051 6.3.4), in one transaction.
    pub fn create_mailbox(&self, name: &str, role: Option<Role>, now: UnixTime) -> Result<Mailbox> {
        validate_name(name)?;
        let mut create = self.missing_parents(name, now)?;
        create.push(NewMailbox::new(Place::Full(name.to_owned()), role, now));
        let set = MailboxSet { create, ..MailboxSet::default() };
        let mut created = self.apply_mailbox_set(&set)?.created;
        Ok(created.pop().ok_or(Error::NoMailbox)??)
    }

    /// Creates for the levels above `name` that have no mailbox.
    fn missing_parents(&self, name: &str, now: UnixTime) -> Result<Vec<NewMailbox>> {
        let mut missing = Vec::new();
        for (at, _) in name.match_indices('/') {
            if self.mailbox_by_name(&name[..at])?.is_none() {
                missing.push(NewMailbox::new(Place::Full(name[..at].to_owned()), None, now));
            }
        }
        Ok(missing)
    }
}

/// What a mailbox update may change, all in one transaction.
#[derive(Debug, Default, Clone)]
pub struct MailboxPatch {
    /// Where it goes: the mailbox and every mailbox below it move.
    pub place: Option<Place>,
    pub subscribed: Option<bool>,
    pub retention_days: Option<Option<u32>>,
    pub sort_order: Option<u32>,
    pub role: Option<Option<Role>>,
}

impl Account {
    /// Renames a mailbox and every mailbox below it (`a` -> `b` moves `a/x` to
    /// `b/x`), making the levels above the new name that are missing. Renaming INBOX is RFC 3501's special case: its messages move to a
    /// new mailbox with the new name and INBOX stays, empty.
    pub fn rename_mailbox(&self, from: &str, to: &str, now: UnixTime) -> Result<()> {
        self.check_writable()?;
        let source = self.mailbox_by_name(from)?.ok_or(Error::NoMailbox)?;
        if source.id == MailboxId::INBOX {
            validate_name(to)?;
            if self.mailbox_by_name(to)?.is_some() {
                return Err(Error::MailboxExists);
            }
            let target = self.create_mailbox(to, None, now)?;
            let uids: Vec<u32> = self.uids(MailboxId::INBOX)?.into_iter().map(|(u, _)| u).collect();
            self.move_messages(MailboxId::INBOX, &uids, target.id)?;
            return Ok(());
        }
        validate_name(to)?;
        if self.mailbox_by_name(to)?.is_some() {
            return Err(Error::MailboxExists);
        }
        let set = MailboxSet {
            create: self.missing_parents(to, now)?,
            update: vec![(
                MailboxRef::Existing(source.id),
                MailboxPatch { place: Some(Place::Full(to.to_owned())), ..MailboxPatch::default() },
            )],
            ..MailboxSet::default()
        };
        self.apply_mailbox_set(&set)?.updated.remove(0).map(drop).map_err(Error::from)
    }

    /// Deletes a mailbox and expunges its messages. INBOX cannot be deleted;
    /// a mailbox with children cannot either (the caller decides whether to
    /// keep it as a \Noselect parent).
    pub fn delete_mailbox(&self, name: &str) -> Result<()> {
        let m = self.mailbox_by_name(name)?.ok_or(Error::NoMailbox)?;
        let set = MailboxSet { destroy: vec![m.id], remove_emails: true, ..MailboxSet::default() };
        Ok(self.apply_mailbox_set(&set)?.destroyed.remove(0)?)
    }

    /// Changes a mailbox: everything in `patch` or, refused, nothing.
    pub fn update_mailbox(&self, id: MailboxId, patch: MailboxPatch) -> Result<Mailbox> {
        let set = MailboxSet { update: vec![(MailboxRef::Existing(id), patch)], ..MailboxSet::default() };
        Ok(self.apply_mailbox_set(&set)?.updated.remove(0)?)
    }
}

pub(crate) fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() || name.starts_with('/') || name.ends_with('/') || name.contains("//") || name.chars().any(char::is_control) {
        return Err(Error::invalid("mailbox name", "empty component or control character"));
    }
    if name.len() > MAX_NAME || name.split('/').count() > MAX_DEPTH {
        return Err(Error::invalid("mailbox name", format!("longer than {MAX_NAME} bytes or deeper than {MAX_DEPTH} levels")));
    }
    Ok(())
}

/// Bounds on a mailbox's full name: far beyond any real folder tree, and
/// they keep one IMAP CREATE or Mailbox/set from building a huge hierarchy.
pub const MAX_NAME: usize = 1024;
pub const MAX_DEPTH: usize = 64;

impl WriteTxn<'_> {
    pub(crate) fn put_mailbox(&mut self, m: &Mailbox) {
        self.put(record_key(m.id), m);
    }
}
