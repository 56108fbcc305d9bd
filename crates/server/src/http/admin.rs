//! The admin API, for a billing system: create an account, look at it,
//! terminate it, and learn when purges happened. Bearer token from
//! `admin.token_file`; JSON in and out.
//!
//! ```text
//! POST /admin/accounts                    {"name", "password", "aliases"?, "quota"?}  -> 201
//! GET  /admin/accounts/{name}                                                         -> 200 | 404
//! POST /admin/accounts/{name}/terminate   {"export_window"?: "30d"}                   -> 200 | 404
//! GET  /admin/purges                                                                  -> 200 [{account_hash, key_id, messages, purged_at}]
//! ```

use super::{AppState, Conn, auth};
use axum::{
    Extension, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;
use tresor_store::{
    Error as StoreError,
    directory::{AccountRecord, AccountState, NewAccount, Quota},
    lifecycle::account_hash,
};
use tresor_types::{ByteSize, HumanDuration, time};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", post(create))
        .route("/accounts/{name}", get(show))
        .route("/accounts/{name}/terminate", post(terminate))
        .route("/purges", get(purges))
}

#[derive(Deserialize)]
struct CreateBody {
    name: String,
    password: String,
    #[serde(default)]
    aliases: Vec<String>,
    quota: Option<String>,
}

#[derive(Deserialize, Default)]
struct TerminateBody {
    export_window: Option<String>,
}

fn error(status: StatusCode, msg: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": msg.to_string() }))).into_response()
}

fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::NoAccount => error(StatusCode::NOT_FOUND, "no such account"),
        e @ (StoreError::AccountExists(_) | StoreError::AddressTaken(_)) => error(StatusCode::CONFLICT, e),
        e @ StoreError::Invalid { .. } => error(StatusCode::UNPROCESSABLE_ENTITY, e),
        e => {
            tracing::error!(error = %e, "admin API");
            error(StatusCode::INTERNAL_SERVER_ERROR, "storage error")
        }
    }
}

fn describe(r: &AccountRecord, messages: Option<(u64, u64)>) -> serde_json::Value {
    let (state, purge_at) = match r.state {
        AccountState::Active => ("active", None),
        AccountState::Terminating { purge_at } => ("terminating", Some(time::rfc3339(purge_at))),
    };
    let mut v = json!({
        "name": r.login,
        "aliases": r.aliases,
        "state": state,
        "purge_at": purge_at,
        "account_hash": account_hash(r.account_id()),
        "quota": r.quota.bytes,
    });
    if let Some((m, b)) = messages {
        v["messages"] = m.into();
        v["storage"] = b.into();
    }
    v
}

/// Runs store work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, Response> + Send + 'static) -> Result<T, Response> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|_| Err(error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")))
}

async fn create(State(s): State<AppState>, Extension(conn): Extension<Conn>, headers: HeaderMap, Json(body): Json<CreateBody>) -> Response {
    if let Err(r) = auth::admin(&s, &conn, &headers) {
        return r;
    }
    let quota = match body.quota.as_deref().map(str::parse::<ByteSize>) {
        Some(Ok(q)) => Some(Quota { bytes: (q.0 > 0).then_some(q.0), ..s.config.default_quota }),
        Some(Err(e)) => return error(StatusCode::UNPROCESSABLE_ENTITY, e),
        None => None,
    };
    let store = s.store.clone();
    let result = blocking(move || {
        let r = store
            .create_account(NewAccount { login: &body.name, password: &body.password, aliases: &body.aliases, quota, now: time::now() })
            .map_err(store_error)?;
        Ok(describe(&r, Some((0, 0))))
    })
    .await;
    match result {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(r) => r,
    }
}

async fn show(State(s): State<AppState>, Extension(conn): Extension<Conn>, headers: HeaderMap, Path(name): Path<String>) -> Response {
    if let Err(r) = auth::admin(&s, &conn, &headers) {
        return r;
    }
    let store = s.store.clone();
    blocking(move || {
        let r = store.account_by_login(&name).map_err(store_error)?;
        let c = store.account(r.account_id()).map_err(store_error)?.counters();
        Ok(Json(describe(&r, Some((c.messages, c.bytes)))).into_response())
    })
    .await
    .unwrap_or_else(|r| r)
}

async fn terminate(
    State(s): State<AppState>,
    Extension(conn): Extension<Conn>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Option<Json<TerminateBody>>,
) -> Response {
    if let Err(r) = auth::admin(&s, &conn, &headers) {
        return r;
    }
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let window = match body.export_window.as_deref().map(str::parse::<HumanDuration>) {
        Some(Ok(w)) => w,
        Some(Err(e)) => return error(StatusCode::UNPROCESSABLE_ENTITY, e),
        None => s.config.lifecycle.export_window,
    };
    let store = s.store.clone();
    blocking(move || {
        let now = time::now();
        let r = store.terminate(&name, now + window.as_secs() as i64, now).map_err(store_error)?;
        Ok(Json(describe(&r, None)).into_response())
    })
    .await
    .unwrap_or_else(|r| r)
}

async fn purges(State(s): State<AppState>, Extension(conn): Extension<Conn>, headers: HeaderMap) -> Response {
    if let Err(r) = auth::admin(&s, &conn, &headers) {
        return r;
    }
    let store = s.store.clone();
    blocking(move || {
        let events = tresor_store::audit::events(&store).map_err(store_error)?;
        let list: Vec<_> = events
            .into_iter()
            .filter_map(|(at, e)| match e {
                tresor_store::audit::Event::AccountPurged { account_hash, key_id, messages } => {
                    Some(json!({ "account_hash": account_hash, "key_id": key_id, "messages": messages, "purged_at": time::rfc3339(at) }))
                }
                _ => None,
            })
            .collect();
        Ok(Json(list).into_response())
    })
    .await
    .unwrap_or_else(|r| r)
}
