//! Thread/get (RFC 8621 section 3.1): a thread's emails in arrival order.

use super::{account_id, ids_arg, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let Some(wanted) = ids_arg(args)? else {
        return Err(MethodError::new("requestTooLarge"));
    };
    let mut list = Vec::new();
    let mut not_found = Vec::new();
    for w in wanted {
        let members = match ids::parse_thread(&w) {
            Some(t) => ctx.account.thread_members(t)?,
            None => Vec::new(),
        };
        if members.is_empty() {
            not_found.push(w);
        } else {
            list.push(json!({ "id": w, "emailIds": members.iter().map(|e| ids::email(*e)).collect::<Vec<_>>() }));
        }
    }
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}
