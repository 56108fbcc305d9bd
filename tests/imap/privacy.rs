//! What one account can learn about another over IMAP (nothing), and what
//! reaches the disk from IMAP (nothing in plaintext).

use super::{Imap, message, server_with};
use crate::harness::files_containing;
use std::sync::Arc;
use tresor_kv::Engine;

#[test]
fn no_command_reveals_another_accounts_mailboxes() {
    let (s, server) = server_with("alice@example.com", &[&message(1)]);
    s.create("mallory@example.com", &[]);
    let mut alice = Imap::login(server.imap, "alice@example.com");
    alice.script("C: a CREATE Secret-Project\nS: a OK *");
    let mut m = Imap::login(server.imap, "mallory@example.com");
    // Every answer is exactly the one for a name that exists nowhere.
    m.script(
        r#"
        C: a LIST "" *
        !S: * LIST * Secret-Project
        S: a OK *
        C: b SELECT Secret-Project
        S: b NO [NONEXISTENT] no such mailbox
        C: c SELECT Never-Existed
        S: c NO [NONEXISTENT] no such mailbox
        C: d STATUS Secret-Project (MESSAGES)
        S: d NO [NONEXISTENT] no such mailbox
        C: e GETMETADATA Secret-Project /private/comment
        S: e NO [NONEXISTENT] no such mailbox
        C: f SELECT INBOX
        S: * 0 EXISTS
        S: f OK *
        C: g UID FETCH 1:* (FLAGS)
        !S: * * FETCH *
        S: g OK *
        C: h SEARCH EMAILID M1
        S: * SEARCH
        S: h OK *
        C: i LIST "" "*alice*"
        !S: * LIST *
        S: i OK *
        "#,
    );
}

const CANARY: &str = "qx9imapcanary3z";

#[test]
fn imap_canaries_reach_no_file() {
    let (s, server) = server_with("canary@example.com", &[]);
    let mut c = Imap::login(server.imap, "canary@example.com");
    let m = format!("Subject: {CANARY} subject\r\nFrom: a@example.org\r\n\r\nbody {CANARY} body\r\n");
    c.script(&format!(
        "C: a CREATE Folder-{CANARY}\nS: a OK *\nC: b APPEND Folder-{CANARY} {{{}+}}\\r\\n{}\nS: b OK *\nC: c SETMETADATA INBOX (/private/comment \"{CANARY}\")\nS: c OK *",
        m.len(),
        m.replace("\r\n", "\\r\\n")
    ));
    c.script(&format!("C: d SELECT Folder-{CANARY}\nS: * 1 EXISTS\nS: d OK *\nC: e SEARCH BODY {CANARY}\nS: * SEARCH 1\nS: e OK *"));
    server.stop();
    let scan = |when: &str| {
        let hits = files_containing(&s.data(), CANARY.as_bytes());
        assert!(hits.is_empty(), "{when}: canary in {hits:?}");
    };
    scan("after IMAP writes and a clean stop");
    {
        let engine = Arc::new(tresor_kv_rocksdb::RocksEngine::open(&s.data(), &Default::default()).unwrap());
        engine.main().compact(None).unwrap();
        for n in engine.shards().unwrap() {
            engine.shard(n).unwrap().compact(None).unwrap();
        }
    }
    scan("after compaction");
    let server = s.start();
    let mut c = Imap::login(server.imap, "canary@example.com");
    c.script(&format!(
        "C: a SELECT Folder-{CANARY}\nS: * 1 EXISTS\nS: a OK *\nC: b FETCH 1 BODY[TEXT]\nS: * 1 FETCH (*body {CANARY} body*)\nS: b OK *"
    ));
}
