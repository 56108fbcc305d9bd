//! `tresor serve`: opens the store, binds every listener in the config and the
//! admin socket, prints one `ready` line per listener, and runs until SIGINT or
//! SIGTERM, then stops accepting and lets sessions finish.
//!
//! `--dev` needs no config: it writes a throw-away set-up (data dir, master key,
//! self-signed certificate for localhost, one demo account) under the temp dir
//! and listens on loopback only.

use crate::{
    config::Config,
    init::{Listen, write_setup},
    lmtp_backend::StoreBackend,
};
use anyhow::{Context, Result};
use std::{io::Write, path::Path, process::ExitCode, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::watch};
use tresor_store::{Store, directory::NewAccount};

const DEV_LOGIN: &str = "demo@localhost";
const DEV_PASSWORD: &str = "demo";

pub fn run(config_flag: Option<&Path>, dev: bool) -> Result<ExitCode> {
    return_large_allocations();
    let config = if dev { dev_setup()? } else { Config::load(&Config::locate(config_flag))? };
    init_logging(&config.log_level);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("tresor").build()?;
    runtime.block_on(serve(config, dev))?;
    Ok(ExitCode::SUCCESS)
}

/// argon2id allocates 19 MiB per password check, on whichever blocking-pool
/// thread runs it. glibc's adaptive mmap threshold would soon serve such blocks
/// from per-thread arenas and keep them after `free`, so a burst of logins left
/// ~100 MiB resident for good (BENCHMARKS.md, IMAP memory). A fixed threshold
/// keeps every block of 1 MiB or more in its own mapping, returned on free.
fn return_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn dev_setup() -> Result<Config> {
    let dir = std::env::temp_dir().join(format!("tresor-dev-{}", std::process::id()));
    let listen = Listen {
        imap: "127.0.0.1:1143".into(),
        imap_tls: "127.0.0.1:1993".into(),
        lmtp: "127.0.0.1:2424".into(),
        http: "127.0.0.1:8080".into(),
        http_tls: "127.0.0.1:8443".into(),
    };
    write_setup(&dir, &listen)?;
    let config = Config::load(&dir.join("config.toml"))?;
    let store = crate::open::store(&config)?;
    store.create_account(NewAccount {
        login: DEV_LOGIN,
        password: DEV_PASSWORD,
        aliases: &[],
        quota: None,
        now: tresor_types::time::now(),
    })?;
    Ok(config)
}

