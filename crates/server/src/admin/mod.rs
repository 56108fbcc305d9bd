//! The admin socket: a Unix socket (mode 0600, next to the config) through which
//! CLI commands reach a running server, which holds the RocksDB lock. The wire
//! format is one JSON request line (`{"args": [...], "stdin": "..."}`) and one
//! JSON reply line (`{"code": 0, "stdout": "...", "stderr": "..."}`): the server
//! parses the same command line the CLI would, so both paths run the same code.

pub mod client;
pub mod server;

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub args: Vec<String>,
    pub stdin: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}
