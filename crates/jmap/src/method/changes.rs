//! Email/changes and Mailbox/changes (RFC 8620 section 5.2), read straight from
//! the account's change log: a state is a modseq, so a change made over IMAP
//! shows here exactly as one made over JMAP.

use super::account_id;
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use tresor_store::changes::Change;

/// (new state, the changes with their modseqs, whether more remain).
type Window = (u64, Vec<(u64, Change)>, bool);

/// The changes after `sinceState`, cut at a modseq boundary once more than
/// `maxChanges` distinct ids (as `ids_of` names them) would be reported.
fn window<K: Ord + Clone>(
    ctx: &Ctx<'_>,
    args: &Map<String, Value>,
    ids_of: impl Fn(&Change) -> Result<Vec<K>, MethodError>,
) -> Result<Window, MethodError> {
    let since = super::since(ctx, args, "sinceState")?;
    let head = ctx.account.modseq();
    let max = match args.get("maxChanges") {
        None | Some(Value::Null) => usize::MAX,
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => n as usize,
            _ => return Err(MethodError::bad_argument("maxChanges", "maxChanges must be a positive integer")),
        },
    };
    let all = ctx.account.changes_since(since)?;
    let mut taken = Vec::new();
    let mut ids = BTreeSet::new();
    let mut more = false;
    let mut i = 0;
    while i < all.len() {
        let seq = all[i].0;
        let group: Vec<_> = all[i..].iter().take_while(|(s, _)| *s == seq).cloned().collect();
        let mut next = ids.clone();
        for (_, c) in &group {
            next.extend(ids_of(c)?);
        }
        if next.len() > max && !taken.is_empty() {
            more = true;
            break;
        }
        ids = next;
        i += group.len();
        taken.extend(group);
    }
    let new_state = if more { taken.last().map_or(since, |(s, _)| *s) } else { head };
    Ok((new_state, taken, more))
}

pub fn emails(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let (new_state, changes, more) = window(ctx, args, |c| {
        Ok(match c {
            Change::Created { email }
            | Change::Added { email, .. }
            | Change::Removed { email, .. }
            | Change::Keywords { email }
            | Change::Destroyed { email } => {
                vec![email.0]
            }
            _ => vec![],
        })
    })?;
    let (mut created, mut updated, mut destroyed) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for (_, c) in &changes {
        match c {
            Change::Created { email } => {
                created.insert(*email);
            }
            Change::Added { email, .. } | Change::Removed { email, .. } | Change::Keywords { email } => {
                updated.insert(*email);
            }
            Change::Destroyed { email } => {
                destroyed.insert(*email);
            }
            _ => {}
        }
    }
    // Created and destroyed within the window: it never existed for this client.
    let ephemeral: BTreeSet<_> = created.intersection(&destroyed).copied().collect();
    created.retain(|e| !ephemeral.contains(e));
    destroyed.retain(|e| !ephemeral.contains(e));
    updated.retain(|e| !created.contains(e) && !destroyed.contains(e) && !ephemeral.contains(e));
    let list = |s: &BTreeSet<tresor_store::mail::EmailId>| s.iter().map(|e| ids::email(*e)).collect::<Vec<_>>();
    Ok(json!({
        "accountId": account_id,
        "oldState": args["sinceState"],
        "newState": new_state.to_string(),
        "hasMoreChanges": more,
        "created": list(&created),
        "updated": list(&updated),
        "destroyed": list(&destroyed),
    }))
}

