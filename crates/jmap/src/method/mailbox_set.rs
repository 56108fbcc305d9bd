//! Mailbox/set (RFC 8621 section 2.5): create (name, parentId, isSubscribed,
//! sortOrder, role), update (name/parentId as a rename, isSubscribed,
//! sortOrder), destroy (onDestroyRemoveEmails). Creation ids can be referenced
//! as `#creationId` in a later parentId of the same call.

use super::{account_id, set_error, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tresor_store::{
    Error as StoreError,
    mail::{Mailbox, MailboxId, MailboxPatch},
};

fn store_error(e: StoreError) -> Value {
    match e {
        StoreError::MailboxExists => set_error("invalidProperties", "a mailbox with this name exists"),
        StoreError::NoMailbox => set_error("notFound", "no such mailbox"),
        StoreError::Invalid { why, .. } => set_error("invalidProperties", why),
        e => set_error("serverFail", e.to_string()),
    }
}

pub fn set(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let old_state = super::writable_state(ctx, args)?;
    let now = tresor_types::time::now();
    let mut created_ids: HashMap<String, MailboxId> = HashMap::new();
    let (mut created, mut not_created) = (Map::new(), Map::new());
    // Creations may name each other as parents (`#cid`), in any order:
    // create in passes until nothing more can be created.
    let mut pending: Vec<(&String, &Value)> = args.get("create").and_then(Value::as_object).into_iter().flatten().collect();
    loop {
        let before = pending.len();
        pending.retain(|(cid, props)| {
            let waits = props
                .get("parentId")
                .and_then(Value::as_str)
                .and_then(|p| p.strip_prefix('#'))
                .is_some_and(|p| !created_ids.contains_key(p));
            if waits {
                return true;
            }
            match create(ctx, props, &created_ids, now) {
                Ok(m) => {
                    created_ids.insert((*cid).clone(), m.id);
                    created.insert(
                        (*cid).clone(),
                        json!({ "id": ids::mailbox(m.id), "totalEmails": 0, "unreadEmails": 0, "totalThreads": 0, "unreadThreads": 0 }),
                    );
                }
                Err(e) => {
                    not_created.insert((*cid).clone(), e);
                }
            }
            false
        });
        if pending.len() == before {
            break;
        }
    }
    for (cid, _) in pending {
        not_created.insert(cid.clone(), set_error("invalidProperties", "parentId: no such creation id"));
    }
    let (mut updated, mut not_updated) = (Map::new(), Map::new());
    for (id, patch) in args.get("update").and_then(Value::as_object).into_iter().flatten() {
        match update(ctx, id, patch, &created_ids, now) {
            Ok(()) => {
                updated.insert(id.clone(), Value::Null);
            }
            Err(e) => {
                not_updated.insert(id.clone(), e);
            }
        }
    }
    // `onDestroyRemoveMessages` is the draft's name, still sent by older clients.
    let remove_emails =
        args.get("onDestroyRemoveEmails").or_else(|| args.get("onDestroyRemoveMessages")).and_then(Value::as_bool).unwrap_or(false);
    let (mut destroyed, mut not_destroyed) = (Vec::new(), Map::new());
    for id in args.get("destroy").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        match destroy(ctx, id, remove_emails) {
            Ok(()) => destroyed.push(Value::from(id)),
            Err(e) => {
                not_destroyed.insert(id.to_owned(), e);
            }
        }
    }
    let obj_or_null = |m: Map<String, Value>| if m.is_empty() { Value::Null } else { Value::Object(m) };
    Ok(json!({
        "accountId": account_id,
        "oldState": old_state,
        "newState": state(ctx),
        "created": obj_or_null(created),
        "updated": obj_or_null(updated),
        "destroyed": if destroyed.is_empty() { Value::Null } else { Value::Array(destroyed) },
        "notCreated": obj_or_null(not_created),
        "notUpdated": obj_or_null(not_updated),
        "notDestroyed": obj_or_null(not_destroyed),
    }))
}

/// A mailbox id argument: an existing id or `#creationId` from this call.
fn resolve(id: &str, created: &HashMap<String, MailboxId>) -> Option<MailboxId> {
    match id.strip_prefix('#') {
        Some(cid) => created.get(cid).copied(),
        None => ids::parse_mailbox(id),
    }
}

/// The full name for `name` under `parent_id` (null: top level).
fn full_name(ctx: &Ctx<'_>, name: &str, parent: &Value, created: &HashMap<String, MailboxId>) -> Result<String, Value> {
    if name.is_empty() || name.contains('/') || name.chars().any(char::is_control) || name.len() > 255 {
        return Err(set_error("invalidProperties", "name must be 1-255 characters without '/'"));
    }
    match parent {
        Value::Null => Ok(name.to_owned()),
        Value::String(p) => {
            let id = resolve(p, created).ok_or_else(|| set_error("invalidProperties", "parentId: no such mailbox"))?;
            let parent =
                ctx.account.mailbox(id).map_err(store_error)?.ok_or_else(|| set_error("invalidProperties", "parentId: no such mailbox"))?;
            Ok(format!("{}/{name}", parent.name))
        }
        _ => Err(set_error("invalidProperties", "parentId must be a string or null")),
    }
}

