//! Termination end to end: the account refuses mail, stays exportable for its
//! window, is purged on its own when the window ends, leaves a verifiable
//! deletion receipt, and leaves its login and content in no file.

use crate::harness::{Lmtp, Setup, field, files_containing};
use std::time::{Duration, Instant};

const CANARY: &str = "pq3purge9w";

#[test]
fn terminated_accounts_are_purged_on_time_and_leave_nothing() {
    let s = Setup::with(|c| *c = c.replace("check_interval = \"1m\"", "check_interval = \"1s\""));
    let login = format!("{CANARY}@example.com");
    s.create(&login, &[]);
    s.create("neighbour@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    let msg = format!("Subject: {CANARY} subject\r\n\r\n{CANARY} body\r\n");
    assert!(c.deliver("x@example.org", &[&login], msg.as_bytes())[0].starts_with("250"));
    assert!(c.deliver("x@example.org", &["neighbour@example.com"], b"Subject: hi\r\n\r\nhi\r\n")[0].starts_with("250"));

    let out = s.ok(&["account", "terminate", &login, "--export-window", "8s"], "");
    assert!(out.contains("purged at"), "{out}");
    let show = s.ok(&["account", "show", &login], "");
    assert!(field(&show, "state").starts_with("terminating (purge at "), "{show}");
    let r = c.cmd("MAIL FROM:<x@example.org>");
    assert!(r.starts_with("250"));
    let r = c.cmd(&format!("RCPT TO:<{login}>"));
    assert!(r.starts_with("550 5.2.1"), "a terminating account receives nothing: {r}");
    c.cmd("RSET");

    // JMAP shows the account read-only, with the purge date, and refuses writes.
    let auth = crate::harness::basic(&login, "secret");
    let (_, _, body) = crate::harness::http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let session: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    assert_eq!(session["accounts"][&account]["isReadOnly"], true);
    assert!(
        session["accounts"][&account]["accountCapabilities"]["urn:tresor:params:jmap:retention"]["purgeAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let req = serde_json::json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": [["Mailbox/set", {"accountId": account, "create": {"x": {"name": "x"}}}, "0"]]});
    let (_, _, body) = crate::harness::http(server.http, "POST", "/jmap/api", &[("Authorization", &auth)], req.to_string().as_bytes());
    let r: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(r["methodResponses"][0][1]["type"], "forbidden");

    // IMAP: login works, with an alert naming the purge date; read-only.
    let mut imap = crate::imap::Imap::connect(server.imap);
    let r = imap.cmd(&format!("a LOGIN {login} secret"));
    assert!(r.iter().any(|l| crate::imap::glob("* OK [ALERT] *terminated*read-only*20*Z*", l)), "{r:?}");
    assert!(r.last().unwrap().starts_with("a OK"), "{r:?}");
    imap.script(
        r#"
        C: b SELECT INBOX
        S: * 1 EXISTS
        S: b OK [READ-ONLY] *
        C: c FETCH 1 BODY[TEXT]
        S: * 1 FETCH (BODY[TEXT] {*}*)
        S: c OK *
        C: d APPEND INBOX {12+}\r\nSubject: x\r\n
        S: d NO [CANNOT] *
        C: e CREATE Elsewhere
        S: e NO [CANNOT] *
        C: f SETMETADATA INBOX (/private/comment "x")
        S: f NO [CANNOT] *
        C: g STORE 1 +FLAGS (\Seen)
        S: g NO [READ-ONLY] *
        "#,
    );

    // Within the window the user can still take everything.
    let files = s.export(&login);
    let manifest: serde_json::Value = serde_json::from_slice(&files.iter().find(|(p, _)| p == "manifest.json").unwrap().1).unwrap();
    assert_eq!(manifest["messages"], 1);
    // The mail imports into Dovecot byte for byte.
    let imported = crate::harness::dovecot_import(&files);
    let emls: Vec<&Vec<u8>> = files.iter().filter(|(p, _)| p.ends_with(".eml")).map(|(_, b)| b).collect();
    assert_eq!(imported.iter().map(|(_, n, _)| n).sum::<u64>(), emls.len() as u64, "{imported:?}");
    let mut stored: Vec<&Vec<u8>> = imported.iter().flat_map(|(_, _, s)| s).collect();
    let mut exported = emls.clone();
    stored.sort();
    exported.sort();
    assert_eq!(stored, exported, "Dovecot stores exactly the exported bytes");

    // The window ends; the server purges on its own.
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.cli(&["account", "show", &login], "").status.success() {
        assert!(Instant::now() < deadline, "not purged 30 s after the window");
        std::thread::sleep(Duration::from_millis(250));
    }
    // The receipt is signed and written once the purge has finished.
    let receipts = loop {
        let found: Vec<_> = std::fs::read_dir(s.dir.path().join("receipts")).into_iter().flatten().flatten().map(|e| e.path()).collect();
        if !found.is_empty() {
            break found;
        }
        assert!(Instant::now() < deadline, "no receipt");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(receipts.len(), 1);
    let verified = s.ok(&["receipt", "verify", receipts[0].to_str().unwrap()], "");
    assert!(verified.contains("valid deletion receipt") && verified.contains("signed by: this server"), "{verified}");
    assert!(verified.contains("deleted: 1 messages"), "{verified}");
    let mut forged = std::fs::read_to_string(&receipts[0]).unwrap();
    forged = forged.replace("\"messages\": 1", "\"messages\": 0");
    std::fs::write(s.dir.path().join("forged.json"), forged).unwrap();
    assert!(!s.cli(&["receipt", "verify", s.dir.path().join("forged.json").to_str().unwrap()], "").status.success());

    server.stop();
    for needle in [CANARY.as_bytes(), login.as_bytes()] {
        let hits = files_containing(&s.data(), needle);
        assert!(hits.is_empty(), "{} left in {hits:?}", String::from_utf8_lossy(needle));
    }
    // The neighbour is untouched, after a restart too.
    let server = s.start();
    assert_eq!(s.messages("neighbour@example.com"), 1);
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("x@example.org", &["neighbour@example.com"], b"Subject: again\r\n\r\nx\r\n")[0].starts_with("250"));
    assert_eq!(s.ok(&["account", "list"], ""), "neighbour@example.com\tactive\n");
}

#[test]
fn purge_now_destroys_at_once_and_is_refused_without_now() {
    let s = Setup::new();
    s.create("now@example.com", &[]);
    assert!(!s.cli(&["account", "purge", "now@example.com"], "").status.success(), "--now is required");
    let out = s.ok(&["account", "purge", "now@example.com", "--now"], "");
    assert!(out.contains("deletion receipt: "), "{out}");
    assert!(!s.cli(&["account", "show", "now@example.com"], "").status.success());
    assert!(!s.cli(&["account", "purge", "now@example.com", "--now"], "").status.success(), "gone");
}
