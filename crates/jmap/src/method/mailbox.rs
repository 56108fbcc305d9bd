//! Mailbox/get (RFC 8621 section 2.1).

use super::{account_id, ids_arg, properties_arg, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use tresor_store::{
    directory::AccountState,
    mail::{Mailbox, Role},
};

/// With the retention capability, `retentionDays` too.
const RETENTION_PROPERTIES: &[&str] = &[
    "id",
    "name",
    "parentId",
    "role",
    "sortOrder",
    "totalEmails",
    "unreadEmails",
    "totalThreads",
    "unreadThreads",
    "myRights",
    "isSubscribed",
    "retentionDays",
];

const PROPERTIES: &[&str] = &[
    "id",
    "name",
    "parentId",
    "role",
    "sortOrder",
    "totalEmails",
    "unreadEmails",
    "totalThreads",
    "unreadThreads",
    "myRights",
    "isSubscribed",
];

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let wanted = ids_arg(args)?;
    let known = if ctx.uses(crate::RETENTION) { RETENTION_PROPERTIES } else { PROPERTIES };
    let properties = properties_arg(args, known, known)?;
    let mailboxes = ctx.account.mailboxes()?;
    let read_only = ctx.account.policy().state != AccountState::Active;
    let mut list = Vec::new();
    let mut not_found = Vec::new();
    let selected: Vec<&Mailbox> = match &wanted {
        None => mailboxes.iter().collect(),
        Some(wanted) => wanted
            .iter()
            .filter_map(|w| match mailboxes.iter().find(|m| ids::mailbox(m.id) == *w) {
                Some(m) => Some(m),
                None => {
                    not_found.push(w.clone());
                    None
                }
            })
            .collect(),
    };
    for m in selected {
        let mut obj = Map::new();
        let needs_counts = properties.iter().any(|p| p.ends_with("Emails") || p.ends_with("Threads"));
        let counts = if needs_counts { Some(counts(ctx, m)?) } else { None };
        for p in &properties {
            let v = match p.as_str() {
                "id" => ids::mailbox(m.id).into(),
                "name" => m.name.rsplit('/').next().unwrap_or(&m.name).into(),
                "parentId" => parent(m, &mailboxes),
                "role" => m.role.map(Role::name).into(),
                "sortOrder" => m.sort_order.into(),
                "totalEmails" => counts.map(|c| c.0).into(),
                "unreadEmails" => counts.map(|c| c.1).into(),
                "totalThreads" => counts.map(|c| c.2).into(),
                "unreadThreads" => counts.map(|c| c.3).into(),
                "isSubscribed" => m.subscribed.into(),
                "retentionDays" => m.retention_days.into(),
                "myRights" => rights(!read_only, m.role),
                _ => continue,
            };
            obj.insert(p.clone(), v);
        }
        list.push(Value::Object(obj));
    }
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}

fn parent(m: &Mailbox, all: &[Mailbox]) -> Value {
    match m.name.rsplit_once('/') {
        Some((p, _)) => all.iter().find(|c| c.name == p).map(|c| Value::from(ids::mailbox(c.id))).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

/// (totalEmails, unreadEmails, totalThreads, unreadThreads).
fn counts(ctx: &Ctx<'_>, m: &Mailbox) -> Result<(u64, u64, u64, u64), MethodError> {
    let c = ctx.account.mailbox_counts(m.id)?;
    Ok((c.total, c.unread, c.threads, c.unread_threads))
}

/// A mailbox's myRights: everything when the account is writable, read-only
/// otherwise; a mailbox with a role cannot be deleted, the inbox not renamed.
pub fn rights(writable: bool, role: Option<Role>) -> Value {
    let w = writable;
    json!({
        "mayReadItems": true, "mayAddItems": w, "mayRemoveItems": w, "maySetSeen": w, "maySetKeywords": w,
        "mayCreateChild": w, "mayRename": w && role != Some(Role::Inbox), "mayDelete": w && role.is_none(), "maySubmit": w, "mayAdmin": false,
    })
}

/// One server-set property of a mailbox, as Mailbox/get gives it.
pub fn property(ctx: &Ctx<'_>, m: &Mailbox, name: &str) -> Result<Value, MethodError> {
    let c = counts(ctx, m)?;
    Ok(match name {
        "id" => ids::mailbox(m.id).into(),
        "role" => m.role.map(Role::name).into(),
        "totalEmails" => c.0.into(),
        "unreadEmails" => c.1.into(),
        "totalThreads" => c.2.into(),
        "unreadThreads" => c.3.into(),
        "myRights" => rights(ctx.account.policy().state == AccountState::Active, m.role),
        _ => Value::Null,
    })
}
