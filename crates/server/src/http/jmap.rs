//! JMAP over HTTP: `/.well-known/jmap` serves the session object itself (no
//! redirect: browsers drop Authorization on a cross-origin redirect), and
//! `POST /jmap/api` runs requests. Both answer CORS preflights without
//! authentication so web clients on another origin work.

use super::{AppState, Conn, auth};
use axum::{
    Extension, Router,
    body::{Body, Bytes},
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/jmap", get(session).options(preflight))
        .route(
            "/jmap/api",
            // GET answers with the session too, as early JMAP drafts had it
            // (and Fastmail's test suite still asks for it there).
            axum::routing::post(api)
                .get(session)
                .options(preflight)
                .layer(axum::extract::DefaultBodyLimit::max(tresor_jmap::LIMITS.max_size_request + 1)),
        )
        .route("/jmap/eventsource", get(eventsource).options(preflight))
        .route("/jmap/ws", get(websocket))
        .route("/jmap/download/{account}/{blob}/{name}", get(download).options(preflight))
        .route(
            "/jmap/upload/{account}",
            axum::routing::post(upload).options(preflight).layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD)),
        )
}

async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// Any origin may call; credentials travel in the Authorization header, never cookies.
fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type, Accept"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("WWW-Authenticate"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("3600"));
    r
}

fn json(status: StatusCode, v: &serde_json::Value, content_type: &'static str) -> Response {
    cors((status, [(header::CONTENT_TYPE, content_type)], v.to_string()).into_response())
}

/// The operator's settings JMAP methods obey.
fn policy(s: &AppState) -> tresor_jmap::Policy {
    tresor_jmap::Policy {
        retention_min_days: s.config.lifecycle.retention_min_days,
        retention_max_days: s.config.lifecycle.retention_max_days,
        submission: s.config.submission.smarthost.is_some(),
    }
}

/// `scheme://host` as the client addressed us, for the session's absolute URLs.
fn base(conn: &Conn, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)));
    let host = host.map(str::to_owned).unwrap_or_else(|| conn.peer.to_string());
    format!("{}://{host}", if conn.tls { "https" } else { "http" })
}

async fn session(State(s): State<AppState>, Extension(conn): Extension<Conn>, headers: HeaderMap) -> Response {
    match auth::basic(&s, &conn, &headers).await {
        Ok(record) => {
            let now = tresor_types::time::now();
            let token = auth::event_token(&s, record.account_id(), now);
            json(
                StatusCode::OK,
                &tresor_jmap::session::session(&record, &base(&conn, &headers), &policy(&s), &token, now),
                "application/json",
            )
        }
        Err(r) => cors(r),
    }
}

