//! JMAP against the real server: session discovery, CORS, Mailbox/get, and the
//! request that opens a mailbox (Email/query + Email/get by back-reference),
//! plus the RFC 8620 errors for bad requests.

use crate::harness::{Lmtp, Setup, basic, http};
use serde_json::{Value, json};

fn api(addr: std::net::SocketAddr, auth: &str, body: &Value) -> (u16, Value) {
    let (status, _, body) =
        http(addr, "POST", "/jmap/api", &[("Authorization", auth), ("Content-Type", "application/json")], body.to_string().as_bytes());
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

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
fn bad_requests_get_the_rfc_8620_errors_and_nothing_else_happens() {
    let s = Setup::new();
    s.create("e@example.com", &[]);
    s.create("other@example.com", &[]);
    let server = s.start();
    let auth = basic("e@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &basic("other@example.com", "secret"))], b"");
    let other: Value = serde_json::from_slice(&body).unwrap();
    let other_account = other["primaryAccounts"]["urn:ietf:params:jmap:core"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);

    let (status, _, body) = http(server.http, "POST", "/jmap/api", &[("Authorization", &auth)], b"{not json");
    assert_eq!(status, 400);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["type"], "urn:ietf:params:jmap:error:notJSON");
    let (status, r) = api(server.http, &auth, &json!({"using": ["urn:example:nope"], "methodCalls": []}));
    assert_eq!((status, r["type"].as_str()), (400, Some("urn:ietf:params:jmap:error:unknownCapability")));
    let (status, r) = api(server.http, &auth, &json!({"using": using}));
    assert_eq!((status, r["type"].as_str()), (400, Some("urn:ietf:params:jmap:error:notRequest")));
    let calls: Vec<Value> = (0..10_000).map(|i| json!(["Core/echo", {}, i.to_string()])).collect();
    let (status, r) = api(server.http, &auth, &json!({"using": using, "methodCalls": calls}));
    assert_eq!(
        (status, r["type"].as_str(), r["limit"].as_str()),
        (400, Some("urn:ietf:params:jmap:error:limit"), Some("maxCallsInRequest"))
    );

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Core/echo", {"hello": true}, "a"],
            ["Nope/get", {}, "b"],
            ["Mailbox/get", {"accountId": other_account}, "c"],
            ["Mailbox/get", {"accountId": "Adeadbeef"}, "d"],
            ["Email/get", {"accountId": other_account, "#ids": {"resultOf": "zz", "name": "Email/query", "path": "/ids"}}, "e"],
            ["Email/get", {"#ids": {"resultOf": "a", "name": "Core/echo", "path": "/hello"}, "ids": []}, "f"]
        ]}),
    );
    let responses = r["methodResponses"].as_array().unwrap();
    assert_eq!(responses[0], json!(["Core/echo", {"hello": true}, "a"]));
    let kinds: Vec<&str> = responses[1..].iter().map(|r| r[1]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["unknownMethod", "accountNotFound", "accountNotFound", "invalidResultReference", "invalidArguments"]);
}

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

