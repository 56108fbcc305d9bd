//! Changing many mailboxes at once: JMAP's Mailbox/set, and IMAP's CREATE,
//! RENAME, SUBSCRIBE and DELETE as sets of one.
//!
//! Only the state the whole set leaves must be valid (RFC 8620 5.3): one
//! mailbox per name and per role, every mailbox under a live parent, no
//! mailbox below itself. The set is judged in memory, from one snapshot taken
//! under the account's write lock, and what is accepted is written in one
//! transaction: a client sees all of it or none, and swapping two names or
//! two roles needs neither an order nor a temporary name.
//!
//! A change that breaks the final state is refused and the rest judged again
//! without it, until the state holds. Each round refuses the changes of the
//! first kind of fault it finds, most certain first:
//! 1. a change that can never succeed: its parent was refused, it would make
//!    a cycle, its name is not valid, it renames INBOX;
//! 2. a change that takes a name or role a mailbox keeps (one the set does
//!    not move);
//! 3. a destroy that leaves a child behind, or destroys a mailbox with a role
//!    when roles are kept;
//! 4. two changes that want the same name or role: the earlier keeps it.
//!
//! Each round refuses at least one change, so the rounds end, and each costs
//! one pass over the account's mailboxes.

use super::mailbox::{Mailbox, MailboxId, MailboxPatch, Role, canonical, name_key, record_key, validate_name};
use crate::{Error, Result, UnixTime, account::Account, changes::Change};
use std::collections::{BTreeMap, HashMap};

/// A mailbox a change names: one that exists, or one created by the same set
/// (its index in [`MailboxSet::create`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailboxRef {
    Existing(MailboxId),
    Created(usize),
}

/// Where a mailbox is, or goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A full `/`-separated name (IMAP).
    Full(String),
    /// A name one level below a parent, or at the top (JMAP's name and parentId).
    Under(Option<MailboxRef>, String),
}

#[derive(Debug, Clone)]
pub struct NewMailbox {
    pub place: Place,
    pub role: Option<Role>,
    pub subscribed: Option<bool>,
    pub sort_order: Option<u32>,
    pub retention_days: Option<Option<u32>>,
    pub created_at: UnixTime,
}

impl NewMailbox {
    pub fn new(place: Place, role: Option<Role>, created_at: UnixTime) -> Self {
        NewMailbox { place, role, subscribed: None, sort_order: None, retention_days: None, created_at }
    }
}

/// Creates, then updates, then destroys, judged together.
#[derive(Debug, Default, Clone)]
pub struct MailboxSet {
    pub create: Vec<NewMailbox>,
    pub update: Vec<(MailboxRef, MailboxPatch)>,
    pub destroy: Vec<MailboxId>,
    /// A mailbox with a role is not destroyed (JMAP); IMAP DELETE may.
    pub keep_roles: bool,
    /// A destroyed mailbox's messages go with it (those in no other mailbox
    /// are destroyed); without it a mailbox with messages is not destroyed.
    pub remove_emails: bool,
}

/// Why one change of a set was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no such mailbox")]
    NotFound,
    #[error("invalid mailbox name: an empty level, a control character, or too long or deep")]
    Name,
    #[error("mailbox already exists")]
    NameTaken,
    #[error("another mailbox has this role")]
    RoleTaken,
    #[error("the inbox role belongs to INBOX")]
    InboxRole,
    #[error("INBOX keeps its name")]
    InboxName,
    #[error("INBOX cannot be deleted")]
    InboxDestroy,
    #[error("no such parent mailbox, or a mailbox below itself")]
    Parent,
    #[error("the mailbox has child mailboxes")]
    HasChild,
    #[error("the mailbox has messages")]
    HasEmail,
    #[error("a mailbox with a role cannot be destroyed")]
    HasRole,
}

