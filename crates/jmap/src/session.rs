//! The JMAP session resource (RFC 8620 section 2), with absolute URLs.

use crate::{BLOB, CORE, LIMITS, MAIL, Policy, QUOTA, RETENTION, SUBMISSION, VACATION, WEBSOCKET, ids};
use serde_json::{Value, json};
use tresor_store::directory::{AccountRecord, AccountState};

/// The session state: it changes with the server's capabilities and once a
/// day, so clients fetch the session again and get a fresh event-source
/// token (see `eventSourceUrl`).
pub fn state(now: i64) -> String {
    format!("s2-{}", now.div_euclid(86_400))
}

/// `base` is the scheme and authority clients reached us at (`https://mail.example.com`).
/// `event_token` goes into `eventSourceUrl`: a browser's EventSource cannot
/// send an Authorization header, so the URL carries a short-lived token that
/// opens that one push stream of this account and nothing else.
pub fn session(record: &AccountRecord, base: &str, policy: &Policy, event_token: &str, now: i64) -> Value {
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
                "maxObjectsInSet": LIMITS.max_objects_in_set,
                "collationAlgorithms": ["i;ascii-casemap", "i;octet"],
            },
            MAIL: {},
            SUBMISSION: {},
            VACATION: {},
            BLOB: {},
            QUOTA: {},
            RETENTION: { "minDays": policy.retention_min_days, "maxDays": (policy.retention_max_days > 0).then_some(policy.retention_max_days) },
            WEBSOCKET: { "url": format!("{}/jmap/ws", base.replacen("http", "ws", 1)), "supportsPush": true },
        },
        "accounts": {
            account.clone(): {
                "name": record.login,
                "isPersonal": true,
                // The draft's name for "this is the user's own account".
                "isPrimary": true,
                "isReadOnly": read_only,
                "accountCapabilities": {
                    CORE: {},
                    QUOTA: {},
                    SUBMISSION: {
                        "maxDelayedSend": crate::method::MAX_DELAYED_SEND,
                        "submissionExtensions": { "FUTURERELEASE": [crate::method::MAX_DELAYED_SEND.to_string()] },
                    },
                    VACATION: {},
                    BLOB: {
                        "maxSizeBlobSet": crate::method::MAX_SIZE_BLOB_SET,
                        "maxDataSources": crate::method::MAX_DATA_SOURCES,
                        "supportedTypeNames": ["Email", "Mailbox", "Thread"],
                        "supportedDigestAlgorithms": ["sha", "sha-256"],
                    },
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
                        "emailQuerySortOptions": ["receivedAt", "size", "from", "to", "subject", "sentAt", "hasKeyword", "allInThreadHaveKeyword", "someInThreadHaveKeyword"],
                        "mayCreateTopLevelMailbox": !read_only,
                    },
                },
            },
        },
        "primaryAccounts": { CORE: account.clone(), MAIL: account.clone(), SUBMISSION: account.clone(), VACATION: account.clone(), QUOTA: account },
        "username": record.login,
        "apiUrl": format!("{base}/jmap/api"),
        "downloadUrl": format!("{base}/jmap/download/{{accountId}}/{{blobId}}/{{name}}?type={{type}}"),
        "uploadUrl": format!("{base}/jmap/upload/{{accountId}}"),
        "eventSourceUrl": format!("{base}/jmap/eventsource?types={{types}}&closeafter={{closeafter}}&ping={{ping}}&token={event_token}"),
        "state": state(now),
    })
}