#[test]
fn email_set_changes_keywords_and_mailboxes_and_destroys() {
    let s = Setup::new();
    s.create("w@example.com", &[]);
    let server = s.start();
    let auth = basic("w@example.com", "secret");
    let mut c = Lmtp::connect(server.lmtp);
    for i in 0..2 {
        assert!(c.deliver("x@example.org", &["w@example.com"], format!("Subject: {i}\r\n\r\n{i}\r\n").as_bytes())[0].starts_with("250"));
    }
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Mailbox/get", {"accountId": account, "properties": ["role"]}, "m"],
            ["Email/query", {"accountId": account, "sort": [{"property": "receivedAt", "isAscending": true}]}, "q"]
        ]}),
    );
    let boxes = r["methodResponses"][0][1]["list"].as_array().unwrap().clone();
    let id_of = |role: &str| boxes.iter().find(|b| b["role"] == role).unwrap()["id"].as_str().unwrap().to_owned();
    let (inbox, archive) = (id_of("inbox"), id_of("archive"));
    let state = r["methodResponses"][0][1]["state"].as_str().unwrap().to_owned();
    let ids: Vec<String> = r["methodResponses"][1][1]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/set", {"accountId": account, "ifInState": "0", "update": {}}, "s"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["type"], "stateMismatch");

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/set", {"accountId": account, "ifInState": state, "update": {
                ids[0].clone(): {"keywords/$seen": true, "keywords/$Flagged": true, format!("mailboxIds/{archive}"): true, format!("mailboxIds/{inbox}"): null},
                "Mdeadbeef": {"keywords/$seen": true}
            }, "destroy": [ids[1].clone()]}, "s"],
            ["Email/get", {"accountId": account, "ids": [ids[0].clone(), ids[1].clone()], "properties": ["keywords", "mailboxIds"]}, "g"],
            ["Email/changes", {"accountId": account, "sinceState": state}, "c"]
        ]}),
    );
    let set = &r["methodResponses"][0][1];
    assert_eq!(set["updated"], json!({ ids[0].clone(): null }));
    assert_eq!(set["notUpdated"]["Mdeadbeef"]["type"], "notFound");
    assert_eq!(set["destroyed"], json!([ids[1].clone()]));
    assert_ne!(set["newState"], set["oldState"]);
    let got = &r["methodResponses"][1][1];
    assert_eq!(got["list"][0]["keywords"], json!({"$flagged": true, "$seen": true}));
    assert_eq!(got["list"][0]["mailboxIds"], json!({ archive.clone(): true }));
    assert_eq!(got["notFound"], json!([ids[1].clone()]));
    let changes = &r["methodResponses"][2][1];
    assert_eq!((changes["updated"].clone(), changes["destroyed"].clone()), (json!([ids[0].clone()]), json!([ids[1].clone()])));

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/set", {"accountId": account, "update": {ids[0].clone(): {"mailboxIds": {}}}}, "s"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["notUpdated"][&ids[0]]["type"], "invalidProperties", "no mailbox at all is refused");
    drop(server);
    assert_eq!(s.messages("w@example.com"), 1);
}

#[test]
fn an_lmtp_delivery_reaches_an_open_event_source() {
    use std::io::{BufRead, BufReader, Write};
    let s = Setup::new();
    s.create("p@example.com", &[]);
    let server = s.start();
    let mut stream = std::net::TcpStream::connect(server.http).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let req = format!(
        "GET /jmap/eventsource?types=*&closeafter=state&ping=0 HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nAccept: text/event-stream\r\n\r\n",
        server.http,
        basic("p@example.com", "secret")
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.contains(" 200 "), "{status}");
    let mut line = String::new();
    while line != "\r\n" {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    let sent = std::time::Instant::now();
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("x@example.org", &["p@example.com"], b"Subject: push\r\n\r\nx\r\n")[0].starts_with("250"));
    let mut body = String::new();
    while !body.contains("StateChange") {
        let mut l = String::new();
        assert!(reader.read_line(&mut l).unwrap() > 0, "stream closed early: {body}");
        body.push_str(&l);
    }
    assert!(body.contains("\"Email\""), "{body}");
    assert!(sent.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn email_get_serves_body_structure_and_values() {
    let s = Setup::new();
    s.create("b@example.com", &[]);
    let server = s.start();
    let auth = basic("b@example.com", "secret");
    let msg = "From: a@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n\
--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n\
--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 au lait, tr=C3=A8s bien\r\n\
--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Caf\u{e9}</p>\r\n--inner--\r\n\
--outer\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n\
--outer--\r\n";
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("a@example.org", &["b@example.com"], msg.as_bytes())[0].starts_with("250"));
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/query", {"accountId": account}, "q"],
            ["Email/get", {"accountId": account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"},
              "properties": ["bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues", "hasAttachment", "preview"],
              "fetchTextBodyValues": true, "fetchHTMLBodyValues": true, "maxBodyValueBytes": 6}, "g"]
        ]}),
    );
    let e = &r["methodResponses"][1][1]["list"][0];
    assert_eq!(e["bodyStructure"]["type"], "multipart/mixed");
    assert_eq!(e["bodyStructure"]["subParts"][0]["subParts"][0]["type"], "text/plain");
    assert_eq!(e["textBody"][0]["partId"], "1.1");
    assert_eq!(e["htmlBody"][0]["partId"], "1.2");
    assert_eq!(e["attachments"][0]["name"], "r.pdf");
    assert_eq!(e["attachments"][0]["size"], 9, "decoded size");
    assert_eq!(e["attachments"][0]["disposition"], "attachment");
    assert_eq!(e["hasAttachment"], true);
    assert_eq!(
        e["bodyValues"]["1.1"],
        json!({"value": "Café ", "isEncodingProblem": false, "isTruncated": true}),
        "cut on a character boundary"
    );
    assert_eq!(e["bodyValues"]["1.2"]["value"], "<p>Caf");
    assert!(e["preview"].as_str().unwrap().starts_with("Café au lait"));

    // The attachment downloads decoded; a foreign account id is just not found.
    let blob = e["attachments"][0]["blobId"].as_str().unwrap();
    let (status, headers, bytes) =
        http(server.http, "GET", &format!("/jmap/download/{account}/{blob}/r.pdf?type=application/pdf"), &[("Authorization", &auth)], b"");
    assert_eq!((status, bytes.as_slice()), (200, &b"%PDF-1.4\n"[..]));
    assert!(headers.iter().any(|(k, v)| k == "content-type" && v == "application/pdf"));
    let (status, _, _) = http(server.http, "GET", &format!("/jmap/download/Adeadbeef/{blob}/r.pdf"), &[("Authorization", &auth)], b"");
    assert_eq!(status, 404);
    let (status, _, _) = http(server.http, "GET", &format!("/jmap/download/{account}/G999/x"), &[("Authorization", &auth)], b"");
    assert_eq!(status, 404);
}

