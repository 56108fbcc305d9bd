//! RFC 9404 blob management: Blob/upload (from text, base64 or ranges of
//! other blobs, sealed like an HTTP upload), Blob/get (data as text or
//! base64, ranges, SHA digests), Blob/lookup (which emails, mailboxes and
//! threads refer to a blob).

use super::{account_id, set_error};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use base64::Engine;
use serde_json::{Map, Value, json};
use sha2::Digest;

/// Largest blob Blob/upload makes, and most sources in one.
pub const MAX_SIZE_BLOB_SET: usize = 20_000_000;
pub const MAX_DATA_SOURCES: usize = 64;

pub fn upload(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    super::writable_state(ctx, args)?;
    let (mut created, mut not_created) = (Map::new(), Map::new());
    let mut made: Vec<(String, String)> = Vec::new();
    for (cid, spec) in args.get("create").and_then(Value::as_object).into_iter().flatten() {
        match one_upload(ctx, spec, &made) {
            Ok((id, size, kind)) => {
                made.push((cid.clone(), id.clone()));
                created.insert(cid.clone(), json!({ "id": id, "type": kind, "size": size }));
            }
            Err(e) => {
                not_created.insert(cid.clone(), e);
            }
        }
    }
    let obj = |m: Map<String, Value>| if m.is_empty() { Value::Null } else { Value::Object(m) };
    Ok(json!({ "accountId": account_id, "created": obj(created), "notCreated": obj(not_created) }))
}

fn one_upload(ctx: &Ctx<'_>, spec: &Value, made: &[(String, String)]) -> Result<(String, usize, Value), Value> {
    let invalid = |why: &str| set_error("invalidProperties", why);
    let sources = spec.get("data").and_then(Value::as_array).ok_or_else(|| invalid("data must be an array of DataSourceObjects"))?;
    if sources.len() > MAX_DATA_SOURCES {
        return Err(set_error("tooManyDataSources", format!("at most {MAX_DATA_SOURCES} sources")));
    }
    let mut bytes = Vec::new();
    for source in sources {
        let source = source.as_object().ok_or_else(|| invalid("a DataSourceObject is an object"))?;
        if let Some(text) = source.get("data:asText") {
            bytes.extend_from_slice(text.as_str().ok_or_else(|| invalid("data:asText must be a string"))?.as_bytes());
        } else if let Some(b64) = source.get("data:asBase64") {
            let b64 = b64.as_str().ok_or_else(|| invalid("data:asBase64 must be a string"))?;
            bytes.extend(base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| invalid("data:asBase64 is not base64"))?);
        } else if let Some(blob) = source.get("blobId").and_then(Value::as_str) {
            let blob = blob.strip_prefix('#').and_then(|c| made.iter().find(|(m, _)| m == c)).map_or(blob, |(_, id)| id.as_str());
            let data = crate::blob::download(ctx.account, blob).ok_or_else(|| set_error("blobNotFound", "no such blob"))?;
            let offset = source.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
            let length = source.get("length").and_then(Value::as_u64).map(|l| l as usize);
            let end = length.map_or(data.len(), |l| offset.saturating_add(l));
            if offset > data.len() || end > data.len() {
                return Err(invalid("the range is outside the blob"));
            }
            bytes.extend_from_slice(&data[offset..end]);
        } else {
            return Err(invalid("a DataSourceObject needs data:asText, data:asBase64 or blobId"));
        }
        if bytes.len() > MAX_SIZE_BLOB_SET {
            return Err(set_error("tooLarge", format!("blobs made here are at most {MAX_SIZE_BLOB_SET} octets")));
        }
    }
    ctx.account.check_quota(bytes.len() as u64).map_err(|_| set_error("overQuota", "the account is over quota"))?;
    let blob = ctx.account.put_upload(&bytes, tresor_types::time::now()).map_err(|e| set_error("serverFail", e.to_string()))?;
    let kind = spec.get("type").cloned().unwrap_or(Value::Null);
    Ok((ids::upload(blob), bytes.len(), kind))
}

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let wanted = super::ids_arg(args)?.ok_or_else(|| MethodError::bad_argument("ids", "ids is required for blobs"))?;
    let properties: Vec<String> = match args.get("properties") {
        None | Some(Value::Null) => vec!["data".into(), "size".into()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(_) => return Err(MethodError::bad_argument("properties", "properties must be an array")),
    };
    for p in &properties {
        if !matches!(p.as_str(), "data" | "data:asText" | "data:asBase64" | "size" | "digest:sha" | "digest:sha-256") {
            return Err(MethodError::bad_argument("properties", format!("unknown property {p}")));
        }
    }
    let offset = args.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let length = args.get("length").and_then(Value::as_u64).map(|l| l as usize);
    let (mut list, mut not_found) = (Vec::new(), Vec::new());
    for id in wanted {
        let Some(data) = crate::blob::download(ctx.account, &id) else {
            not_found.push(id);
            continue;
        };
        let start = offset.min(data.len());
        let end = length.map_or(data.len(), |l| start.saturating_add(l).min(data.len()));
        let slice = &data[start..end];
        let truncated = length.is_some_and(|l| start + l > data.len()) || offset > data.len();
        let mut obj = Map::new();
        obj.insert("id".into(), id.clone().into());
        for p in &properties {
            match p.as_str() {
                "size" => {
                    obj.insert(p.clone(), data.len().into());
                }
                "digest:sha" => {
                    obj.insert(p.clone(), base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(slice)).into());
                }
                "digest:sha-256" => {
                    obj.insert(p.clone(), base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(slice)).into());
                }
                "data:asText" | "data" if std::str::from_utf8(slice).is_ok() => {
                    obj.insert("data:asText".into(), std::str::from_utf8(slice).expect("checked").into());
                }
                "data:asText" => {
                    obj.insert("data:asText".into(), Value::Null);
                    obj.insert("isEncodingProblem".into(), true.into());
                }
                _ => {
                    obj.insert("data:asBase64".into(), base64::engine::general_purpose::STANDARD.encode(slice).into());
                }
            }
        }
        if truncated {
            obj.insert("isTruncated".into(), true.into());
        }
        list.push(Value::Object(obj));
    }
    Ok(json!({ "accountId": account_id, "list": list, "notFound": not_found }))
}