async fn serve(config: Config, dev: bool) -> Result<()> {
    // Handlers first: a SIGTERM right after the ready lines must shut down
    // cleanly, not kill the process with the default action.
    let signals = Signals::install()?;
    let config = Arc::new(config);
    // Fail early on a bad certificate: the IMAP and HTTP listeners need it.
    let tls = crate::tls::server_config(&config.tls.cert, &config.tls.key)?;
    let store = {
        let c = config.clone();
        Arc::new(tokio::task::spawn_blocking(move || crate::open::store(&c)).await??)
    };
    let admin = crate::admin::server::bind(&config.admin_socket)?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    // Every session holds a clone; shutdown waits until they are all gone.
    let sessions = Arc::new(());

    // Outgoing mail, if a smarthost is configured.
    let smarthost = crate::outbound::Smarthost::new(&config.submission, &config.lmtp.protocol.hostname)?.map(Arc::new);
    let (auto_replies, auto_reply_rx) = tokio::sync::mpsc::channel(256);
    let auto_replies = smarthost.as_ref().map(|_| auto_replies);
    if let Some(smarthost) = &smarthost {
        tokio::spawn(crate::outbound::run(store.clone(), smarthost.clone(), auto_reply_rx, shutdown_rx.clone()));
    }

    let mut ready = Vec::new();
    for addr in &config.lmtp.listen {
        let listener = TcpListener::bind(addr).await.with_context(|| format!("lmtp.listen {addr}"))?;
        let local = listener.local_addr()?;
        if !local.ip().is_loopback() {
            tracing::warn!(%local, "LMTP has no authentication: listening off loopback trusts the whole network");
        }
        ready.push(format!("lmtp {local}"));
        let backend = Arc::new(StoreBackend {
            store: store.clone(),
            auto_replies: auto_replies.clone(),
            vacation_period: config.submission.vacation_period,
        });
        tokio::spawn(accept_lmtp(listener, backend, config.clone(), shutdown_rx.clone(), sessions.clone()));
    }
    // One brute-force limiter for every login path (IMAP, HTTP Basic, tokens).
    let logins = Arc::new(crate::limits::LoginLimiter::default());
    let imap_backend = Arc::new(crate::imap::ImapBackend {
        store: store.clone(),
        config: config.clone(),
        logins: logins.clone(),
        sessions: Default::default(),
    });
    let imap_tls = tokio_rustls::TlsAcceptor::from(tls.clone());
    let imap_plain = config.imap.plain.iter().map(|a| (a, false, "imap"));
    let imap_secure = config.imap.tls.iter().map(|a| (a, true, "imaps"));
    for (addr, implicit, scheme) in imap_plain.chain(imap_secure) {
        let listener = TcpListener::bind(addr).await.with_context(|| format!("imap listener {addr}"))?;
        ready.push(format!("{scheme} {}", listener.local_addr()?));
        tokio::spawn(crate::imap::serve(listener, imap_backend.clone(), imap_tls.clone(), implicit, shutdown_rx.clone(), sessions.clone()));
    }
    let app = crate::http::router(crate::http::AppState { store: store.clone(), config: config.clone(), logins });
    let mut http_tls = (*tls).clone();
    http_tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(http_tls));
    let plain = config.http.plain.iter().map(|a| (a, None, "http"));
    let secure = config.http.tls.iter().map(|a| (a, Some(acceptor.clone()), "https"));
    for (addr, acceptor, scheme) in plain.chain(secure) {
        let listener = TcpListener::bind(addr).await.with_context(|| format!("http listener {addr}"))?;
        ready.push(format!("{scheme} {}", listener.local_addr()?));
        tokio::spawn(crate::http::serve(listener, acceptor, app.clone(), shutdown_rx.clone(), sessions.clone()));
    }
    tokio::spawn(lifecycle_loop(store.clone(), config.clone()));
    tokio::spawn(crate::admin::server::serve(admin, store.clone(), config.clone()));

    {
        let mut out = std::io::stdout().lock();
        for r in &ready {
            writeln!(out, "ready: {r}")?;
        }
        writeln!(out, "ready: admin {}", config.admin_socket.display())?;
        if dev {
            print_dev_help(&mut out, &config)?;
        }
        out.flush()?;
    }

    signals.wait().await;
    tracing::info!("shutting down");
    let _ = shutdown_tx.send(true);
    // Sessions finish their transaction and say 421; give them a moment.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while Arc::strong_count(&sessions) > 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = std::fs::remove_file(&config.admin_socket);
    Ok(())
}

async fn accept_lmtp(
    listener: TcpListener,
    backend: Arc<StoreBackend>,
    config: Arc<Config>,
    shutdown: watch::Receiver<bool>,
    sessions: Arc<()>,
) {
    let protocol = Arc::new(config.lmtp.protocol.clone());
    // An MTA opens a handful of connections; more is a misbehaving peer.
    let mut acceptor = crate::net::Acceptor::new(listener, 256, shutdown.clone(), "lmtp");
    while let Some(conn) = acceptor.next().await {
        let (backend, protocol, session, mut stop) = (backend.clone(), protocol.clone(), sessions.clone(), shutdown.clone());
        tokio::spawn(async move {
            let stopped = async move { crate::net::stopped(&mut stop).await };
            if let Err(e) = tresor_lmtp::serve(conn.stream, backend, protocol, stopped).await {
                tracing::debug!(error = %e, "lmtp session ended with an error");
            }
            drop((conn.slot, session));
        });
    }
}

