//! The account commands, run against an open store. The CLI calls them directly
//! when no server runs; the server calls them for requests on its admin socket.
//! Output is the text to print; errors are one line.

use crate::{
    cli::{AccountCmd, Command, RetentionCmd, TokenCmd},
    config::Config,
};
use anyhow::{Context, Result, bail};
use std::fmt::Write;
use tresor_lifecycle::export::Protection;
use tresor_store::{
    Store,
    directory::{AccountState, NewAccount, Quota},
};
use tresor_types::{ByteSize, time};

/// How an export reports progress (a terminal bar, or nothing over the socket).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

pub fn execute(store: &Store, config: &Config, cmd: &Command, stdin: &str, progress: Progress<'_>) -> Result<String> {
    match cmd {
        Command::Account(a) => account(store, config, a, stdin, progress),
        Command::Retention(r) => retention(store, config, r),
        Command::Token(t) => token(store, t),
        _ => bail!("not a store command"),
    }
}

fn retention(store: &Store, config: &Config, cmd: &RetentionCmd) -> Result<String> {
    let mut out = String::new();
    let account_of = |name: &str| -> Result<std::sync::Arc<tresor_store::Account>> {
        let r = store.account_by_login(name).with_context(|| format!("account {name}"))?;
        Ok(store.account(r.account_id())?)
    };
    match cmd {
        RetentionCmd::Set { name, mailbox, days } => {
            config.lifecycle.check_retention(*days)?;
            let account = account_of(name)?;
            let value = if *days == 0 { None } else { Some(*days) };
            match mailbox {
                None => account.set_account_retention(value)?,
                Some(m) => {
                    let mb = account.mailbox_by_name(m)?.with_context(|| format!("no mailbox {m:?}"))?;
                    // On a mailbox, 0 is an explicit "forever" that overrides the account.
                    let patch = tresor_store::mail::MailboxPatch { retention_days: Some(Some(*days)), ..Default::default() };
                    account.update_mailbox(mb.id, patch)?;
                }
            }
            out.push_str(&show_retention(&account)?);
        }
        RetentionCmd::Show { name } => out.push_str(&show_retention(&*account_of(name)?)?),
        RetentionCmd::Sweep { name } => {
            let now = time::now();
            let logins: Vec<String> = match name {
                Some(n) => vec![n.clone()],
                None => store.list_accounts()?.into_iter().map(|r| r.login).collect(),
            };
            for login in logins {
                let report = account_of(&login)?.sweep(now)?;
                writeln!(out, "{login}: {} messages expunged", report.expunged)?;
                for (mailbox, n) in report.mailboxes {
                    writeln!(out, "  {mailbox}: {n}")?;
                }
            }
        }
    }
    Ok(out)
}

fn token(store: &Store, cmd: &TokenCmd) -> Result<String> {
    let mut out = String::new();
    match cmd {
        TokenCmd::Create { name, label } => {
            let (token, info) = store.create_token(name, label, time::now()).with_context(|| format!("account {name}"))?;
            writeln!(out, "{token}")?;
            token_id_line(&mut out, &info.id);
        }
        TokenCmd::List { name } => {
            for t in store.list_tokens(name).with_context(|| format!("account {name}"))? {
                writeln!(out, "{}\t{}\t{}", t.id, time::rfc3339(t.created_at), t.label)?;
            }
        }
        TokenCmd::Revoke { name, id } => {
            store.revoke_token(name, id).with_context(|| format!("account {name}"))?;
            writeln!(out, "revoked {id}")?;
        }
    }
    Ok(out)
}

/// The id to revoke the token with later, after the token itself.
fn token_id_line(out: &mut String, id: &str) {
    let _ = writeln!(out, "id: {id} (shown once; store the token now)");
}

fn show_retention(account: &tresor_store::Account) -> Result<String> {
    let settings = account.settings()?;
    let days = |d: Option<u32>| d.map_or("forever".to_string(), |d| format!("{d} days"));
    let mut out = format!("account: {}\n", days(settings.retention_days));
    for m in account.mailboxes()? {
        let own = match m.retention_days {
            None => "inherits".to_string(),
            Some(0) => "forever".to_string(),
            Some(d) => format!("{d} days"),
        };
        writeln!(out, "{}: {own} (keeps {})", m.name, days(account.effective_retention(&m, &settings)))?;
    }
    Ok(out)
}

