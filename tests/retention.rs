//! The operator's retention commands against the real binary: settings, bounds
//! from the config, and a sweep.

use crate::harness::Setup;

#[test]
fn retention_is_set_shown_bounded_and_swept() {
    let s = Setup::with(|c| *c = c.replace("retention_max_days = 0", "retention_max_days = 3650"));
    s.create("r@example.com", &[]);
    let show = s.ok(&["retention", "show", "r@example.com"], "");
    assert!(show.contains("account: forever"), "{show}");
    assert!(show.contains("Trash: 30 days (keeps 30 days)"), "{show}");
    assert!(show.contains("INBOX: inherits (keeps forever)"), "{show}");

    let out = s.ok(&["retention", "set", "r@example.com", "--days", "365"], "");
    assert!(out.contains("INBOX: inherits (keeps 365 days)"), "{out}");
    let out = s.ok(&["retention", "set", "r@example.com", "--mailbox", "Junk", "--days", "14"], "");
    assert!(out.contains("Junk: 14 days (keeps 14 days)"), "{out}");

    let too_long = s.cli(&["retention", "set", "r@example.com", "--days", "4000"], "");
    assert!(!too_long.status.success());
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("at most 3650 days"));
    let forever = s.cli(&["retention", "set", "r@example.com", "--mailbox", "Archive", "--days", "0"], "");
    assert!(!forever.status.success(), "keep-forever is refused while a maximum is set");
    let missing = s.cli(&["retention", "set", "r@example.com", "--mailbox", "Nope", "--days", "10"], "");
    assert!(!missing.status.success());

    let server = s.start();
    let out = s.ok(&["retention", "sweep"], "");
    assert_eq!(out, "r@example.com: 0 messages expunged\n");
    drop(server);
}

/// Retention with a clock we control: IMAP APPEND sets a message's internal
/// date, retention counts from it. A sweep expunges the old message through
/// the user's expunge path (an idling IMAP session is told, JMAP no longer
/// lists it) and compacts, so its bytes leave the disk.
#[test]
fn swept_mail_vanishes_from_imap_and_jmap_and_from_the_disk() {
    use crate::imap::{Imap, glob};
    const CANARY: &str = "zz8oldtrash4q";
    let s = Setup::new();
    s.create("sweep@example.com", &[]);
    let server = s.start();
    let mut c = Imap::login(server.imap, "sweep@example.com");
    let old_date = {
        // 40 days ago, as an IMAP date-time.
        let t = tresor_types::time::now() - 40 * 86_400;
        let (y, m, d) = tresor_types::time::civil_from_days(t.div_euclid(86_400));
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        format!("{d:02}-{}-{y} 12:00:00 +0000", MONTHS[m as usize - 1])
    };
    let old = format!("Subject: old\r\n\r\n{CANARY} body\r\n");
    let new = "Subject: new\r\n\r\nrecent body\r\n";
    c.script(&format!(
        "C: a APPEND Trash \"{old_date}\" {{{}+}}\\r\\n{}\nS: a OK *\nC: b APPEND Trash {{{}+}}\\r\\n{}\nS: b OK *",
        old.len(),
        old.replace("\r\n", "\\r\\n"),
        new.len(),
        new.replace("\r\n", "\\r\\n")
    ));
    c.script("C: c SELECT Trash\nS: * 2 EXISTS\nS: c OK *");
    c.send(b"d IDLE\r\n");
    assert!(c.line().starts_with("+ "));

    let out = s.ok(&["retention", "sweep"], "");
    assert_eq!(out, "sweep@example.com: 1 messages expunged\n  Trash: 1\n");
    // The idling session is told at once.
    loop {
        let l = c.line();
        if glob("* 1 EXPUNGE", &l) {
            break;
        }
    }
    c.send(b"DONE\r\n");
    c.until_tagged("d");
    c.script("C: e FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])\nS: * 1 FETCH (*Subject: new*)\nS: e OK *");

    // JMAP lists only the recent message.
    let auth = crate::harness::basic("sweep@example.com", "secret");
    let (_, _, body) = crate::harness::http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let session: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let req = serde_json::json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": [
        ["Email/query", {"accountId": account}, "q"],
        ["Email/get", {"accountId": account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["subject"]}, "g"]
    ]});
    let (_, _, body) = crate::harness::http(server.http, "POST", "/jmap/api", &[("Authorization", &auth)], req.to_string().as_bytes());
    let r: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let subjects: Vec<&str> =
        r["methodResponses"][1][1]["list"].as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["new"]);

    // The sweep compacted: the old message's bytes are in no file.
    server.stop();
    let hits = crate::harness::files_containing(&s.data(), CANARY.as_bytes());
    assert!(hits.is_empty(), "swept message still on disk in {hits:?}");
}
