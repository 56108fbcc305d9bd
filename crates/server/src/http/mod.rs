//! The HTTP listeners (`[http] listen` plain, `listen_tls` with rustls), HTTP/1.1
//! and HTTP/2, and the routes the server owns: the admin API for a billing
//! system ([`admin`]) and the account's own pages ([`account`]). JMAP and
//! CalDAV/CardDAV will mount here.
//!
//! Credentials are refused on a plaintext connection from anywhere but
//! loopback, as for IMAP: [`Conn`] tells each handler how the request arrived.

// Handlers answer with a Response on either side of a Result (axum's idiom);
// boxing the error side would buy nothing.
#![allow(clippy::result_large_err)]

mod account;
mod admin;
mod auth;
mod jmap;

use crate::config::Config;
use axum::{Extension, Router};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::watch};
use tokio_rustls::TlsAcceptor;
use tresor_store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub config: Arc<Config>,
    pub logins: Arc<crate::limits::LoginLimiter>,
}

/// How a request arrived.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub peer: SocketAddr,
    pub tls: bool,
}

impl Conn {
    /// Credentials may travel here: over TLS, or on loopback.
    pub fn may_carry_credentials(&self) -> bool {
        self.tls || self.peer.ip().is_loopback()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new().nest("/admin", admin::routes()).nest("/account", account::routes()).merge(jmap::routes()).with_state(state)
}

/// Concurrent HTTP connections per listener (browsers open several each).
const MAX_CONNECTIONS: usize = 4096;

/// Serves `app` on `listener` until shutdown; TLS when `acceptor` is given.
pub async fn serve(listener: TcpListener, acceptor: Option<TlsAcceptor>, app: Router, shutdown: watch::Receiver<bool>, sessions: Arc<()>) {
    let mut accepted = crate::net::Acceptor::new(listener, MAX_CONNECTIONS, shutdown.clone(), "http");
    while let Some(crate::net::Accepted { stream, peer, slot }) = accepted.next().await {
        let (app, acceptor, session, mut stop) = (app.clone(), acceptor.clone(), sessions.clone(), shutdown.clone());
        tokio::spawn(async move {
            let conn = Conn { peer, tls: acceptor.is_some() };
            let service = TowerToHyperService::new(app.layer(Extension(conn)));
            let builder = auto::Builder::new(TokioExecutor::new());
            let result = match acceptor {
                Some(acceptor) => {
                    // A client that never finishes its handshake must not hold a task forever.
                    let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        _ => return,
                    };
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        r = conn.as_mut() => r,
                        _ = crate::net::stopped(&mut stop) => { conn.as_mut().graceful_shutdown(); conn.await }
                    }
                }
                None => {
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        r = conn.as_mut() => r,
                        _ = crate::net::stopped(&mut stop) => { conn.as_mut().graceful_shutdown(); conn.await }
                    }
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "http connection ended with an error");
            }
            drop((slot, session));
        });
    }
}
