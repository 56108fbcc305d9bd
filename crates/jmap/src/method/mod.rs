//! Method dispatch and the argument helpers every method shares.

mod blob;
mod changes;
mod email;
mod email_create;
mod email_render;
mod email_set;
mod email_sort;
mod filter;
mod identity;
mod import;
mod mailbox;
mod mailbox_query;
mod mailbox_set;
mod quota;
mod retention;
mod snippet;
mod submission;

pub use blob::{MAX_DATA_SOURCES, MAX_SIZE_BLOB_SET};
pub use submission::MAX_DELAYED_SEND;
mod thread;

use crate::{
    MAIL, ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value};

pub fn call(ctx: &Ctx<'_>, name: &str, args: Map<String, Value>) -> Result<Value, MethodError> {
    let mail = ctx.using.iter().any(|c| c == MAIL);
    match name {
        "Core/echo" => Ok(Value::Object(args)),
        "Blob/upload" if ctx.uses(crate::BLOB) => blob::upload(ctx, &args),
        "Blob/get" if ctx.uses(crate::BLOB) => blob::get(ctx, &args),
        "Blob/lookup" if ctx.uses(crate::BLOB) => blob::lookup(ctx, &args),
        "Quota/get" if ctx.uses(crate::QUOTA) => quota::get(ctx, &args),
        "Quota/changes" if ctx.uses(crate::QUOTA) => quota::changes(ctx, &args),
        "Quota/query" if ctx.uses(crate::QUOTA) => quota::query(ctx, &args),
        "RetentionSettings/get" if ctx.uses(crate::RETENTION) => retention::get(ctx, &args),
        "RetentionSettings/set" if ctx.uses(crate::RETENTION) => retention::set(ctx, &args),
        "Mailbox/get" if mail => mailbox::get(ctx, &args),
        "Email/query" if mail => email::query(ctx, &args),
        "Email/queryChanges" if mail => email::query_changes(ctx, &args),
        "Email/get" if mail => email::get(ctx, &args),
        "Email/parse" if mail => email::parse(ctx, &args),
        "Email/changes" if mail => changes::emails(ctx, &args),
        "Email/set" if mail => email_set::set(ctx, &args),
        "Email/import" if mail => import::import(ctx, &args),
        "Thread/get" if mail => thread::get(ctx, &args),
        "Thread/changes" if mail => changes::threads(ctx, &args),
        "Mailbox/query" if mail => mailbox_query::query(ctx, &args),
        "Mailbox/queryChanges" if mail => mailbox_query::query_changes(ctx, &args),
        "Email/copy" if mail => email_copy(ctx, &args),
        "SearchSnippet/get" if mail => snippet::get(ctx, &args),
        "Mailbox/set" if mail => mailbox_set::set(ctx, &args),
        "Identity/get" if ctx.uses(crate::SUBMISSION) => identity::get(ctx, &args),
        "Identity/changes" if ctx.uses(crate::SUBMISSION) => identity::changes(ctx, &args),
        "Identity/set" if ctx.uses(crate::SUBMISSION) => identity::set(ctx, &args),
        "VacationResponse/get" if ctx.uses(crate::VACATION) => identity::vacation_get(ctx, &args),
        "VacationResponse/set" if ctx.uses(crate::VACATION) => identity::vacation_set(ctx, &args),
        "EmailSubmission/get" if ctx.uses(crate::SUBMISSION) => submission::get(ctx, &args),
        "EmailSubmission/changes" if ctx.uses(crate::SUBMISSION) => submission::changes(ctx, &args),
        "EmailSubmission/query" if ctx.uses(crate::SUBMISSION) => submission::query(ctx, &args),
        "EmailSubmission/queryChanges" if ctx.uses(crate::SUBMISSION) => submission::query_changes(ctx, &args),
        "EmailSubmission/set" if ctx.uses(crate::SUBMISSION) => submission::set(ctx, &args),
        "Mailbox/changes" if mail => changes::mailboxes(ctx, &args),
        _ => Err(MethodError::new("unknownMethod")),
    }
}

/// Email/copy (RFC 8621 4.7) copies between accounts. Every account here is
/// personal and none is shared with another, so the only account a request
/// can read is its own, and /copy within one account is not allowed.
fn email_copy(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let target = account_id(ctx, args)?;
    match args.get("fromAccountId").and_then(Value::as_str) {
        None => Err(MethodError::bad_argument("fromAccountId", "fromAccountId is required")),
        Some(from) if from == target => Err(MethodError::bad_argument(
            "fromAccountId",
            "fromAccountId must differ from accountId (use Email/set to file a message in more mailboxes)",
        )),
        Some(_) => Err(MethodError::new("fromAccountNotFound")),
    }
}

