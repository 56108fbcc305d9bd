//! Mailbox/set (RFC 8621 section 2.5): create (name, parentId, isSubscribed,
//! sortOrder, role), update (name/parentId as a rename, isSubscribed,
//! sortOrder), destroy (onDestroyRemoveEmails). Creation ids can be referenced
//! as `#creationId` in a later parentId of the same call.

use super::{account_id, invalid_property, set_error, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tresor_store::{
    Error as StoreError,
    mail::{Mailbox, MailboxId, MailboxPatch, Role},
};

fn store_error(e: StoreError) -> Value {
    match e {
        StoreError::MailboxExists => invalid_property("name"),
        StoreError::NoMailbox => set_error("notFound", "no such mailbox"),
        StoreError::Invalid { what: "role", .. } => invalid_property("role"),
        StoreError::Invalid { what: "mailbox name", .. } => invalid_property("name"),
        StoreError::Invalid { why, .. } => set_error("invalidProperties", why),
        e => set_error("serverFail", e.to_string()),
    }
}

/// Properties the server sets (RFC 8621 2.1): a client may send them only
/// with the values they have.
const SERVER_SET: [&str; 6] = ["id", "totalEmails", "unreadEmails", "totalThreads", "unreadThreads", "myRights"];

/// The server-set properties in `props` whose values are not `current`'s,
/// every one of them, each right of `myRights` on its own (`myRights/mayDelete`).
fn server_set_mismatches(props: &Map<String, Value>, current: impl Fn(&str) -> Value) -> Vec<String> {
    let mut bad = Vec::new();
    for (key, value) in props.iter().filter(|(k, _)| SERVER_SET.contains(&k.as_str())) {
        let current = current(key);
        match (value, &current) {
            (Value::Object(given), Value::Object(rights)) if key == "myRights" => {
                bad.extend(given.iter().filter(|(r, v)| rights.get(*r) != Some(*v)).map(|(r, _)| format!("myRights/{r}")));
                if given.len() != rights.len() && !bad.iter().any(|b| b.starts_with("myRights/")) {
                    bad.push(key.clone());
                }
            }
            _ if *value != current => bad.push(key.clone()),
            _ => {}
        }
    }
    bad
}

fn invalid_properties(bad: Vec<String>) -> Value {
    json!({ "type": "invalidProperties", "properties": bad })
}

pub fn set(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let old_state = super::writable_state(ctx, args)?;
    let now = tresor_types::time::now();
    let mut created_ids: HashMap<String, MailboxId> = HashMap::new();
    let (mut updated, mut not_updated) = (Map::new(), Map::new());
    let mut run_update =
        |id: &String, patch: &Value, created_ids: &HashMap<String, MailboxId>| match update(ctx, id, patch, created_ids, now) {
            Ok(()) => {
                updated.insert(id.clone(), Value::Null);
            }
            Err(e) => {
                not_updated.insert(id.clone(), e);
            }
        };
    // One mailbox per role holds for the call's final state, not for each
    // step (RFC 8620 5.3): updates that take a role away from a mailbox run
    // first, so a role can move to a mailbox created or updated in the same
    // call whatever the order the client wrote them in.
    let (releasing, updates): (Vec<_>, Vec<_>) =
        args.get("update").and_then(Value::as_object).into_iter().flatten().partition(|(id, patch)| releases_role(ctx, id, patch));
    for (id, patch) in releasing {
        run_update(id, patch, &created_ids);
    }
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
        not_created.insert(cid.clone(), invalid_property("parentId"));
    }
    for (id, patch) in updates {
        run_update(id, patch, &created_ids);
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

/// Whether this update takes its role away from an existing mailbox (and
/// names nothing created in this call, so it can run before the creations).
fn releases_role(ctx: &Ctx<'_>, id: &str, patch: &Value) -> bool {
    let Some(role) = patch.get("role") else { return false };
    if patch.get("parentId").and_then(Value::as_str).is_some_and(|p| p.starts_with('#')) {
        return false;
    }
    let current = ids::parse_mailbox(id).and_then(|m| ctx.account.mailbox(m).ok().flatten()).and_then(|m| m.role);
    current.is_some_and(|r| role.as_str() != Some(r.name()))
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
        return Err(invalid_property("name"));
    }
    match parent {
        Value::Null => Ok(name.to_owned()),
        Value::String(p) => {
            let id = resolve(p, created).ok_or_else(|| invalid_property("parentId"))?;
            let parent = ctx.account.mailbox(id).map_err(store_error)?.ok_or_else(|| invalid_property("parentId"))?;
            Ok(format!("{}/{name}", parent.name))
        }
        _ => Err(invalid_property("parentId")),
    }
}

fn create(ctx: &Ctx<'_>, props: &Value, created: &HashMap<String, MailboxId>, now: i64) -> Result<Mailbox, Value> {
    let props = props.as_object().ok_or_else(|| set_error("invalidProperties", "a mailbox is an object"))?;
    let role = match props.get("role") {
        None | Some(Value::Null) => None,
        Some(r) => Some(r.as_str().and_then(Role::from_name).ok_or_else(|| invalid_property("role"))?),
    };
    // A new mailbox has no id yet, no mail and every right.
    let mut bad = server_set_mismatches(props, |key| match key {
        "myRights" => super::mailbox::rights(true, role),
        "id" => Value::Null,
        _ => 0.into(),
    });
    if props.contains_key("id") && !bad.iter().any(|b| b == "id") {
        bad.push("id".into());
    }
    for key in props.keys() {
        let known = match key.as_str() {
            "name" | "parentId" | "isSubscribed" | "sortOrder" | "role" => true,
            "retentionDays" => ctx.uses(crate::RETENTION),
            k => SERVER_SET.contains(&k),
        };
        if !known {
            bad.push(key.clone());
        }
    }
    if !bad.is_empty() {
        return Err(invalid_properties(bad));
    }
    let name = props.get("name").and_then(Value::as_str).ok_or_else(|| invalid_property("name"))?;
    // Everything checked before the mailbox exists.
    let patch = MailboxPatch {
        subscribed: match props.get("isSubscribed") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_bool().ok_or_else(|| invalid_property("isSubscribed"))?),
        },
        sort_order: match props.get("sortOrder") {
            None | Some(Value::Null) => None,
            Some(v) => Some(sort_order(v)?),
        },
        retention_days: match props.get("retentionDays") {
            None => None,
            Some(v) => Some(retention_days(ctx, v)?),
        },
        ..MailboxPatch::default()
    };
    let full = full_name(ctx, name, props.get("parentId").unwrap_or(&Value::Null), created)?;
    let m = ctx.account.create_mailbox(&full, role, now).map_err(store_error)?;
    if patch.subscribed.is_some() || patch.sort_order.is_some() || patch.retention_days.is_some() {
        return ctx.account.update_mailbox(m.id, patch).map_err(store_error);
    }
    Ok(m)
}

