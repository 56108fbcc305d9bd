//! Mailbox/set (RFC 8621 section 2.5): create (name, parentId, isSubscribed,
//! sortOrder, role), update (the same, name and parentId as a move),
//! destroy (onDestroyRemoveEmails). A mailbox created in the call can be
//! named by `#creationId` as a parent or in an update.
//!
//! Each change is checked on its own here (its properties, their types and
//! bounds); the store then judges them together by the state the whole call
//! leaves, and writes what it accepts in one transaction
//! (`tresor_store::mail::mailbox_set`): swapping two names or two roles works
//! in one call, and a refused change leaves no trace.

use super::{account_id, invalid_property, set_error, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use tresor_store::mail::{Mailbox, MailboxPatch, MailboxRef, MailboxSet, NewMailbox, Place, Refused, Role};

/// The answer to a change the store refused.
fn refused(r: Refused) -> Value {
    match r {
        Refused::NotFound => set_error("notFound", "no such mailbox"),
        Refused::Name | Refused::NameTaken | Refused::InboxName => invalid_property("name"),
        Refused::RoleTaken | Refused::InboxRole => invalid_property("role"),
        Refused::Parent => invalid_property("parentId"),
        Refused::HasChild => set_error("mailboxHasChild", r.to_string()),
        Refused::HasEmail => set_error("mailboxHasEmail", r.to_string()),
        Refused::HasRole | Refused::InboxDestroy => set_error("forbidden", r.to_string()),
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
    let creates = args.get("create").and_then(Value::as_object).into_iter().flatten();
    let updates = args.get("update").and_then(Value::as_object).into_iter().flatten();
    let destroys = args.get("destroy").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    let (mut not_created, mut not_updated, mut not_destroyed) = (Map::new(), Map::new(), Map::new());

    // Creates, each checked on its own; then those whose parent is a creation
    // id that is not among them go, until none does.
    let mut drafts: Vec<(&String, Draft)> = Vec::new();
    for (cid, props) in creates {
        match draft(ctx, props, now) {
            Ok(d) => drafts.push((cid, d)),
            Err(e) => drop(not_created.insert(cid.clone(), e)),
        }
    }
    loop {
        let valid: HashSet<&str> = drafts.iter().map(|(cid, _)| cid.as_str()).collect();
        let before = drafts.len();
        drafts.retain(|(cid, d)| {
            let orphan = d.parent.as_str().and_then(|p| p.strip_prefix('#')).is_some_and(|p| !valid.contains(p));
            if orphan {
                not_created.insert((*cid).clone(), invalid_property("parentId"));
            }
            !orphan
        });
        if drafts.len() == before {
            break;
        }
    }
    let index: HashMap<&str, usize> = drafts.iter().enumerate().map(|(i, (cid, _))| (cid.as_str(), i)).collect();
    let target = |id: &str| match id.strip_prefix('#') {
        Some(cid) => index.get(cid).map(|&i| MailboxRef::Created(i)),
        None => ids::parse_mailbox(id).map(MailboxRef::Existing),
    };
    let parent = |p: &Value| match p {
        Value::Null => Ok(None),
        Value::String(id) => target(id).map(Some).ok_or_else(|| invalid_property("parentId")),
        _ => Err(invalid_property("parentId")),
    };

    let mut set = MailboxSet { keep_roles: true, remove_emails, ..MailboxSet::default() };
    let mut create_ids = Vec::new();
    for (cid, d) in &drafts {
        let mut new = d.new.clone();
        // Every creation id left names a kept create, every other id parses (`draft`).
        let parent =
            parent(&d.parent).map_err(|_| MethodError::described("serverFail", "a parentId checked earlier no longer resolves"))?;
        new.place = Place::Under(parent, d.name.clone());
        set.create.push(new);
        create_ids.push(*cid);
    }
    let mut update_ids = Vec::new();
    for (id, patch) in updates {
        let Some(target) = target(id) else {
            not_updated.insert(id.clone(), set_error("notFound", "no such mailbox"));
            continue;
        };
        let current = match target {
            MailboxRef::Existing(mid) => match ctx.account.mailbox(mid)? {
                Some(m) => Current::Stored(m),
                None => {
                    not_updated.insert(id.clone(), set_error("notFound", "no such mailbox"));
                    continue;
                }
            },
            MailboxRef::Created(i) => Current::Draft(&drafts[i].1),
        };
        match plan(ctx, &current, patch, &parent) {
            Ok(p) => {
                set.update.push((target, p));
                update_ids.push(id);
            }
            Err(e) => drop(not_updated.insert(id.clone(), e)),
        }
    }
    let mut destroy_ids = Vec::new();
    for id in destroys {
        match ids::parse_mailbox(id) {
            Some(mid) => {
                set.destroy.push(mid);
                destroy_ids.push(id);
            }
            None => drop(not_destroyed.insert(id.to_owned(), set_error("notFound", "no such mailbox"))),
        }
    }

    let outcome = ctx.account.apply_mailbox_set(&set)?;
    let mut created = Map::new();
    for (cid, result) in create_ids.into_iter().zip(outcome.created) {
        match result {
            Ok(m) => created.insert(
                cid.clone(),
                json!({ "id": ids::mailbox(m.id), "totalEmails": 0, "unreadEmails": 0, "totalThreads": 0, "unreadThreads": 0 }),
            ),
            Err(r) => not_created.insert(cid.clone(), refused(r)),
        };
    }
    let mut updated = Map::new();
    for (id, result) in update_ids.into_iter().zip(outcome.updated) {
        match result {
            Ok(_) => updated.insert(id.clone(), Value::Null),
            Err(r) => not_updated.insert(id.clone(), refused(r)),
        };
    }
    let mut destroyed = Vec::new();
    for (id, result) in destroy_ids.into_iter().zip(outcome.destroyed) {
        match result {
            Ok(()) => destroyed.push(Value::from(id)),
            Err(r) => drop(not_destroyed.insert(id.to_owned(), refused(r))),
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

/// A create checked on its own: its parent (`parentId` as given) is resolved
/// once every create is known.
struct Draft {
    name: String,
    parent: Value,
    new: NewMailbox,
}

/// One level's name: no `/`, no control character, not empty, not too long.
fn leaf_name(v: Option<&Value>) -> Result<String, Value> {
    let name = v.and_then(Value::as_str).ok_or_else(|| invalid_property("name"))?;
    if name.is_empty() || name.contains('/') || name.chars().any(char::is_control) || name.len() > 255 {
        return Err(invalid_property("name"));
    }
    Ok(name.to_owned())
}

fn draft(ctx: &Ctx<'_>, props: &Value, now: i64) -> Result<Draft, Value> {
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
    let name = leaf_name(props.get("name"))?;
    let parent = props.get("parentId").cloned().unwrap_or(Value::Null);
    match &parent {
        Value::Null => {}
        Value::String(p) if p.starts_with('#') || ids::parse_mailbox(p).is_some() => {}
        _ => return Err(invalid_property("parentId")),
    }
    let mut new = NewMailbox::new(Place::Full(String::new()), role, now);
    new.subscribed = match props.get("isSubscribed") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_bool().ok_or_else(|| invalid_property("isSubscribed"))?),
    };
    new.sort_order = match props.get("sortOrder") {
        None | Some(Value::Null) => None,
        Some(v) => Some(sort_order(v)?),
    };
    new.retention_days = match props.get("retentionDays") {
        None => None,
        Some(v) => Some(retention_days(ctx, v)?),
    };
    Ok(Draft { name, parent, new })
}

/// What an update starts from: a stored mailbox, or one created in this call.
enum Current<'a> {
    Stored(Mailbox),
    Draft(&'a Draft),
}

/// An update checked on its own and turned into the store's patch.
fn plan(
    ctx: &Ctx<'_>,
    current: &Current<'_>,
    patch: &Value,
    parent_ref: &dyn Fn(&Value) -> Result<Option<MailboxRef>, Value>,
) -> Result<MailboxPatch, Value> {
    let patch = patch.as_object().ok_or_else(|| set_error("invalidPatch", "a patch is an object"))?;
    let mut bad = match current {
        Current::Stored(m) => server_set_mismatches(patch, |key| super::mailbox::property(ctx, m, key).unwrap_or(Value::Null)),
        // Not created yet: no id to compare, no mail, every right.
        Current::Draft(d) => server_set_mismatches(patch, |key| match key {
            "myRights" => super::mailbox::rights(true, d.new.role),
            "role" => d.new.role.map(Role::name).into(),
            "id" => Value::Bool(false),
            _ => 0.into(),
        }),
    };
    let mut changes = MailboxPatch::default();
    for (key, value) in patch {
        match key.as_str() {
            "isSubscribed" => changes.subscribed = Some(value.as_bool().ok_or_else(|| invalid_property("isSubscribed"))?),
            "sortOrder" => changes.sort_order = Some(sort_order(value)?),
            "role" => {
                changes.role = Some(match value {
                    Value::Null => None,
                    r => Some(r.as_str().and_then(Role::from_name).ok_or_else(|| invalid_property("role"))?),
                })
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
        let name = match (patch.get("name"), current) {
            (Some(v), _) => leaf_name(Some(v))?,
            (None, Current::Stored(m)) => m.name.rsplit('/').next().unwrap_or(&m.name).to_owned(),
            (None, Current::Draft(d)) => d.name.clone(),
        };
        let parent = match (patch.get("parentId"), current) {
            (Some(p), _) => parent_ref(p)?,
            (None, Current::Draft(d)) => parent_ref(&d.parent)?,
            // Mailbox/get's parent: the mailbox one level up, if there is one.
            (None, Current::Stored(m)) => match m.name.rsplit_once('/') {
                Some((p, _)) => {
                    ctx.account.mailbox_by_name(p).map_err(|e| set_error("serverFail", e.to_string()))?.map(|p| MailboxRef::Existing(p.id))
                }
                None => None,
            },
        };
        changes.place = Some(Place::Under(parent, name));
    }
    Ok(changes)
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
