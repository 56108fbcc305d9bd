//! Canaries written over JMAP are in no file of the data dir.

use super::*;

#[test]
fn jmap_canaries_reach_no_file() {
    let s = Setup::new();
    s.create("k@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "k@example.com");
    let r = c.call("Mailbox/set", json!({"create": {"c": {"name": "mbox-jq7canary"}}}));
    assert!(r["created"]["c"]["id"].is_string());
    c.upload(b"upload-jq7canary-bytes");
    let drafts = c.mailbox("drafts");
    let r = c.call(
        "Email/set",
        json!({ "create": { "d": { "mailboxIds": { drafts: true }, "subject": "subject-jq7canary",
                "bodyValues": { "1": { "value": "body-jq7canary" } }, "textBody": [{ "partId": "1" }] } } }),
    );
    assert!(r["created"]["d"]["id"].is_string(), "{r}");
    let id = c.call("Identity/get", json!({ "ids": null }))["list"][0]["id"].clone();
    let r = c.call("Identity/set", json!({ "update": { id.as_str().unwrap(): { "textSignature": "sig-jq7canary" } } }));
    assert_eq!(r["updated"].as_object().map(|u| u.len()), Some(1), "{r}");
    server.stop();
    for needle in ["jq7canary", "k@example.com"] {
        let hits = crate::harness::files_containing(&s.data(), needle.as_bytes());
        assert!(hits.is_empty(), "{needle} found in {hits:?}");
    }
}
