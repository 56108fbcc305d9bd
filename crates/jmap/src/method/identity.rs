//! Identity/get, /changes, /set (RFC 8621 6) and VacationResponse/get, /set
//! (RFC 8621 8). Identities may use the account's own addresses only (its
//! login and aliases). An account always has at least one identity: the
//! first Identity/get of an account without any makes one for its login.

use super::{account_id, ids_arg, invalid_property, set_error, state};
use crate::request::{Ctx, MethodError};
use serde_json::{Map, Value, json};
use tresor_store::{
    changes::Change,
    directory::AccountState,
    mail::outbound::{Identity, Vacation},
};

pub fn identity_id(id: u64) -> String {
    format!("I{id:x}")
}

pub fn parse_identity(s: &str) -> Option<u64> {
    let hex = s.strip_prefix('I')?;
    if hex.is_empty() || hex.len() > 16 || (hex.starts_with('0') && hex.len() > 1) || hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// (name, email) pairs, as an Identity's replyTo and bcc.
type Addresses = Vec<(Option<String>, String)>;

fn addresses_json(list: &Option<Addresses>) -> Value {
    match list {
        None => Value::Null,
        Some(l) => l.iter().map(|(name, email)| json!({ "name": name, "email": email })).collect(),
    }
}

fn parse_addresses(v: &Value, name: &str) -> Result<Option<Addresses>, Value> {
    match v {
        Value::Null => Ok(None),
        Value::Array(a) => a
            .iter()
            .map(|e| match (e.get("name"), e.get("email").and_then(Value::as_str)) {
                (name, Some(email)) if email.contains('@') => Ok((name.and_then(Value::as_str).map(str::to_owned), email.to_owned())),
                _ => Err(invalid_property(name)),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        _ => Err(invalid_property(name)),
    }
}

fn to_json(id: u64, i: &Identity) -> Value {
    json!({
        "id": identity_id(id),
        "name": i.name,
        "email": i.email,
        "replyTo": addresses_json(&i.reply_to),
        "bcc": addresses_json(&i.bcc),
        "textSignature": i.text_signature,
        "htmlSignature": i.html_signature,
        "mayDelete": true,
    })
}

/// The account's identities, making the default one first if it has none.
pub fn identities(ctx: &Ctx<'_>) -> Result<Vec<(u64, Identity)>, MethodError> {
    let list = ctx.account.identities()?;
    if !list.is_empty() || ctx.account.policy().state != AccountState::Active {
        return Ok(list);
    }
    let default = Identity { email: ctx.record.login.clone(), ..Identity::default() };
    let id = ctx.account.put_identity(None, &default)?;
    Ok(vec![(id, default)])
}

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let all = identities(ctx)?;
    let wanted = ids_arg(args)?;
    let properties = super::properties_arg(
        args,
        &["id", "name", "email", "replyTo", "bcc", "textSignature", "htmlSignature", "mayDelete"],
        &["id", "name", "email", "replyTo", "bcc", "textSignature", "htmlSignature", "mayDelete"],
    )?;
    let pick = |v: Value| -> Value { Value::Object(properties.iter().filter_map(|p| Some((p.clone(), v.get(p)?.clone()))).collect()) };
    let (mut list, mut not_found) = (Vec::new(), Vec::new());
    match wanted {
        None => list.extend(all.iter().map(|(id, i)| pick(to_json(*id, i)))),
        Some(ids) => {
            for w in ids {
                match all.iter().find(|(id, _)| identity_id(*id) == w) {
                    Some((id, i)) => list.push(pick(to_json(*id, i))),
                    None => not_found.push(w),
                }
            }
        }
    }
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}

pub fn changes(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    super::changes::objects(ctx, args, |c| match c {
        Change::Identity { id, op } => Some((identity_id(*id), *op)),
        _ => None,
    })
}

/// Whether the account may send as `email` (its login or an alias).
pub fn owns(ctx: &Ctx<'_>, email: &str) -> bool {
    ctx.record.addresses().any(|a| a.eq_ignore_ascii_case(email))
}

pub fn set(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let old_state = super::writable_state(ctx, args)?;
    let (mut created, mut not_created) = (Map::new(), Map::new());
    for (cid, props) in args.get("create").and_then(Value::as_object).into_iter().flatten() {
        match create(ctx, props) {
            Ok((id, i)) => {
                let mut v = to_json(id, &i);
                v.as_object_mut().expect("object").retain(|k, _| k == "id" || k == "mayDelete");
                created.insert(cid.clone(), v);
            }
            Err(e) => {
                not_created.insert(cid.clone(), e);
            }
        }
    }
    let all = ctx.account.identities()?;
    let (mut updated, mut not_updated) = (Map::new(), Map::new());
    for (id, patch) in args.get("update").and_then(Value::as_object).into_iter().flatten() {
        let found = parse_identity(id).and_then(|n| all.iter().find(|(i, _)| *i == n).cloned());
        let result = match found {
            None => Err(set_error("notFound", "no such identity")),
            Some((n, mut identity)) => patch
                .as_object()
                .ok_or_else(|| set_error("invalidPatch", "a patch is an object"))
                .and_then(|patch| apply(&mut identity, patch, false))
                .and_then(|()| {
                    ctx.account.put_identity(Some(n), &identity).map_err(|e| set_error("serverFail", e.to_string())).map(|_| ())
                }),
        };
        match result {
            Ok(()) => {
                updated.insert(id.clone(), Value::Null);
            }
            Err(e) => {
                not_updated.insert(id.clone(), e);
            }
        }
    }
    let (mut destroyed, mut not_destroyed) = (Vec::new(), Map::new());
    for id in args.get("destroy").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        match parse_identity(id).map(|n| ctx.account.delete_identity(n)).transpose()? {
            Some(true) => destroyed.push(Value::from(id)),
            _ => {
                not_destroyed.insert(id.to_owned(), set_error("notFound", "no such identity"));
            }
        }
    }
    Ok(super::set_response(account_id, old_state, state(ctx), created, not_created, updated, not_updated, destroyed, not_destroyed))
}

fn create(ctx: &Ctx<'_>, props: &Value) -> Result<(u64, Identity), Value> {
    let props = props.as_object().ok_or_else(|| set_error("invalidProperties", "an Identity is an object"))?;
    let email = props.get("email").and_then(Value::as_str).ok_or_else(|| invalid_property("email"))?;
    if !owns(ctx, email) {
        return Err(set_error("forbiddenFrom", "this account may not send from that address"));
    }
    let mut identity = Identity { email: email.to_owned(), ..Identity::default() };
    apply(&mut identity, props, true)?;
    let id = ctx.account.put_identity(None, &identity).map_err(|e| set_error("serverFail", e.to_string()))?;
    Ok((id, identity))
}

fn apply(identity: &mut Identity, props: &Map<String, Value>, creating: bool) -> Result<(), Value> {
    let text = |v: &Value, name: &str| -> Result<String, Value> {
        match v {
            Value::Null => Ok(String::new()),
            Value::String(s) if s.len() <= 64 * 1024 => Ok(s.clone()),
            _ => Err(invalid_property(name)),
        }
    };
    for (k, v) in props {
        match k.as_str() {
            "name" => identity.name = text(v, k)?,
            "textSignature" => identity.text_signature = text(v, k)?,
            "htmlSignature" => identity.html_signature = text(v, k)?,
            "replyTo" => identity.reply_to = parse_addresses(v, k)?,
            "bcc" => identity.bcc = parse_addresses(v, k)?,
            "email" if creating || v.as_str() == Some(identity.email.as_str()) => {}
            _ => return Err(invalid_property(k)),
        }
    }
    Ok(())
}

const VACATION_ID: &str = "singleton";

fn vacation_json(v: &Vacation) -> Value {
    json!({
        "id": VACATION_ID,
        "isEnabled": v.enabled,
        "fromDate": v.from.map(tresor_types::time::rfc3339),
        "toDate": v.to.map(tresor_types::time::rfc3339),
        "subject": v.subject,
        "textBody": v.text,
        "htmlBody": v.html,
    })
}

pub fn vacation_get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let v = vacation_json(&ctx.account.vacation()?);
    let (list, not_found): (Vec<Value>, Vec<String>) = match ids_arg(args)? {
        None => (vec![v], vec![]),
        Some(ids) => {
            let (found, missing): (Vec<String>, Vec<String>) = ids.into_iter().partition(|i| i == VACATION_ID);
            (if found.is_empty() { vec![] } else { vec![v] }, missing)
        }
    };
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}