impl From<Refused> for Error {
    fn from(r: Refused) -> Error {
        match r {
            Refused::NotFound => Error::NoMailbox,
            Refused::NameTaken => Error::MailboxExists,
            Refused::RoleTaken => Error::RoleTaken,
            Refused::Name | Refused::InboxName => Error::invalid("mailbox name", r.to_string()),
            Refused::InboxRole => Error::invalid("role", r.to_string()),
            Refused::Parent => Error::invalid("parent", r.to_string()),
            Refused::InboxDestroy | Refused::HasChild | Refused::HasEmail | Refused::HasRole => Error::invalid("mailbox", r.to_string()),
        }
    }
}

/// What became of each change, in the set's order.
#[derive(Debug)]
pub struct SetOutcome {
    pub created: Vec<Result<Mailbox, Refused>>,
    pub updated: Vec<Result<Mailbox, Refused>>,
    pub destroyed: Vec<Result<(), Refused>>,
}

/// A live mailbox without a name or id once the set settled: a bug, answered
/// as an error instead of a panic under the account's write lock.
const UNSETTLED: Error = Error::Integrity("mailbox set did not settle");

/// One change of the set; the order is the set's: creates, updates, destroys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Create(usize),
    Update(usize),
    Destroy(usize),
}

/// A mailbox in the state a set leaves: the existing ones first, in snapshot
/// order, then one per create.
#[derive(Debug, Clone)]
struct Node {
    parent: Option<usize>,
    /// The name below the parent (it may hold `/` when levels between are
    /// missing), or the full name at the top.
    leaf: String,
    role: Option<Role>,
    live: bool,
    /// The change that placed it (its create, or an update naming it).
    placed_by: Option<Op>,
    /// The change that gave it its role.
    role_by: Option<Op>,
    /// The destroy that removes it.
    destroyed_by: Option<Op>,
    /// A parent the change refers to that does not exist or was refused.
    dangling: bool,
}

/// The mailboxes (node indexes) that hold one name or role, each with the
/// change that gave it (None: it had it before the set).
type Holders = Vec<(Option<Op>, usize)>;

/// The final state of a set with some of its changes refused.
struct State {
    nodes: Vec<Node>,
    /// Full names of live nodes (None: not live, or in or below a cycle).
    names: Vec<Option<String>>,
    /// The change that decided each name: the node's own, or an ancestor's.
    named_by: Vec<Option<Op>>,
    /// Per cycle, the latest change in it (the one that goes).
    cycles: Vec<Op>,
}

struct Judge<'a> {
    set: &'a MailboxSet,
    before: Vec<Mailbox>,
    by_id: HashMap<MailboxId, usize>,
    /// Each existing mailbox as a node: under its nearest existing ancestor.
    base: Vec<Node>,
    refused: BTreeMap<Op, Refused>,
}

