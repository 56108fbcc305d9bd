//! EmailSubmission/get, /changes, /query, /queryChanges, /set (RFC 8621 7).
//! Creating a submission queues a sealed copy of the message (Bcc removed)
//! in the account; the server's sender hands it to the configured smarthost
//! at `sendAt` and records each recipient's SMTP reply. Until then the user
//! can undo it (`undoStatus: canceled`). `HOLDFOR` / `HOLDUNTIL` envelope
//! parameters (RFC 4865 FUTURERELEASE) delay `sendAt`.

use super::{account_id, ids_arg, set_error, state};
use crate::{
    ids,
    method::identity::{identities, identity_id, owns, parse_identity},
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use tresor_store::{
    changes::Change,
    mail::outbound::{RecipientStatus, Submission, UndoStatus},
};

/// The longest a submission may be held (advertised as maxDelayedSend).
pub const MAX_DELAYED_SEND: i64 = 7 * 86_400;
/// Recipients per submission.
const MAX_RECIPIENTS: usize = 100;

pub fn submission_id(id: u64) -> String {
    format!("S{id:x}")
}

fn parse_submission(s: &str) -> Option<u64> {
    let hex = s.strip_prefix('S')?;
    if hex.is_empty() || hex.len() > 16 || (hex.starts_with('0') && hex.len() > 1) || hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

fn undo_name(u: UndoStatus) -> &'static str {
    match u {
        UndoStatus::Pending => "pending",
        UndoStatus::Final => "final",
        UndoStatus::Canceled => "canceled",
    }
}

fn to_json(id: u64, s: &Submission) -> Value {
    let params = |p: &[(String, Option<String>)]| -> Value {
        if p.is_empty() { Value::Null } else { Value::Object(p.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect()) }
    };
    let delivery: Map<String, Value> = s
        .delivery
        .iter()
        .map(|r| (r.address.clone(), json!({ "smtpReply": r.smtp_reply, "delivered": r.delivered, "displayed": "unknown" })))
        .collect();
    json!({
        "id": submission_id(id),
        "identityId": identity_id(s.identity),
        "emailId": ids::email(tresor_store::mail::EmailId(s.email)),
        "threadId": ids::thread(s.thread),
        "envelope": {
            "mailFrom": { "email": s.mail_from, "parameters": params(&s.mail_from_params) },
            "rcptTo": s.rcpt_to.iter().map(|r| json!({ "email": r, "parameters": null })).collect::<Vec<_>>(),
        },
        "sendAt": tresor_types::time::rfc3339(s.send_at),
        "undoStatus": undo_name(s.undo_status),
        "deliveryStatus": delivery,
        "dsnBlobIds": [],
        "mdnBlobIds": [],
    })
}

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let all = ctx.account.submissions()?;
    let (mut list, mut not_found) = (Vec::new(), Vec::new());
    match ids_arg(args)? {
        None => list.extend(all.iter().map(|(id, s)| to_json(*id, s))),
        Some(wanted) => {
            for w in wanted {
                match all.iter().find(|(id, _)| submission_id(*id) == w) {
                    Some((id, s)) => list.push(to_json(*id, s)),
                    None => not_found.push(w),
                }
            }
        }
    }
    if let Some(Value::Array(props)) = args.get("properties") {
        let props: Vec<&str> = props.iter().filter_map(Value::as_str).chain(["id"]).collect();
        for v in &mut list {
            v.as_object_mut().expect("object").retain(|k, _| props.contains(&k.as_str()));
        }
    }
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}

pub fn changes(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    super::changes::objects(ctx, args, |c| match c {
        Change::Submission { id, op } => Some((submission_id(*id), *op)),
        _ => None,
    })
}

