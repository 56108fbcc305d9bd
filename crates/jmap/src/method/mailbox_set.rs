//! Mailbox/set (RFC 8621 section 2.5): create (name, parentId, isSubscribed,
//! sortOrder, role), update (name/parentId as a rename, isSubscribed,
//! sortOrder, role), destroy (onDestroyRemoveEmails). Creation ids can be
//! referenced as `#creationId` in a later parentId of the same call.
//!
//! Only the call's final state must be valid (RFC 8620 5.3): one mailbox per
//! name and per role, no child left without its parent. Each operation is
//! tried; one refused only because of another mailbox (its name, its role, a
//! child) is tried again once the others ran, until a round changes nothing.
//! What is still waiting then waits on a cycle (two mailboxes swapping names
//! or roles): one of them steps aside (a name of its own, no role) and the
//! rounds go on.

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

/// Why an operation was refused; `conflict` when only another mailbox stood
/// in its way, so it may succeed once the rest of the call has run.
struct Refusal {
    error: Value,
    conflict: Option<Conflict>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conflict {
    Name,
    Role,
    Child,
}

impl From<Value> for Refusal {
    fn from(error: Value) -> Self {
        Refusal { error, conflict: None }
    }
}

fn store_error(e: StoreError) -> Refusal {
    let conflict = |error, kind| Refusal { error, conflict: Some(kind) };
    match e {
        StoreError::MailboxExists => conflict(invalid_property("name"), Conflict::Name),
        StoreError::RoleTaken => conflict(invalid_property("role"), Conflict::Role),
        StoreError::NoMailbox => set_error("notFound", "no such mailbox").into(),
        StoreError::Invalid { what: "role", .. } => invalid_property("role").into(),
        StoreError::Invalid { what: "mailbox name", .. } => invalid_property("name").into(),
        StoreError::Invalid { why, .. } => set_error("invalidProperties", why).into(),
        e => set_error("serverFail", e.to_string()).into(),
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
    // `onDestroyRemoveMessages` is the draft's name, still sent by older clients.
    let remove_emails =
        args.get("onDestroyRemoveEmails").or_else(|| args.get("onDestroyRemoveMessages")).and_then(Value::as_bool).unwrap_or(false);
    let mut creates: Vec<(&String, &Value)> = args.get("create").and_then(Value::as_object).into_iter().flatten().collect();
    let mut updates: Vec<(&String, &Value)> = args.get("update").and_then(Value::as_object).into_iter().flatten().collect();
    let mut destroys: Vec<&str> = args.get("destroy").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();

    let mut created_ids: HashMap<String, MailboxId> = HashMap::new();
    let (mut created, mut not_created) = (Map::new(), Map::new());
    let (mut updated, mut not_updated) = (Map::new(), Map::new());
    let (mut destroyed, mut not_destroyed) = (Vec::new(), Map::new());
    // The last conflict of each operation still waiting.
    let mut waiting: HashMap<(char, String), Refusal> = HashMap::new();
    // Mailboxes that stepped aside to break a cycle, as they were.
    let mut parked = Parked::new();
    loop {
        let mut progress = false;
        creates.retain(|(cid, props)| {
            // A parent created in this call: wait for it.
            if props.get("parentId").and_then(Value::as_str).and_then(|p| p.strip_prefix('#')).is_some_and(|p| !created_ids.contains_key(p))
            {
                return true;
            }
            match create(ctx, props, &created_ids, now) {
                Ok(m) => {
                    created_ids.insert((*cid).clone(), m.id);
                    let counts =
                        json!({ "id": ids::mailbox(m.id), "totalEmails": 0, "unreadEmails": 0, "totalThreads": 0, "unreadThreads": 0 });
                    created.insert((*cid).clone(), counts);
                    progress = true;
                    false
                }
                Err(r) if r.conflict.is_some() => {
                    waiting.insert(('c', (*cid).clone()), r);
                    true
                }
                Err(r) => {
                    not_created.insert((*cid).clone(), r.error);
                    false
                }
            }
        });
        let pending: Vec<&str> = creates.iter().map(|(cid, _)| cid.as_str()).collect();
        updates.retain(|(id, patch)| {
            if names_a_pending_creation(id, patch, &pending) {
                return true;
            }
            match update(ctx, id, patch, &created_ids, &parked) {
                Ok(()) => {
                    updated.insert((*id).clone(), Value::Null);
                    progress = true;
                    false
                }
                Err(r) if r.conflict.is_some() => {
                    waiting.insert(('u', (*id).clone()), r);
                    true
                }
                Err(r) => {
                    not_updated.insert((*id).clone(), r.error);
                    false
                }
            }
        });
        destroys.retain(|id| match destroy(ctx, id, remove_emails) {
            Ok(()) => {
                destroyed.push(Value::from(*id));
                progress = true;
                false
            }
            Err(r) if r.conflict.is_some() => {
                waiting.insert(('d', (*id).to_owned()), r);
                true
            }
            Err(r) => {
                not_destroyed.insert((*id).to_owned(), r.error);
                false
            }
        });
        if progress {
            continue;
        }
        // Nothing moved: one waiting update whose new name or role another
        // waiting update's mailbox holds steps aside, and the rounds go on.
        let Some((id, m, aside)) = step_aside(ctx, &updates, &created_ids, &parked) else { break };
        if ctx.account.update_mailbox(m.id, aside).is_err() {
            break;
        }
        parked.insert(m.id, (id, m));
    }
    // One that stepped aside and still failed goes back to where it was.
    for (id, m) in parked.into_values() {
        if updated.contains_key(&id) {
            continue;
        }
        let back = MailboxPatch { name: Some(m.name.clone()), role: Some(m.role), ..MailboxPatch::default() };
        if let Err(e) = ctx.account.update_mailbox(m.id, back) {
            tracing::warn!(account = ctx.account.id.0, "Mailbox/set: a mailbox that stepped aside stays aside: {e}");
        }
    }
    for (cid, _) in creates {
        let error = waiting.remove(&('c', cid.clone())).map_or_else(|| invalid_property("parentId"), |r| r.error);
        not_created.insert(cid.clone(), error);
    }
    for (id, _) in updates {
        // Without a conflict of its own, it waited on a creation that failed.
        let error = waiting.remove(&('u', id.clone())).map_or_else(
            || if id.starts_with('#') { set_error("notFound", "no such mailbox") } else { invalid_property("parentId") },
            |r| r.error,
        );
        not_updated.insert(id.clone(), error);
    }
    for id in destroys {
        let error = waiting.remove(&('d', id.to_owned())).map_or(Value::Null, |r| r.error);
        not_destroyed.insert(id.to_owned(), error);
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
        return Err(invalid_property("name"));
    }
    match parent {
        Value::Null => Ok(name.to_owned()),
        Value::String(p) => {
            let id = resolve(p, created).ok_or_else(|| invalid_property("parentId"))?;
            let parent = ctx.account.mailbox(id).map_err(|e| store_error(e).error)?.ok_or_else(|| invalid_property("parentId"))?;
            Ok(format!("{}/{name}", parent.name))
        }
        _ => Err(invalid_property("parentId")),
    }
}

fn create(ctx: &Ctx<'_>, props: &Value, created: &HashMap<String, MailboxId>, now: i64) -> Result<Mailbox, Refusal> {
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
        return Err(invalid_properties(bad).into());
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

/// Whether an update names, as its id or its new parent, a mailbox still
/// to be created in this call.
fn names_a_pending_creation(id: &str, patch: &Value, pending: &[&str]) -> bool {
    let parent = patch.get("parentId").and_then(Value::as_str);
    [Some(id), parent].into_iter().flatten().filter_map(|r| r.strip_prefix('#')).any(|cid| pending.contains(&cid))
}

/// Mailboxes that stepped aside in this call, as they were (see the module doc).
type Parked = HashMap<MailboxId, (String, Mailbox)>;

fn update(ctx: &Ctx<'_>, id: &str, patch: &Value, created: &HashMap<String, MailboxId>, parked: &Parked) -> Result<(), Refusal> {
    let (mid, changes) = plan(ctx, id, patch, created, parked)?;
    if changes.name.is_some()
        || changes.subscribed.is_some()
        || changes.sort_order.is_some()
        || changes.retention_days.is_some()
        || changes.role.is_some()
    {
        ctx.account.update_mailbox(mid, changes).map_err(store_error)?;
    }
    Ok(())
}

/// An update checked and turned into the store's patch (one transaction).
/// A mailbox that stepped aside is judged as it was: its name, its role.
fn plan(
    ctx: &Ctx<'_>,
    id: &str,
    patch: &Value,
    created: &HashMap<String, MailboxId>,
    parked: &Parked,
) -> Result<(MailboxId, MailboxPatch), Refusal> {
    let patch = patch.as_object().ok_or_else(|| set_error("invalidPatch", "a patch is an object"))?;
    let mid = resolve(id, created).ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    let current = ctx.account.mailbox(mid).map_err(store_error)?.ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    let was = parked.get(&mid).map_or(&current, |(_, m)| m);
    let mut changes = MailboxPatch::default();
    let mut bad = server_set_mismatches(patch, |key| super::mailbox::property(ctx, was, key).unwrap_or(Value::Null));
    for (key, value) in patch {
        match key.as_str() {
            "isSubscribed" => changes.subscribed = Some(value.as_bool().ok_or_else(|| invalid_property("isSubscribed"))?),
            "sortOrder" => changes.sort_order = Some(sort_order(value)?),
            "role" => {
                let role = match value {
                    Value::Null => None,
                    r => Some(r.as_str().and_then(Role::from_name).ok_or_else(|| invalid_property("role"))?),
                };
                if role != current.role {
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
        return Err(invalid_properties(bad).into());
    }
    if patch.contains_key("name") || patch.contains_key("parentId") {
        let name = match patch.get("name") {
            Some(v) => v.as_str().ok_or_else(|| invalid_property("name"))?.to_owned(),
            None => was.name.rsplit('/').next().unwrap_or(&was.name).to_owned(),
        };
        let parent = match patch.get("parentId") {
            Some(p) => p.clone(),
            None => match was.name.rsplit_once('/') {
                Some((p, _)) => {
                    ctx.account.mailbox_by_name(p).map_err(store_error)?.map(|p| Value::from(ids::mailbox(p.id))).unwrap_or(Value::Null)
                }
                None => Value::Null,
            },
        };
        let full = full_name(ctx, &name, &parent, created)?;
        if full.starts_with(&format!("{}/", current.name)) {
            return Err(invalid_property("parentId").into());
        }
        if full != current.name {
            changes.name = Some(full);
        }
    }
    Ok((mid, changes))
}

/// The waiting update that should step aside so the call can go on: one
/// whose new name or role another waiting update's mailbox holds (a cycle,
/// or part of one). Stepping aside frees its own name or role.
fn step_aside(
    ctx: &Ctx<'_>,
    updates: &[(&String, &Value)],
    created: &HashMap<String, MailboxId>,
    parked: &Parked,
) -> Option<(String, Mailbox, MailboxPatch)> {
    let waiting: Vec<MailboxId> = updates.iter().filter_map(|(id, _)| resolve(id, created)).collect();
    updates.iter().find_map(|(id, patch)| {
        let (mid, changes) = plan(ctx, id, patch, created, parked).ok()?;
        if parked.contains_key(&mid) {
            return None;
        }
        let m = ctx.account.mailbox(mid).ok()??;
        let held_by = |holder: Option<Mailbox>| holder.is_some_and(|h| h.id != mid && waiting.contains(&h.id));
        let name_held = changes.name.as_ref().is_some_and(|n| held_by(ctx.account.mailbox_by_name(n).ok().flatten()));
        let role_held = changes.role.flatten().is_some_and(|r| held_by(ctx.account.mailbox_by_role(r).ok().flatten()));
        if !name_held && !role_held {
            return None;
        }
        // Everything it is about to change steps aside, name and role alike:
        // the other side of the cycle may want either.
        let aside = MailboxPatch {
            name: changes.name.is_some().then(|| format!("{}.{:016x}", m.name, rand::random::<u64>())),
            role: (changes.role.is_some() && m.role.is_some()).then_some(None),
            ..MailboxPatch::default()
        };
        Some(((*id).clone(), m, aside))
    })
}

fn destroy(ctx: &Ctx<'_>, id: &str, remove_emails: bool) -> Result<(), Refusal> {
    let mid = ids::parse_mailbox(id).ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    let m = ctx.account.mailbox(mid).map_err(store_error)?.ok_or_else(|| set_error("notFound", "no such mailbox"))?;
    if m.role.is_some() {
        return Err(set_error("forbidden", "mailboxes with a role cannot be destroyed").into());
    }
    let prefix = format!("{}/", m.name);
    if ctx.account.mailboxes().map_err(store_error)?.iter().any(|c| c.name.starts_with(&prefix)) {
        // Its children may go later in this call.
        return Err(Refusal { error: set_error("mailboxHasChild", "the mailbox has children"), conflict: Some(Conflict::Child) });
    }
    if !remove_emails && !ctx.account.uids(mid).map_err(store_error)?.is_empty() {
        return Err(set_error("mailboxHasEmail", "the mailbox is not empty").into());
    }
    ctx.account.delete_mailbox(&m.name).map_err(store_error)
}
