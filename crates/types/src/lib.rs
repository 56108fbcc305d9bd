//! Value types shared by every layer: [`Secret`] (redacts itself everywhere),
//! [`HumanDuration`] (`90s`, `15m`, `12h`, `30d`) and [`ByteSize`] (`512M`, `2G`).
//!
//! Nothing here does I/O; the crate sits at the bottom of the DAG.

mod secret;
pub mod time;
mod units;

pub use secret::Secret;
pub use units::{ByteSize, HumanDuration, ParseUnitError};