pub fn query(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let mut all = ctx.account.submissions()?;
    if let Some(filter) = args.get("filter").and_then(Value::as_object) {
        let list = |k: &str| {
            filter.get(k).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>())
        };
        let (identities, emails, threads) = (list("identityIds"), list("emailIds"), list("threadIds"));
        let undo = filter.get("undoStatus").and_then(Value::as_str).map(str::to_owned);
        let before = filter.get("before").and_then(Value::as_str).and_then(super::filter::parse_utc);
        let after = filter.get("after").and_then(Value::as_str).and_then(super::filter::parse_utc);
        all.retain(|(_, s)| {
            identities.as_ref().is_none_or(|l| l.contains(&identity_id(s.identity)))
                && emails.as_ref().is_none_or(|l| l.contains(&ids::email(tresor_store::mail::EmailId(s.email))))
                && threads.as_ref().is_none_or(|l| l.contains(&ids::thread(s.thread)))
                && undo.as_deref().is_none_or(|u| u == undo_name(s.undo_status))
                && before.is_none_or(|b| s.send_at < b)
                && after.is_none_or(|a| s.send_at >= a)
        });
    }
    // Stable sorts from the last comparator to the first give the order of all of them.
    for c in args.get("sort").and_then(Value::as_array).into_iter().flatten().rev() {
        let ascending = c["isAscending"].as_bool().unwrap_or(true);
        let order = |o: std::cmp::Ordering| if ascending { o } else { o.reverse() };
        match c["property"].as_str() {
            Some("emailId") => all.sort_by(|(_, a), (_, b)| order(a.email.cmp(&b.email))),
            Some("threadId") => all.sort_by(|(_, a), (_, b)| order(a.thread.cmp(&b.thread))),
            Some("sentAt") => all.sort_by(|(_, a), (_, b)| order(a.send_at.cmp(&b.send_at))),
            _ => return Err(MethodError::described("unsupportedSort", "sort by emailId, threadId or sentAt")),
        }
    }
    let window = super::Window::of(args, &all, |(id, _), anchor| submission_id(*id) == anchor)?;
    Ok(json!({
        "accountId": account_id, "queryState": state(ctx), "canCalculateChanges": false,
        "position": window.position, "ids": window.ids(&all, |(id, _)| submission_id(*id)), "total": all.len(),
    }))
}

pub fn query_changes(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let now = state(ctx);
    match args.get("sinceQueryState").and_then(Value::as_str) {
        Some(s) if s == now => Ok(json!({ "accountId": account_id, "oldQueryState": s, "newQueryState": now, "removed": [], "added": [] })),
        _ => Err(MethodError::new("cannotCalculateChanges")),
    }
}

