//! The server side of the admin socket.

use super::{Reply, Request};
use crate::{cli::Cli, commands, config::Config};
use anyhow::{Context, Result};
use clap::Parser;
use std::{os::unix::fs::PermissionsExt, path::Path, sync::Arc};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{UnixListener, UnixStream},
};
use tresor_store::Store;

/// Binds the socket: a stale socket file from a crashed server is replaced, a
/// live one (another server) is an error.
pub fn bind(path: &Path) -> Result<UnixListener> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            anyhow::bail!("admin socket {} is in use by another server", path.display());
        }
        std::fs::remove_file(path).with_context(|| format!("removing stale admin socket {}", path.display()))?;
    }
    // Created with a restrictive umask-independent mode right after bind.
    let listener = UnixListener::bind(path).with_context(|| format!("admin socket {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

pub async fn serve(listener: UnixListener, store: Arc<Store>, config: Arc<Config>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (store, config) = (store.clone(), config.clone());
        tokio::spawn(async move {
            if let Err(e) = handle(stream, store, config).await {
                tracing::warn!(error = %e, "admin connection failed");
            }
        });
    }
}

async fn handle(stream: UnixStream, store: Arc<Store>, config: Arc<Config>) -> Result<()> {
    let (r, mut w) = stream.into_split();
    let mut line = String::new();
    // Bounded: a request is a command line and a password.
    BufReader::new(r.take(1 << 20)).read_line(&mut line).await?;
    let reply = match serde_json::from_str::<Request>(&line) {
        Ok(req) => tokio::task::spawn_blocking(move || run(&store, &config, req)).await?,
        Err(e) => Reply { code: 2, stdout: String::new(), stderr: format!("bad admin request: {e}") },
    };
    let mut out = serde_json::to_vec(&reply)?;
    out.push(b'\n');
    w.write_all(&out).await?;
    Ok(())
}

fn run(store: &Store, config: &Config, req: Request) -> Reply {
    let cli = match Cli::try_parse_from(std::iter::once("tresor".to_string()).chain(req.args)) {
        Ok(c) => c,
        Err(e) => {
            return Reply { code: 2, stdout: String::new(), stderr: e.to_string() };
        }
    };
    if !cli.command.uses_store() {
        return Reply { code: 2, stdout: String::new(), stderr: "only account and retention commands go through the admin socket".into() };
    }
    match commands::execute(store, config, &cli.command, &req.stdin, &mut |_, _| {}) {
        Ok(stdout) => Reply { code: 0, stdout, stderr: String::new() },
        Err(e) => {
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            Reply { code: 1, stdout: String::new(), stderr: msg.join(": ") }
        }
    }
}
