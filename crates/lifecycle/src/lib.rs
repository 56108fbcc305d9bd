//! The account lifecycle above the store: [`export`] (one archive with everything
//! an account holds, so a user can always leave with all of it) and [`receipt`]
//! (signed proof of a purge). Termination and purge themselves are store
//! operations (`tresor_store::lifecycle`); the server schedules them.

pub mod export;
pub mod receipt;
