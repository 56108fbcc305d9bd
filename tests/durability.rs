//! kill -9 during concurrent deliveries: every message that got a 250 is there
//! after restart, exactly once and byte-identical; nothing is half-stored.

use crate::harness::{Lmtp, Setup, without_return_path};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

fn message(conn: usize, i: usize) -> Vec<u8> {
    let filler: String = (0..(i * 37 % 3000)).map(|n| (b'a' + (n % 26) as u8) as char).collect();
    format!("From: s@example.org\r\nSubject: c{conn} m{i}\r\nMessage-ID: <c{conn}.m{i}@durability.test>\r\n\r\nconnection {conn} message {i}\r\n{filler}\r\n").into_bytes()
}

#[test]
fn acknowledged_mail_survives_kill_9_exactly_once() {
    let s = Setup::new();
    for u in 0..4 {
        s.create(&format!("d{u}@example.com"), &[]);
    }
    let server = s.start();
    let addr = server.lmtp;
    let acked: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    // 4 connections x 50 messages = 200 deliveries; the server dies midway.
    let workers: Vec<_> = (0..4)
        .map(|conn| {
            let (acked, count) = (acked.clone(), count.clone());
            std::thread::spawn(move || {
                let mut c = Lmtp::connect(addr);
                for i in 0..50 {
                    let m = message(conn, i);
                    let rcpt = format!("d{}@example.com", (conn + i) % 4);
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.deliver("s@example.org", &[&rcpt], &m)));
                    match result {
                        Ok(r) if r[0].starts_with("250") => {
                            acked.lock().unwrap().insert(format!("c{conn}.m{i}@durability.test"), m);
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    while count.load(Ordering::SeqCst) < 100 {
        std::thread::yield_now();
    }
    server.kill9();
    for w in workers {
        let _ = w.join();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100 && acked.len() < 200, "killed midway: {} acknowledged", acked.len());

    // Restart (recovery runs), then read everything back.
    let server = s.start();
    server.stop();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for u in 0..4 {
        for (path, stored) in s.export(&format!("d{u}@example.com")) {
            if !path.ends_with(".eml") {
                continue;
            }
            let body = without_return_path(&stored);
            let text = String::from_utf8_lossy(body);
            let id = text.split("Message-ID: <").nth(1).and_then(|r| r.split('>').next()).expect("message id").to_owned();
            *seen.entry(id.clone()).or_default() += 1;
            if let Some(sent) = acked.get(&id) {
                assert_eq!(body, &sent[..], "{id} is not byte-identical");
            } else {
                // Stored but not acknowledged (killed between fsync and reply): fine, if intact.
                let (conn, i) = parse_id(&id);
                assert_eq!(body, &message(conn, i)[..], "{id} is damaged");
            }
        }
    }
    for id in acked.keys() {
        assert_eq!(seen.get(id), Some(&1), "{id} acknowledged but stored {:?} times", seen.get(id));
    }
    assert!(seen.values().all(|n| *n == 1), "a message stored twice");
}

fn parse_id(id: &str) -> (usize, usize) {
    let (c, rest) = id.trim_start_matches('c').split_once(".m").unwrap();
    (c.parse().unwrap(), rest.split('@').next().unwrap().parse().unwrap())
}
