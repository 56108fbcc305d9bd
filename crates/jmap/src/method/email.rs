//! Email/query and Email/get (RFC 8621 sections 4.4 and 4.2): filtering
//! (`filter`), every sort and collapseThreads (`email_sort`), and the
//! properties of Email/get.

use super::{
    account_id,
    email_render::{BodyOptions, Content, DEFAULT_CONTENT, Origin, check_properties, needs_raw},
    ids_arg, state,
};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use tresor_store::mail::{EmailId, EmailState};
use tresor_types::time::rfc3339;

/// The properties Email/get serves from the store rather than the message.
const STORAGE: &[&str] = &["id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt"];

/// What an Email/query and Email/queryChanges share: filter, sort, collapse.
struct Query {
    filter: Option<super::filter::Filter>,
    sort: Vec<super::email_sort::Comparator>,
    collapse: bool,
}

impl Query {
    fn parse(args: &Map<String, Value>) -> Result<Query, MethodError> {
        let filter = match args.get("filter") {
            None | Some(Value::Null) => None,
            Some(f) => Some(super::filter::parse(f)?),
        };
        let sort = super::email_sort::parse(args.get("sort"))?;
        let collapse = args.get("collapseThreads").and_then(Value::as_bool).unwrap_or(false);
        Ok(Query { filter, sort, collapse })
    }

    /// Whether one message's place in the results can change because another
    /// message of its thread changed.
    fn depends_on_thread(&self) -> bool {
        self.collapse || self.filter.as_ref().is_some_and(|f| f.depends_on_thread()) || super::email_sort::depends_on_thread(&self.sort)
    }

    /// The ids in the results, in order, at the account's current state.
    fn results(&self, ctx: &Ctx<'_>) -> Result<Vec<EmailId>, MethodError> {
        // (receivedAt, id) for every message in scope: one mailbox when the
        // filter names one at the top, else all of them.
        let mut found: Vec<(i64, EmailId)> = Vec::new();
        let scope = self.filter.as_ref().and_then(super::filter::top_mailbox);
        let mailboxes = match scope {
            Some(m) => {
                if ctx.account.mailbox(m)?.is_none() {
                    return Err(MethodError::bad_argument("filter", "inMailbox: no such mailbox"));
                }
                vec![m]
            }
            None => ctx.account.mailboxes()?.iter().map(|m| m.id).collect(),
        };
        for m in &mailboxes {
            found.extend(ctx.account.uid_entries_shared(*m)?.iter().map(|(_, e)| (e.received_at, e.email)));
        }
        if mailboxes.len() > 1 {
            found.sort();
            found.dedup_by_key(|(_, id)| *id);
        }
        // Every candidate is in the scoping mailbox already: that condition
        // need not be checked again (it would read each message's state).
        let rest = match (self.filter.clone(), scope) {
            (Some(f), Some(m)) => f.without_mailbox(m),
            (f, _) => f,
        };
        if let Some(f) = rest.map(|f| f.indexed(ctx)).transpose()? {
            let mut kept = Vec::with_capacity(found.len());
            for (at, id) in found {
                if super::filter::Candidate::new(ctx, id, at).matches(&f)? {
                    kept.push((at, id));
                }
            }
            found = kept;
        }
        super::email_sort::order(ctx, found, &self.sort, self.collapse)
    }
}

pub fn query(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let query_state = state(ctx);
    let query = Query::parse(args)?;
    let found = ctx.account.cached_query(&query_key(args), || query.results(ctx))?;
    let window = super::Window::of(args, &found, |id, anchor| ids::email(*id) == anchor)?;
    let mut out = json!({
        "accountId": account_id,
        "queryState": query_state,
        "canCalculateChanges": true,
        "position": window.position,
        "ids": window.ids(&found, |id| ids::email(*id)),
    });
    // Always known here, so always given (the RFC requires it only when asked).
    out["total"] = found.len().into();
    if let Some(limit) = window.limit {
        out["limit"] = limit.into();
    }
    Ok(out)
}

/// What identifies a query's result: filter, sort and collapseThreads.
fn query_key(args: &Map<String, Value>) -> String {
    let part = |k: &str| args.get(k).map(Value::to_string).unwrap_or_default();
    format!("email\u{0}{}\u{0}{}\u{0}{}", part("filter"), part("sort"), part("collapseThreads"))
}