impl Account {
    /// Applies `set` as one change: see the module doc.
    pub fn apply_mailbox_set(&self, set: &MailboxSet) -> Result<SetOutcome> {
        let mut txn = self.begin()?;
        self.check_writable()?;
        let mut judge = Judge::new(set, self.mailboxes()?);
        judge.static_checks(self)?;
        let state = judge.settle();

        let n0 = judge.before.len();
        // Ids for the accepted creates, in order.
        let mut created_ids = vec![None; set.create.len()];
        for (i, id) in created_ids.iter_mut().enumerate() {
            if judge.accepted(Op::Create(i)) {
                *id = Some(MailboxId(txn.counters.next_mailbox));
                txn.counters.next_mailbox += 1;
            }
        }
        let live_names: std::collections::HashSet<String> = state.names.iter().flatten().map(|n| canonical(n)).collect();
        // The records as the set leaves them.
        let mut after: Vec<Option<Mailbox>> = Vec::with_capacity(state.nodes.len());
        for (i, node) in state.nodes.iter().enumerate() {
            let record = match (node.live, i.checked_sub(n0)) {
                (false, _) => None,
                (true, None) => Some(Mailbox { role: node.role, ..judge.before[i].clone() }),
                (true, Some(c)) => {
                    let id = created_ids[c].ok_or(UNSETTLED)?;
                    let new = &set.create[c];
                    Some(Mailbox {
                        id,
                        name: String::new(),
                        role: node.role,
                        uid_validity: super::mailbox::uid_validity(new.created_at, id),
                        uid_next: 1,
                        highest_modseq: 0,
                        subscribed: new.subscribed.unwrap_or(false),
                        sort_order: new.sort_order.unwrap_or(10),
                        retention_days: new.retention_days.flatten(),
                        created_at: new.created_at,
                    })
                }
            };
            after.push(match record {
                Some(mut m) => {
                    m.name = state.names[i].clone().ok_or(UNSETTLED)?;
                    Some(m)
                }
                None => None,
            });
        }
        for (i, (target, patch)) in set.update.iter().enumerate() {
            if !judge.accepted(Op::Update(i)) {
                continue;
            }
            // Updated, then destroyed by the same set: nothing to write.
            let Some(m) = after[judge.node_of(*target)].as_mut() else { continue };
            if let Some(s) = patch.subscribed {
                m.subscribed = s;
            }
            if let Some(o) = patch.sort_order {
                m.sort_order = o;
            }
            if let Some(r) = patch.retention_days {
                m.retention_days = r;
            }
        }

        // A name destroyed and created again in this set keeps its subscription.
        let mut destroyed_subscribed = std::collections::HashSet::new();
        // Destroyed mailboxes lose their messages, records and names.
        for (i, &id) in set.destroy.iter().enumerate() {
            if !judge.accepted(Op::Destroy(i)) {
                continue;
            }
            let m = &judge.before[judge.by_id[&id]];
            // Read directly: the shared UID cache would wait for the lock this set holds.
            for (uid, entry) in self.scan_uid_entries(id)? {
                txn.remove_membership(entry.email, id, uid)?;
            }
            txn.delete(record_key(id));
            txn.delete(super::recent::key(id));
            if m.subscribed && !live_names.contains(&m.name) {
                txn.keep_subscription(&m.name);
            } else if m.subscribed {
                destroyed_subscribed.insert(m.name.clone());
            }
            txn.log(Change::MailboxDestroyed { mailbox: id });
        }
        // Names: every old one that changed goes before any new one is written,
        // so a swap keeps both.
        for (i, m) in judge.before.iter().enumerate() {
            if after[i].as_ref().is_none_or(|a| a.name != m.name) {
                txn.delete(name_key(&self.key, &m.name));
            }
        }
        for (i, a) in after.iter().enumerate() {
            let Some(a) = a else { continue };
            if i >= n0 || a.name != judge.before[i].name {
                txn.put(name_key(&self.key, &a.name), &a.id);
            }
        }
        for (i, a) in after.iter_mut().enumerate() {
            let Some(a) = a else { continue };
            if i >= n0 {
                // A subscription the name kept after an earlier delete comes back.
                let orphan = super::subscriptions::key(self, &a.name);
                let was_subscribed = destroyed_subscribed.contains(&a.name) || self.get::<String>(&orphan)?.is_some();
                if was_subscribed {
                    a.subscribed |= set.create[i - n0].subscribed.is_none();
                    txn.delete(orphan);
                }
                a.highest_modseq = txn.modseq();
                txn.put_mailbox(a);
                txn.log(Change::MailboxCreated { mailbox: a.id });
            } else if *a != judge.before[i] {
                a.highest_modseq = txn.modseq();
                txn.put_mailbox(a);
                txn.log(Change::MailboxUpdated { mailbox: a.id });
            }
        }
        txn.commit()?;

        // A mailbox updated and then destroyed by the same set is answered as it was.
        let outcome = |op: Op, i: usize| match judge.refused.get(&op) {
            Some(r) => Err(*r),
            None => Ok(after[i].clone().unwrap_or_else(|| judge.before[i].clone())),
        };
        Ok(SetOutcome {
            created: (0..set.create.len()).map(|c| outcome(Op::Create(c), n0 + c)).collect(),
            updated: set
                .update
                .iter()
                .enumerate()
                .map(|(u, (target, _))| match judge.refused.get(&Op::Update(u)) {
                    Some(r) => Err(*r),
                    None => outcome(Op::Update(u), judge.node_of(*target)),
                })
                .collect(),
            destroyed: (0..set.destroy.len()).map(|d| judge.refused.get(&Op::Destroy(d)).map_or(Ok(()), |r| Err(*r))).collect(),
        })
    }
}

