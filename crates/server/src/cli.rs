//! The command line, as DESIGN.md's product contract names it. The same parser
//! runs in the CLI process and, for commands forwarded over the admin socket,
//! in the server.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "tresor", version, about = "Tresor: a privacy-first mail server")]
pub struct Cli {
    /// Config file (default: $TRESOR_CONFIG, then ./config.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every listener in the config.
    Serve {
        /// No config needed: a throw-away data dir, a self-signed certificate, a
        /// demo account, loopback only.
        #[arg(long)]
        dev: bool,
    },
    /// Write DIR/config.toml, a fresh DIR/master.key and a self-signed certificate.
    Init {
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCmd),
    /// How long mail is kept.
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// Deletion receipts.
    #[command(subcommand)]
    Receipt(ReceiptCmd),
    /// API tokens an account's clients use instead of its password (JMAP).
    #[command(subcommand)]
    Token(TokenCmd),
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Mint a token; it is printed once and never stored.
    Create {
        name: String,
        /// What the token is for ("phone", "web client").
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List an account's tokens (ids and labels, never the tokens).
    List { name: String },
    /// Revoke one token by the id `token list` shows.
    Revoke { name: String, id: String },
}

impl Command {
    /// Commands that work on the store: through the admin socket while the
    /// server runs, directly otherwise.
    pub fn uses_store(&self) -> bool {
        matches!(self, Command::Account(_) | Command::Retention(_) | Command::Token(_))
    }
}

#[derive(Debug, Subcommand)]
pub enum RetentionCmd {
    /// Keep mail N days (0: forever), in one mailbox or account-wide.
    Set {
        name: String,
        /// The mailbox (default: the whole account).
        #[arg(long)]
        mailbox: Option<String>,
        #[arg(long)]
        days: u32,
    },
    /// Show the account's retention, per mailbox.
    Show { name: String },
    /// Enforce retention now (for one account, or all).
    Sweep { name: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum ReceiptCmd {
    /// Check a deletion receipt's signature (and, with this server's master key
    /// at hand, that this server signed it).
    Verify { file: PathBuf },
    /// Print this server's receipt-verifying public key.
    Pubkey,
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Create an account; NAME is its login, normally its primary address.
    Create {
        name: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Storage quota, like 512M or 10G (default: accounts.default_quota).
        #[arg(long)]
        quota: Option<String>,
        /// More addresses delivering to this account (repeatable).
        #[arg(long = "alias")]
        aliases: Vec<String>,
    },
    /// List accounts.
    List,
    /// Show an account's state, message count and storage.
    Show { name: String },
    /// Change an account's password.
    Passwd {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Export everything the account holds into one archive.
    Export(ExportArgs),
    /// Stop receiving mail for the account; purge it after the export window.
    Terminate {
        name: String,
        /// How long the account stays readable (default: lifecycle.export_window).
        #[arg(long)]
        export_window: Option<String>,
    },
    /// Purge the account at once: key destroyed first, then the data.
    Purge {
        name: String,
        /// Required: a purge cannot be undone.
        #[arg(long, required = true)]
        now: bool,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    pub name: String,
    #[arg(long)]
    pub out: PathBuf,
    /// Encrypt the archive (age) with a passphrase read from standard input.
    #[arg(long, conflicts_with = "recipient")]
    pub passphrase_stdin: bool,
    /// Encrypt the archive (age) to this recipient (`age1…`).
    #[arg(long)]
    pub recipient: Option<String>,
}
