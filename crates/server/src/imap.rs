//! The IMAP listeners: `[imap] listen` (plaintext with STARTTLS) and
//! `listen_tls` (implicit TLS), and the session's view of the server (logins
//! through the shared brute-force limiter, APPENDLIMIT, retention bounds).

use crate::{
    config::Config,
    limits::{LoginLimiter, Verdict},
};
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::{net::TcpListener, sync::watch};
use tokio_rustls::TlsAcceptor;
use tresor_imap::session::{Backend, Conn, Login, Session};
use tresor_store::Store;

/// Connections at most per listener, and per client address.
const MAX_CONNECTIONS: usize = 10_000;
const MAX_PER_IP: usize = 100;
/// Sessions at most per account (every device of one user, several folders each).
const MAX_PER_ACCOUNT: usize = 100;

pub struct ImapBackend {
    pub store: Arc<Store>,
    pub config: Arc<Config>,
    pub logins: Arc<LoginLimiter>,
    pub sessions: Arc<PerAccount>,
}

/// Counts sessions per account.
#[derive(Default)]
pub struct PerAccount(Mutex<HashMap<tresor_store::AccountId, usize>>);

struct AccountSlot(Arc<PerAccount>, tresor_store::AccountId);

impl Drop for AccountSlot {
    fn drop(&mut self) {
        let mut map = self.0.0.lock().unwrap();
        if let Some(n) = map.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.1);
            }
        }
    }
}

impl Backend for ImapBackend {
    fn login(&self, user: &str, password: &str, peer: IpAddr) -> Login {
        match self.logins.check(user, peer, Instant::now()) {
            Verdict::Allow => {}
            Verdict::Delay(d) => std::thread::sleep(d),
            Verdict::Blocked => {
                tracing::warn!(peer = %peer, "imap: login refused, too many failures");
                return Login::Blocked;
            }
        }
        match self.store.authenticate(user, password) {
            Ok(Some(record)) => match self.store.account(record.account_id()) {
                Ok(account) => {
                    self.logins.succeeded(user);
                    tracing::info!(account = %record.account_id(), peer = %peer, "imap: login");
                    Login::Ok(account)
                }
                Err(e) => {
                    tracing::error!(error = %e, "imap: account could not be opened");
                    Login::Unavailable
                }
            },
            Ok(None) => {
                self.logins.failed(user, peer, Instant::now());
                tracing::warn!(peer = %peer, "imap: failed login");
                Login::Failed
            }
            Err(e) => {
                tracing::error!(error = %e, "imap: authentication failed to run");
                Login::Unavailable
            }
        }
    }

    fn append_limit(&self) -> u64 {
        // One size limit for every way in: LMTP's is the message size limit.
        self.config.lmtp.protocol.max_message_size
    }

    fn session_slot(&self, account: &tresor_store::Account) -> Option<Box<dyn Send + Sync>> {
        let mut map = self.sessions.0.lock().unwrap();
        let n = map.entry(account.id).or_default();
        if *n >= MAX_PER_ACCOUNT {
            tracing::warn!(account = %account.id, "imap: connection limit for the account reached");
            return None;
        }
        *n += 1;
        Some(Box::new(AccountSlot(self.sessions.clone(), account.id)))
    }

    fn retention_allowed(&self, days: u32) -> bool {
        self.config.lifecycle.check_retention(days).is_ok()
    }
}

/// Counts connections per client address.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

impl PerIp {
    /// Loopback is exempt: it is a local proxy, webmail or a benchmark, not
    /// one remote client.
    fn enter(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        if ip.is_loopback() {
            return Some(IpSlot(self.clone(), None));
        }
        let mut map = self.0.lock().unwrap();
        let n = map.entry(ip).or_default();
        if *n >= MAX_PER_IP {
            return None;
        }
        *n += 1;
        Some(IpSlot(self.clone(), Some(ip)))
    }
}

struct IpSlot(Arc<PerIp>, Option<IpAddr>);

impl Drop for IpSlot {
    fn drop(&mut self) {
        let Some(ip) = self.1 else { return };
        let mut map = self.0.0.lock().unwrap();
        if let Some(n) = map.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&ip);
            }
        }
    }
}

/// Serves one IMAP listener until shutdown. `implicit` wraps every
/// connection in TLS at once (port 993); otherwise STARTTLS is offered.
pub async fn serve(
    listener: TcpListener,
    backend: Arc<ImapBackend>,
    tls: TlsAcceptor,
    implicit: bool,
    shutdown: watch::Receiver<bool>,
    sessions: Arc<()>,
) {
    let local = listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let per_ip = Arc::new(PerIp::default());
    let mut accepted = crate::net::Acceptor::new(listener, MAX_CONNECTIONS, shutdown.clone(), "imap");
    while let Some(crate::net::Accepted { stream, peer, slot }) = accepted.next().await {
        let Some(ip_slot) = per_ip.enter(peer.ip()) else {
            tracing::warn!(peer = %peer.ip(), "imap: too many connections from one address");
            drop(stream);
            continue;
        };
        let (backend, tls, stop, session_guard) = (backend.clone(), tls.clone(), shutdown.clone(), sessions.clone());
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let conn = Conn { peer, local, tls: implicit };
            let boxed: Box<dyn tresor_imap::driver::Stream> = if implicit {
                match tokio::time::timeout(Duration::from_secs(10), tls.accept(stream)).await {
                    Ok(Ok(s)) => Box::new(s),
                    _ => return,
                }
            } else {
                Box::new(stream)
            };
            let mut config = tresor_imap::driver::Config::default();
            config.limits.max_literal = backend.append_limit();
            let session = Session::new(backend, conn);
            let starttls = (!implicit).then_some(tls);
            if let Err(e) = tresor_imap::driver::serve(boxed, session, starttls, config, stop).await {
                tracing::debug!(error = %e, "imap session ended with an error");
            }
            drop((slot, ip_slot, session_guard));
        });
    }
}
