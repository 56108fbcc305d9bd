//! The CLI side: forward to a running server, or open the store directly.

use super::{Reply, Request};
use crate::{
    cli::{AccountCmd, Cli, Command},
    commands,
    config::Config,
};
use anyhow::{Context, Result, bail};
use std::{
    io::{BufRead, BufReader, IsTerminal, Read, Write},
    os::unix::net::UnixStream,
    process::ExitCode,
};

pub fn run(cli: &Cli) -> Result<ExitCode> {
    let cmd = &cli.command;
    let config = Config::load(&Config::locate(cli.config.as_deref()))?;
    let stdin = if needs_stdin(cmd) { read_stdin()? } else { String::new() };
    match UnixStream::connect(&config.admin_socket) {
        Ok(stream) => forward(stream, &stdin),
        Err(_) => {
            let store = crate::open::store(&config)?;
            let tty = std::io::stderr().is_terminal();
            let mut progress = |done: u64, total: u64| {
                if tty && (done.is_multiple_of(100) || done == total) {
                    eprint!("\rexporting: {done}/{total} messages");
                    if done == total {
                        eprintln!();
                    }
                }
            };
            print!("{}", commands::execute(&store, &config, cmd, &stdin, &mut progress)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn needs_stdin(cmd: &Command) -> bool {
    matches!(cmd, Command::Account(AccountCmd::Create { .. } | AccountCmd::Passwd { .. }))
        || matches!(cmd, Command::Account(AccountCmd::Export(a)) if a.passphrase_stdin)
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin().take(64 * 1024).read_to_string(&mut s).context("reading standard input")?;
    Ok(s)
}

fn forward(mut stream: UnixStream, stdin: &str) -> Result<ExitCode> {
    let req = Request { args: server_args()?, stdin: stdin.to_owned() };
    let mut line = serde_json::to_vec(&req)?;
    line.push(b'\n');
    stream.write_all(&line).context("admin socket")?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).context("admin socket")?;
    if reply.is_empty() {
        bail!("the server closed the admin socket without answering");
    }
    let reply: Reply = serde_json::from_str(&reply).context("admin socket reply")?;
    print!("{}", reply.stdout);
    if reply.code != 0 {
        bail!("{}", reply.stderr.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

/// Our own arguments for the server, with `--config` dropped (the server has its
/// own) and `--out` made absolute (the server's working directory is not ours).
fn server_args() -> Result<Vec<String>> {
    let cwd = std::env::current_dir()?;
    let mut out = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--config" {
            args.next();
        } else if a.starts_with("--config=") {
        } else if a == "--out" {
            out.push(a);
            if let Some(p) = args.next() {
                out.push(cwd.join(p).display().to_string());
            }
        } else if let Some(p) = a.strip_prefix("--out=") {
            out.push(format!("--out={}", cwd.join(p).display()));
        } else {
            out.push(a);
        }
    }
    Ok(out)
}