pub fn set(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let old_state = super::writable_state(ctx, args)?;
    let now = tresor_types::time::now();
    let (mut created, mut not_created) = (Map::new(), Map::new());
    // creation id -> (submission id, email id) for onSuccess*.
    let mut made: Vec<(String, u64, u64)> = Vec::new();
    for (cid, props) in args.get("create").and_then(Value::as_object).into_iter().flatten() {
        match create(ctx, props, now) {
            Ok((id, s)) => {
                made.push((cid.clone(), id, s.email));
                created.insert(
                    cid.clone(),
                    json!({ "id": submission_id(id), "threadId": ids::thread(s.thread), "sendAt": tresor_types::time::rfc3339(s.send_at), "undoStatus": "pending" }),
                );
            }
            Err(e) => {
                not_created.insert(cid.clone(), e);
            }
        }
    }
    let (mut updated, mut not_updated) = (Map::new(), Map::new());
    for (id, patch) in args.get("update").and_then(Value::as_object).into_iter().flatten() {
        let found = parse_submission(id).map(|n| ctx.account.submission(n).map(|s| s.map(|s| (n, s)))).transpose()?.flatten();
        let result = match found {
            None => Err(set_error("notFound", "no such submission")),
            Some((n, mut s)) => match patch.as_object().map(|p| p.iter().collect::<Vec<_>>()).as_deref() {
                Some([(k, v)]) if k.as_str() == "undoStatus" && v.as_str() == Some("canceled") => {
                    if s.undo_status == UndoStatus::Pending {
                        s.undo_status = UndoStatus::Canceled;
                        for r in &mut s.delivery {
                            r.delivered = "no".into();
                            r.smtp_reply = "550 5.0.0 Canceled by the sender".into();
                        }
                        ctx.account.update_submission(n, s).map_err(|e| set_error("serverFail", e.to_string()))
                    } else {
                        Err(set_error("cannotUnsend", "the message has already been sent"))
                    }
                }
                _ => Err(set_error("invalidProperties", "only undoStatus can be changed, to \"canceled\"")),
            },
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
        match parse_submission(id).map(|n| ctx.account.delete_submission(n)).transpose()? {
            Some(true) => destroyed.push(Value::from(id)),
            _ => {
                not_destroyed.insert(id.to_owned(), set_error("notFound", "no such submission"));
            }
        }
    }

    // onSuccessUpdateEmail / onSuccessDestroyEmail: an implicit Email/set on
    // the emails of the submissions that succeeded, answered right after.
    let email_of = |key: &str| -> Option<String> {
        let email = match key.strip_prefix('#') {
            Some(cid) => made.iter().find(|(c, _, _)| c == cid).map(|(_, _, e)| *e)?,
            None => {
                let n = parse_submission(key)?;
                let ok = made.iter().any(|(_, s, _)| *s == n) || updated.contains_key(key) || destroyed.iter().any(|d| d == key);
                if !ok {
                    return None;
                }
                made.iter()
                    .find(|(_, s, _)| *s == n)
                    .map(|(_, _, e)| *e)
                    .or_else(|| ctx.account.submission(n).ok().flatten().map(|s| s.email))?
            }
        };
        Some(ids::email(tresor_store::mail::EmailId(email)))
    };
    let mut update = Map::new();
    for (key, patch) in args.get("onSuccessUpdateEmail").and_then(Value::as_object).into_iter().flatten() {
        if let Some(email) = email_of(key) {
            update.insert(email, patch.clone());
        }
    }
    let destroy: Vec<Value> = args
        .get("onSuccessDestroyEmail")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(email_of)
        .map(Value::from)
        .collect();
    let response = super::set_response(
        account_id.clone(),
        old_state,
        state(ctx),
        created,
        not_created,
        updated,
        not_updated,
        destroyed,
        not_destroyed,
    );
    if !update.is_empty() || !destroy.is_empty() {
        let mut email_args = Map::new();
        email_args.insert("accountId".into(), account_id.into());
        if !update.is_empty() {
            email_args.insert("update".into(), Value::Object(update));
        }
        if !destroy.is_empty() {
            email_args.insert("destroy".into(), Value::Array(destroy));
        }
        let result = super::email_set::set(ctx, &email_args)?;
        ctx.extra.borrow_mut().push(("Email/set".into(), result));
    }
    Ok(response)
}

fn create(ctx: &Ctx<'_>, props: &Value, now: i64) -> Result<(u64, Submission), Value> {
    let fail = |e: tresor_store::Error| set_error("serverFail", e.to_string());
    if !ctx.policy.submission {
        return Err(set_error("forbidden", "this server has no smarthost configured for sending"));
    }
    let props = props.as_object().ok_or_else(|| set_error("invalidProperties", "an EmailSubmission is an object"))?;
    for k in props.keys() {
        if !matches!(k.as_str(), "identityId" | "emailId" | "envelope") {
            return Err(json!({ "type": "invalidProperties", "properties": [k], "description": format!("{k} cannot be set") }));
        }
    }
    let invalid = |p: &str, why: &str| json!({ "type": "invalidProperties", "properties": [p], "description": why });
    let identity_id = props.get("identityId").and_then(Value::as_str).and_then(parse_identity);
    let (identity_id, identity) = identities(ctx)
        .map_err(|e| set_error("serverFail", e.description.unwrap_or_default()))?
        .into_iter()
        .find(|(id, _)| Some(*id) == identity_id)
        .ok_or_else(|| invalid("identityId", "no such identity"))?;
    let email =
        props.get("emailId").and_then(Value::as_str).and_then(ids::parse_email).ok_or_else(|| invalid("emailId", "no such email"))?;
    let meta = ctx.account.email_meta(email).map_err(fail)?.ok_or_else(|| invalid("emailId", "no such email"))?;
    let addr = |a: &tresor_message::Address| -> Option<String> {
        Some(format!("{}@{}", String::from_utf8_lossy(a.mailbox.as_deref()?), String::from_utf8_lossy(a.host.as_deref()?)))
    };
    let env = &meta.summary.envelope;
    let from: Vec<String> = env.from.iter().filter_map(addr).collect();
    if from.is_empty() || from.iter().any(|f| !owns(ctx, f)) {
        return Err(set_error("forbiddenFrom", "the From header must be one of this account's addresses"));
    }
    let (mail_from, mail_from_params, rcpt_to, send_at) = match props.get("envelope") {
        None | Some(Value::Null) => {
            let mut rcpt: Vec<String> = env.to.iter().chain(&env.cc).chain(&env.bcc).filter_map(addr).collect();
            rcpt.extend(identity.bcc.iter().flatten().map(|(_, e)| e.clone()));
            (identity.email.clone(), Vec::new(), rcpt, now)
        }
        Some(e) => {
            let mail_from = e["mailFrom"]["email"].as_str().ok_or_else(|| invalid("envelope", "envelope.mailFrom.email is required"))?;
            if !mail_from.is_empty() && !owns(ctx, mail_from) {
                return Err(set_error("forbiddenMailFrom", "MAIL FROM must be one of this account's addresses"));
            }
            let mut send_at = now;
            let mut params = Vec::new();
            for (k, v) in e["mailFrom"]["parameters"].as_object().into_iter().flatten() {
                let value = v.as_str().map(str::to_owned);
                match k.to_ascii_uppercase().as_str() {
                    "HOLDFOR" => {
                        let secs = value.as_deref().and_then(|v| v.parse::<i64>().ok()).filter(|s| (0..=MAX_DELAYED_SEND).contains(s));
                        send_at = now + secs.ok_or_else(|| invalid("envelope", "HOLDFOR is seconds, at most maxDelayedSend"))?;
                    }
                    "HOLDUNTIL" => {
                        let at = value.as_deref().and_then(super::filter::parse_utc).filter(|t| *t <= now + MAX_DELAYED_SEND);
                        send_at = at.ok_or_else(|| invalid("envelope", "HOLDUNTIL is a UTC date within maxDelayedSend"))?.max(now);
                    }
                    "BODY" | "SMTPUTF8" | "ENVID" | "RET" | "SIZE" => params.push((k.to_ascii_uppercase(), value)),
                    _ => return Err(invalid("envelope", "unsupported MAIL FROM parameter")),
                }
            }
            let rcpt = e["rcptTo"]
                .as_array()
                .ok_or_else(|| invalid("envelope", "envelope.rcptTo is required"))?
                .iter()
                .map(|r| r["email"].as_str().map(str::to_owned).ok_or_else(|| invalid("envelope", "each rcptTo needs an email")))
                .collect::<Result<Vec<_>, _>>()?;
            (mail_from.to_owned(), params, rcpt, send_at)
        }
    };
    let mut rcpt_to = rcpt_to;
    rcpt_to.sort_by_key(|r| r.to_ascii_lowercase());
    rcpt_to.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    if rcpt_to.is_empty() {
        return Err(set_error("noRecipients", "the message has no recipients"));
    }
    if rcpt_to.len() > MAX_RECIPIENTS {
        return Err(set_error("tooManyRecipients", format!("at most {MAX_RECIPIENTS} recipients")));
    }
    let bad: Vec<&String> = rcpt_to.iter().filter(|r| !valid_address(r)).collect();
    if !bad.is_empty() {
        return Err(json!({ "type": "invalidRecipients", "invalidRecipients": bad, "description": "not valid addresses" }));
    }
    let raw = ctx.account.read_blob(meta.blob).map_err(fail)?;
    let message = without_bcc(&raw);
    let submission = Submission {
        identity: identity_id,
        email: email.0,
        thread: meta.thread,
        mail_from,
        mail_from_params,
        delivery: rcpt_to
            .iter()
            .map(|r| RecipientStatus { address: r.clone(), smtp_reply: String::new(), delivered: "queued".into() })
            .collect(),
        rcpt_to,
        send_at,
        created: now,
        undo_status: UndoStatus::Pending,
        blob: None,
        attempts: 0,
        last_error: None,
    };
    let id = ctx.account.create_submission(submission.clone(), &message).map_err(|e| match e {
        tresor_store::Error::NotActive => set_error("forbidden", "the account is read-only"),
        e => fail(e),
    })?;
    Ok((id, submission))
}

/// An address SMTP can carry: local@domain, no spaces, brackets or controls.
fn valid_address(a: &str) -> bool {
    let Some((local, domain)) = a.rsplit_once('@') else { return false };
    !local.is_empty()
        && !domain.is_empty()
        && a.len() <= 254
        && a.chars().all(|c| !c.is_control() && !c.is_whitespace() && !"<>()[]\\,;:\"".contains(c) || c == '.')
}

/// The message without its Bcc header fields (RFC 8621 7.5: never sent).
pub fn without_bcc(raw: &[u8]) -> Vec<u8> {
    let header_end =
        raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 2).or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 1));
    let Some(end) = header_end else { return raw.to_vec() };
    let mut out = Vec::with_capacity(raw.len());
    let mut skipping = false;
    for line in raw[..end].split_inclusive(|&b| b == b'\n') {
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            skipping = line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"bcc:");
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&raw[end..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bcc_is_removed_with_its_continuation_lines() {
        let raw = b"From: a@x\r\nBcc: secret@y,\r\n other@z\r\nTo: b@x\r\n\r\nBcc: in body stays\r\n";
        assert_eq!(super::without_bcc(raw), b"From: a@x\r\nTo: b@x\r\n\r\nBcc: in body stays\r\n".to_vec());
    }

    #[test]
    fn addresses_smtp_can_carry() {
        assert!(super::valid_address("a.b@example.com"));
        for bad in ["a", "@x", "a@", "a b@x", "a@x>", "a\r\n@x"] {
            assert!(!super::valid_address(bad), "{bad}");
        }
    }
}
