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
