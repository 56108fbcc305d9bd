//! Request authentication: the admin bearer token, and an account's HTTP Basic
//! credentials (the same password as IMAP). Failures never say which part was
//! wrong, and are logged without the credentials.

use super::{AppState, Conn};
use crate::limits::Verdict;
use axum::{
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use std::time::Instant;
use tresor_store::directory::AccountRecord;

/// The limiter's name for the admin token (not a valid login, so no clash).
const ADMIN: &str = "\0admin-api";

pub fn unauthorized(realm: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, format!("Basic realm=\"{realm}\", charset=\"UTF-8\""))],
        "authentication required\n",
    )
        .into_response()
}

pub fn tls_required() -> Response {
    (StatusCode::FORBIDDEN, "credentials are accepted over TLS only\n").into_response()
}

/// Checks `Authorization: Bearer <token>` against the configured admin token,
/// in constant time.
pub fn admin(state: &AppState, conn: &Conn, headers: &HeaderMap) -> Result<(), Response> {
    let Some(expected) = &state.config.admin_token else {
        return Err((StatusCode::NOT_FOUND, "the admin API is disabled (admin.token_file)\n").into_response());
    };
    if !conn.may_carry_credentials() {
        return Err(tls_required());
    }
    // The token is a password too: guessing it is limited like any login.
    if state.logins.check(ADMIN, conn.peer.ip(), Instant::now()) == Verdict::Blocked {
        return Err((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "900")], "too many failed attempts\n").into_response());
    }
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    if constant_time_eq(given.as_bytes(), expected.expose().as_bytes()) {
        Ok(())
    } else {
        state.logins.failed(ADMIN, conn.peer.ip(), Instant::now());
        tracing::warn!(peer = %conn.peer.ip(), "admin API: bad bearer token");
        Err((StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "bad token\n").into_response())
    }
}

/// The account behind `Authorization: Basic`, verified off the async threads
/// (argon2id takes tens of milliseconds).
pub async fn basic(state: &AppState, conn: &Conn, headers: &HeaderMap) -> Result<AccountRecord, Response> {
    if !conn.may_carry_credentials() {
        return Err(tls_required());
    }
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    if let Some(token) = authorization.strip_prefix("Bearer ") {
        return bearer(state, conn, token.trim().to_owned()).await;
    }
    let Some((login, password)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(l, p)| (l.to_owned(), zeroize::Zeroizing::new(p.to_owned()))))
    else {
        return Err(unauthorized("Tresor"));
    };
    let ip = conn.peer.ip();
    match state.logins.check(&login, ip, Instant::now()) {
        Verdict::Allow => {}
        Verdict::Delay(d) => tokio::time::sleep(d).await,
        Verdict::Blocked => {
            tracing::warn!(peer = %ip, "http: login refused, too many failures");
            return Err((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "900")], "too many failed logins; try again later\n")
                .into_response());
        }
    }
    let store = state.store.clone();
    let who = login.clone();
    let found = tokio::task::spawn_blocking(move || store.authenticate(&who, &password)).await;
    match found {
        Ok(Ok(Some(record))) => {
            state.logins.succeeded(&login);
            Ok(record)
        }
        Ok(Ok(None)) => {
            state.logins.failed(&login, ip, Instant::now());
            tracing::warn!(peer = %ip, "http: failed login");
            Err(unauthorized("Tresor"))
        }
        _ => Err((StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An API token (`tresor token create`): limited like a password by client IP.
async fn bearer(state: &AppState, conn: &Conn, token: String) -> Result<AccountRecord, Response> {
    const TOKEN: &str = "\0api-token";
    let ip = conn.peer.ip();
    if state.logins.check(TOKEN, ip, Instant::now()) == Verdict::Blocked {
        return Err((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "900")], "too many failed attempts\n").into_response());
    }
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.authenticate_token(&token)).await {
        Ok(Ok(Some(record))) => Ok(record),
        Ok(Ok(None)) => {
            state.logins.failed(TOKEN, ip, Instant::now());
            tracing::warn!(peer = %ip, "http: bad bearer token");
            Err(unauthorized("Tresor"))
        }
        _ => Err((StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()),
    }
}

/// The event-source token of an account: `<account>.<expiry>.<mac>`, an
/// HMAC-SHA256 under a key derived from the master key (so it survives a
/// restart and is worthless to another server). It expires at the end of the
/// day after it was made; the session state changes daily, so clients fetch
/// a new one in time.
pub fn event_token(state: &AppState, account: tresor_store::AccountId, now: i64) -> String {
    let expires = (now.div_euclid(86_400) + 2) * 86_400;
    let body = format!("{:x}.{expires}", account.0);
    format!("{body}.{}", event_mac(state, &body))
}

fn event_mac(state: &AppState, body: &str) -> String {
    use hmac::Mac;
    let key = state.store.master_key().derive_secret(b"jmap-eventsource-token");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_slice()).expect("any key length");
    mac.update(body.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
}

/// The account an event token opens, if it is genuine, unexpired and the
/// account still exists; limited like a failed password otherwise.
pub async fn event_record(state: &AppState, conn: &Conn, token: &str) -> Result<AccountRecord, Response> {
    const KIND: &str = "\0event-token";
    if !conn.may_carry_credentials() {
        return Err(tls_required());
    }
    let ip = conn.peer.ip();
    if state.logins.check(KIND, ip, Instant::now()) == Verdict::Blocked {
        return Err((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "900")], "too many failed attempts\n").into_response());
    }
    let parsed = token.rsplit_once('.').and_then(|(body, mac)| {
        let (account, expires) = body.split_once('.')?;
        let genuine = constant_time_eq(event_mac(state, body).as_bytes(), mac.as_bytes());
        let fresh = expires.parse::<i64>().ok()? > tresor_types::time::now();
        (genuine && fresh).then(|| u64::from_str_radix(account, 16).ok()).flatten()
    });
    let Some(account) = parsed else {
        state.logins.failed(KIND, ip, Instant::now());
        return Err(unauthorized("Tresor"));
    };
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.record(tresor_store::AccountId(account))).await {
        Ok(Ok(Some(record))) => Ok(record),
        Ok(Ok(None)) => Err(unauthorized("Tresor")),
        _ => Err((StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()),
    }
}
