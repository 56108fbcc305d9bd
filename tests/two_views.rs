//! One store, two views: random operations from IMAP and JMAP interleaved on one
//! account; after each, both protocols must show the same messages, flags and
//! mailboxes, IMAP UIDs stay put while a message stays in its mailbox, and the
//! JMAP state and the IMAP HIGHESTMODSEQs move exactly when something changed.

use crate::{
    harness::{basic, http},
    imap::{Imap, message, server_with},
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const BOXES: [&str; 3] = ["INBOX", "Archive", "Trash"];

/// mailbox -> email id -> sorted lower-case keywords.
type Snapshot = BTreeMap<String, BTreeMap<String, Vec<String>>>;

struct Jmap {
    addr: std::net::SocketAddr,
    auth: String,
    account: String,
    boxes: BTreeMap<String, String>,
}

impl Jmap {
    fn call(&self, calls: Value) -> Value {
        let body = json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": calls});
        let (status, _, resp) = http(
            self.addr,
            "POST",
            "/jmap/api",
            &[("Authorization", &self.auth), ("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
        serde_json::from_slice(&resp).unwrap()
    }

    /// (snapshot, Email state).
    fn view(&self) -> (Snapshot, String) {
        let r = self.call(json!([
            ["Email/query", {"accountId": self.account}, "q"],
            ["Email/get", {"accountId": self.account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["mailboxIds", "keywords"]}, "g"]
        ]));
        let get = &r["methodResponses"][1][1];
        let mut snap: Snapshot = BOXES.iter().map(|b| (b.to_string(), BTreeMap::new())).collect();
        for email in get["list"].as_array().unwrap() {
            let mut keywords: Vec<String> = email["keywords"].as_object().unwrap().keys().map(|k| k.to_lowercase()).collect();
            keywords.sort();
            for (id, name) in &self.boxes {
                if email["mailboxIds"][id] == true {
                    snap.get_mut(name).unwrap().insert(email["id"].as_str().unwrap().to_owned(), keywords.clone());
                }
            }
        }
        (snap, get["state"].as_str().unwrap().to_owned())
    }
}

/// The UID of each (mailbox, email).
type Uids = BTreeMap<(String, String), u32>;

/// (snapshot, uid per (mailbox, email), HIGHESTMODSEQ per mailbox).
fn imap_view(c: &mut Imap) -> (Snapshot, Uids, BTreeMap<String, u64>) {
    let mut snap = Snapshot::new();
    let mut uids = BTreeMap::new();
    let mut modseqs = BTreeMap::new();
    for b in BOXES {
        let r = c.cmd(&format!("s STATUS {b} (HIGHESTMODSEQ)"));
        modseqs.insert(b.to_owned(), r[0].rsplit(' ').next().unwrap().trim_end_matches(')').parse().unwrap());
        c.cmd(&format!("e EXAMINE {b}"));
        let mut mb = BTreeMap::new();
        for line in c.cmd("f UID FETCH 1:* (UID FLAGS EMAILID)") {
            let Some(rest) = line.split_once("(UID ").map(|(_, r)| r) else { continue };
            let uid: u32 = rest.split(' ').next().unwrap().parse().unwrap();
            let flags = rest.split_once("FLAGS (").unwrap().1.split(')').next().unwrap();
            let email = rest.split_once("EMAILID (").unwrap().1.split(')').next().unwrap().to_owned();
            let mut keywords: Vec<String> = flags
                .split(' ')
                .filter(|f| !f.is_empty() && *f != "\\Recent")
                .map(|f| match f.strip_prefix('\\') {
                    Some(system) => format!("${}", system.to_lowercase()),
                    None => f.to_lowercase(),
                })
                .collect();
            keywords.sort();
            uids.insert((b.to_owned(), email.clone()), uid);
            mb.insert(email, keywords);
        }
        snap.insert(b.to_owned(), mb);
    }
    c.cmd("u UNSELECT");
    (snap, uids, modseqs)
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn imap_and_jmap_agree_after_random_interleaved_operations() {
    let messages: Vec<String> = (1..=6).map(message).collect();
    let (_s, server) = server_with("views@example.com", &messages.iter().map(String::as_str).collect::<Vec<_>>());
    let auth = basic("views@example.com", crate::imap::PASSWORD);
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let session: Value = serde_json::from_slice(&body).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let mut jmap = Jmap { addr: server.http, auth, account, boxes: BTreeMap::new() };
    let r = jmap.call(json!([["Mailbox/get", {"accountId": jmap.account}, "m"]]));
    for m in r["methodResponses"][0][1]["list"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let name = if m["role"] == "inbox" { "INBOX" } else { name };
        if BOXES.contains(&name) {
            jmap.boxes.insert(m["id"].as_str().unwrap().to_owned(), name.to_owned());
        }
    }
    let id_of = |name: &str, j: &Jmap| j.boxes.iter().find(|(_, n)| *n == name).unwrap().0.clone();

    let mut writer = Imap::login(server.imap, "views@example.com");
    let mut reader = Imap::login(server.imap, "views@example.com");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut last, mut last_uids, mut last_modseqs) = imap_view(&mut reader);
    let (_, mut last_state) = jmap.view();
    let flags = ["\\Seen", "\\Flagged", "\\Answered", "$Label1"];
    let mut effective = 0;
    for step in 0..150 {
        // A random message of a random non-empty mailbox.
        let mut filled: Vec<&str> = BOXES.iter().copied().filter(|b| !last[*b].is_empty()).collect();
        if filled.is_empty() {
            // Everything was deleted: add a message first.
            let m = format!("Subject: refill {step}\r\n\r\nrefill\r\n");
            writer.cmd(&format!("w APPEND INBOX {{{}+}}\r\n{m}", m.len()));
            (last, last_uids, last_modseqs) = imap_view(&mut reader);
            last_state = jmap.view().1;
            filled.push("INBOX");
        }
        let mb = filled[rng.below(filled.len())];
        let (email, _) = last[mb].iter().nth(rng.below(last[mb].len())).map(|(e, k)| (e.clone(), k.clone())).unwrap();
        let uid = last_uids[&(mb.to_owned(), email.clone())];
        let flag = flags[rng.below(flags.len())];
        let keyword = match flag.strip_prefix('\\') {
            Some(s) => format!("${}", s.to_lowercase()),
            None => flag.to_lowercase(),
        };
        let op = rng.below(9);
        let what = match op {
            0 | 1 => {
                writer.cmd(&format!("w SELECT {mb}"));
                let sign = if op == 0 { '+' } else { '-' };
                let r = writer.cmd(&format!("w UID STORE {uid} {sign}FLAGS ({flag})"));
                assert!(r.last().unwrap().starts_with("w OK"), "{r:?}");
                format!("IMAP {sign}{flag} {mb}/{uid}")
            }
            2 => {
                writer.cmd(&format!("w SELECT {mb}"));
                let to = BOXES[rng.below(3)];
                let r = writer.cmd(&format!("w UID COPY {uid} {to}"));
                assert!(r.last().unwrap().starts_with("w OK"), "{r:?}");
                format!("IMAP COPY {mb}/{uid} -> {to}")
            }
            3 => {
                writer.cmd(&format!("w SELECT {mb}"));
                let to = BOXES[rng.below(3)];
                let r = writer.cmd(&format!("w UID MOVE {uid} {to}"));
                assert!(r.last().unwrap().starts_with("w OK"), "{r:?}");
                format!("IMAP MOVE {mb}/{uid} -> {to}")
            }
            4 => {
                let m = format!("Subject: appended {step}\r\nMessage-ID: <a{step}@example.org>\r\n\r\nstep {step}\r\n");
                let r = writer.cmd(&format!("w APPEND INBOX {{{}+}}\r\n{m}", m.len()));
                assert!(r.last().unwrap().starts_with("w OK"), "{r:?}");
                "IMAP APPEND".to_owned()
            }
            5 => {
                let on = rng.below(2) == 0;
                jmap.call(json!([["Email/set", {"accountId": jmap.account, "update": {email.clone(): {format!("keywords/{keyword}"): if on { json!(true) } else { Value::Null }}}}, "s"]]));
                format!("JMAP {keyword}={on} {email}")
            }
            6 => {
                let to = BOXES[rng.below(3)];
                jmap.call(json!([["Email/set", {"accountId": jmap.account, "update": {email.clone(): {"mailboxIds": {id_of(to, &jmap): true}}}}, "s"]]));
                format!("JMAP move {email} -> {to}")
            }
            7 => {
                jmap.call(json!([["Email/set", {"accountId": jmap.account, "destroy": [email.clone()]}, "s"]]));
                format!("JMAP destroy {email}")
            }
            _ => {
                writer.cmd(&format!("w SELECT {mb}"));
                writer.cmd(&format!("w UID STORE {uid} +FLAGS.SILENT (\\Deleted)"));
                let r = writer.cmd(&format!("w UID EXPUNGE {uid}"));
                assert!(r.last().unwrap().starts_with("w OK"), "{r:?}");
                format!("IMAP expunge {mb}/{uid}")
            }
        };
        let (snap, uids, modseqs) = imap_view(&mut reader);
        let (jsnap, state) = jmap.view();
        assert_eq!(snap, jsnap, "step {step} ({what}): IMAP and JMAP disagree");
        for (key, uid) in &uids {
            if let Some(before) = last_uids.get(key) {
                assert_eq!(before, uid, "step {step} ({what}): UID of {key:?} changed");
            }
        }
        let changed = snap != last;
        effective += usize::from(changed);
        assert_eq!(
            state != last_state,
            changed,
            "step {step} ({what}): JMAP state moved {} a change",
            if changed { "without" } else { "with no" }
        );
        for b in BOXES {
            let (old, new) = (last_modseqs[b], modseqs[b]);
            assert!(new >= old, "step {step} ({what}): HIGHESTMODSEQ of {b} went back");
            if last[b] != snap[b] {
                assert!(new > old, "step {step} ({what}): {b} changed but its HIGHESTMODSEQ did not");
            }
        }
        if !changed {
            assert_eq!(modseqs, last_modseqs, "step {step} ({what}): HIGHESTMODSEQ moved with nothing changed");
        }
        (last, last_uids, last_modseqs, last_state) = (snap, uids, modseqs, state);
    }
    assert!(effective > 75, "only {effective} of 150 operations changed anything");
}
