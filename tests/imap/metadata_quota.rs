//! METADATA (RFC 5464; the retention entry) and QUOTA (RFC 9208).

use super::{Imap, server_with};

#[test]
fn metadata_entries_and_retention() {
    let (_s, server) = server_with("meta@example.com", &[]);
    let mut c = Imap::login(server.imap, "meta@example.com");
    c.script(
        r#"
        C: a SETMETADATA INBOX (/private/comment "my inbox")
        S: a OK *
        C: b GETMETADATA INBOX /private/comment
        S: * METADATA INBOX (/private/comment "my inbox")
        S: b OK *
        C: c GETMETADATA Trash (/private/vendor/tresor/retention-days)
        S: * METADATA Trash (/private/vendor/tresor/retention-days "30")
        S: c OK *
        C: d SETMETADATA Trash (/private/vendor/tresor/retention-days "7")
        S: d OK *
        C: e GETMETADATA Trash /private/vendor/tresor/retention-days
        S: * METADATA Trash (/private/vendor/tresor/retention-days "7")
        S: e OK *
        C: f SETMETADATA "" (/private/vendor/tresor/retention-days "365")
        S: f OK *
        C: g GETMETADATA (DEPTH infinity) "" /private
        S: * METADATA "" (/private/vendor/tresor/retention-days "365")
        S: g OK *
        C: h SETMETADATA INBOX (/private/vendor/tresor/retention-days "soon")
        S: h BAD *
        C: i SETMETADATA INBOX (/shared/comment "x")
        S: i NO *
        C: j SETMETADATA INBOX (/private/comment NIL)
        S: j OK *
        C: k GETMETADATA INBOX /private/comment
        !S: * METADATA INBOX (/private/comment "my inbox")
        S: k OK *
        C: l GETMETADATA Nowhere /private/comment
        S: l NO *
        C: m GETMETADATA (MAXSIZE 2) "" /private/vendor/tresor/retention-days
        !S: * METADATA *
        S: m OK [METADATA LONGENTRIES 3] *
        "#,
    );
}

#[test]
fn quota_reports_usage() {
    let s = crate::harness::Setup::new();
    s.create("quota@example.com", &["--quota", "10M"]);
    let server = s.start();
    let mut c = Imap::login(server.imap, "quota@example.com");
    c.script(
        r#"
        C: a APPEND INBOX {12+}\r\nSubject: 1\r\n
        S: a OK *
        C: b GETQUOTAROOT INBOX
        S: * QUOTAROOT INBOX ""
        S: * QUOTA "" (STORAGE 1 10240*)
        S: b OK *
        C: c GETQUOTA ""
        S: * QUOTA "" (STORAGE 1 10240*)
        S: c OK *
        C: d GETQUOTA "other"
        S: d NO *
        C: e SETQUOTA "" (STORAGE 1)
        S: e NO *
        "#,
    );
}