pub fn mailboxes(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let (new_state, changes, more) = window(ctx, args, |c| {
        Ok(match c {
            Change::MailboxCreated { mailbox } | Change::MailboxUpdated { mailbox } | Change::MailboxDestroyed { mailbox } => {
                vec![u64::from(mailbox.0)]
            }
            Change::Added { mailbox, .. } | Change::Removed { mailbox, .. } => vec![u64::from(mailbox.0)],
            Change::Keywords { email } => {
                ctx.account.email_state(*email)?.map(|s| s.mailboxes.iter().map(|(m, _)| u64::from(m.0)).collect()).unwrap_or_default()
            }
            _ => vec![],
        })
    })?;
    let (mut created, mut updated, mut destroyed) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut counts_only = BTreeSet::new();
    for (_, c) in &changes {
        match c {
            Change::MailboxCreated { mailbox } => {
                created.insert(*mailbox);
            }
            Change::MailboxUpdated { mailbox } => {
                updated.insert(*mailbox);
            }
            Change::MailboxDestroyed { mailbox } => {
                destroyed.insert(*mailbox);
            }
            Change::Added { mailbox, .. } | Change::Removed { mailbox, .. } => {
                counts_only.insert(*mailbox);
            }
            Change::Keywords { email } => {
                if let Some(state) = ctx.account.email_state(*email)? {
                    counts_only.extend(state.mailboxes.iter().map(|(m, _)| *m));
                }
            }
            _ => {}
        }
    }
    let ephemeral: BTreeSet<_> = created.intersection(&destroyed).copied().collect();
    created.retain(|m| !ephemeral.contains(m));
    destroyed.retain(|m| !ephemeral.contains(m));
    // RFC 8621 2.2: only when nothing but counts changed in the whole window.
    let only_counts = updated.is_empty() && created.is_empty() && destroyed.is_empty();
    updated.extend(counts_only);
    updated.retain(|m| !created.contains(m) && !destroyed.contains(m) && !ephemeral.contains(m));
    let list = |s: &BTreeSet<tresor_store::mail::MailboxId>| s.iter().map(|m| ids::mailbox(*m)).collect::<Vec<_>>();
    let updated_properties: Value = if only_counts && !updated.is_empty() {
        json!(["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"])
    } else {
        Value::Null
    };
    Ok(json!({
        "accountId": account_id,
        "oldState": args["sinceState"],
        "newState": new_state.to_string(),
        "hasMoreChanges": more,
        "created": list(&created),
        "updated": list(&updated),
        "destroyed": list(&destroyed),
        "updatedProperties": updated_properties,
    }))
}

/// Thread/changes: threads a message joined or left. A thread whose messages
/// all arrived in the window is created; one with none left is destroyed.
pub fn threads(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let (new_state, changes, more) = window(ctx, args, |c| Ok(if let Change::Thread { thread } = c { vec![*thread] } else { vec![] }))?;
    let mut touched = BTreeSet::new();
    let mut new_emails = BTreeSet::new();
    for (_, c) in &changes {
        match c {
            Change::Thread { thread } => {
                touched.insert(*thread);
            }
            Change::Created { email } => {
                new_emails.insert(*email);
            }
            _ => {}
        }
    }
    let (mut created, mut updated, mut destroyed) = (Vec::new(), Vec::new(), Vec::new());
    for thread in touched {
        let members = ctx.account.thread_members(thread)?;
        if members.is_empty() {
            destroyed.push(ids::thread(thread));
        } else if members.iter().all(|e| new_emails.contains(e)) {
            created.push(ids::thread(thread));
        } else {
            updated.push(ids::thread(thread));
        }
    }
    Ok(json!({
        "accountId": account_id,
        "oldState": args["sinceState"],
        "newState": new_state.to_string(),
        "hasMoreChanges": more,
        "created": created,
        "updated": updated,
        "destroyed": destroyed,
    }))
}

/// /changes for objects whose every change is one log entry naming it and
/// what happened (identities, submissions).
pub fn objects(
    ctx: &Ctx<'_>,
    args: &Map<String, Value>,
    of: impl Fn(&Change) -> Option<(String, tresor_store::changes::ObjectOp)>,
) -> Result<Value, MethodError> {
    use tresor_store::changes::ObjectOp;
    let account_id = account_id(ctx, args)?;
    let (new_state, changes, more) = window(ctx, args, |c| Ok(of(c).map(|(id, _)| id).into_iter().collect()))?;
    let (mut created, mut updated, mut destroyed) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for (id, op) in changes.iter().filter_map(|(_, c)| of(c)) {
        match op {
            ObjectOp::Created => {
                created.insert(id);
            }
            ObjectOp::Updated => {
                updated.insert(id);
            }
            ObjectOp::Destroyed => {
                destroyed.insert(id);
            }
        }
    }
    let ephemeral: BTreeSet<_> = created.intersection(&destroyed).cloned().collect();
    created.retain(|i| !ephemeral.contains(i));
    destroyed.retain(|i| !ephemeral.contains(i));
    updated.retain(|i| !created.contains(i) && !destroyed.contains(i) && !ephemeral.contains(i));
    Ok(json!({
        "accountId": account_id,
        "oldState": args["sinceState"],
        "newState": new_state.to_string(),
        "hasMoreChanges": more,
        "created": created,
        "updated": updated,
        "destroyed": destroyed,
    }))
}