/// Runs due purges (finishing interrupted ones first) now and every
/// `lifecycle.check_interval` — a purge due while the server was down runs at
/// start — and retention sweeps every `lifecycle.sweep_interval`.
async fn lifecycle_loop(store: Arc<Store>, config: Arc<Config>) {
    let mut purges = tokio::time::interval(config.lifecycle.check_interval);
    let mut sweeps = tokio::time::interval(config.lifecycle.sweep_interval);
    purges.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let job: fn(&Store, &Config) -> Result<()> = tokio::select! {
            _ = purges.tick() => run_due_purges,
            _ = sweeps.tick() => run_sweeps,
        };
        let (s, c) = (store.clone(), config.clone());
        match tokio::task::spawn_blocking(move || job(&s, &c)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "scheduled lifecycle work failed"),
            Err(e) => tracing::error!(error = %e, "scheduled lifecycle work panicked"),
        }
    }
}

fn run_due_purges(store: &Store, config: &Config) -> Result<()> {
    // Keys of accounts nobody used for a while leave memory (and their shard
    // may close); they are unwrapped again on the next use.
    let evicted = store.evict_idle(Duration::from_secs(600));
    if evicted > 0 {
        tracing::debug!(evicted, "idle account keys dropped");
    }
    let now = tresor_types::time::now();
    let mut reports = store.resume_purges(now)?;
    for id in store.due_purges(now)? {
        reports.push(store.purge(id, now)?);
    }
    for r in reports {
        let path = crate::receipts::save(store, config, &r)?;
        tracing::info!(receipt = %path.display(), "account purged");
    }
    Ok(())
}

fn run_sweeps(store: &Store, config: &Config) -> Result<()> {
    let now = tresor_types::time::now();
    tresor_store::audit::prune(store, now - i64::from(config.lifecycle.audit_days) * 86_400)?;
    let mut total = 0;
    for record in store.list_accounts()? {
        match store.account(record.account_id()).and_then(|a| a.sweep(now)) {
            Ok(r) => total += r.expunged,
            // One account's failure must not stop retention for the others.
            Err(e) => tracing::error!(account = %record.account_id(), error = %e, "retention sweep failed"),
        }
    }
    if total > 0 {
        tracing::info!(expunged = total, "retention sweep");
    }
    Ok(())
}

struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals { term: signal(SignalKind::terminate())?, int: signal(SignalKind::interrupt())? })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

fn print_dev_help(out: &mut impl Write, config: &Config) -> Result<()> {
    let lmtp = config.lmtp.listen.first().map(|a| a.to_string()).unwrap_or_default();
    writeln!(out)?;
    writeln!(out, "Tresor dev server (loopback only, throw-away data in {})", config.storage.path.display())?;
    writeln!(out, "  demo account: {DEV_LOGIN} / password {DEV_PASSWORD}")?;
    writeln!(out, "  deliver mail: swaks --server {lmtp} --protocol LMTP --to {DEV_LOGIN}")?;
    writeln!(out, "  inspect:      tresor --config {} account show {DEV_LOGIN}", config.file.display())?;
    writeln!(
        out,
        "  export:       curl -u {DEV_LOGIN}:{DEV_PASSWORD} http://{}/account/export -o export.tar",
        config.http.plain.first().map(|a| a.to_string()).unwrap_or_default()
    )?;
    let imap = config.imap.plain.first().map(|a| a.to_string()).unwrap_or_default();
    writeln!(out, "  read it:      any IMAP client on {imap} (plaintext allowed on loopback), e.g.")?;
    writeln!(out, "                neomutt -f imap://demo%40localhost:{DEV_PASSWORD}@{imap}/INBOX")?;
    writeln!(
        out,
        "  JMAP:         curl -u {DEV_LOGIN}:{DEV_PASSWORD} http://{}/.well-known/jmap",
        config.http.plain.first().map(|a| a.to_string()).unwrap_or_default()
    )?;
    Ok(())
}
