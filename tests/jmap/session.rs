//! Session discovery: the session object, CORS, 401 with a Basic realm.

use super::*;

#[test]
fn a_client_discovers_the_session_lists_mailboxes_and_opens_the_inbox() {
    let s = Setup::new();
    s.create("j@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    for i in 0..3 {
        let m = format!(
            "From: =?UTF-8?Q?Jos=C3=A9?= <jose@example.org>\r\nTo: j@example.com\r\nSubject: =?UTF-8?Q?caf=C3=A9?= {i}\r\nMessage-ID: <m{i}@example.org>\r\n\r\nhello {i}\r\n"
        );
        assert!(c.deliver("jose@example.org", &["j@example.com"], m.as_bytes())[0].starts_with("250"));
    }
    let auth = basic("j@example.com", "secret");

    let (status, headers, _) = http(
        server.http,
        "OPTIONS",
        "/.well-known/jmap",
        &[("Origin", "https://app.example"), ("Access-Control-Request-Headers", "authorization")],
        b"",
    );
    assert_eq!(status, 204, "preflight without credentials");
    assert!(headers.iter().any(|(k, v)| k == "access-control-allow-headers" && v.contains("Authorization")));
    let (status, headers, _) = http(server.http, "GET", "/.well-known/jmap", &[], b"");
    assert_eq!(status, 401);
    assert!(headers.iter().any(|(k, v)| k == "www-authenticate" && v.starts_with("Basic realm=")));

    let (status, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    assert_eq!(status, 200);
    let session: Value = serde_json::from_slice(&body).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    assert!(session["apiUrl"].as_str().unwrap().starts_with("http://127.0.0.1:"), "absolute URLs: {}", session["apiUrl"]);
    assert_eq!(session["accounts"][&account]["name"], "j@example.com");

    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (status, r) = api(server.http, &auth, &json!({"using": using, "methodCalls": [["Mailbox/get", {"accountId": account}, "0"]]}));
    assert_eq!(status, 200);
    let list = r["methodResponses"][0][1]["list"].as_array().unwrap().clone();
    let roles: Vec<&str> = list.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["inbox", "drafts", "sent", "junk", "trash", "archive"]);
    let inbox = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!((list[0]["totalEmails"].as_u64(), list[0]["unreadEmails"].as_u64()), (Some(3), Some(3)));

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/query", {"accountId": account, "filter": {"inMailbox": inbox}, "sort": [{"property": "receivedAt", "isAscending": false}], "limit": 2, "calculateTotal": true}, "q"],
            ["Email/get", {"accountId": account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["subject", "from", "mailboxIds", "keywords", "messageId"]}, "g"]
        ]}),
    );
    let q = &r["methodResponses"][0][1];
    assert_eq!(q["total"], 3);
    assert_eq!(q["ids"].as_array().unwrap().len(), 2);
    let got = &r["methodResponses"][1][1]["list"];
    assert_eq!(got.as_array().unwrap().len(), 2);
    assert_eq!(got[0]["subject"], "café 2", "newest first, RFC 2047 decoded");
    assert_eq!(got[0]["from"], json!([{"name": "José", "email": "jose@example.org"}]));
    assert_eq!(got[0]["mailboxIds"], json!({ inbox.clone(): true }));
    assert_eq!(got[0]["messageId"], json!(["m2@example.org"]));
    assert_eq!(got[0]["keywords"], json!({}));
}