/// Checks `accountId` names the authenticated account; another account's id
/// answers exactly like one that does not exist.
pub fn account_id(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<String, MethodError> {
    match args.get("accountId").and_then(Value::as_str) {
        Some(id) if ids::is_account(id, ctx.account.id) => Ok(id.to_owned()),
        Some(_) => Err(MethodError::new("accountNotFound")),
        None => Err(MethodError::bad_argument("accountId", "accountId is required")),
    }
}

/// `ids`: null (all) or a list of strings, bounded by maxObjectsInGet.
pub fn ids_arg(args: &Map<String, Value>) -> Result<Option<Vec<String>>, MethodError> {
    match args.get("ids") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => {
            if a.len() > crate::LIMITS.max_objects_in_get {
                return Err(MethodError::new("requestTooLarge"));
            }
            a.iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| MethodError::bad_argument("ids", "ids must be strings")))
                .collect::<Result<_, _>>()
                .map(Some)
        }
        _ => Err(MethodError::bad_argument("ids", "ids must be null or an array")),
    }
}

/// `properties`: null (the default set) or a subset of `known`.
pub fn properties_arg(args: &Map<String, Value>, known: &[&str], default: &[&str]) -> Result<Vec<String>, MethodError> {
    match args.get("properties") {
        None | Some(Value::Null) => Ok(default.iter().map(|s| s.to_string()).collect()),
        Some(Value::Array(a)) => {
            let mut out: Vec<String> = Vec::new();
            for p in a {
                let p = p.as_str().ok_or_else(|| MethodError::bad_argument("properties", "properties must be strings"))?;
                if !known.contains(&p) {
                    return Err(MethodError::bad_argument("properties", format!("unknown or unsupported property {p:?}")));
                }
                out.push(p.to_owned());
            }
            if !out.iter().any(|p| p == "id") {
                out.push("id".into());
            }
            Ok(out)
        }
        _ => Err(MethodError::bad_argument("properties", "properties must be null or an array")),
    }
}

/// The account's state string: the head of its change log.
pub fn state(ctx: &Ctx<'_>) -> String {
    ctx.account.modseq().to_string()
}

/// The response of a /queryChanges method (RFC 8620 5.6): every touched id
/// is `removed`, and those in the current `results` are `added` at their index.
pub fn query_changes_response<T: Ord + Copy>(
    args: &Map<String, Value>,
    account_id: String,
    new_state: String,
    touched: &std::collections::BTreeSet<T>,
    results: &[T],
    id: impl Fn(T) -> String,
) -> Result<Value, MethodError> {
    let added: Vec<Value> = results
        .iter()
        .enumerate()
        .filter(|(_, x)| touched.contains(x))
        .map(|(i, x)| serde_json::json!({ "id": id(*x), "index": i }))
        .collect();
    if let Some(max) = args.get("maxChanges").and_then(Value::as_u64)
        && (touched.len() + added.len()) as u64 > max
    {
        return Err(MethodError::new("tooManyChanges"));
    }
    let mut out = serde_json::json!({
        "accountId": account_id,
        "oldQueryState": args["sinceQueryState"],
        "newQueryState": new_state,
        "removed": touched.iter().map(|x| id(*x)).collect::<Vec<_>>(),
        "added": added,
    });
    if args.get("calculateTotal").and_then(Value::as_bool) == Some(true) {
        out["total"] = results.len().into();
    }
    // The query answered, echoed as Cyrus and Fastmail do, so a client with
    // several queries open can tell the answers apart.
    for echo in ["filter", "sort"] {
        if let Some(v) = args.get(echo).filter(|v| !v.is_null()) {
            out[echo] = v.clone();
        }
    }
    Ok(out)
}

/// The page a /query answers (RFC 8620 5.5): from `position` (negative counts
/// from the end) or from `anchor` moved by `anchorOffset`, at most `limit`
/// ids. A start past the end gives no ids at position 0.
pub struct Window {
    /// The index the page starts at (`total` when past the end).
    start: usize,
    /// The `position` to answer.
    pub position: usize,
    pub limit: Option<usize>,
}

