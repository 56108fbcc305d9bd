//! Mailbox commands: CREATE (with CREATE-SPECIAL-USE), DELETE, RENAME,
//! SUBSCRIBE, LIST (with LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, CHILDREN),
//! LSUB and STATUS (with STATUS=SIZE, CONDSTORE, APPENDLIMIT, OBJECTID).
//! Hierarchy delimiter `/`; names are the store's, converted at the edge.

use super::{Reply, Session, mailbox_astring, view::highest_modseq};
use crate::codec::command::{List, ListReturn, ListSelect, StatusItem};
use tresor_store::{
    Account, Result, ids,
    mail::{Mailbox, MailboxId, MailboxPatch, Role},
};

impl Session {
    pub(super) fn create(&mut self, wire: &str, special_use: &[String]) -> Result<Reply> {
        let account = self.acct();
        let Some(name) = self.mailbox_name(wire) else { return Ok(Reply::bad("mailbox name is not valid modified UTF-7")) };
        if name == "INBOX" || account.mailbox_by_name(&name)?.is_some() {
            return Ok(Reply::no_code("ALREADYEXISTS", "mailbox already exists"));
        }
        let role = match special_use {
            [] => None,
            [one] => match role_of(one) {
                Some(r) if account.mailbox_by_role(r)?.is_some() => {
                    return Ok(Reply::no_code("USEATTR", "another mailbox already has that special use"));
                }
                Some(r) => Some(r),
                None => return Ok(Reply::no_code("USEATTR", "unsupported special use")),
            },
            _ => return Ok(Reply::no_code("USEATTR", "one special use per mailbox")),
        };
        account.create_mailbox(&name, role, self.backend.now())?;
        Ok(Reply::ok("CREATE completed"))
    }

    pub(super) fn delete(&mut self, wire: &str) -> Result<Reply> {
        let account = self.acct();
        let Some(name) = self.mailbox_name(wire) else { return Ok(Reply::no_code("NONEXISTENT", "no such mailbox")) };
        let Some(m) = account.mailbox_by_name(&name)? else { return Ok(Reply::no_code("NONEXISTENT", "no such mailbox")) };
        if m.id == MailboxId::INBOX {
            return Ok(Reply::no_code("CANNOT", "INBOX cannot be deleted"));
        }
        let prefix = format!("{}/", m.name);
        if account.mailboxes()?.iter().any(|c| c.name.starts_with(&prefix)) {
            return Ok(Reply::no_code("INUSE", "mailbox has children; delete them first"));
        }
        if self.selected_mailbox() == Some(m.id) {
            self.selected = None;
        }
        account.delete_mailbox(&name)?;
        Ok(Reply::ok("DELETE completed"))
    }

    pub(super) fn rename(&mut self, from: &str, to: &str) -> Result<Reply> {
        let account = self.acct();
        let (Some(from), Some(to)) = (self.mailbox_name(from), self.mailbox_name(to)) else {
            return Ok(Reply::bad("mailbox name is not valid modified UTF-7"));
        };
        if account.mailbox_by_name(&from)?.is_none() {
            return Ok(Reply::no_code("NONEXISTENT", "no such mailbox"));
        }
        if to == "INBOX" || account.mailbox_by_name(&to)?.is_some() {
            return Ok(Reply::no_code("ALREADYEXISTS", "target mailbox already exists"));
        }
        if to.starts_with(&format!("{from}/")) {
            return Ok(Reply::no_code("CANNOT", "cannot move a mailbox below itself"));
        }
        account.rename_mailbox(&from, &to, self.backend.now())?;
        Ok(Reply::ok("RENAME completed"))
    }

    pub(super) fn subscribe(&mut self, wire: &str, on: bool) -> Result<Reply> {
        let account = self.acct();
        let Some(name) = self.mailbox_name(wire) else { return Ok(Reply::bad("mailbox name is not valid modified UTF-7")) };
        let Some(m) = account.mailbox_by_name(&name)? else {
            // A name without a mailbox can be subscribed too (RFC 9051 6.3.7).
            account.set_orphan_subscription(&name, on)?;
            return Ok(Reply::ok(if on { "SUBSCRIBE completed" } else { "UNSUBSCRIBE completed" }));
        };
        if m.subscribed != on {
            account.update_mailbox(m.id, MailboxPatch { subscribed: Some(on), ..MailboxPatch::default() })?;
        }
        Ok(Reply::ok(if on { "SUBSCRIBE completed" } else { "UNSUBSCRIBE completed" }))
    }

