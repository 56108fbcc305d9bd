//! The account lifecycle. For now: [`export`], one archive with everything an
//! account holds, so a user can always leave with all of it.

pub mod export;