pub fn vacation_set(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let old_state = super::writable_state(ctx, args)?;
    let mut not_created = Map::new();
    for cid in args.get("create").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k) {
        not_created.insert(cid.clone(), set_error("singleton", "the VacationResponse exists and is the only one"));
    }
    let mut not_destroyed = Map::new();
    for id in args.get("destroy").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        not_destroyed.insert(id.to_owned(), set_error("singleton", "the VacationResponse cannot be destroyed"));
    }
    let (mut updated, mut not_updated) = (Map::new(), Map::new());
    for (id, patch) in args.get("update").and_then(Value::as_object).into_iter().flatten() {
        if id != VACATION_ID {
            not_updated.insert(id.clone(), set_error("notFound", "the VacationResponse id is \"singleton\""));
            continue;
        }
        let mut v = ctx.account.vacation()?;
        match patch_vacation(&mut v, patch) {
            Ok(()) => {
                ctx.account.set_vacation(&v)?;
                updated.insert(id.clone(), Value::Null);
            }
            Err(e) => {
                not_updated.insert(id.clone(), e);
            }
        }
    }
    Ok(super::set_response(account_id, old_state, state(ctx), Map::new(), not_created, updated, not_updated, vec![], not_destroyed))
}

fn patch_vacation(v: &mut Vacation, patch: &Value) -> Result<(), Value> {
    let patch = patch.as_object().ok_or_else(|| set_error("invalidPatch", "a patch is an object"))?;
    let bad = |k: &str| invalid_property(k);
    let text = |k: &str, x: &Value| -> Result<Option<String>, Value> {
        match x {
            Value::Null => Ok(None),
            Value::String(s) if s.len() <= 256 * 1024 => Ok(Some(s.clone())),
            _ => Err(bad(k)),
        }
    };
    let date = |k: &str, x: &Value| -> Result<Option<i64>, Value> {
        match x {
            Value::Null => Ok(None),
            Value::String(s) => super::filter::parse_utc(s).map(Some).ok_or_else(|| bad(k)),
            _ => Err(bad(k)),
        }
    };
    for (k, x) in patch {
        match k.as_str() {
            "isEnabled" => v.enabled = x.as_bool().ok_or_else(|| bad(k))?,
            "fromDate" => v.from = date(k, x)?,
            "toDate" => v.to = date(k, x)?,
            "subject" => v.subject = text(k, x)?,
            "textBody" => v.text = text(k, x)?,
            "htmlBody" => v.html = text(k, x)?,
            _ => return Err(invalid_property(k)),
        }
    }
    Ok(())
}
