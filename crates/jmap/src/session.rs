//! The JMAP session resource (RFC 8620 section 2), with absolute URLs.

use crate::{CORE, LIMITS, MAIL, Policy, QUOTA, RETENTION, WEBSOCKET, ids};
use serde_json::{Value, json};
use tresor_store::directory::{AccountRecord, AccountState};

/// The session object changes only with the server's capabilities.
pub const STATE: &str = "s1";

/// `base` is the scheme and authority clients reached us at (`https://mail.example.com`).
pub fn session(record: &AccountRecord, base: &str, policy: &Policy) -> Value {
    let account = ids::account(record.account_id());
    let read_only = record.state != AccountState::Active;
    json!({
        "capabilities": {
            CORE: {
                "maxSizeUpload": 50_000_000,
                "maxConcurrentUpload": 4,
                "maxSizeRequest": LIMITS.max_size_request,
                "maxConcurrentRequests": 4,
                "maxCallsInRequest": LIMITS.max_calls_in_request,
                "maxObjectsInGet": LIMITS.max_objects_in_get,
                "maxObjectsInSet": 500,
                "collationAlgorithms": ["i;ascii-casemap", "i;octet"],
            },
            MAIL: {},
            QUOTA: {},
            RETENTION: { "minDays": policy.retention_min_days, "maxDays": (policy.retention_max_days > 0).then_some(policy.retention_max_days) },
            WEBSOCKET: { "url": format!("{}/jmap/ws", base.replacen("http", "ws", 1)), "supportsPush": true },
        },
        "accounts": {
            account.clone(): {
                "name": record.login,
                "isPersonal": true,
                "isReadOnly": read_only,
                "accountCapabilities": {
                    CORE: {},
                    QUOTA: {},
                    // A terminating account says when it will be purged.
                    RETENTION: { "purgeAt": match record.state {
                        AccountState::Terminating { purge_at } => Value::from(tresor_types::time::rfc3339(purge_at)),
                        AccountState::Active => Value::Null,
                    } },
                    MAIL: {
                        "maxMailboxesPerEmail": null,
                        "maxMailboxDepth": null,
                        "maxSizeMailboxName": 255,
                        "maxSizeAttachmentsPerEmail": 50_000_000,
                        "emailQuerySortOptions": ["receivedAt"],
                        "mayCreateTopLevelMailbox": !read_only,
                    },
                },
            },
        },
        "primaryAccounts": { CORE: account.clone(), MAIL: account.clone(), QUOTA: account },
        "username": record.login,
        "apiUrl": format!("{base}/jmap/api"),
        "downloadUrl": format!("{base}/jmap/download/{{accountId}}/{{blobId}}/{{name}}?type={{type}}"),
        "uploadUrl": format!("{base}/jmap/upload/{{accountId}}"),
        "eventSourceUrl": format!("{base}/jmap/eventsource?types={{types}}&closeafter={{closeafter}}&ping={{ping}}"),
        "state": STATE,
    })
}
