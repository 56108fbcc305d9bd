//! RFC 8620 request processing: validation into request-level problems
//! (RFC 7807 bodies), then each method call in order, with result references
//! resolved and method-level errors in place of responses.

use crate::{BLOB, CORE, LIMITS, MAIL, Policy, QUOTA, RETENTION, SUBMISSION, VACATION, WEBSOCKET, method, refs};
use serde_json::{Map, Value, json};
use std::{
    cell::RefCell,
    collections::HashMap,
    sync::atomic::{AtomicBool, Ordering},
};
use tresor_store::{Account, directory::AccountRecord};

/// A request-level error: the whole request is refused with this status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotJson,
    NotRequest(String),
    UnknownCapability(String),
    Limit(&'static str),
}

impl Problem {
    pub fn status(&self) -> u16 {
        400
    }

    pub fn body(&self) -> Value {
        let (kind, detail) = match self {
            Problem::NotJson => ("notJSON", "the request is not valid JSON".to_owned()),
            Problem::NotRequest(d) => ("notRequest", d.clone()),
            Problem::UnknownCapability(c) => ("unknownCapability", format!("unknown capability {c:?}")),
            Problem::Limit(l) => ("limit", format!("the request exceeds {l}")),
        };
        let mut v = json!({ "type": format!("urn:ietf:params:jmap:error:{kind}"), "status": 400, "detail": detail });
        if let Problem::Limit(l) = self {
            v["limit"] = (*l).into();
        }
        v
    }
}

/// A method-level error (`["error", {...}, callId]`).
#[derive(Debug, Clone, PartialEq)]
pub struct MethodError {
    pub kind: &'static str,
    pub description: Option<String>,
    /// For `invalidArguments`: the argument at fault. Sent as `arguments`
    /// (Cyrus's and Fastmail's shape, which clients and Fastmail's test
    /// suite read) in place of the description.
    pub argument: Option<&'static str>,
}

impl MethodError {
    pub fn new(kind: &'static str) -> Self {
        MethodError { kind, description: None, argument: None }
    }

    pub fn invalid(why: impl Into<String>) -> Self {
        MethodError { kind: "invalidArguments", description: Some(why.into()), argument: None }
    }

    /// An error of `kind` with a description.
    pub fn described(kind: &'static str, why: impl Into<String>) -> Self {
        MethodError { kind, description: Some(why.into()), argument: None }
    }

    /// `invalidArguments` naming the argument at fault.
    pub fn bad_argument(name: &'static str, why: impl Into<String>) -> Self {
        MethodError { kind: "invalidArguments", description: Some(why.into()), argument: Some(name) }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({ "type": self.kind });
        match (self.argument, &self.description) {
            (Some(a), _) => v["arguments"] = json!([a]),
            (None, Some(d)) => v["description"] = d.clone().into(),
            (None, None) => {}
        }
        v
    }
}

impl From<tresor_store::Error> for MethodError {
    fn from(e: tresor_store::Error) -> Self {
        MethodError { kind: "serverFail", description: Some(e.to_string()), argument: None }
    }
}

/// What a method sees: the account and the capabilities the request uses.
pub struct Ctx<'a> {
    pub account: &'a Account,
    /// The account's directory record (login and addresses).
    pub record: &'a AccountRecord,
    pub using: &'a [String],
    pub policy: &'a Policy,
    /// Responses a method adds after its own, with the same call id (an
    /// EmailSubmission/set's implicit Email/set).
    pub extra: RefCell<Vec<(String, Value)>>,
}

impl Ctx<'_> {
    pub fn uses(&self, capability: &str) -> bool {
        self.using.iter().any(|c| c == capability)
    }
}

/// Processes one JMAP request body for `account`; returns the response body.
/// Runs one request. `abandoned` is checked between method calls: once the
/// client is gone (it closed the connection), the calls not yet begun are
/// not run, so a dropped request stops using the store and does not hold up
/// a shutdown.
pub fn process(account: &Account, record: &AccountRecord, policy: &Policy, body: &[u8], abandoned: &AtomicBool) -> Result<Value, Problem> {
    if body.len() > LIMITS.max_size_request {
        return Err(Problem::Limit("maxSizeRequest"));
    }
    let request: Value = serde_json::from_slice(body).map_err(|_| Problem::NotJson)?;
    let obj = request.as_object().ok_or_else(|| Problem::NotRequest("the request is not an object".into()))?;
    // Over WebSocket (RFC 8887) a request carries "@type" and "id"; over HTTP neither.
    let using: Vec<String> = obj
        .get("using")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_owned)).collect())
        .ok_or_else(|| Problem::NotRequest("using must be an array of strings".into()))?;
    if let Some(unknown) =
        using.iter().find(|c| ![CORE, MAIL, QUOTA, RETENTION, WEBSOCKET, SUBMISSION, VACATION, BLOB].contains(&c.as_str()))
    {
        return Err(Problem::UnknownCapability(unknown.clone()));
    }
    let calls =
        obj.get("methodCalls").and_then(Value::as_array).ok_or_else(|| Problem::NotRequest("methodCalls must be an array".into()))?;
    if calls.len() > LIMITS.max_calls_in_request {
        return Err(Problem::Limit("maxCallsInRequest"));
    }
    let mut parsed = Vec::with_capacity(calls.len());
    for call in calls {
        match call.as_array().map(Vec::as_slice) {
            Some([Value::String(name), Value::Object(args), Value::String(id)]) => parsed.push((name.clone(), args.clone(), id.clone())),
            _ => return Err(Problem::NotRequest("each method call must be [name, arguments, callId]".into())),
        }
    }

    let ctx = Ctx { account, record, using: &using, policy, extra: RefCell::new(Vec::new()) };
    let mut responses: Vec<Value> = Vec::new();
    // Creation ids of this request (RFC 8620 5.3): `#cid` -> the new id.
    // A client may pass the ids it learned earlier as `createdIds`; then the
    // response carries the map back (RFC 8620 3.3, 3.4).
    let echo_created = obj.get("createdIds").is_some_and(|v| !v.is_null());
    let mut created: HashMap<String, String> = obj
        .get("createdIds")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default();
    for (name, args, call_id) in parsed {
        if abandoned.load(Ordering::Relaxed) {
            break;
        }
        let result =
            resolve(args, &responses).map(|args| with_creation_ids(args, &created)).and_then(|args| method::call(&ctx, &name, args));
        match result {
            Ok(v) => {
                for (cid, obj) in v.get("created").and_then(Value::as_object).into_iter().flatten() {
                    if let Some(id) = obj.get("id").and_then(Value::as_str) {
                        created.insert(cid.clone(), id.to_owned());
                    }
                }
                responses.push(json!([name, v, call_id]));
            }
            Err(e) => responses.push(json!(["error", e.to_json(), call_id])),
        }
        for (name, v) in ctx.extra.borrow_mut().drain(..) {
            responses.push(json!([name, v, call_id]));
        }
    }
    let mut out = json!({ "methodResponses": responses, "sessionState": crate::session::state(tresor_types::time::now()) });
    if echo_created {
        out["createdIds"] = json!(created);
    }
    Ok(out)
}

