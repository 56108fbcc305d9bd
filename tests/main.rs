//! Black-box tests of the real `tresor` binary: each test makes its own data dir
//! with `tresor init`, starts `tresor serve` on loopback ports chosen by the OS,
//! and talks real bytes to it (LMTP over TCP, the CLI through the admin socket or
//! the store). One test binary for the whole suite (DEPENDENCIES.md, trap 1).

mod harness;

mod canary;
mod cli;
mod durability;
mod export;
mod http;
mod imap;
mod jmap;
mod layering;
mod lifecycle;
mod lmtp;
mod mta;
mod retention;
mod tamper;
mod two_views;
