//! IDLE: an LMTP delivery, another IMAP session's STORE and expunge, and a
//! JMAP change each reach an idling client within a second.

use super::{Imap, message, server_with};
use crate::harness::{Lmtp, basic, http};
use std::time::{Duration, Instant};

fn wait_for(c: &mut Imap, pattern: &str) -> Duration {
    let start = Instant::now();
    loop {
        let l = c.line();
        if super::glob(pattern, &l) {
            return start.elapsed();
        }
    }
}

#[test]
fn idle_pushes_changes_from_every_protocol() {
    let (_s, server) = server_with("idle@example.com", &[&message(1)]);
    let mut c = Imap::login(server.imap, "idle@example.com");
    c.script("C: a SELECT INBOX\nS: * 1 EXISTS\nS: a OK *");
    c.send(b"b IDLE\r\n");
    assert!(c.line().starts_with("+ "));

    let mut lmtp = Lmtp::connect(server.lmtp);
    let sent = Instant::now();
    assert!(lmtp.deliver("x@example.org", &["idle@example.com"], message(2).replace('\n', "\r\n").as_bytes())[0].starts_with("250"));
    wait_for(&mut c, "* 2 EXISTS");
    assert!(sent.elapsed() < Duration::from_secs(1), "delivery pushed after {:?}", sent.elapsed());

    let mut other = Imap::login(server.imap, "idle@example.com");
    other.script("C: o1 SELECT INBOX\nS: o1 OK *\nC: o2 STORE 1 +FLAGS (\\Flagged)\nS: o2 OK *");
    wait_for(&mut c, "* 1 FETCH (UID 1 FLAGS (*\\Flagged)*)");

    // A JMAP change: mark message 2 seen through Email/set.
    let auth = basic("idle@example.com", super::PASSWORD);
    let body = serde_json::json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": [
        ["Email/query", {"accountId": null, "filter": {"text": "message 2"}}, "q"]
    ]});
    let (status, _, resp) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    assert_eq!(status, 200);
    let session: serde_json::Value = serde_json::from_slice(&resp).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let mut body = body;
    body["methodCalls"][0][1]["accountId"] = account.clone().into();
    let (_, _, resp) = http(server.http, "POST", "/jmap/api", &[("Authorization", &auth)], body.to_string().as_bytes());
    let r: serde_json::Value = serde_json::from_slice(&resp).unwrap();
    let id = r["methodResponses"][0][1]["ids"][0].as_str().unwrap().to_owned();
    let set = serde_json::json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": [
        ["Email/set", {"accountId": account, "update": {id: {"keywords/$seen": true}}}, "s"]
    ]});
    let (status, _, _) = http(server.http, "POST", "/jmap/api", &[("Authorization", &auth)], set.to_string().as_bytes());
    assert_eq!(status, 200);
    wait_for(&mut c, "* 2 FETCH (UID 2 FLAGS (*\\Seen)*)");

    other.script("C: o3 STORE 1 +FLAGS.SILENT (\\Deleted)\nS: o3 OK *\nC: o4 EXPUNGE\nS: o4 OK *");
    wait_for(&mut c, "* 1 EXPUNGE");
    c.send(b"DONE\r\n");
    let r = c.until_tagged("b");
    assert!(r.last().unwrap().starts_with("b OK"), "{r:?}");
    c.script("C: c FETCH 1 UID\nS: * 1 FETCH (UID 2)\nS: c OK *");
}