impl<'a> Judge<'a> {
    fn new(set: &'a MailboxSet, mut before: Vec<Mailbox>) -> Self {
        before.sort_by_key(|m| m.id);
        let by_id: HashMap<MailboxId, usize> = before.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
        let by_name: HashMap<&str, usize> = before.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
        let base = before
            .iter()
            .map(|m| {
                // Under the nearest existing ancestor, so a rename or a destroy
                // sees every mailbox below, even with levels missing between.
                let ancestor = m.name.rmatch_indices('/').find_map(|(at, _)| by_name.get(&m.name[..at]).map(|&p| (p, at)));
                let (parent, leaf) = match ancestor {
                    Some((p, at)) => (Some(p), m.name[at + 1..].to_owned()),
                    None => (None, m.name.clone()),
                };
                Node { parent, leaf, role: m.role, live: true, placed_by: None, role_by: None, destroyed_by: None, dangling: false }
            })
            .collect();
        Judge { set, before, by_id, base, refused: BTreeMap::new() }
    }

    fn accepted(&self, op: Op) -> bool {
        !self.refused.contains_key(&op)
    }

    fn refuse(&mut self, op: Op, why: Refused) {
        self.refused.entry(op).or_insert(why);
    }

    /// The node a reference names (valid once `static_checks` passed it).
    fn node_of(&self, r: MailboxRef) -> usize {
        match r {
            MailboxRef::Existing(id) => self.by_id[&id],
            MailboxRef::Created(c) => self.before.len() + c,
        }
    }

    fn exists(&self, r: MailboxRef) -> bool {
        match r {
            MailboxRef::Existing(id) => self.by_id.contains_key(&id),
            MailboxRef::Created(c) => c < self.set.create.len(),
        }
    }