    pub(super) fn list(&mut self, list: List, out: &mut Vec<u8>) -> Result<Reply> {
        let account = self.acct();
        if list.patterns.len() == 1 && list.patterns[0].is_empty() {
            // RFC 9051 6.3.9: the delimiter and the root.
            out.extend_from_slice(b"* LIST (\\Noselect) \"/\" \"\"\r\n");
            return Ok(Reply::ok("LIST completed"));
        }
        let mailboxes = account.mailboxes()?;
        let subscribed_only = list.select.contains(&ListSelect::Subscribed);
        let special_only = list.select.contains(&ListSelect::SpecialUse);
        let recursive = list.select.contains(&ListSelect::RecursiveMatch);
        let show_subscribed = subscribed_only || list.ret.contains(&ListReturn::Subscribed);
        let status = list.ret.iter().find_map(|r| if let ListReturn::Status(items) = r { Some(items.clone()) } else { None });
        let patterns: Vec<String> = list.patterns.iter().filter_map(|p| self.mailbox_pattern(&list.reference, p)).collect();
        for m in &mailboxes {
            let wire = self.wire_name(&m.name);
            if !patterns.iter().any(|p| matches(p, &wire)) {
                continue;
            }
            let children: Vec<&Mailbox> = mailboxes.iter().filter(|c| c.name.starts_with(&format!("{}/", m.name))).collect();
            let mut childinfo = false;
            if subscribed_only && !m.subscribed {
                // RECURSIVEMATCH: a parent of a subscribed mailbox the
                // patterns do not list is shown with CHILDINFO (RFC 5258 3.5).
                let listed = |c: &Mailbox| patterns.iter().any(|p| matches(p, &self.wire_name(&c.name)));
                if recursive && children.iter().any(|c| c.subscribed && !listed(c)) {
                    childinfo = true;
                } else {
                    continue;
                }
            }
            if special_only && m.role.is_none() {
                continue;
            }
            let mut attrs: Vec<&str> = Vec::new();
            attrs.push(if children.is_empty() { "\\HasNoChildren" } else { "\\HasChildren" });
            if show_subscribed && m.subscribed {
                attrs.push("\\Subscribed");
            }
            if let Some(role) = m.role.filter(|r| *r != Role::Inbox) {
                attrs.push(special_use(role));
            }
            out.extend_from_slice(b"* LIST (");
            out.extend_from_slice(attrs.join(" ").as_bytes());
            out.extend_from_slice(b") \"/\" ");
            mailbox_astring(out, &wire);
            if childinfo {
                out.extend_from_slice(b" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
            }
            out.extend_from_slice(b"\r\n");
            if let Some(items) = &status {
                write_status(&account, m, &wire, items, self.backend.append_limit(), out)?;
            }
        }
        if subscribed_only {
            for name in account.orphan_subscriptions()? {
                let wire = self.wire_name(&name);
                if patterns.iter().any(|p| matches(p, &wire)) {
                    out.extend_from_slice(b"* LIST (\\Subscribed \\NonExistent) \"/\" ");
                    mailbox_astring(out, &wire);
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
        Ok(Reply::ok("LIST completed"))
    }

    pub(super) fn lsub(&mut self, reference: &str, pattern: &str, out: &mut Vec<u8>) -> Result<Reply> {
        let account = self.acct();
        let Some(pattern) = self.mailbox_pattern(reference, pattern) else { return Ok(Reply::ok("LSUB completed")) };
        let mailboxes = account.mailboxes()?;
        let mut shown = std::collections::BTreeMap::new();
        for m in mailboxes.iter().filter(|m| m.subscribed) {
            let wire = self.wire_name(&m.name);
            if matches(&pattern, &wire) {
                shown.insert(wire, "");
                continue;
            }
            // RFC 3501 6.3.9: with `%`, an unsubscribed parent of a
            // subscribed mailbox is listed as \Noselect.
            let mut parent = wire.as_str();
            while let Some(cut) = parent.rfind('/') {
                parent = &parent[..cut];
                if matches(&pattern, parent) {
                    shown.entry(parent.to_owned()).or_insert("\\Noselect");
                    break;
                }
            }
        }
        for name in account.orphan_subscriptions()? {
            let wire = self.wire_name(&name);
            if matches(&pattern, &wire) {
                shown.entry(wire).or_insert("");
            }
        }
        for (wire, attr) in shown {
            out.extend_from_slice(format!("* LSUB ({attr}) \"/\" ").as_bytes());
            mailbox_astring(out, &wire);
            out.extend_from_slice(b"\r\n");
        }
        Ok(Reply::ok("LSUB completed"))
    }

    /// Reference and pattern joined (RFC 3501 6.3.8), with INBOX's case
    /// normalised so `inbox` matches.
    fn mailbox_pattern(&self, reference: &str, pattern: &str) -> Option<String> {
        let joined = if reference.is_empty() || pattern.starts_with('/') {
            pattern.to_owned()
        } else if reference.ends_with('/') {
            format!("{reference}{pattern}")
        } else {
            format!("{reference}/{pattern}")
        };
        if joined.len() >= 5 && joined[..5].eq_ignore_ascii_case("INBOX") && (joined.len() == 5 || joined.as_bytes()[5] == b'/') {
            return Some(format!("INBOX{}", &joined[5..]));
        }
        Some(joined)
    }

    pub(super) fn status(&mut self, wire: &str, items: &[StatusItem], out: &mut Vec<u8>) -> Result<Reply> {
        let account = self.acct();
        let Some(name) = self.mailbox_name(wire) else { return Ok(Reply::no_code("NONEXISTENT", "no such mailbox")) };
        let Some(m) = account.mailbox_by_name(&name)? else { return Ok(Reply::no_code("NONEXISTENT", "no such mailbox")) };
        write_status(&account, &m, &self.wire_name(&m.name), items, self.backend.append_limit(), out)?;
        Ok(Reply::ok("STATUS completed"))
    }
}

/// `* STATUS name (ITEM n ...)`.
fn write_status(account: &Account, m: &Mailbox, wire: &str, items: &[StatusItem], append_limit: u64, out: &mut Vec<u8>) -> Result<()> {
    let needs_states = items.iter().any(|i| matches!(i, StatusItem::Unseen | StatusItem::Deleted | StatusItem::Size));
    let uids = account.uids(m.id)?;
    let (mut unseen, mut deleted, mut size) = (0u64, 0u64, 0u64);
    if needs_states {
        for (_, email) in &uids {
            if let Some(state) = account.email_state(*email)? {
                if !state.keywords.iter().any(|k| k == "$seen") {
                    unseen += 1;
                }
                if state.keywords.iter().any(|k| k == "$deleted") {
                    deleted += 1;
                }
            }
            if items.contains(&StatusItem::Size)
                && let Some(meta) = account.email_meta(*email)?
            {
                size += meta.size;
            }
        }
    }
    out.extend_from_slice(b"* STATUS ");
    mailbox_astring(out, wire);
    out.extend_from_slice(b" (");
    let mut parts = Vec::new();
    for item in items {
        parts.push(match item {
            StatusItem::Messages => format!("MESSAGES {}", uids.len()),
            StatusItem::Recent => {
                let from = account.recent_from(m.id)?;
                format!("RECENT {}", uids.iter().filter(|(u, _)| *u >= from).count())
            }
            StatusItem::UidNext => format!("UIDNEXT {}", m.uid_next),
            StatusItem::UidValidity => format!("UIDVALIDITY {}", m.uid_validity),
            StatusItem::Unseen => format!("UNSEEN {unseen}"),
            StatusItem::Deleted => format!("DELETED {deleted}"),
            StatusItem::Size => format!("SIZE {size}"),
            StatusItem::HighestModSeq => format!("HIGHESTMODSEQ {}", highest_modseq(m)),
            StatusItem::AppendLimit => format!("APPENDLIMIT {append_limit}"),
            StatusItem::MailboxId => format!("MAILBOXID ({})", ids::mailbox(m.id)),
        });
    }
    out.extend_from_slice(parts.join(" ").as_bytes());
    out.extend_from_slice(b")\r\n");
    Ok(())
}

/// RFC 6154 attribute of a role.
fn special_use(role: Role) -> &'static str {
    match role {
        Role::Inbox => "",
        Role::Drafts => "\\Drafts",
        Role::Sent => "\\Sent",
        Role::Junk => "\\Junk",
        Role::Trash => "\\Trash",
        Role::Archive => "\\Archive",
    }
}

fn role_of(attr: &str) -> Option<Role> {
    [Role::Drafts, Role::Sent, Role::Junk, Role::Trash, Role::Archive].into_iter().find(|r| special_use(*r).eq_ignore_ascii_case(attr))
}

/// LIST wildcard match: `*` anything, `%` anything but the delimiter.
pub(super) fn matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some(b'*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some(b'%') => (0..=n.len()).take_while(|&i| i == 0 || n[i - 1] != b'/').any(|i| go(&p[1..], &n[i..])),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards() {
        assert!(matches("*", "a/b/c"));
        assert!(matches("%", "INBOX"));
        assert!(!matches("%", "a/b"));
        assert!(matches("a/%", "a/b"));
        assert!(!matches("a/%", "a/b/c"));
        assert!(matches("a/*", "a/b/c"));
        assert!(matches("INBOX", "INBOX"));
        assert!(!matches("Sent", "Sent Items"));
    }
}
