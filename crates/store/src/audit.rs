//! The audit log: security events with no personal data (account ids, never
//! logins or addresses), sealed under the directory key, keyed by time.

use crate::{Result, UnixTime, account::AccountId, keys::Key, sealed, store::Store};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use tresor_kv::{AUDIT, Batch};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    AccountCreated {
        account: AccountId,
    },
    PasswordChanged {
        account: AccountId,
    },
    AccountTerminated {
        account: AccountId,
        purge_at: UnixTime,
    },
    /// The key id and counts only: what a deletion receipt states.
    AccountPurged {
        account_hash: String,
        key_id: String,
        messages: u64,
    },
}

static SEQ: AtomicU32 = AtomicU32::new(0);

pub fn record(store: &Store, event: Event, now: UnixTime) -> Result<()> {
    let k = Key::new(b'E').u64(now as u64).u32(SEQ.fetch_add(1, Ordering::Relaxed)).build();
    let mut b = Batch::new();
    b.put(AUDIT, k.clone(), sealed::seal(&store.dir_key, AUDIT, &k, &(now, event)));
    store.guard.write(&*store.engine.main(), b)
}

/// Every event, oldest first.
pub fn events(store: &Store) -> Result<Vec<(UnixTime, Event)>> {
    let (from, to) = crate::keys::prefix_range(vec![b'E']);
    tresor_kv::collect(&*store.engine.main(), AUDIT, &from, &to)?
        .into_iter()
        .map(|(k, v)| sealed::open(&store.dir_key, AUDIT, &k, &v))
        .collect()
}

/// Deletes events older than `before` (the audit log keeps a bounded history).
pub fn prune(store: &Store, before: UnixTime) -> Result<()> {
    let to = Key::new(b'E').u64(before.max(0) as u64).build();
    let mut b = Batch::new();
    b.delete_range(AUDIT, vec![b'E'], to);
    store.guard.write(&*store.engine.main(), b)
}