fn account(store: &Store, config: &Config, cmd: &AccountCmd, stdin: &str, progress: Progress<'_>) -> Result<String> {
    let now = time::now();
    let mut out = String::new();
    match cmd {
        AccountCmd::Create { name, quota, aliases, .. } => {
            let password = first_line(stdin)?;
            let quota = match quota {
                Some(q) => {
                    let b = q.parse::<ByteSize>().context("--quota")?.0;
                    Some(Quota { bytes: (b > 0).then_some(b), ..config.default_quota })
                }
                None => None,
            };
            let r = store.create_account(NewAccount { login: name, password, aliases, quota, now })?;
            writeln!(out, "created {}", r.login)?;
        }
        AccountCmd::List => {
            for r in store.list_accounts()? {
                writeln!(out, "{}\t{}", r.login, state_text(r.state))?;
            }
        }
        AccountCmd::Show { name } => {
            let r = store.account_by_login(name).with_context(|| format!("account {name}"))?;
            let account = store.account(r.account_id())?;
            let c = account.counters();
            writeln!(out, "login: {}", r.login)?;
            if !r.aliases.is_empty() {
                writeln!(out, "aliases: {}", r.aliases.join(", "))?;
            }
            writeln!(out, "state: {}", state_text(r.state))?;
            writeln!(out, "messages: {}", c.messages)?;
            writeln!(out, "storage: {}", c.bytes)?;
            writeln!(out, "quota: {}", r.quota.bytes.map_or("unlimited".into(), |b| ByteSize(b).to_string()))?;
            writeln!(out, "created: {}", time::rfc3339(r.created_at))?;
        }
        AccountCmd::Passwd { name, .. } => {
            store.set_password(name, first_line(stdin)?).with_context(|| format!("account {name}"))?;
            writeln!(out, "password changed for {name}")?;
        }
        AccountCmd::Export(args) => {
            let r = store.account_by_login(&args.name).with_context(|| format!("account {}", args.name))?;
            let account = store.account(r.account_id())?;
            let protection = if args.passphrase_stdin {
                Protection::Passphrase(first_line(stdin).context("--passphrase-stdin")?.to_owned().into())
            } else if let Some(r) = &args.recipient {
                Protection::Recipient(r.clone())
            } else {
                Protection::None
            };
            let file = create_private(&args.out)?;
            let manifest = tresor_lifecycle::export::export(&account, std::io::BufWriter::new(file), protection, now, progress)
                .with_context(|| format!("export to {}", args.out.display()))?;
            writeln!(out, "exported {} messages in {} mailboxes to {}", manifest.messages, manifest.mailboxes.len(), args.out.display())?;
        }
        AccountCmd::Terminate { name, export_window } => {
            let window = match export_window {
                Some(w) => w.parse::<tresor_types::HumanDuration>().context("--export-window")?,
                None => config.lifecycle.export_window,
            };
            let purge_at = now + window.as_secs() as i64;
            let r = store.terminate(name, purge_at, now).with_context(|| format!("account {name}"))?;
            writeln!(out, "{} is terminating: it receives no mail and is purged at {}", r.login, time::rfc3339(purge_at))?;
        }
        AccountCmd::Purge { name, .. } => {
            let r = store.account_by_login(name).with_context(|| format!("account {name}"))?;
            let report = store.purge(r.account_id(), now)?;
            let path = crate::receipts::save(store, config, &report)?;
            writeln!(out, "purged {name}: key {} destroyed, {} messages deleted", report.key_id, report.messages)?;
            writeln!(out, "deletion receipt: {}", path.display())?;
        }
    }
    Ok(out)
}

fn state_text(s: AccountState) -> String {
    match s {
        AccountState::Active => "active".into(),
        AccountState::Terminating { purge_at } => {
            format!("terminating (purge at {})", time::rfc3339(purge_at))
        }
    }
}

fn first_line(stdin: &str) -> Result<&str> {
    let line = stdin.lines().next().unwrap_or_default().trim_end_matches('\r');
    if line.is_empty() {
        bail!("nothing on standard input");
    }
    Ok(line)
}

/// Exports hold the user's mail in the clear (unless encrypted): owner-only.
fn create_private(path: &std::path::Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}
