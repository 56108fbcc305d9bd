//! JMAP methods beyond opening a mailbox, against the real server:
//! Email/parse, Email/queryChanges, Mailbox/query and /queryChanges,
//! Thread/changes, Email/copy's errors, RFC 9404 blobs, creation-id
//! references across calls, Identity and VacationResponse, and the browser
//! event-source token.

use crate::harness::{Lmtp, Server, Setup, basic, http};
use serde_json::{Value, json};

const USING: [&str; 5] = [
    "urn:ietf:params:jmap:core",
    "urn:ietf:params:jmap:mail",
    "urn:ietf:params:jmap:blob",
    "urn:ietf:params:jmap:submission",
    "urn:ietf:params:jmap:vacationresponse",
];

/// A client of one account: its session and method calls.
pub struct Client {
    pub addr: std::net::SocketAddr,
    pub auth: String,
    pub session: Value,
    pub account: String,
}

impl Client {
    pub fn new(server: &Server, login: &str, password: &str) -> Client {
        let auth = basic(login, password);
        let (status, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
        assert_eq!(status, 200);
        let session: Value = serde_json::from_slice(&body).unwrap();
        let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
        Client { addr: server.http, auth, session, account }
    }

    /// The response of one request; each call's arguments get `accountId`.
    pub fn request(&self, calls: Value) -> Value {
        let mut calls = calls;
        for c in calls.as_array_mut().unwrap() {
            c[1].as_object_mut().unwrap().entry("accountId").or_insert(self.account.clone().into());
        }
        let body = json!({ "using": USING, "methodCalls": calls });
        let (status, _, body) = http(
            self.addr,
            "POST",
            "/jmap/api",
            &[("Authorization", &self.auth), ("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    /// The arguments of the first response to one call.
    pub fn call(&self, name: &str, args: Value) -> Value {
        let r = self.request(json!([[name, args, "c"]]));
        r["methodResponses"][0][1].clone()
    }

    pub fn upload(&self, bytes: &[u8]) -> String {
        let (status, _, body) = http(self.addr, "POST", &format!("/jmap/upload/{}", self.account), &[("Authorization", &self.auth)], bytes);
        assert_eq!(status, 201);
        serde_json::from_slice::<Value>(&body).unwrap()["blobId"].as_str().unwrap().to_owned()
    }
}

fn deliver(server: &Server, to: &str, message: &str) {
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("sender@example.org", &[to], message.as_bytes())[0].starts_with("250"));
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()).collect()
}

#[test]
fn email_parse_reads_an_uploaded_message_and_an_attached_one() {
    let s = Setup::new();
    s.create("p@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "p@example.com", "secret");
    let inner = "From: Inner <inner@example.org>\r\nSubject: the attached one\r\nMessage-ID: <inner@x>\r\n\r\ninside\r\n";
    let outer = format!(
        "From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\nTo: Team: a@x.org;\r\nSubject: outer\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n\
         Message-ID: <outer@x>\r\nX-Custom:  raw value\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n{inner}--b--\r\n"
    );
    let blob = c.upload(outer.as_bytes());
    let r = c.call(
        "Email/parse",
        json!({ "blobIds": [blob, "Unope"], "fetchAllBodyValues": true,
                "properties": ["from", "subject", "sentAt", "messageId", "header:To:asGroupedAddresses", "header:X-Custom",
                               "header:Date:asDate", "textBody", "attachments", "bodyValues", "id", "size"] }),
    );
    let e = &r["parsed"][&blob];
    assert_eq!(e["from"], json!([{ "name": "Jürgen", "email": "j@example.org" }]));
    assert_eq!(e["subject"], "outer");
    assert_eq!(e["messageId"], json!(["outer@x"]));
    assert_eq!(e["header:To:asGroupedAddresses"], json!([{ "name": "Team", "addresses": [{ "name": null, "email": "a@x.org" }] }]));
    assert_eq!(e["header:X-Custom"], "  raw value");
    assert_eq!(e["header:Date:asDate"], "2003-07-01T10:52:37+02:00");
    assert_eq!(e["id"], Value::Null);
    assert_eq!(e["size"], outer.len());
    assert_eq!(e["bodyValues"]["1"]["value"], "hello", "the line break before a boundary is the boundary's");
    assert_eq!(r["notFound"], json!(["Unope"]));
    // The attached message is a blob of its own, and parses too.
    let attached = e["attachments"][0]["blobId"].as_str().unwrap().to_owned();
    assert_eq!(e["attachments"][0]["type"], "message/rfc822");
    let r = c.call("Email/parse", json!({ "blobIds": [attached], "properties": ["subject", "from"] }));
    assert_eq!(r["parsed"][&attached]["subject"], "the attached one");
    let (status, _, body) =
        http(server.http, "GET", &format!("/jmap/download/{}/{attached}/m.eml", c.account), &[("Authorization", &c.auth)], b"");
    assert_eq!((status, body), (200, inner.trim_end().as_bytes().to_vec()), "the part ends before the boundary's line break");
    // Not a message at all.
    let junk = c.upload(b"\x00\x01 not a message");
    assert_eq!(c.call("Email/parse", json!({ "blobIds": [junk] }))["notParsable"], json!([junk]));
}

#[test]
fn query_changes_follow_deliveries_keywords_and_expunges() {
    let s = Setup::new();
    s.create("q@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "q@example.com", "secret");
    for i in 0..3 {
        deliver(&server, "q@example.com", &format!("From: a@example.org\r\nSubject: m{i}\r\n\r\nbody {i}\r\n"));
    }
    let inbox = ids(&c.call("Mailbox/query", json!({ "filter": { "role": "inbox" } }))["ids"])[0].clone();
    let args =
        json!({ "filter": { "inMailbox": inbox, "notKeyword": "$seen" }, "sort": [{ "property": "receivedAt", "isAscending": false }] });
    let q = c.call("Email/query", args.clone());
    assert_eq!(q["canCalculateChanges"], true);
    let (state, before) = (q["queryState"].clone(), ids(&q["ids"]));
    assert_eq!(before.len(), 3);
    // One is read (leaves the results), one more arrives (at the top).
    c.call("Email/set", json!({ "update": { before[1].clone(): { "keywords/$seen": true } } }));
    deliver(&server, "q@example.com", "From: a@example.org\r\nSubject: m3\r\n\r\nbody 3\r\n");
    let mut qc = args.clone();
    qc["sinceQueryState"] = state.clone();
    qc["calculateTotal"] = true.into();
    let r = c.call("Email/queryChanges", qc);
    assert_eq!(r["oldQueryState"], state);
    assert_eq!(r["total"], 3);
    // Applying removed then added to the old ids gives the new results.
    let now = ids(&c.call("Email/query", args.clone())["ids"]);
    let removed = ids(&r["removed"]);
    let mut applied: Vec<String> = before.iter().filter(|i| !removed.contains(i)).cloned().collect();
    let mut added: Vec<(usize, String)> = r["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["index"].as_u64().unwrap() as usize, a["id"].as_str().unwrap().to_owned()))
        .collect();
    added.sort();
    for (i, id) in added {
        applied.insert(i, id);
    }
    assert_eq!(applied, now);
    assert!(removed.contains(&before[1]));
    // A state from the future cannot be answered.
    let mut bad = args.clone();
    bad["sinceQueryState"] = "999999".into();
    assert_eq!(c.call("Email/queryChanges", bad)["type"], "cannotCalculateChanges");
    // Thread/changes saw four new threads.
    let t = c.call("Thread/changes", json!({ "sinceState": "0" }));
    assert_eq!(t["created"].as_array().unwrap().len(), 4, "{t}");
}

#[test]
fn mailbox_query_filters_sorts_as_a_tree_and_reports_changes() {
    let s = Setup::new();
    s.create("t@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "t@example.com", "secret");
    let r = c.request(json!([
        ["Mailbox/set", { "create": { "p": { "name": "Projects", "parentId": null }, "a": { "name": "Alpha", "parentId": "#p" }, "z": { "name": "Zeta", "parentId": "#p", "sortOrder": 1 } } }, "s"],
        ["Mailbox/query", { "filter": { "parentId": "#p" }, "sort": [{ "property": "name", "isAscending": false }] }, "q"],
        ["Mailbox/query", { "sortAsTree": true, "filter": { "hasAnyRole": false }, "sort": [{ "property": "name" }] }, "t"],
    ]));
    let created = &r["methodResponses"][0][1]["created"];
    let (p, a, z) = (created["p"]["id"].clone(), created["a"]["id"].clone(), created["z"]["id"].clone());
    assert_eq!(r["methodResponses"][1][1]["ids"], json!([z, a]), "children of #p, by name descending");
    assert_eq!(r["methodResponses"][2][1]["ids"], json!([p, a, z]), "a parent before its children");
    let state = c.call("Mailbox/query", json!({ "filter": { "hasAnyRole": false } }))["queryState"].clone();
    c.call("Mailbox/set", json!({ "update": { z.as_str().unwrap(): { "name": "Beta" } } }));
    let r = c.call("Mailbox/queryChanges", json!({ "filter": { "hasAnyRole": false }, "sinceQueryState": state }));
    assert!(ids(&r["removed"]).contains(&z.as_str().unwrap().to_owned()));
    assert_eq!(r["added"].as_array().unwrap().len(), 1);
    assert_eq!(c.call("Mailbox/query", json!({ "filter": { "name": "eta" } }))["ids"], json!([z]));
    assert_eq!(c.call("Mailbox/query", json!({ "filter": { "size": 1 } }))["type"], "unsupportedFilter");
}

#[test]
fn creation_ids_reach_later_calls_and_email_copy_says_why_not() {
    let s = Setup::new();
    s.create("c@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "c@example.com", "secret");
    let drafts = ids(&c.call("Mailbox/query", json!({ "filter": { "role": "drafts" } }))["ids"])[0].clone();
    let mut body = json!({ "using": USING, "createdIds": {}, "methodCalls": [
        ["Email/set", { "accountId": c.account, "create": { "d": { "mailboxIds": { drafts.clone(): true }, "subject": "draft", "bodyValues": { "1": { "value": "x" } }, "textBody": [{ "partId": "1" }] } } }, "a"],
        ["Email/get", { "accountId": c.account, "ids": ["#d"], "properties": ["subject"] }, "b"],
    ]});
    let (_, _, resp) = http(c.addr, "POST", "/jmap/api", &[("Authorization", &c.auth)], body.to_string().as_bytes());
    let r: Value = serde_json::from_slice(&resp).unwrap();
    let id = r["methodResponses"][0][1]["created"]["d"]["id"].clone();
    assert_eq!(r["methodResponses"][1][1]["list"][0]["id"], id);
    assert_eq!(r["createdIds"]["d"], id, "createdIds comes back when the request had it");
    body["methodCalls"] = json!([["Email/copy", { "accountId": c.account, "fromAccountId": "Aother", "create": {} }, "x"]]);
    let (_, _, resp) = http(c.addr, "POST", "/jmap/api", &[("Authorization", &c.auth)], body.to_string().as_bytes());
    assert_eq!(serde_json::from_slice::<Value>(&resp).unwrap()["methodResponses"][0][1]["type"], "fromAccountNotFound");
}

#[test]
fn blobs_are_made_from_text_and_ranges_and_looked_up() {
    let s = Setup::new();
    s.create("b@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "b@example.com", "secret");
    deliver(&server, "b@example.com", "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n");
    let email = c.call("Email/query", json!({}))["ids"][0].as_str().unwrap().to_owned();
    let got = c.call("Email/get", json!({ "ids": [email], "properties": ["blobId", "mailboxIds", "threadId"] }));
    let blob = got["list"][0]["blobId"].as_str().unwrap().to_owned();
    let r = c.call(
        "Blob/upload",
        json!({ "create": {
            "t": { "data": [{ "data:asText": "hello " }, { "data:asBase64": "d29ybGQ=" }], "type": "text/plain" },
            "r": { "data": [{ "blobId": blob, "offset": 0, "length": 4 }] },
            "bad": { "data": [{ "blobId": "Gfffff" }] },
        }}),
    );
    let t = r["created"]["t"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r["created"]["t"]["size"], 11);
    assert_eq!(r["notCreated"]["bad"]["type"], "blobNotFound");
    let g = c.call("Blob/get", json!({ "ids": [t, r["created"]["r"]["id"]], "properties": ["data:asText", "digest:sha-256", "size"] }));
    assert_eq!(g["list"][0]["data:asText"], "hello world");
    assert_eq!(g["list"][0]["digest:sha-256"], "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
    assert_eq!(g["list"][1]["data:asText"], "Retu", "the stored message starts with the Return-Path delivery added");
    let l = c.call("Blob/lookup", json!({ "typeNames": ["Email", "Mailbox", "Thread"], "ids": [blob, "Gfffff"] }));
    assert_eq!(l["list"][0]["matchedIds"]["Email"], json!([email]));
    assert_eq!(l["list"][0]["matchedIds"]["Thread"], json!([got["list"][0]["threadId"]]));
    assert_eq!(l["notFound"], json!(["Gfffff"]));
}

#[test]
fn identities_and_the_vacation_response_are_the_accounts_own() {
    let s = Setup::new();
    s.create("i@example.com", &["--alias", "alias@example.com"]);
    let server = s.start();
    let c = Client::new(&server, "i@example.com", "secret");
    let list = c.call("Identity/get", json!({ "ids": null }));
    assert_eq!(list["list"][0]["email"], "i@example.com", "the default identity");
    let r = c.call(
        "Identity/set",
        json!({ "create": {
            "a": { "email": "alias@example.com", "name": "Alias", "textSignature": "-- \nA", "replyTo": [{ "email": "r@example.com" }] },
            "x": { "email": "someone@else.org" },
        }}),
    );
    let a = r["created"]["a"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r["notCreated"]["x"]["type"], "forbiddenFrom");
    let state = r["newState"].clone();
    c.call("Identity/set", json!({ "update": { a.clone(): { "name": "Renamed" } } }));
    let ch = c.call("Identity/changes", json!({ "sinceState": state }));
    assert_eq!(ch["updated"], json!([a]));
    assert_eq!(c.call("Identity/get", json!({ "ids": [a] }))["list"][0]["name"], "Renamed");
    let r = c.call("Identity/set", json!({ "update": { a.clone(): { "email": "i@example.com" } } }));
    assert_eq!(r["notUpdated"][&a]["type"], "invalidProperties", "an identity's address is fixed");

    let r = c.call(
        "VacationResponse/set",
        json!({ "update": { "singleton": { "isEnabled": true, "subject": "Away", "textBody": "VACATIONCANARY", "toDate": "2099-01-01T00:00:00Z" } },
                "create": { "n": {} } }),
    );
    assert_eq!(r["updated"], json!({ "singleton": null }));
    assert_eq!(r["notCreated"]["n"]["type"], "singleton");
    let v = c.call("VacationResponse/get", json!({}));
    assert_eq!(v["list"][0]["toDate"], "2099-01-01T00:00:00Z");
    assert_eq!(v["list"][0]["textBody"], "VACATIONCANARY");
    // Without a smarthost, nothing can be submitted (and nothing is queued).
    let email = {
        let drafts = ids(&c.call("Mailbox/query", json!({ "filter": { "role": "drafts" } }))["ids"])[0].clone();
        let r = c.call("Email/set", json!({ "create": { "d": { "mailboxIds": { drafts: true }, "from": [{ "email": "i@example.com" }], "to": [{ "email": "x@example.org" }], "subject": "s", "bodyValues": { "1": { "value": "x" } }, "textBody": [{ "partId": "1" }] } } }));
        r["created"]["d"]["id"].as_str().unwrap().to_owned()
    };
    let r = c.call("EmailSubmission/set", json!({ "create": { "s": { "identityId": list["list"][0]["id"], "emailId": email } } }));
    assert_eq!(r["notCreated"]["s"]["type"], "forbidden");
    drop(server);
    assert!(crate::harness::files_containing(s.dir.path(), b"VACATIONCANARY").is_empty(), "the vacation text is sealed");
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

#[test]
fn a_1_gb_upload_and_a_self_reference_are_refused_and_the_server_stays_up() {
    use std::io::{Read, Write};
    let s = Setup::new();
    s.create("u@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "u@example.com", "secret");
    // Announce 1 GB and keep sending: the server answers 413 once the
    // advertised maxSizeUpload is passed, without reading (or holding) the rest.
    let mut stream = std::net::TcpStream::connect(server.http).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "POST /jmap/upload/{} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 1073741824\r\n\r\n",
        c.account, c.auth
    )
    .unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut sent = 0usize;
    while sent < 1 << 30 && stream.write_all(&chunk).is_ok() {
        sent += chunk.len();
        if sent > 200 << 20 {
            break; // far past the limit: the server must have answered by now
        }
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 413"), "{}", String::from_utf8_lossy(&reply[..reply.len().min(200)]));
    assert!(sent < 1 << 30, "the server read the whole gigabyte");
    // A call naming itself (or a later call) as its result reference.
    let r = c.request(json!([
        ["Email/get", { "#ids": { "resultOf": "self", "name": "Email/get", "path": "/ids" } }, "self"],
        ["Email/get", { "#ids": { "resultOf": "later", "name": "Email/query", "path": "/ids" } }, "now"],
        ["Email/query", {}, "later"],
    ]));
    assert_eq!(r["methodResponses"][0][1]["type"], "invalidResultReference");
    assert_eq!(r["methodResponses"][1][1]["type"], "invalidResultReference");
    assert!(r["methodResponses"][2][1]["ids"].is_array());
    // Nothing was stored, and the server still answers.
    assert_eq!(c.call("Mailbox/get", json!({ "ids": null }))["list"].as_array().map(Vec::len), Some(6));
    assert_eq!(c.call("Email/query", json!({}))["ids"], json!([]));
}

#[test]
fn quotas_are_queried_and_report_changes_of_use() {
    let s = Setup::new();
    s.create("qq@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "qq@example.com", "secret");
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:quota"]);
    let call = |name: &str, args: Value| -> Value {
        let mut args = args;
        args["accountId"] = c.account.clone().into();
        let body = json!({ "using": using, "methodCalls": [[name, args, "c"]] });
        let (_, _, r) = http(c.addr, "POST", "/jmap/api", &[("Authorization", &c.auth)], body.to_string().as_bytes());
        serde_json::from_slice::<Value>(&r).unwrap()["methodResponses"][0][1].clone()
    };
    let q = call("Quota/query", json!({ "filter": { "resourceType": "octets" } }));
    assert_eq!(q["ids"], json!(["Qbytes"]));
    let state = call("Quota/get", json!({ "ids": null }))["state"].clone();
    assert_eq!(call("Quota/changes", json!({ "sinceState": state }))["updated"], json!([]));
    deliver(&server, "qq@example.com", "Subject: q\r\n\r\nx\r\n");
    assert_eq!(call("Quota/changes", json!({ "sinceState": state }))["updated"], json!(["Qbytes"]));
}