fn create(ctx: &Ctx<'_>, props: &Value, created: &HashMap<String, MailboxId>, now: i64) -> Result<Mailbox, Value> {
    let props = props.as_object().ok_or_else(|| set_error("invalidProperties", "a mailbox is an object"))?;
    if props.get("role").is_some_and(|r| !r.is_null()) {
        return Err(set_error("invalidProperties", "role cannot be set yet"));
    }
    for (key, value) in props {
        let fresh = match key.as_str() {
            "totalEmails" | "unreadEmails" | "totalThreads" | "unreadThreads" => value.as_u64() == Some(0),
            "myRights" => *value == super::mailbox::rights(true, None),
            "id" => false,
            "name" | "parentId" | "isSubscribed" | "sortOrder" | "role" => true,
            "retentionDays" => ctx.uses(crate::RETENTION),
            _ => false,
        };
        if !fresh {
            return Err(json!({ "type": "invalidProperties", "properties": [key] }));
        }
    }
    let name = props.get("name").and_then(Value::as_str).ok_or_else(|| json!({ "type": "invalidProperties", "properties": ["name"] }))?;
    let full = full_name(ctx, name, props.get("parentId").unwrap_or(&Value::Null), created)?;
    let m = ctx.account.create_mailbox(&full, None, now).map_err(store_error)?;
    let patch = MailboxPatch {
        subscribed: props.get("isSubscribed").and_then(Value::as_bool),
        sort_order: props.get("sortOrder").and_then(Value::as_u64).map(|o| o as u32),
        ..MailboxPatch::default()
    };
    if patch.subscribed.is_some() || patch.sort_order.is_some() {
        return ctx.account.update_mailbox(m.id, patch).map_err(store_error);
    }
    Ok(m)
}

fn update(ctx: &Ctx<'_>, id: &str, patch: &Value, created: &HashMap<String, MailboxId>, now: i64) -> Result<(), Value> {
    let patch = patch.as_object().ok_or_else(|| set_error("invalidPatch", "a patch is an object"))?;
    let mid = resolve(id, created).ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    let m = ctx.account.mailbox(mid).map_err(store_error)?.ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    let mut changes = MailboxPatch::default();
    for (key, value) in patch {
        match key.as_str() {
            "isSubscribed" => changes.subscribed = Some(value.as_bool().ok_or_else(|| set_error("invalidProperties", "isSubscribed"))?),
            "sortOrder" => changes.sort_order = Some(value.as_u64().ok_or_else(|| set_error("invalidProperties", "sortOrder"))? as u32),
            "name" | "parentId" => {}
            "id" | "role" | "totalEmails" | "unreadEmails" | "totalThreads" | "unreadThreads" | "myRights" => {
                // Server-set: allowed only unchanged.
                let current = super::mailbox::property(ctx, &m, key).map_err(|_| set_error("serverFail", "counts"))?;
                if current != *value {
                    return Err(json!({ "type": "invalidProperties", "properties": [key] }));
                }
            }
            "retentionDays" if ctx.uses(crate::RETENTION) => {
                let days = match value {
                    Value::Null => None,
                    v => Some(
                        v.as_u64().and_then(|d| u32::try_from(d).ok()).ok_or_else(|| set_error("invalidProperties", "retentionDays"))?,
                    ),
                };
                if days.is_some_and(|d| !ctx.policy.retention_allowed(d)) {
                    return Err(set_error("invalidProperties", "retentionDays is outside this server's bounds"));
                }
                changes.retention_days = Some(days);
            }
            other => return Err(json!({ "type": "invalidProperties", "properties": [other] })),
        }
    }
    if patch.contains_key("name") || patch.contains_key("parentId") {
        let current_leaf = m.name.rsplit('/').next().unwrap_or(&m.name).to_owned();
        let name = match patch.get("name") {
            Some(v) => v.as_str().ok_or_else(|| set_error("invalidProperties", "name"))?.to_owned(),
            None => current_leaf,
        };
        let parent = match patch.get("parentId") {
            Some(p) => p.clone(),
            None => match m.name.rsplit_once('/') {
                Some((p, _)) => {
                    ctx.account.mailbox_by_name(p).map_err(store_error)?.map(|p| Value::from(ids::mailbox(p.id))).unwrap_or(Value::Null)
                }
                None => Value::Null,
            },
        };
        let full = full_name(ctx, &name, &parent, created)?;
        if full.starts_with(&format!("{}/", m.name)) {
            return Err(set_error("invalidProperties", "a mailbox cannot move below itself"));
        }
        if full != m.name {
            ctx.account.rename_mailbox(&m.name, &full, now).map_err(store_error)?;
        }
    }
    if changes.subscribed.is_some() || changes.sort_order.is_some() || changes.retention_days.is_some() {
        ctx.account.update_mailbox(mid, changes).map_err(store_error)?;
    }
    Ok(())
}

fn destroy(ctx: &Ctx<'_>, id: &str, remove_emails: bool) -> Result<(), Value> {
    let mid = ids::parse_mailbox(id).ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    let m = ctx.account.mailbox(mid).map_err(store_error)?.ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    if m.role.is_some() {
        return Err(set_error("forbidden", "mailboxes with a role cannot be destroyed"));
    }
    let prefix = format!("{}/", m.name);
    if ctx.account.mailboxes().map_err(store_error)?.iter().any(|c| c.name.starts_with(&prefix)) {
        return Err(set_error("mailboxHasChild", "the mailbox has children"));
    }
    if !remove_emails && !ctx.account.uids(mid).map_err(store_error)?.is_empty() {
        return Err(set_error("mailboxHasEmail", "the mailbox is not empty"));
    }
    ctx.account.delete_mailbox(&m.name).map_err(store_error)
}
