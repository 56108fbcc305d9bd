//! Deletion receipts on the operator's side: written after each purge into
//! `lifecycle.receipts`, and checked with `tresor receipt verify`.

use crate::{cli::ReceiptCmd, config::Config};
use anyhow::{Context, Result, bail};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};
use tresor_lifecycle::receipt;
use tresor_store::{Store, lifecycle::PurgeReport};

/// Signs `report` and writes it as `<receipts>/<account hash prefix>-<time>.json`.
pub fn save(store: &Store, config: &Config, report: &PurgeReport) -> Result<PathBuf> {
    let signed = receipt::sign(store.master_key(), report);
    std::fs::create_dir_all(&config.lifecycle.receipts)
        .with_context(|| format!("lifecycle.receipts {}", config.lifecycle.receipts.display()))?;
    let path = config.lifecycle.receipts.join(format!("{}-{}.json", &report.account_hash[..16], report.finished_at));
    let mut json = serde_json::to_vec_pretty(&signed)?;
    json.push(b'\n');
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

pub fn run(config_flag: Option<&Path>, cmd: &ReceiptCmd) -> Result<ExitCode> {
    // The master key is optional for verify: without it only the signature is checked.
    let ours =
        Config::load(&Config::locate(config_flag)).ok().and_then(|c| crate::open::master_key(&c).ok()).map(|m| receipt::public_key(&m));
    match cmd {
        ReceiptCmd::Pubkey => match ours {
            Some(k) => println!("{k}"),
            None => bail!("no readable config and master key to derive the public key from"),
        },
        ReceiptCmd::Verify { file } => {
            let json = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            let signed = receipt::verify(&json, ours.as_deref())?;
            let r = &signed.receipt;
            println!("valid deletion receipt");
            println!("account: {}", r.account_hash);
            println!("key destroyed: {} at {}", r.key_id, r.key_destroyed_at);
            println!("deleted: {} messages, {} bytes, {} mailboxes", r.messages, r.bytes, r.mailboxes);
            println!("purge finished: {}", r.purge_finished_at);
            match ours {
                Some(_) => println!("signed by: this server ({})", signed.signer),
                None => println!("signed by: {} (not checked against a server key)", signed.signer),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