#[test]
fn mailboxes_are_created_renamed_and_destroyed_and_threads_group_replies() {
    let s = Setup::new();
    s.create("t@example.com", &[]);
    let server = s.start();
    let auth = basic("t@example.com", "secret");
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("x@example.org", &["t@example.com"], b"Subject: q\r\nMessage-ID: <q@x>\r\n\r\nq\r\n")[0].starts_with("250"));
    assert!(
        c.deliver("x@example.org", &["t@example.com"], b"Subject: Re: q\r\nMessage-ID: <a@x>\r\nIn-Reply-To: <q@x>\r\n\r\na\r\n")[0]
            .starts_with("250")
    );
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Mailbox/set", {"accountId": account, "create": {"w": {"name": "Work", "isSubscribed": true}, "c": {"name": "Clients", "parentId": "#w"}, "bad": {"name": "a/b"}}}, "s"],
            ["Email/query", {"accountId": account}, "q"],
            ["Email/get", {"accountId": account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["threadId"]}, "g"],
            ["Thread/get", {"accountId": account, "#ids": {"resultOf": "g", "name": "Email/get", "path": "/list/*/threadId"}}, "t"]
        ]}),
    );
    let set = &r["methodResponses"][0][1];
    let work = set["created"]["w"]["id"].as_str().unwrap().to_owned();
    let clients = set["created"]["c"]["id"].as_str().unwrap().to_owned();
    assert_eq!(set["notCreated"]["bad"]["type"], "invalidProperties");
    let threads = &r["methodResponses"][3][1]["list"];
    assert_eq!(threads[0]["emailIds"].as_array().unwrap().len(), 2, "a reply joins its thread: {threads}");

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Mailbox/set", {"accountId": account, "update": {work.clone(): {"name": "Job"}}, "destroy": [work.clone()]}, "s"],
            ["Mailbox/get", {"accountId": account, "ids": [work.clone(), clients.clone()], "properties": ["name", "parentId", "isSubscribed"]}, "g"]
        ]}),
    );
    let set = &r["methodResponses"][0][1];
    assert_eq!(set["updated"], json!({ work.clone(): null }));
    assert_eq!(set["notDestroyed"][&work]["type"], "mailboxHasChild");
    let list = &r["methodResponses"][1][1]["list"];
    assert_eq!(list[0]["name"], "Job");
    assert_eq!(list[0]["isSubscribed"], true);
    assert_eq!(list[1]["parentId"], work.as_str(), "children follow a rename");

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Mailbox/set", {"accountId": account, "destroy": [clients.clone(), work.clone()]}, "s"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["destroyed"], json!([clients, work]));
}

