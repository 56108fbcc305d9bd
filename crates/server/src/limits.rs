//! Brute-force protection for every login path (HTTP Basic today; IMAP and
//! JMAP tokens with their issues). Failures are counted per account and per
//! client IP over a sliding window: the first few cost nothing, then each
//! further attempt waits a growing delay, and past a limit the account or the
//! IP is refused outright for a while — whatever password it brings.
//!
//! In memory only and bounded; the clock is passed in, so tests control it.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failures within `WINDOW` that cost nothing.
const FREE: u32 = 5;
/// Failures within `WINDOW` after which the key is blocked.
const BLOCK_AT: u32 = 10;
const WINDOW: Duration = Duration::from_secs(300);
const BLOCK_FOR: Duration = Duration::from_secs(900);
const FIRST_DELAY: Duration = Duration::from_millis(250);
/// Keys tracked at most; the oldest are dropped first.
const CAPACITY: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Check the password only after waiting this long.
    Delay(Duration),
    /// Refuse without checking.
    Blocked,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
enum Key {
    Account(String),
    Ip(IpAddr),
}

#[derive(Debug, Clone)]
struct Entry {
    failures: Vec<Instant>,
    blocked_until: Option<Instant>,
}

#[derive(Default)]
pub struct LoginLimiter {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl LoginLimiter {
    /// What to do with a login attempt for `login` from `ip` at `now`.
    pub fn check(&self, login: &str, ip: IpAddr, now: Instant) -> Verdict {
        let mut map = self.entries.lock().unwrap();
        let mut worst = Verdict::Allow;
        for key in keys(login, ip) {
            let Some(e) = map.get_mut(&key) else { continue };
            e.failures.retain(|t| now.duration_since(*t) < WINDOW);
            let v = match e.blocked_until {
                Some(until) if now < until => Verdict::Blocked,
                _ => match e.failures.len() as u32 {
                    n if n < FREE => Verdict::Allow,
                    n => Verdict::Delay(FIRST_DELAY * 2u32.pow((n - FREE).min(6))),
                },
            };
            worst = worse(worst, v);
        }
        worst
    }

    pub fn failed(&self, login: &str, ip: IpAddr, now: Instant) {
        let mut map = self.entries.lock().unwrap();
        if map.len() >= CAPACITY {
            map.retain(|_, e| {
                e.failures.last().is_some_and(|t| now.duration_since(*t) < WINDOW) || e.blocked_until.is_some_and(|u| now < u)
            });
        }
        for key in keys(login, ip) {
            let e = map.entry(key).or_insert(Entry { failures: Vec::new(), blocked_until: None });
            e.failures.retain(|t| now.duration_since(*t) < WINDOW);
            e.failures.push(now);
            if e.failures.len() as u32 >= BLOCK_AT {
                e.blocked_until = Some(now + BLOCK_FOR);
                e.failures.clear();
            }
        }
    }

    /// A successful login clears the account's failures (not the IP's: one
    /// good password must not launder an address that is guessing others).
    pub fn succeeded(&self, login: &str) {
        self.entries.lock().unwrap().remove(&Key::Account(normalize(login)));
    }
}

fn keys(login: &str, ip: IpAddr) -> [Key; 2] {
    [Key::Account(normalize(login)), Key::Ip(ip)]
}

fn normalize(login: &str) -> String {
    login.trim().to_lowercase()
}

fn worse(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::Blocked, _) | (_, Verdict::Blocked) => Verdict::Blocked,
        (Verdict::Delay(x), Verdict::Delay(y)) => Verdict::Delay(x.max(y)),
        (Verdict::Delay(x), _) | (_, Verdict::Delay(x)) => Verdict::Delay(x),
        _ => Verdict::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_grow_delays_then_block_and_expire() {
        let l = LoginLimiter::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t = Instant::now();
        for _ in 0..FREE {
            assert_eq!(l.check("a@x", ip, t), Verdict::Allow);
            l.failed("a@x", ip, t);
        }
        assert_eq!(l.check("a@x", ip, t), Verdict::Delay(FIRST_DELAY));
        l.failed("a@x", ip, t);
        assert_eq!(l.check("A@X", ip, t), Verdict::Delay(FIRST_DELAY * 2), "logins compare case-insensitively");
        for _ in FREE + 1..BLOCK_AT {
            l.failed("a@x", ip, t);
        }
        assert_eq!(l.check("a@x", ip, t), Verdict::Blocked);
        assert_eq!(l.check("other@x", ip, t), Verdict::Blocked, "the IP is blocked too");
        let elsewhere: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(l.check("a@x", elsewhere, t), Verdict::Blocked, "the account is blocked from anywhere");
        assert_eq!(l.check("b@x", elsewhere, t), Verdict::Allow);
        assert_eq!(l.check("a@x", ip, t + BLOCK_FOR + Duration::from_secs(1)), Verdict::Allow, "blocks expire");
    }

    #[test]
    fn old_failures_leave_the_window_and_success_clears_the_account() {
        let l = LoginLimiter::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t = Instant::now();
        for _ in 0..FREE + 2 {
            l.failed("a@x", ip, t);
        }
        assert!(matches!(l.check("a@x", ip, t), Verdict::Delay(_)));
        l.succeeded("a@x");
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(l.check("a@x", other, t), Verdict::Allow);
        assert!(matches!(l.check("z@x", ip, t), Verdict::Delay(_)), "the IP keeps its record");
        assert_eq!(l.check("z@x", ip, t + WINDOW + Duration::from_secs(1)), Verdict::Allow, "old failures leave the window");
    }
}
