//! Quota/get (RFC 9425): the account's storage and message-count quotas, with
//! what is used, straight from the counters the delivery path checks.

use super::{account_id, ids_arg, state};
use crate::request::{Ctx, MethodError};
use serde_json::{Map, Value, json};

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let wanted = ids_arg(args)?;
    let quota = ctx.account.policy().quota;
    let used = ctx.account.counters();
    let mut all = Vec::new();
    if let Some(limit) = quota.bytes {
        all.push(json!({ "id": "Qbytes", "resourceType": "octets", "used": used.bytes, "hardLimit": limit, "scope": "account", "name": "Storage", "types": ["Mail"] }));
    }
    if let Some(limit) = quota.messages {
        all.push(json!({ "id": "Qcount", "resourceType": "count", "used": used.messages, "hardLimit": limit, "scope": "account", "name": "Messages", "types": ["Mail"] }));
    }
    let (list, not_found): (Vec<Value>, Vec<String>) = match wanted {
        None => (all, Vec::new()),
        Some(ids) => {
            let found: Vec<Value> = all.iter().filter(|q| ids.iter().any(|i| q["id"] == i.as_str())).cloned().collect();
            let missing = ids.into_iter().filter(|i| !all.iter().any(|q| q["id"] == i.as_str())).collect();
            (found, missing)
        }
    };
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}

/// The account's quotas as Quota objects.
fn all(ctx: &Ctx<'_>) -> Vec<Value> {
    let r = get(ctx, &Map::from_iter([("accountId".to_owned(), Value::from(crate::ids::account(ctx.account.id)))]));
    r.ok().and_then(|v| v["list"].as_array().cloned()).unwrap_or_default()
}

/// Quota/changes: any change to the account may have changed `used`, so
/// every quota is reported updated when the state moved.
pub fn changes(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let since = super::since(ctx, args, "sinceState")?;
    let head = ctx.account.modseq();
    let updated: Vec<Value> = if since < head { all(ctx).iter().map(|q| q["id"].clone()).collect() } else { Vec::new() };
    Ok(json!({
        "accountId": account_id, "oldState": since.to_string(), "newState": head.to_string(), "hasMoreChanges": false,
        "created": [], "updated": updated, "destroyed": [], "updatedProperties": ["used"],
    }))
}

/// Quota/query: filter by name, scope, resourceType and type; sort by name or used.
pub fn query(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let mut list = all(ctx);
    if let Some(f) = args.get("filter").and_then(Value::as_object) {
        for (k, v) in f {
            match k.as_str() {
                "name" => {
                    list.retain(|q| q["name"].as_str().is_some_and(|n| n.to_lowercase().contains(&v.as_str().unwrap_or("").to_lowercase())))
                }
                "scope" | "resourceType" => list.retain(|q| q[k.as_str()] == *v),
                "type" => list.retain(|q| q["types"].as_array().is_some_and(|t| t.contains(v))),
                _ => return Err(MethodError::described("unsupportedFilter", k.clone())),
            }
        }
    }
    for c in args.get("sort").and_then(Value::as_array).into_iter().flatten().rev() {
        match c["property"].as_str() {
            Some("name") => list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str())),
            Some("used") => list.sort_by_key(|q| q["used"].as_u64()),
            _ => return Err(MethodError::described("unsupportedSort", "sort by name or used")),
        }
        if c["isAscending"] == false {
            list.reverse();
        }
    }
    Ok(json!({
        "accountId": account_id, "queryState": state(ctx), "canCalculateChanges": false, "position": 0,
        "ids": list.iter().map(|q| q["id"].clone()).collect::<Vec<_>>(), "total": list.len(),
    }))
}