#[test]
fn quota_get_reports_the_account_quota_and_usage() {
    let s = Setup::new();
    s.create("q@example.com", &["--quota", "1M"]);
    let server = s.start();
    let auth = basic("q@example.com", "secret");
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("x@example.org", &["q@example.com"], b"Subject: q\r\n\r\nq\r\n")[0].starts_with("250"));
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let session: Value = serde_json::from_slice(&body).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:quota"].as_str().unwrap().to_owned();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:quota"], "methodCalls": [["Quota/get", {"accountId": account, "ids": null}, "0"]]}),
    );
    let q = &r["methodResponses"][0][1]["list"][0];
    assert_eq!((q["resourceType"].as_str(), q["hardLimit"].as_u64()), (Some("octets"), Some(1 << 20)));
    assert!(q["used"].as_u64().unwrap() > 0);
}

#[test]
fn email_query_filters_by_text_headers_keywords_and_operators() {
    let s = Setup::new();
    s.create("f@example.com", &[]);
    let server = s.start();
    let auth = basic("f@example.com", "secret");
    let mut c = Lmtp::connect(server.lmtp);
    let msgs = [
        "From: Alice <alice@example.org>\r\nSubject: lunch\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nLe d=C3=A9jeuner est pr=C3=AAt\r\n",
        "From: Bob <bob@example.org>\r\nSubject: report\r\n\r\nquarterly numbers attached\r\n",
        "From: Alice <alice@example.org>\r\nSubject: dinner\r\n\r\nsee you at eight\r\n",
    ];
    for m in msgs {
        assert!(c.deliver("x@example.org", &["f@example.com"], m.as_bytes())[0].starts_with("250"));
    }
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let query = |filter: Value| -> Vec<String> {
        let (_, r) = api(
            server.http,
            &auth,
            &json!({"using": using, "methodCalls": [
                ["Email/query", {"accountId": account, "filter": filter, "sort": [{"property": "receivedAt"}]}, "q"],
                ["Email/get", {"accountId": account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["subject"]}, "g"]
            ]}),
        );
        r["methodResponses"][1][1]["list"].as_array().unwrap_or(&vec![]).iter().map(|e| e["subject"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(query(json!({"text": "DÉJEUNER"})), ["lunch"], "decoded quoted-printable UTF-8, case-insensitive");
    assert_eq!(query(json!({"body": "quarterly"})), ["report"]);
    assert_eq!(query(json!({"from": "alice"})), ["lunch", "dinner"]);
    assert_eq!(query(json!({"subject": "quarterly"})), Vec::<String>::new(), "subject only");
    assert_eq!(query(json!({"operator": "NOT", "conditions": [{"from": "alice"}]})), ["report"]);
    assert_eq!(query(json!({"operator": "OR", "conditions": [{"subject": "lunch"}, {"subject": "report"}]})), ["lunch", "report"]);
    assert_eq!(query(json!({"after": "2000-01-01T00:00:00Z", "before": "2000-01-02T00:00:00Z"})), Vec::<String>::new());
    assert_eq!(query(json!({"notKeyword": "$seen", "from": "bob"})), ["report"]);
    assert_eq!(query(json!({"text": "eight alice"})), ["dinner"], "every word, in any field");
    assert_eq!(query(json!({"text": "eight bob"})), Vec::<String>::new());
    assert_eq!(query(json!({"header": ["Content-Transfer-Encoding"]})), ["lunch"]);
    assert_eq!(query(json!({"header": ["Subject", "REPO"]})), ["report"], "a header value contains the text");
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/query", {"accountId": account, "filter": {"sender": "x"}}, "q"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["type"], "unsupportedFilter");
}

#[test]
fn upload_then_import_makes_a_message_and_drops_the_upload() {
    let s = Setup::new();
    s.create("u@example.com", &[]);
    let server = s.start();
    let auth = basic("u@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let raw = b"From: me@example.com\r\nSubject: imported zq9up\r\nMessage-ID: <imp@x>\r\n\r\nimported body\r\n";
    let (status, _, body) =
        http(server.http, "POST", &format!("/jmap/upload/{account}"), &[("Authorization", &auth), ("Content-Type", "message/rfc822")], raw);
    assert_eq!(status, 201);
    let up: Value = serde_json::from_slice(&body).unwrap();
    let blob = up["blobId"].as_str().unwrap().to_owned();
    assert_eq!(up["size"], raw.len());
    let (status, _, _) = http(server.http, "POST", "/jmap/upload/Adeadbeef", &[("Authorization", &auth)], raw);
    assert_eq!(status, 404, "another account id is not found");
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Mailbox/get", {"accountId": account, "properties": ["role"]}, "m"]]}),
    );
    let boxes = r["methodResponses"][0][1]["list"].as_array().unwrap().clone();
    let archive = boxes.iter().find(|b| b["role"] == "archive").unwrap()["id"].as_str().unwrap().to_owned();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/import", {"accountId": account, "emails": {"a": {"blobId": blob, "mailboxIds": {archive.clone(): true}, "keywords": {"$seen": true}, "receivedAt": "2020-01-02T03:04:05Z"}}}, "i"],
            ["Email/import", {"accountId": account, "emails": {"again": {"blobId": blob, "mailboxIds": {archive.clone(): true}}}}, "j"]
        ]}),
    );
    let id = r["methodResponses"][0][1]["created"]["a"]["id"].as_str().unwrap().to_owned();
    let again = r["methodResponses"][1][1].clone();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/get", {"accountId": account, "ids": [id], "properties": ["subject", "keywords", "mailboxIds", "receivedAt"]}, "g"]]}),
    );
    let got = &r["methodResponses"][0][1]["list"][0];
    assert_eq!(got["subject"], "imported zq9up");
    assert_eq!(got["keywords"], json!({"$seen": true}));
    assert_eq!(got["mailboxIds"], json!({ archive: true }));
    assert_eq!(got["receivedAt"], "2020-01-02T03:04:05Z");
    assert_eq!(again["notCreated"]["again"]["type"], "blobNotFound", "the upload is gone once imported");
    drop(server);
    assert!(crate::harness::files_containing(&s.data(), b"zq9up").is_empty(), "uploads and imports are sealed");
}

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