/// Replaces `#cid` (a creation id of an earlier call in this request) with
/// the id it created, wherever an id can stand: string values and object keys.
fn with_creation_ids(args: Map<String, Value>, created: &HashMap<String, String>) -> Map<String, Value> {
    fn walk(v: Value, created: &HashMap<String, String>) -> Value {
        match v {
            Value::String(s) => match s.strip_prefix('#').and_then(|c| created.get(c)) {
                Some(id) => Value::String(id.clone()),
                None => Value::String(s),
            },
            Value::Array(a) => Value::Array(a.into_iter().map(|v| walk(v, created)).collect()),
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| {
                        let k = match k.strip_prefix('#').and_then(|c| created.get(c)) {
                            Some(id) => id.clone(),
                            None => k,
                        };
                        (k, walk(v, created))
                    })
                    .collect(),
            ),
            other => other,
        }
    }
    if created.is_empty() {
        return args;
    }
    args.into_iter().map(|(k, v)| (k, walk(v, created))).collect()
}

/// Replaces every `#arg` with the value its result reference points at.
fn resolve(args: Map<String, Value>, done: &[Value]) -> Result<Map<String, Value>, MethodError> {
    if let Some(both) = args.keys().find(|k| k.strip_prefix('#').is_some_and(|p| args.contains_key(p))) {
        return Err(MethodError::invalid(format!("both {} and {both} given", &both[1..])));
    }
    let mut out = Map::new();
    for (key, value) in args {
        let Some(plain) = key.strip_prefix('#') else {
            out.insert(key, value);
            continue;
        };
        let bad = || MethodError::described("invalidResultReference", format!("#{plain}"));
        let r = value.as_object().ok_or_else(bad)?;
        let (Some(of), Some(name), Some(path)) =
            (r.get("resultOf").and_then(Value::as_str), r.get("name").and_then(Value::as_str), r.get("path").and_then(Value::as_str))
        else {
            return Err(bad());
        };
        let source = done.iter().find(|resp| resp[2] == of).ok_or_else(bad)?;
        if source[0] != name {
            return Err(bad());
        }
        let resolved = refs::pointer(&source[1], path).ok_or_else(bad)?;
        out.insert(plain.to_owned(), resolved);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tresor_crypto::{MasterKey, password::Cost};
    use tresor_kv::memory::MemoryEngine;
    use tresor_store::{Store, StoreConfig, directory::NewAccount};

    #[test]
    fn an_abandoned_request_runs_no_further_calls() {
        let master = MasterKey::from_file_text(&MasterKey::generate_file()).unwrap();
        let config = StoreConfig { password_cost: Cost { memory_kib: 64, iterations: 1 }, ..StoreConfig::default() };
        let store = Store::open(Arc::new(MemoryEngine::default()), master, config).unwrap();
        let record =
            store.create_account(NewAccount { login: "a@example.com", password: "pw", aliases: &[], quota: None, now: 0 }).unwrap();
        let account = store.account(record.account_id()).unwrap();
        let policy = Policy { retention_min_days: 0, retention_max_days: 0, submission: false };
        let body = json!({
            "using": [CORE, MAIL],
            "methodCalls": [["Mailbox/set", { "accountId": crate::ids::account(record.account_id()), "create": { "x": { "name": "X" } } }, "a"]],
        })
        .to_string();
        let gone = process(&account, &record, &policy, body.as_bytes(), &AtomicBool::new(true)).unwrap();
        assert_eq!(gone["methodResponses"], json!([]));
        assert!(account.mailbox_by_name("X").unwrap().is_none(), "nothing ran");
        let here = process(&account, &record, &policy, body.as_bytes(), &AtomicBool::new(false)).unwrap();
        assert!(here["methodResponses"][0][1]["created"]["x"]["id"].is_string(), "{here}");
    }
}