impl Window {
    pub fn of<T>(args: &Map<String, Value>, found: &[T], is_anchor: impl Fn(&T, &str) -> bool) -> Result<Window, MethodError> {
        let int = |name: &'static str| match args.get(name) {
            None | Some(Value::Null) => Ok(0),
            Some(v) => v.as_i64().ok_or_else(|| MethodError::bad_argument(name, format!("{name} must be an integer"))),
        };
        let total = found.len() as i64;
        let start = match args.get("anchor") {
            None | Some(Value::Null) => match int("position")? {
                p if p < 0 => total.saturating_add(p).max(0),
                p => p,
            },
            Some(anchor) => {
                let anchor = anchor.as_str().ok_or_else(|| MethodError::bad_argument("anchor", "anchor must be an id"))?;
                let at = found.iter().position(|x| is_anchor(x, anchor)).ok_or_else(|| MethodError::new("anchorNotFound"))?;
                (at as i64).saturating_add(int("anchorOffset")?).max(0)
            }
        };
        let limit = match args.get("limit") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or_else(|| MethodError::bad_argument("limit", "limit must be a non-negative integer"))? as usize),
        };
        let start = start.min(total) as usize;
        Ok(Window { start, position: if start == found.len() { 0 } else { start }, limit })
    }

    /// The ids of the page.
    pub fn ids<T>(&self, found: &[T], id: impl Fn(&T) -> String) -> Vec<String> {
        found.iter().skip(self.start).take(self.limit.unwrap_or(usize::MAX)).map(id).collect()
    }
}

/// `sinceState` / `sinceQueryState` as a modseq; a state from the future (or
/// not one of ours) cannot be answered.
pub fn since(ctx: &Ctx<'_>, args: &Map<String, Value>, name: &'static str) -> Result<u64, MethodError> {
    let since: u64 = args
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| MethodError::bad_argument(name, format!("{name} is required")))?
        .parse()
        .map_err(|_| MethodError::new("cannotCalculateChanges"))?;
    if since > ctx.account.modseq() {
        return Err(MethodError::new("cannotCalculateChanges"));
    }
    Ok(since)
}

/// The response of a /set method (RFC 8620 5.3); empty maps are null.
#[allow(clippy::too_many_arguments)]
pub fn set_response(
    account_id: String,
    old_state: String,
    new_state: String,
    created: Map<String, Value>,
    not_created: Map<String, Value>,
    updated: Map<String, Value>,
    not_updated: Map<String, Value>,
    destroyed: Vec<Value>,
    not_destroyed: Map<String, Value>,
) -> Value {
    let obj = |m: Map<String, Value>| if m.is_empty() { Value::Null } else { Value::Object(m) };
    serde_json::json!({
        "accountId": account_id,
        "oldState": old_state,
        "newState": new_state,
        "created": obj(created),
        "updated": obj(updated),
        "destroyed": if destroyed.is_empty() { Value::Null } else { Value::Array(destroyed) },
        "notCreated": obj(not_created),
        "notUpdated": obj(not_updated),
        "notDestroyed": obj(not_destroyed),
    })
}

/// A SetError object (RFC 8620 section 5.3).
/// `invalidProperties` naming the offending property (RFC 8620 5.3).
/// A keyword as RFC 8621 4.1.1 allows it: 1-255 characters of IMAP's
/// `atom` less `]` (so it is an IMAP flag too).
pub fn is_keyword(k: &str) -> bool {
    (1..=255).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b) && !b"(){]%*\"\\".contains(&b))
}

/// `keywords` of an Email (RFC 8621 4.1.1): an object of keywords set to true,
/// lower-cased; None when it is not one.
pub fn keywords(v: &Value) -> Option<Vec<String>> {
    let obj = v.as_object()?;
    obj.iter().all(|(k, v)| v == &Value::Bool(true) && is_keyword(k)).then(|| obj.keys().map(|k| k.to_ascii_lowercase()).collect())
}

pub fn invalid_property(property: &str) -> Value {
    serde_json::json!({ "type": "invalidProperties", "properties": [property] })
}

/// The description (optional in the RFC) goes only with `serverFail`: strict
/// clients (Fastmail's test suite among them) accept no other keys, and the
/// type and `properties` already say what was wrong.
pub fn set_error(kind: &str, description: impl Into<String>) -> Value {
    if kind == "serverFail" {
        serde_json::json!({ "type": kind, "description": description.into() })
    } else {
        serde_json::json!({ "type": kind })
    }
}

/// The state before a /set or /import, after checking `ifInState` and that
/// the account may be written (a terminating account is read-only).
pub fn writable_state(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<String, MethodError> {
    // maxObjectsInSet (RFC 8620 5.3), as the session advertises it.
    let objects: usize =
        ["create", "update", "emails"].iter().filter_map(|k| args.get(*k).and_then(Value::as_object)).map(Map::len).sum::<usize>()
            + args.get("destroy").and_then(Value::as_array).map_or(0, Vec::len);
    if objects > crate::LIMITS.max_objects_in_set {
        return Err(MethodError::new("requestTooLarge"));
    }
    let old_state = state(ctx);
    if let Some(expected) = args.get("ifInState").and_then(Value::as_str)
        && expected != old_state
    {
        return Err(MethodError::new("stateMismatch"));
    }
    if ctx.account.policy().state != tresor_store::directory::AccountState::Active {
        return Err(MethodError::new("forbidden"));
    }
    Ok(old_state)
}