#[test]
fn websocket_carries_requests_and_pushes_state_changes() {
    use tungstenite::{Message, client::IntoClientRequest};
    let s = Setup::new();
    s.create("ws@example.com", &[]);
    let server = s.start();
    let mut req = format!("ws://{}/jmap/ws", server.http).into_client_request().unwrap();
    req.headers_mut().insert("Authorization", basic("ws@example.com", "secret").parse().unwrap());
    req.headers_mut().insert("Sec-WebSocket-Protocol", "jmap".parse().unwrap());
    let stream = std::net::TcpStream::connect(server.http).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let (mut ws, resp) = tungstenite::client::client(req, stream).unwrap();
    assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), "jmap");
    ws.send(Message::Text(
        json!({"@type": "Request", "id": "r1", "using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {"x": 1}, "c"]]})
            .to_string()
            .into(),
    ))
    .unwrap();
    let reply = loop {
        if let Message::Text(t) = ws.read().unwrap() {
            break serde_json::from_str::<Value>(&t).unwrap();
        }
    };
    assert_eq!(reply["@type"], "Response");
    assert_eq!(reply["requestId"], "r1");
    assert_eq!(reply["methodResponses"][0][1]["x"], 1);

    ws.send(Message::Text(json!({"@type": "WebSocketPushEnable", "dataTypes": ["Email"]}).to_string().into())).unwrap();
    // Messages are handled in order: once this echo is answered, push is on.
    ws.send(Message::Text(
        json!({"@type": "Request", "id": "r2", "using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {}, "c"]]})
            .to_string()
            .into(),
    ))
    .unwrap();
    loop {
        if let Message::Text(t) = ws.read().unwrap() {
            assert_eq!(serde_json::from_str::<Value>(&t).unwrap()["requestId"], "r2");
            break;
        }
    }
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("x@example.org", &["ws@example.com"], b"Subject: ws\r\n\r\nx\r\n")[0].starts_with("250"));
    let event = loop {
        if let Message::Text(t) = ws.read().unwrap() {
            break serde_json::from_str::<Value>(&t).unwrap();
        }
    };
    assert_eq!(event["@type"], "StateChange");
    assert!(event["changed"].as_object().unwrap().values().next().unwrap()["Email"].is_string());
}

#[test]
fn retention_is_a_mailbox_property_and_an_account_setting_over_jmap() {
    let s = Setup::with(|c| *c = c.replace("retention_max_days = 0", "retention_max_days = 3650"));
    s.create("r@example.com", &[]);
    let server = s.start();
    let auth = basic("r@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let session: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(session["capabilities"]["urn:tresor:params:jmap:retention"]["maxDays"], 3650);
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:tresor:params:jmap:retention"]);
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Mailbox/get", {"accountId": account, "properties": ["role", "retentionDays"]}, "m"]]}),
    );
    let boxes = r["methodResponses"][0][1]["list"].as_array().unwrap().clone();
    let trash = boxes.iter().find(|b| b["role"] == "trash").unwrap();
    assert_eq!(trash["retentionDays"], 30);
    let junk = boxes.iter().find(|b| b["role"] == "junk").unwrap()["id"].as_str().unwrap().to_owned();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Mailbox/set", {"accountId": account, "update": {junk.clone(): {"retentionDays": 14}}}, "a"],
            ["RetentionSettings/set", {"accountId": account, "update": {"singleton": {"retentionDays": 365}}}, "b"],
            ["RetentionSettings/set", {"accountId": account, "update": {"singleton": {"retentionDays": 4000}}}, "c"],
            ["RetentionSettings/get", {"accountId": account}, "d"]
        ]}),
    );
    assert_eq!(r["methodResponses"][0][1]["updated"], json!({ junk: null }));
    assert_eq!(r["methodResponses"][2][1]["notUpdated"]["singleton"]["type"], "invalidProperties", "over the server's maximum");
    assert_eq!(r["methodResponses"][3][1]["list"][0]["retentionDays"], 365);
    let show = s.ok(&["retention", "show", "r@example.com"], "");
    assert!(show.contains("account: 365 days") && show.contains("Junk: 14 days"), "the operator sees what the user set: {show}");
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": [["Mailbox/get", {"accountId": account, "properties": ["retentionDays"]}, "m"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["type"], "invalidArguments", "the property needs the capability");
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
fn email_set_creates_a_draft_that_reads_back_and_stays_sealed() {
    let s = Setup::new();
    s.create("d@example.com", &[]);
    let server = s.start();
    let auth = basic("d@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Mailbox/get", {"accountId": account, "properties": ["role"]}, "m"]]}),
    );
    let drafts = r["methodResponses"][0][1]["list"].as_array().unwrap().iter().find(|b| b["role"] == "drafts").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/set", {"accountId": account, "create": {"d": {
                "mailboxIds": {drafts.clone(): true}, "keywords": {"$draft": true},
                "from": [{"name": "Dee", "email": "d@example.com"}], "to": [{"email": "x@example.org"}],
                "subject": "draft dr4canary", "textBody": [{"partId": "t", "type": "text/plain"}],
                "bodyValues": {"t": {"value": "body dr4canary text"}}
            }, "bad": {"mailboxIds": {drafts.clone(): true}, "attachments": []}}}, "s"]
        ]}),
    );
    let set = &r["methodResponses"][0][1];
    let id = set["created"]["d"]["id"].as_str().unwrap().to_owned();
    assert_eq!(set["notCreated"]["bad"]["type"], "invalidProperties");
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/get", {"accountId": account, "ids": [id], "properties": ["subject", "from", "keywords", "mailboxIds"], "fetchTextBodyValues": true}, "g"]]}),
    );
    let e = &r["methodResponses"][0][1]["list"][0];
    assert_eq!(e["subject"], "draft dr4canary");
    assert_eq!(e["from"], json!([{"name": "Dee", "email": "d@example.com"}]));
    assert_eq!(e["keywords"], json!({"$draft": true}));
    server.stop();
    assert!(crate::harness::files_containing(&s.data(), b"dr4canary").is_empty(), "the draft is sealed");
}

