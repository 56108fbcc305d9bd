//! Session discovery (CORS, 401 with a Basic realm), API tokens, and the event-source token a browser uses.

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

#[test]
fn api_tokens_authenticate_jmap_until_revoked() {
    let s = Setup::new();
    s.create("t@example.com", &[]);
    let server = s.start();
    let out = s.ok(&["token", "create", "t@example.com", "--label", "phone"], "");
    let token = out.lines().next().unwrap().to_owned();
    let id = out.lines().nth(1).unwrap().strip_prefix("id: ").unwrap().split(' ').next().unwrap().to_owned();
    assert!(s.ok(&["token", "list", "t@example.com"], "").contains(&id));
    let bearer = format!("Bearer {token}");
    let (status, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &bearer)], b"");
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["username"], "t@example.com");
    s.ok(&["token", "revoke", "t@example.com", &id], "");
    let (status, _, _) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &bearer)], b"");
    assert_eq!(status, 401);
}

#[test]
fn a_browser_event_source_authenticates_with_the_session_token_only() {
    let s = Setup::new();
    s.create("e@example.com", &[]);
    s.create("other@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "e@example.com", "secret");
    let url = c.session["eventSourceUrl"].as_str().unwrap();
    let path = &url[url.find("/jmap/").unwrap()..];
    let path = path.replace("{types}", "*").replace("{closeafter}", "state").replace("{ping}", "0");
    assert!(path.contains("&token="));
    // No Authorization header: the token opens the stream.
    let p = path.clone();
    let addr = server.http;
    let reader = std::thread::spawn(move || http(addr, "GET", &p, &[], b""));
    std::thread::sleep(std::time::Duration::from_millis(300));
    deliver(&server, "e@example.com", "From: a@example.org\r\nSubject: push\r\n\r\nx\r\n");
    let (status, _, body) = reader.join().unwrap();
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains(&format!("\"{}\"", c.account)), "a StateChange for this account");
    // A forged or altered token is refused, and it opens nothing else.
    let forged = path.replacen("&token=", "&token=0", 1);
    assert_eq!(http(server.http, "GET", &forged, &[], b"").0, 401);
    let token = &path[path.find("token=").unwrap() + 6..];
    assert_eq!(http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &format!("Bearer {token}"))], b"").0, 401);
    // Another account's token cannot be made from this one.
    let other = Client::new(&server, "other@example.com", "secret");
    let other_url = other.session["eventSourceUrl"].as_str().unwrap();
    let other_token = &other_url[other_url.find("token=").unwrap() + 6..];
    let mixed = format!("{}{}", &token[..token.find('.').unwrap()], &other_token[other_token.find('.').unwrap()..]);
    let p = path.replace(token, &mixed);
    assert_eq!(http(server.http, "GET", &p, &[], b"").0, 401);
}