fn sort_order(v: &Value) -> Result<u32, Value> {
    v.as_u64().and_then(|o| u32::try_from(o).ok()).ok_or_else(|| invalid_property("sortOrder"))
}

/// `retentionDays`: days within the server's bounds, or null for "keep forever".
fn retention_days(ctx: &Ctx<'_>, v: &Value) -> Result<Option<u32>, Value> {
    let days = match v {
        Value::Null => None,
        v => Some(v.as_u64().and_then(|d| u32::try_from(d).ok()).ok_or_else(|| invalid_property("retentionDays"))?),
    };
    if days.is_some_and(|d| !ctx.policy.retention_allowed(d)) {
        return Err(invalid_property("retentionDays"));
    }
    Ok(days)
}

fn update(ctx: &Ctx<'_>, id: &str, patch: &Value, created: &HashMap<String, MailboxId>, now: i64) -> Result<(), Value> {
    let patch = patch.as_object().ok_or_else(|| set_error("invalidPatch", "a patch is an object"))?;
    let mid = resolve(id, created).ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    let m = ctx.account.mailbox(mid).map_err(store_error)?.ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    let mut changes = MailboxPatch::default();
    let mut bad = server_set_mismatches(patch, |key| super::mailbox::property(ctx, &m, key).unwrap_or(Value::Null));
    for (key, value) in patch {
        match key.as_str() {
            "isSubscribed" => changes.subscribed = Some(value.as_bool().ok_or_else(|| invalid_property("isSubscribed"))?),
            "sortOrder" => changes.sort_order = Some(sort_order(value)?),
            "role" => {
                let role = match value {
                    Value::Null => None,
                    r => Some(r.as_str().and_then(Role::from_name).ok_or_else(|| invalid_property("role"))?),
                };
                if role != m.role {
                    changes.role = Some(role);
                }
            }
            "name" | "parentId" => {}
            k if SERVER_SET.contains(&k) => {}
            "retentionDays" if ctx.uses(crate::RETENTION) => changes.retention_days = Some(retention_days(ctx, value)?),
            other => bad.push(other.to_owned()),
        }
    }
    if !bad.is_empty() {
        return Err(invalid_properties(bad));
    }
    if patch.contains_key("name") || patch.contains_key("parentId") {
        let current_leaf = m.name.rsplit('/').next().unwrap_or(&m.name).to_owned();
        let name = match patch.get("name") {
            Some(v) => v.as_str().ok_or_else(|| invalid_property("name"))?.to_owned(),
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
            return Err(invalid_property("parentId"));
        }
        if full != m.name {
            ctx.account.rename_mailbox(&m.name, &full, now).map_err(store_error)?;
        }
    }
    if changes.subscribed.is_some() || changes.sort_order.is_some() || changes.retention_days.is_some() || changes.role.is_some() {
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
