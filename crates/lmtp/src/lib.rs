//! LMTP (RFC 2033): how mail from the operator's MTA enters Tresor.
//!
//! Two layers, so the protocol can be tested byte for byte without sockets or clocks:
//!
//! - [`Session`], a sans-IO protocol core: bytes in ([`Session::enqueue_input`]),
//!   [`Event`]s out ([`Session::next_event`]). It answers syntax and sequence errors
//!   itself, enforces every limit of [`Config`], and asks the caller to check
//!   recipients and to deliver, taking the answers back.
//! - [`serve`], the async driver for one connection: reads, feeds the core, asks
//!   the [`Backend`], writes replies (batched for PIPELINING), and handles the idle
//!   timeout and graceful shutdown.
//!
//! Architecture invariant: this crate knows nothing of the store. Everything it
//! needs from the rest of the server goes through [`Backend`]; the server crate
//! implements it over the encrypted store.
//!
//! Privacy: no message content and no address is ever logged, at any level; the
//! `Debug` output of the types that carry them redacts them.

mod backend;
mod body;
mod command;
mod config;
mod driver;
mod reply;
mod session;

pub use backend::{Backend, Delivery, DeliveryResult, RcptCheck, Recipient};
pub use config::Config;
pub use driver::serve;
pub use session::{Event, Session};