    /// What is wrong with a change whatever the others do.
    fn static_checks(&mut self, account: &Account) -> Result<()> {
        let set = self.set;
        for (c, new) in set.create.iter().enumerate() {
            if new.role == Some(Role::Inbox) {
                self.refuse(Op::Create(c), Refused::InboxRole);
            }
            if let Place::Under(Some(p), _) = &new.place
                && !self.exists(*p)
            {
                self.refuse(Op::Create(c), Refused::Parent);
            }
        }
        for (u, (target, patch)) in set.update.iter().enumerate() {
            let op = Op::Update(u);
            if !self.exists(*target) {
                self.refuse(op, Refused::NotFound);
                continue;
            }
            if let Some(Place::Under(Some(p), _)) = &patch.place
                && !self.exists(*p)
            {
                self.refuse(op, Refused::Parent);
            }
            let is_inbox = *target == MailboxRef::Existing(MailboxId::INBOX);
            if let Some(role) = patch.role
                && (role == Some(Role::Inbox)) != is_inbox
            {
                self.refuse(op, Refused::InboxRole);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (d, id) in set.destroy.iter().enumerate() {
            let op = Op::Destroy(d);
            if !self.by_id.contains_key(id) || !seen.insert(*id) {
                self.refuse(op, Refused::NotFound);
            } else if *id == MailboxId::INBOX {
                self.refuse(op, Refused::InboxDestroy);
            } else if !set.remove_emails && account.holds_messages(*id)? {
                self.refuse(op, Refused::HasEmail);
            }
        }
        Ok(())
    }

    /// Refuses changes until the final state holds; returns it.
    fn settle(&mut self) -> State {
        loop {
            let state = self.state();
            let faults = [Self::never, Self::kept, Self::orphans, Self::ties];
            let first = faults.iter().map(|fault| {
                let mut b = fault(self, &state);
                b.retain(|(op, _)| self.accepted(*op));
                b
            });
            let Some(blamed) = first.into_iter().find(|b| !b.is_empty()) else {
                return state;
            };
            for (op, why) in blamed {
                self.refuse(op, why);
            }
        }
    }

    /// The state the accepted changes leave.
    fn state(&self) -> State {
        let mut nodes = self.base.clone();
        let place = |node: &mut Node, place: &Place, op: Op| {
            node.placed_by = Some(op);
            match place {
                Place::Full(name) => (node.parent, node.leaf) = (None, name.clone()),
                Place::Under(parent, leaf) => {
                    node.parent = parent.map(|p| self.node_of(p));
                    node.leaf = leaf.clone();
                }
            }
        };
        for (c, new) in self.set.create.iter().enumerate() {
            let op = Op::Create(c);
            let mut node = Node {
                parent: None,
                leaf: String::new(),
                role: None,
                live: self.accepted(op),
                placed_by: None,
                role_by: None,
                destroyed_by: None,
                dangling: false,
            };
            if !node.live {
                nodes.push(node);
                continue;
            }
            place(&mut node, &new.place, op);
            if new.role.is_some() {
                (node.role, node.role_by) = (new.role, Some(op));
            }
            nodes.push(node);
        }
        for (u, (target, patch)) in self.set.update.iter().enumerate() {
            let op = Op::Update(u);
            if !self.accepted(op) {
                continue;
            }
            let node = &mut nodes[self.node_of(*target)];
            if let Some(p) = &patch.place {
                place(node, p, op);
            }
            if let Some(role) = patch.role
                && role != node.role
            {
                (node.role, node.role_by) = (role, Some(op));
            }
        }
        for (d, id) in self.set.destroy.iter().enumerate() {
            let op = Op::Destroy(d);
            if self.accepted(op) {
                let node = &mut nodes[self.by_id[id]];
                (node.live, node.destroyed_by) = (false, Some(op));
            }
        }
        // Full names, parents first, each node once; a walk that reaches a
        // node on its own path has found a cycle.
        let n = nodes.len();
        let mut names: Vec<Option<String>> = vec![None; n];
        let mut named_by: Vec<Option<Op>> = vec![None; n];
        let mut cycles = Vec::new();
        let (mut done, mut on_path) = (vec![false; n], vec![false; n]);
        for start in 0..n {
            let mut path = Vec::new();
            let mut at = Some(start);
            while let Some(i) = at
                && !done[i]
            {
                if on_path[i] {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    cycles.extend(path[from..].iter().filter_map(|&c: &usize| nodes[c].placed_by).max());
                    break; // its nodes, and those below, stay nameless
                }
                on_path[i] = true;
                path.push(i);
                at = nodes[i].parent;
            }
            for &i in path.iter().rev() {
                (done[i], on_path[i]) = (true, false);
                let node = &nodes[i];
                (names[i], named_by[i]) = match node.parent {
                    // At the top `inbox` is INBOX, also below it (`INBOX/x`).
                    None => (Some(canonical(&node.leaf)), node.placed_by),
                    Some(p) => (names[p].as_ref().map(|pn| format!("{pn}/{}", node.leaf)), node.placed_by.or(named_by[p])),
                };
            }
        }
        // A node under a refused create, however far up, cannot be.
        let mut doomed: Vec<Option<bool>> = vec![None; n];
        for start in 0..n {
            let mut path = Vec::new();
            let mut at = Some(start);
            let verdict = loop {
                let Some(i) = at else { break false };
                if let Some(v) = doomed[i] {
                    break v;
                }
                if path.len() > n {
                    break false; // a cycle: judged as one
                }
                path.push(i);
                match nodes[i].parent {
                    Some(p) if !nodes[p].live && nodes[p].destroyed_by.is_none() => break true,
                    p => at = p,
                }
            };
            for i in path {
                doomed[i] = Some(verdict);
            }
        }
        for (i, node) in nodes.iter_mut().enumerate() {
            node.dangling = node.live && doomed[i] == Some(true);
            if !node.live {
                names[i] = None;
            }
        }
        State { nodes, names, named_by, cycles }
    }

    /// Fault 1: changes that cannot succeed whatever else happens.
    fn never(&self, state: &State) -> Vec<(Op, Refused)> {
        let mut blamed: Vec<(Op, Refused)> = state.cycles.iter().map(|op| (*op, Refused::Parent)).collect();
        // An update of a mailbox whose create was refused.
        for (u, (target, _)) in self.set.update.iter().enumerate() {
            if !self.accepted(Op::Update(u)) {
                continue;
            }
            let node = &state.nodes[self.node_of(*target)];
            if !node.live && node.destroyed_by.is_none() {
                blamed.push((Op::Update(u), Refused::NotFound));
            }
        }
        for (i, node) in state.nodes.iter().enumerate() {
            if !node.live {
                continue;
            }
            if node.dangling {
                blamed.extend(node.placed_by.map(|op| (op, Refused::Parent)));
                continue;
            }
            let Some(name) = &state.names[i] else { continue };
            let Some(op) = state.named_by[i] else { continue };
            if validate_name(name).is_err() {
                blamed.push((op, Refused::Name));
            } else if i < self.before.len() && self.before[i].id == MailboxId::INBOX && canonical(name) != "INBOX" {
                blamed.push((op, Refused::InboxName));
            }
        }
        blamed
    }

    /// Fault 2: a name or role that a mailbox the set does not move keeps.
    fn kept(&self, state: &State) -> Vec<(Op, Refused)> {
        let mut blamed = Vec::new();
        for (holders, why) in self.clashes(state) {
            if holders.iter().any(|(by, _)| by.is_none()) {
                blamed.extend(holders.iter().filter_map(|(by, _)| by.map(|op| (op, why))));
            }
        }
        blamed
    }

    /// Fault 3: destroys that leave a child, or take a role that is kept.
    fn orphans(&self, state: &State) -> Vec<(Op, Refused)> {
        let mut blamed = Vec::new();
        // Every destroyed mailbox above a live one stays, the whole run at once.
        let mut seen = vec![false; state.nodes.len()];
        for node in state.nodes.iter().filter(|n| n.live) {
            let mut at = node.parent;
            while let Some(p) = at
                && !seen[p]
                && let Some(op) = state.nodes[p].destroyed_by
            {
                seen[p] = true;
                blamed.push((op, Refused::HasChild));
                at = state.nodes[p].parent;
            }
        }
        if self.set.keep_roles {
            blamed.extend(state.nodes.iter().filter(|n| n.role.is_some()).filter_map(|n| n.destroyed_by).map(|op| (op, Refused::HasRole)));
        }
        blamed
    }

    /// Fault 4: changes that want the same name or role; the earliest keeps it.
    fn ties(&self, state: &State) -> Vec<(Op, Refused)> {
        let mut blamed = Vec::new();
        for (holders, why) in self.clashes(state) {
            let first = holders.iter().filter_map(|(by, _)| *by).min();
            blamed.extend(holders.iter().filter_map(|(by, _)| *by).filter(|op| Some(*op) != first).map(|op| (op, why)));
        }
        blamed
    }

    /// Names and roles more than one live mailbox holds, with the change that
    /// gave each holder its name or role (None: it had it before the set).
    fn clashes(&self, state: &State) -> Vec<(Holders, Refused)> {
        let mut by_name: HashMap<String, Holders> = HashMap::new();
        let mut by_role: HashMap<Role, Holders> = HashMap::new();
        for (i, node) in state.nodes.iter().enumerate() {
            let Some(name) = &state.names[i] else { continue };
            let name = canonical(name);
            // A mailbox whose name comes out as it was keeps it, whatever its update said.
            let kept = self.before.get(i).is_some_and(|m| m.name == name);
            by_name.entry(name).or_default().push((if kept { None } else { state.named_by[i] }, i));
            if let Some(role) = node.role {
                by_role.entry(role).or_default().push((node.role_by, i));
            }
        }
        let mut clashes: Vec<_> = by_name.into_values().filter(|h| h.len() > 1).map(|h| (h, Refused::NameTaken)).collect();
        clashes.extend(by_role.into_values().filter(|h| h.len() > 1).map(|h| (h, Refused::RoleTaken)));
        // Deterministic whatever the hash order.
        clashes.sort_by_key(|(h, _)| h.iter().map(|(_, i)| *i).min());
        clashes
    }
}
