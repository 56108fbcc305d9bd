//! Canaries written over JMAP are in no file of the data dir.

use super::*;

#[test]
fn jmap_canaries_reach_no_file() {
    let s = Setup::new();
    s.create("k@example.com", &[]);
    let server = s.start();
    let auth = basic("k@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Mailbox/set", {"accountId": account, "create": {"c": {"name": "mbox-jq7canary"}}}, "s"]]}),
    );
    assert!(r["methodResponses"][0][1]["created"]["c"]["id"].is_string());
    let (status, _, _) =
        http(server.http, "POST", &format!("/jmap/upload/{account}"), &[("Authorization", &auth)], b"upload-jq7canary-bytes");
    assert_eq!(status, 201);
    server.stop();
    for needle in ["jq7canary", "k@example.com"] {
        let hits = crate::harness::files_containing(&s.data(), needle.as_bytes());
        assert!(hits.is_empty(), "{needle} found in {hits:?}");
    }
}
