//! `RetentionSettings/get|set` (capability `urn:tresor:params:jmap:retention`):
//! the account-wide retention as a singleton object (id `singleton`, like
//! VacationResponse). Per-mailbox retention is the Mailbox property
//! `retentionDays` (0 = keep forever, null = use the account's).

use super::{account_id, set_error, state, writable_state};
use crate::request::{Ctx, MethodError};
use serde_json::{Map, Value, json};

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let days = ctx.account.settings()?.retention_days;
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": [{ "id": "singleton", "retentionDays": days }], "notFound": [] }))
}

pub fn set(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let old_state = writable_state(ctx, args)?;
    let (mut updated, mut not_updated) = (Map::new(), Map::new());
    for (id, patch) in args.get("update").and_then(Value::as_object).into_iter().flatten() {
        let result = if id != "singleton" {
            Err(set_error("notFound", "the only object is singleton"))
        } else {
            match patch.get("retentionDays") {
                Some(Value::Null) => ctx.account.set_account_retention(None).map_err(|e| set_error("serverFail", e.to_string())),
                Some(v) => match v.as_u64().and_then(|d| u32::try_from(d).ok()) {
                    Some(d) if ctx.policy.retention_allowed(d) => {
                        ctx.account.set_account_retention(Some(d).filter(|d| *d > 0)).map_err(|e| set_error("serverFail", e.to_string()))
                    }
                    _ => Err(super::invalid_property("retentionDays")),
                },
                None => Ok(()),
            }
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
    let obj_or_null = |m: Map<String, Value>| if m.is_empty() { Value::Null } else { Value::Object(m) };
    Ok(
        json!({ "accountId": account_id, "oldState": old_state, "newState": state(ctx), "updated": obj_or_null(updated), "notUpdated": obj_or_null(not_updated) }),
    )
}
