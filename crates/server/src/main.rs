//! `tresor`: parses the command line and hands off. `serve` and `init` run here;
//! every other command goes to the running server over its admin socket, or —
//! when no server runs — opens the store directly.

mod admin;
mod cli;
mod commands;
mod config;
mod http;
mod imap;
mod init;
mod limits;
mod lmtp_backend;
mod net;
mod open;
mod outbound;
mod receipts;
mod serve;
mod tls;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { dev } => serve::run(cli.config.as_deref(), dev),
        Command::Init { ref data_dir } => init::run(data_dir),
        Command::Account(_) | Command::Retention(_) | Command::Token(_) => admin::client::run(&cli),
        Command::Receipt(ref cmd) => receipts::run(cli.config.as_deref(), cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One clear line: the chain of contexts, outermost first.
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("tresor: {}", msg.join(": "));
            ExitCode::FAILURE
        }
    }
}