/// Email/queryChanges (RFC 8620 5.6) from the change log: every message
/// touched since `sinceQueryState` is reported removed, and re-added at its
/// new index if it is in the results now (the RFC allows removing items that
/// did not move; a client applying the answer gets exactly the new results).
pub fn query_changes(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    use std::collections::BTreeSet;
    use tresor_store::changes::Change;
    let account_id = account_id(ctx, args)?;
    let query = Query::parse(args)?;
    let since = super::since(ctx, args, "sinceQueryState")?;
    let new_state = state(ctx);
    let mut touched = BTreeSet::new();
    let mut lost = false; // a message left the account or a mailbox
    for (_, c) in ctx.account.changes_since(since)? {
        match c {
            Change::Created { email } | Change::Added { email, .. } | Change::Keywords { email } => {
                touched.insert(email);
            }
            Change::Removed { email, .. } | Change::Destroyed { email } => {
                touched.insert(email);
                lost = true;
            }
            _ => {}
        }
    }
    if query.depends_on_thread() {
        // A message that left can change its thread's representative or its
        // thread-wide keywords, and its thread is no longer known.
        if lost {
            return Err(MethodError::new("cannotCalculateChanges"));
        }
        for email in touched.clone() {
            if let Some(meta) = ctx.account.email_meta(email)? {
                touched.extend(ctx.account.thread_members(meta.thread)?);
            }
        }
    }
    let results = query.results(ctx)?;
    super::query_changes_response(args, account_id, new_state, &touched, &results, ids::email)
}

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let Some(wanted) = ids_arg(args)? else {
        return Err(MethodError::new("requestTooLarge"));
    };
    let default: Vec<&str> = STORAGE.iter().chain(DEFAULT_CONTENT).copied().collect();
    let mut properties = check_properties(args.get("properties"), STORAGE, &default)?;
    if !properties.iter().any(|p| p == "id") {
        properties.push("id".into());
    }
    let body = BodyOptions::parse(args)?;
    let needs_raw = properties.iter().any(|p| needs_raw(p));
    let mut list = Vec::new();
    let mut not_found = Vec::new();
    for w in wanted {
        let found = match ids::parse_email(&w) {
            Some(id) => match (ctx.account.email_meta_shared(id)?, ctx.account.email_state(id)?) {
                (Some(meta), Some(state)) => Some((id, meta, state)),
                _ => None,
            },
            None => None,
        };
        let Some((id, meta, state)) = found else {
            not_found.push(w);
            continue;
        };
        let raw = if needs_raw { ctx.account.read_blob(meta.blob)? } else { Vec::new() };
        let content = Content { summary: &meta.summary, raw: &raw, origin: Origin::Email(id) };
        let mut obj = Map::new();
        for p in &properties {
            let v = match p.as_str() {
                "id" => ids::email(id).into(),
                "blobId" => ids::blob(meta.blob).into(),
                "threadId" => ids::thread(meta.thread).into(),
                "mailboxIds" => mailbox_ids(&state),
                "keywords" => Value::Object(state.keywords.iter().map(|k| (k.clone(), Value::Bool(true))).collect()),
                "size" => meta.size.into(),
                "receivedAt" => rfc3339(meta.received_at).into(),
                other => match content.property(other, &body) {
                    Some(v) => v,
                    None => continue,
                },
            };
            obj.insert(p.clone(), v);
        }
        list.push(Value::Object(obj));
    }
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}

fn mailbox_ids(state: &EmailState) -> Value {
    Value::Object(state.mailboxes.iter().map(|(m, _)| (ids::mailbox(*m), Value::Bool(true))).collect())
}

/// Email/parse (RFC 8621 4.9): blobs read as messages without storing them.
pub fn parse(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let blob_ids: Vec<String> = match args.get("blobIds") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| MethodError::bad_argument("blobIds", "blobIds must be strings")))
            .collect::<Result<_, _>>()?,
        _ => return Err(MethodError::bad_argument("blobIds", "blobIds must be an array")),
    };
    if blob_ids.len() > crate::LIMITS.max_objects_in_get {
        return Err(MethodError::new("requestTooLarge"));
    }
    const PARSE_STORAGE: &[&str] = &["id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt"];
    let properties = check_properties(args.get("properties"), PARSE_STORAGE, DEFAULT_CONTENT)?;
    let body = BodyOptions::parse(args)?;
    let (mut parsed, mut not_parsable, mut not_found) = (Map::new(), Vec::new(), Vec::new());
    for blob_id in blob_ids {
        let Some(raw) = crate::blob::download(ctx.account, &blob_id) else {
            not_found.push(blob_id);
            continue;
        };
        // Anything is a message to a lenient parser; a blob with no header
        // field at all is not one.
        if crate::headers::fields(&raw).next().is_none() {
            not_parsable.push(blob_id);
            continue;
        }
        let summary = tresor_message::parse(&raw);
        let content = Content { summary: &summary, raw: &raw, origin: Origin::Blob(blob_id.clone()) };
        let mut obj = Map::new();
        for p in &properties {
            let v = match p.as_str() {
                "id" | "threadId" | "mailboxIds" | "keywords" | "receivedAt" => Value::Null,
                "blobId" => blob_id.clone().into(),
                "size" => raw.len().into(),
                other => match content.property(other, &body) {
                    Some(v) => v,
                    None => continue,
                },
            };
            obj.insert(p.clone(), v);
        }
        parsed.insert(blob_id, Value::Object(obj));
    }
    Ok(json!({
        "accountId": account_id,
        "parsed": if parsed.is_empty() { Value::Null } else { Value::Object(parsed) },
        "notParsable": if not_parsable.is_empty() { Value::Null } else { not_parsable.into() },
        "notFound": if not_found.is_empty() { Value::Null } else { not_found.into() },
    }))
}