async fn api(State(s): State<AppState>, Extension(conn): Extension<Conn>, headers: HeaderMap, body: Bytes) -> Response {
    let record = match auth::basic(&s, &conn, &headers).await {
        Ok(r) => r,
        Err(r) => return cors(r),
    };
    let store = s.store.clone();
    let policy = policy(&s);
    // Hyper drops this future when the client goes away; the guard then tells
    // the blocking task to stop before its next method call.
    let abandoned = Abandoned::default();
    let flag = abandoned.0.clone();
    let result = tokio::task::spawn_blocking(move || {
        let account = store.account(record.account_id())?;
        Ok::<_, tresor_store::Error>(tresor_jmap::process(&account, &record, &policy, &body, &flag))
    })
    .await;
    drop(abandoned);
    match result {
        Ok(Ok(Ok(v))) => json(StatusCode::OK, &v, "application/json"),
        Ok(Ok(Err(problem))) => {
            json(StatusCode::from_u16(problem.status()).unwrap_or(StatusCode::BAD_REQUEST), &problem.body(), "application/problem+json")
        }
        _ => cors((StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()),
    }
}

/// Set when dropped: the request it guards lost its client.
#[derive(Default)]
struct Abandoned(Arc<AtomicBool>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[derive(serde::Deserialize)]
struct PushParams {
    types: Option<String>,
    token: Option<String>,
    closeafter: Option<String>,
    ping: Option<u64>,
}

/// RFC 8620 section 7.3: a `text/event-stream` of StateChange events, driven by
/// the account's change log (so LMTP, IMAP and JMAP changes all push), with
/// `ping` keep-alives and `closeafter=state`.
async fn eventsource(
    State(s): State<AppState>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Query(p): Query<PushParams>,
) -> Response {
    // With an Authorization header, as every other endpoint; without one (a
    // browser's EventSource), the session's event token.
    let record = match (&p.token, headers.contains_key(header::AUTHORIZATION)) {
        (Some(token), false) => match auth::event_record(&s, &conn, token).await {
            Ok(r) => r,
            Err(r) => return cors(r),
        },
        _ => match auth::basic(&s, &conn, &headers).await {
            Ok(r) => r,
            Err(r) => return cors(r),
        },
    };
    let store = s.store.clone();
    let account = match tokio::task::spawn_blocking(move || store.account(record.account_id())).await {
        Ok(Ok(a)) => a,
        _ => return cors((StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()),
    };
    let types: Vec<String> = match p.types.as_deref() {
        None | Some("*") => vec!["Email".into(), "Mailbox".into()],
        Some(t) => t.split(',').filter(|t| *t == "Email" || *t == "Mailbox").map(str::to_owned).collect(),
    };
    let close_after_state = p.closeafter.as_deref() == Some("state");
    // RFC 8620: ping in seconds, 0 = none; the server may raise a too-small value.
    let ping = p.ping.filter(|s| *s > 0).map(|s| std::time::Duration::from_secs(s.max(5)));
    let account_id = tresor_jmap::ids::account(account.id);
    let mut changes = account.subscribe();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                changed = changes.changed() => match changed {
                    Ok(()) => {
                        let state = changes.borrow_and_update().to_string();
                        let changed: serde_json::Map<String, serde_json::Value> = types.iter().map(|t| (t.clone(), state.clone().into())).collect();
                        let data = serde_json::json!({ "@type": "StateChange", "changed": { account_id.clone(): changed } });
                        format!("event: state\ndata: {data}\n\n")
                    }
                    Err(_) => return,
                },
                _ = async { match ping { Some(d) => tokio::time::sleep(d).await, None => std::future::pending().await } } => {
                    format!("event: ping\ndata: {{\"interval\":{}}}\n\n", ping.map_or(0, |d| d.as_secs()))
                }
            };
            let is_state = event.starts_with("event: state");
            if tx.send(Ok(Bytes::from(event))).await.is_err() {
                return; // the client went away
            }
            if is_state && close_after_state {
                return;
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    cors(([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], Body::from_stream(stream)).into_response())
}

#[derive(serde::Deserialize)]
struct DownloadParams {
    #[serde(rename = "type")]
    content_type: Option<String>,
}

/// `GET /jmap/download/{accountId}/{blobId}/{name}?type=`: another account's
/// id answers exactly like a blob that does not exist.
async fn download(
    State(s): State<AppState>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path((account_id, blob_id, name)): Path<(String, String, String)>,
    Query(q): Query<DownloadParams>,
) -> Response {
    let record = match auth::basic(&s, &conn, &headers).await {
        Ok(r) => r,
        Err(r) => return cors(r),
    };
    if !tresor_jmap::ids::is_account(&account_id, record.account_id()) {
        return cors((StatusCode::NOT_FOUND, "not found\n").into_response());
    }
    let store = s.store.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        store.account(record.account_id()).ok().and_then(|a| tresor_jmap::blob::download(&a, &blob_id))
    })
    .await;
    let Ok(Some(bytes)) = bytes else {
        return cors((StatusCode::NOT_FOUND, "not found\n").into_response());
    };
    // Only a plain media type: the client's `type` must not inject headers.
    let ctype = q
        .content_type
        .filter(|t| t.len() < 128 && t.chars().all(|c| c.is_ascii_alphanumeric() || "/+.-".contains(c)))
        .unwrap_or_else(|| "application/octet-stream".into());
    let safe_name: String = name.chars().filter(|c| !c.is_control() && *c != '"' && *c != '\\').collect();
    cors(
        (
            [
                (header::CONTENT_TYPE, ctype),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe_name}\"")),
                (header::CACHE_CONTROL, "private, immutable, max-age=31536000".into()),
            ],
            bytes,
        )
            .into_response(),
    )
}

/// Advertised as `maxSizeUpload`; larger bodies are refused while they arrive.
const MAX_UPLOAD: usize = 50_000_000;

/// `POST /jmap/upload/{accountId}`: the body is held in memory until it is
/// sealed into the account's keyspace (never a plaintext temp file).
async fn upload(
    State(s): State<AppState>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Response {
    let record = match auth::basic(&s, &conn, &headers).await {
        Ok(r) => r,
        Err(r) => return cors(r),
    };
    if !tresor_jmap::ids::is_account(&account_id, record.account_id()) {
        return cors((StatusCode::NOT_FOUND, "not found\n").into_response());
    }
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream").to_owned();
    let size = body.len();
    let store = s.store.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let account = store.account(record.account_id())?;
        account.check_quota(size as u64)?;
        account.put_upload(&body, tresor_types::time::now())
    })
    .await;
    match stored {
        Ok(Ok(blob)) => json(
            StatusCode::CREATED,
            &serde_json::json!({ "accountId": account_id, "blobId": tresor_jmap::ids::upload(blob), "type": ctype, "size": size }),
            "application/json",
        ),
        Ok(Err(tresor_store::Error::OverQuota(_))) => cors((StatusCode::PAYLOAD_TOO_LARGE, "over quota\n").into_response()),
        Ok(Err(tresor_store::Error::NotActive)) => cors((StatusCode::FORBIDDEN, "the account is read-only\n").into_response()),
        _ => cors((StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()),
    }
}

