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
