//! Email/set (RFC 8621 section 4.6) for updates and destroys: keyword and
//! mailboxIds patches (whole-object or per-key), through the same store
//! operations IMAP STORE, COPY, MOVE and EXPUNGE use; creation is in
//! [`super::email_create`].

use super::{account_id, invalid_property, set_error, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use tresor_store::mail::{EmailId, KeywordOp, MailboxId};

pub fn set(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let old_state = super::writable_state(ctx, args)?;
    let (mut created, mut not_created) = (Map::new(), Map::new());
    for (cid, spec) in args.get("create").and_then(Value::as_object).into_iter().flatten() {
        match super::email_create::create(ctx, spec) {
            Ok(v) => {
                created.insert(cid.clone(), v);
            }
            Err(e) => {
                not_created.insert(cid.clone(), e);
            }
        }
    }
    let mut updated = Map::new();
    let mut not_updated = Map::new();
    if let Some(update) = args.get("update").and_then(Value::as_object) {
        for (id, patch) in update {
            let result = ids::parse_email(id)
                .ok_or_else(|| set_error("notFound", "no such email"))
                .and_then(|email| patch.as_object().ok_or_else(|| set_error("invalidPatch", "a patch is an object")).map(|p| (email, p)))
                .and_then(|(email, patch)| apply(ctx, email, patch));
            match result {
                Ok(()) => {
                    updated.insert(id.clone(), Value::Null);
                }
                Err(e) => {
                    not_updated.insert(id.clone(), e);
                }
            }
        }
    }
    let mut destroyed = Vec::new();
    let mut not_destroyed = Map::new();
    if let Some(list) = args.get("destroy").and_then(Value::as_array) {
        for id in list.iter().filter_map(Value::as_str) {
            match ids::parse_email(id).map(|e| destroy(ctx, e)).unwrap_or(Ok(false)) {
                Ok(true) => destroyed.push(Value::from(id)),
                Ok(false) => {
                    not_destroyed.insert(id.to_owned(), set_error("notFound", "no such email"));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(json!({
        "accountId": account_id,
        "oldState": old_state,
        "newState": state(ctx),
        "created": if created.is_empty() { Value::Null } else { Value::Object(created) },
        "updated": if updated.is_empty() { Value::Null } else { Value::Object(updated) },
        "destroyed": if destroyed.is_empty() { Value::Null } else { Value::Array(destroyed) },
        "notCreated": if not_created.is_empty() { Value::Null } else { Value::Object(not_created) },
        "notUpdated": if not_updated.is_empty() { Value::Null } else { Value::Object(not_updated) },
        "notDestroyed": if not_destroyed.is_empty() { Value::Null } else { Value::Object(not_destroyed) },
    }))
}

/// Applies one patch: keywords first, then mailbox membership.
fn apply(ctx: &Ctx<'_>, email: EmailId, patch: &Map<String, Value>) -> Result<(), Value> {
    let fail = |e: tresor_store::Error| set_error("serverFail", e.to_string());
    let state = ctx.account.email_state(email).map_err(fail)?.ok_or_else(|| set_error("notFound", "no such email"))?;
    let mut keywords: BTreeSet<String> = state.keywords.iter().cloned().collect();
    let mut mailboxes: BTreeSet<MailboxId> = state.mailboxes.iter().map(|(m, _)| *m).collect();
    let (mut touched_keywords, mut touched_mailboxes) = (false, false);
    for (path, value) in patch {
        match path.split_once('/') {
            None if path == "keywords" => {
                keywords = super::keywords(value).ok_or_else(|| invalid_property("keywords"))?.into_iter().collect();
                touched_keywords = true;
            }
            None if path == "mailboxIds" => {
                let obj = value.as_object().filter(|o| o.values().all(|v| v == &Value::Bool(true)));
                mailboxes = obj
                    .ok_or_else(|| invalid_property("mailboxIds"))?
                    .keys()
                    .map(|k| ids::parse_mailbox(k).ok_or_else(|| invalid_property("mailboxIds")))
                    .collect::<Result<_, _>>()?;
                touched_mailboxes = true;
            }
            Some(("keywords", k)) => {
                if !super::is_keyword(k) {
                    return Err(invalid_property(path));
                }
                let k = k.to_ascii_lowercase();
                match value {
                    Value::Bool(true) => keywords.insert(k),
                    Value::Null => keywords.remove(&k),
                    _ => return Err(set_error("invalidPatch", "a keyword is set with true or removed with null")),
                };
                touched_keywords = true;
            }
            Some(("mailboxIds", m)) => {
                let m = ids::parse_mailbox(m).ok_or_else(|| invalid_property(path))?;
                match value {
                    Value::Bool(true) => mailboxes.insert(m),
                    Value::Null => mailboxes.remove(&m),
                    _ => return Err(set_error("invalidPatch", "a mailbox is set with true or removed with null")),
                };
                touched_mailboxes = true;
            }
            _ => return Err(invalid_property(path)),
        }
    }
    if touched_mailboxes {
        if mailboxes.is_empty() {
            return Err(invalid_property("mailboxIds"));
        }
        for m in &mailboxes {
            if ctx.account.mailbox(*m).map_err(fail)?.is_none() {
                return Err(invalid_property("mailboxIds"));
            }
        }
    }
    if touched_keywords {
        let list: Vec<String> = keywords.into_iter().collect();
        ctx.account.set_keywords(&[email], KeywordOp::Replace, &list, None).map_err(fail)?;
    }
    if touched_mailboxes {
        // Add first (copy from any current membership), then remove: the
        // email is never in no mailbox.
        let (from, uid) = state.mailboxes[0];
        for m in mailboxes.iter().filter(|m| !state.mailboxes.iter().any(|(c, _)| c == *m)) {
            ctx.account.copy(from, &[uid], *m).map_err(fail)?;
        }
        for (m, uid) in state.mailboxes.iter().filter(|(m, _)| !mailboxes.contains(m)) {
            ctx.account.expunge(*m, &[*uid]).map_err(fail)?;
        }
    }
    Ok(())
}

/// Removes the email from every mailbox (which destroys it).
fn destroy(ctx: &Ctx<'_>, email: EmailId) -> Result<bool, MethodError> {
    let Some(state) = ctx.account.email_state(email)? else { return Ok(false) };
    for (m, uid) in state.mailboxes {
        ctx.account.expunge(m, &[uid])?;
    }
    Ok(true)
}