/// RFC 8887: JMAP over WebSocket (subprotocol `jmap`). Requests and responses
/// as JSON text frames; `WebSocketPushEnable` turns on StateChange pushes from
/// the account's change log, `WebSocketPushDisable` turns them off.
async fn websocket(
    State(s): State<AppState>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    let record = match auth::basic(&s, &conn, &headers).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let store = s.store.clone();
    let id = record.account_id();
    let account = match tokio::task::spawn_blocking(move || store.account(id)).await {
        Ok(Ok(a)) => a,
        _ => return (StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response(),
    };
    let policy = policy(&s);
    ws.protocols(["jmap"])
        .max_message_size(tresor_jmap::LIMITS.max_size_request)
        .on_upgrade(move |socket| ws_session(socket, account, record, policy))
}

async fn ws_session(
    mut socket: axum::extract::ws::WebSocket,
    account: std::sync::Arc<tresor_store::Account>,
    record: tresor_store::directory::AccountRecord,
    policy: tresor_jmap::Policy,
) {
    use axum::extract::ws::Message;
    let record = std::sync::Arc::new(record);
    let account_id = tresor_jmap::ids::account(account.id);
    let mut changes = account.subscribe();
    let mut push: Option<Vec<String>> = None;
    // Messages that arrived while a request ran (RFC 8887 lets a client send
    // the next one without waiting), at most the session's
    // maxConcurrentRequests of them.
    let mut queued: std::collections::VecDeque<Message> = std::collections::VecDeque::new();
    loop {
        let msg = match queued.pop_front() {
            Some(m) => m,
            None => tokio::select! {
                msg = socket.recv() => match msg {
                    Some(Ok(m)) => m,
                    _ => return,
                },
                changed = changes.changed(), if push.is_some() => {
                    if changed.is_err() {
                        return;
                    }
                    let state = changes.borrow_and_update().to_string();
                    let types = push.as_ref().expect("guarded");
                    let changed: serde_json::Map<String, serde_json::Value> =
                        types.iter().map(|t| (t.clone(), state.clone().into())).collect();
                    let event = serde_json::json!({ "@type": "StateChange", "changed": { account_id.clone(): changed } });
                    if socket.send(Message::Text(event.to_string().into())).await.is_err() {
                        return;
                    }
                    continue;
                }
            },
        };
        let text = match msg {
            Message::Text(t) => t.to_string(),
            Message::Close(_) => return,
            _ => continue,
        };
        let reply = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) if v["@type"] == "WebSocketPushEnable" => {
                let types: Vec<String> = match v["dataTypes"].as_array() {
                    Some(a) => a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect(),
                    None => vec!["Email".into(), "Mailbox".into()],
                };
                push = Some(types);
                changes.borrow_and_update();
                continue;
            }
            Ok(v) if v["@type"] == "WebSocketPushDisable" => {
                push = None;
                continue;
            }
            Ok(v) if v["@type"] == "Request" => {
                let id = v.get("id").cloned().unwrap_or(serde_json::Value::Null);
                let (acc, rec, body) = (account.clone(), record.clone(), text.into_bytes());
                // Dropped when this session ends (the client closed or went
                // away while the request ran): the request then stops
                // before its next method call.
                let abandoned = Abandoned::default();
                let flag = abandoned.0.clone();
                let mut task = tokio::task::spawn_blocking(move || tresor_jmap::process(&acc, &rec, &policy, &body, &flag));
                let result = loop {
                    tokio::select! {
                        r = &mut task => break r,
                        more = socket.recv(), if queued.len() < MAX_QUEUED => match more {
                            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                            Some(Ok(m)) => queued.push_back(m),
                        },
                    }
                };
                drop(abandoned);
                match result {
                    Ok(Ok(mut r)) => {
                        r["@type"] = "Response".into();
                        r["requestId"] = id;
                        r
                    }
                    Ok(Err(problem)) => {
                        let mut b = problem.body();
                        b["@type"] = "RequestError".into();
                        b["requestId"] = id;
                        b
                    }
                    Err(_) => return,
                }
            }
            Err(_) => {
                let mut b = tresor_jmap::Problem::NotJson.body();
                b["@type"] = "RequestError".into();
                b
            }
            _ => {
                let mut b = tresor_jmap::Problem::NotRequest("expected Request, WebSocketPushEnable or WebSocketPushDisable".into()).body();
                b["@type"] = "RequestError".into();
                b
            }
        };
        if socket.send(Message::Text(reply.to_string().into())).await.is_err() {
            return;
        }
    }
}

/// Messages a WebSocket client may send ahead while a request runs (the
/// session's `maxConcurrentRequests`); beyond, the socket is not read.
const MAX_QUEUED: usize = 4;
