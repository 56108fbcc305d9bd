//! Recently verified logins, so a client that logs in every few seconds
//! (webmail, phones polling several folders, imaptest) does not pay an
//! argon2id verification each time: that is tens of milliseconds of CPU per
//! LOGIN, and the throughput of a small machine.
//!
//! In memory only. An entry is SHA-256 over a per-process random salt, the
//! login, the password and the account's stored argon2id hash: no password is
//! kept, and a password change (a new stored hash) makes older entries
//! unreachable at once. Entries expire after [`TTL`]; the map is bounded.

use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

const TTL: Duration = Duration::from_secs(300);
const CAPACITY: usize = 50_000;

pub(crate) struct LoginCache {
    salt: [u8; 32],
    entries: Mutex<HashMap<[u8; 32], Instant>>,
}

impl LoginCache {
    pub(crate) fn new() -> LoginCache {
        LoginCache { salt: rand::random(), entries: Mutex::default() }
    }

    pub(crate) fn key(&self, login: &str, password: &str, stored_hash: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [&self.salt[..], login.as_bytes(), password.as_bytes(), stored_hash.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    pub(crate) fn hit(&self, key: &[u8; 32], now: Instant) -> bool {
        self.entries.lock().unwrap().get(key).is_some_and(|t| now.duration_since(*t) < TTL)
    }

    pub(crate) fn insert(&self, key: [u8; 32], now: Instant) {
        let mut map = self.entries.lock().unwrap();
        if map.len() >= CAPACITY {
            map.retain(|_, t| now.duration_since(*t) < TTL);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert(key, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_depend_on_every_input_and_expire() {
        let c = LoginCache::new();
        let now = Instant::now();
        let k = c.key("a@example.com", "pw", "$argon2id$1");
        c.insert(k, now);
        assert!(c.hit(&k, now + Duration::from_secs(10)));
        assert!(!c.hit(&k, now + TTL));
        assert!(!c.hit(&c.key("a@example.com", "pw", "$argon2id$2"), now), "a new stored hash misses");
        assert!(!c.hit(&c.key("a@example.com", "pw2", "$argon2id$1"), now));
        assert_ne!(c.key("ab", "c", "h"), c.key("a", "bc", "h"), "fields are length-prefixed");
    }
}