/// Blob/lookup: the emails (and their mailboxes and threads) a blob belongs
/// to. A part's blob names its email directly; a whole message's blob is
/// found by a scan of the account's emails.
pub fn lookup(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let types: Vec<String> = args
        .get("typeNames")
        .and_then(Value::as_array)
        .ok_or_else(|| MethodError::bad_argument("typeNames", "typeNames is required"))?
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    if let Some(t) = types.iter().find(|t| !matches!(t.as_str(), "Email" | "Mailbox" | "Thread")) {
        return Err(MethodError::described("unknownDataType", t.to_string()));
    }
    let wanted = super::ids_arg(args)?.unwrap_or_default();
    let mut by_blob: Option<std::collections::HashMap<u64, Vec<tresor_store::mail::EmailId>>> = None;
    let (mut list, mut not_found) = (Vec::new(), Vec::new());
    for id in wanted {
        if crate::blob::download(ctx.account, &id).is_none() {
            not_found.push(id);
            continue;
        }
        let emails: Vec<tresor_store::mail::EmailId> = if let Some(rest) = id.strip_prefix('P') {
            rest.split_once('-').and_then(|(e, _)| ids::parse_email(&format!("M{e}"))).into_iter().collect()
        } else if let Some(blob) = ids::parse_blob(&id) {
            if by_blob.is_none() {
                let mut map: std::collections::HashMap<u64, Vec<_>> = Default::default();
                for m in ctx.account.mailboxes()? {
                    for (_, e) in ctx.account.uid_entries(m.id)? {
                        if let Some(meta) = ctx.account.email_meta(e.email)? {
                            let v = map.entry(meta.blob).or_default();
                            if !v.contains(&e.email) {
                                v.push(e.email);
                            }
                        }
                    }
                }
                by_blob = Some(map);
            }
            by_blob.as_ref().and_then(|m| m.get(&blob).cloned()).unwrap_or_default()
        } else {
            Vec::new() // an upload or a part of one: referred to by nothing yet
        };
        let mut matched = Map::new();
        let (mut mailboxes, mut threads) = (Vec::new(), Vec::new());
        let mut email_ids = Vec::new();
        for e in &emails {
            let (Some(meta), Some(state)) = (ctx.account.email_meta(*e)?, ctx.account.email_state(*e)?) else { continue };
            email_ids.push(ids::email(*e));
            threads.push(ids::thread(meta.thread));
            mailboxes.extend(state.mailboxes.iter().map(|(m, _)| ids::mailbox(*m)));
        }
        if email_ids.is_empty() && !emails.is_empty() {
            not_found.push(id);
            continue;
        }
        mailboxes.sort();
        mailboxes.dedup();
        threads.sort();
        threads.dedup();
        for t in &types {
            let v = match t.as_str() {
                "Email" => &email_ids,
                "Mailbox" => &mailboxes,
                _ => &threads,
            };
            matched.insert(t.clone(), json!(v));
        }
        list.push(json!({ "id": id, "matchedIds": matched }));
    }
    Ok(json!({ "accountId": account_id, "list": list, "notFound": not_found }))
}
