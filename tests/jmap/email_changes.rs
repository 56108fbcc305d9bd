//! Email/changes and Mailbox/changes follow the change log, whoever made the change.

use super::*;

#[test]
fn changes_follow_the_change_log_whoever_made_them() {
    let s = Setup::new();
    s.create("c@example.com", &[]);
    let server = s.start();
    let auth = basic("c@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let state_of = |r: &Value| r["methodResponses"][0][1]["state"].as_str().unwrap().to_owned();

    let (_, r) = api(server.http, &auth, &json!({"using": using, "methodCalls": [["Email/get", {"accountId": account, "ids": []}, "0"]]}));
    let before = state_of(&r);
    let mut c = Lmtp::connect(server.lmtp);
    for i in 0..3 {
        assert!(c.deliver("x@example.org", &["c@example.com"], format!("Subject: {i}\r\n\r\n{i}\r\n").as_bytes())[0].starts_with("250"));
    }
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/changes", {"accountId": account, "sinceState": before}, "e"],
            ["Mailbox/changes", {"accountId": account, "sinceState": before}, "m"],
            ["Email/changes", {"accountId": account, "sinceState": before, "maxChanges": 2}, "p"],
            ["Email/changes", {"accountId": account, "sinceState": "999999"}, "x"]
        ]}),
    );
    let e = &r["methodResponses"][0][1];
    assert_eq!(e["created"].as_array().unwrap().len(), 3, "{e}");
    assert_eq!((e["updated"].as_array().unwrap().len(), e["destroyed"].as_array().unwrap().len()), (0, 0));
    assert_eq!(e["hasMoreChanges"], false);
    let m = &r["methodResponses"][1][1];
    assert_eq!(m["updated"].as_array().unwrap().len(), 1, "the inbox's counts changed: {m}");
    assert_eq!(m["updatedProperties"], json!(["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"]));
    let p = &r["methodResponses"][2][1];
    assert_eq!((p["created"].as_array().unwrap().len(), p["hasMoreChanges"].as_bool()), (2, Some(true)));
    let x = &r["methodResponses"][3][1];
    assert_eq!(x["type"], "cannotCalculateChanges");
    // Resuming from the intermediate state yields the rest.
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/changes", {"accountId": account, "sinceState": p["newState"]}, "n"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["created"].as_array().unwrap().len(), 1);
}