#[test]
fn email_query_sorts_by_every_property_and_collapses_threads() {
    let s = Setup::new();
    s.create("sort@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    let mails = [
        "From: Zed <zed@example.org>\r\nTo: b@example.com\r\nSubject: Plans\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <a@x>\r\n\r\na\r\n",
        "From: amy@example.org\r\nTo: a@example.com\r\nSubject: Re: Plans\r\nDate: Wed, 3 Jan 2024 10:00:00 +0000\r\nMessage-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nReferences: <a@x>\r\n\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n",
        "From: Max <max@example.org>\r\nTo: c@example.com\r\nSubject: Another\r\nDate: Tue, 2 Jan 2024 10:00:00 +0000\r\nMessage-ID: <c@x>\r\n\r\nc\r\n",
    ];
    for m in mails {
        assert!(c.deliver("x@example.org", &["sort@example.com"], m.as_bytes())[0].starts_with("250"));
    }
    let auth = basic("sort@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let session: Value = serde_json::from_slice(&body).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    // Subjects in the order a query returns them.
    let order = |sort: Value, collapse: bool| -> Vec<String> {
        let (status, r) = api(
            server.http,
            &auth,
            &json!({"using": using, "methodCalls": [
                ["Email/query", {"accountId": account, "sort": sort, "collapseThreads": collapse}, "q"],
                ["Email/get", {"accountId": account, "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["subject"]}, "g"]
            ]}),
        );
        assert_eq!(status, 200);
        assert_eq!(r["methodResponses"][0][0], "Email/query", "{r}");
        r["methodResponses"][1][1]["list"].as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(order(json!([{"property": "sentAt"}]), false), ["Plans", "Another", "Re: Plans"]);
    assert_eq!(order(json!([{"property": "sentAt", "isAscending": false}]), false), ["Re: Plans", "Another", "Plans"]);
    assert_eq!(order(json!([{"property": "subject"}, {"property": "sentAt"}]), false), ["Another", "Plans", "Re: Plans"]);
    assert_eq!(order(json!([{"property": "from"}]), false), ["Re: Plans", "Another", "Plans"], "amy@..., Max, Zed");
    assert_eq!(order(json!([{"property": "to"}]), false), ["Re: Plans", "Plans", "Another"]);
    assert_eq!(order(json!([{"property": "size", "isAscending": false}]), false)[0], "Re: Plans");
    assert_eq!(order(json!([{"property": "sentAt"}]), true), ["Plans", "Another"], "one per thread");
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/query", {"accountId": account, "sort": [{"property": "x-nope"}]}, "q"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["type"], "unsupportedSort");
}

#[test]
fn search_snippets_mark_matches_in_subject_and_body() {
    let s = Setup::new();
    s.create("snip@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    let m = "From: a@example.org\r\nSubject: =?UTF-8?Q?Caf=C3=A9?= budget <draft>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThe caf=C3=A9 budget for 2025 is attached & final.\r\n";
    assert!(c.deliver("x@example.org", &["snip@example.com"], m.as_bytes())[0].starts_with("250"));
    let auth = basic("snip@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let session: Value = serde_json::from_slice(&body).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let filter = json!({"text": "café"});
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"], "methodCalls": [
            ["Email/query", {"accountId": account, "filter": filter}, "q"],
            ["SearchSnippet/get", {"accountId": account, "filter": filter, "#emailIds": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "s"],
            ["SearchSnippet/get", {"accountId": account, "filter": filter, "emailIds": ["Mffff"]}, "t"]
        ]}),
    );
    let snippet = &r["methodResponses"][1][1]["list"][0];
    assert_eq!(snippet["subject"], "<mark>Café</mark> budget &lt;draft&gt;", "{r}");
    assert_eq!(snippet["preview"], "The <mark>café</mark> budget for 2025 is attached &amp; final.", "{r}");
    assert_eq!(r["methodResponses"][2][1]["notFound"], json!(["Mffff"]));
}
