//! Email/get: body structure and values, and golden files: each
//! `tests/data/jmap/email_get/NAME.eml` is delivered over LMTP and read with
//! every property and header form; the answer must equal `NAME.json` once the
//! ids the server makes are replaced by placeholders. `TRESOR_BLESS=1`
//! rewrites the golden files; check each change against RFC 8621 4.1 before
//! keeping it. email_parse.rs reads the same files through Email/parse.

use super::*;
use std::path::PathBuf;

/// Every Email property, and the header forms of RFC 8621 4.1.2.
pub const PROPERTIES: &[&str] = &[
    "id",
    "blobId",
    "threadId",
    "mailboxIds",
    "keywords",
    "size",
    "receivedAt",
    "messageId",
    "inReplyTo",
    "references",
    "sender",
    "from",
    "to",
    "cc",
    "bcc",
    "replyTo",
    "subject",
    "sentAt",
    "hasAttachment",
    "preview",
    "headers",
    "bodyStructure",
    "textBody",
    "htmlBody",
    "attachments",
    "bodyValues",
    "header:Subject:asText",
    "header:From:asAddresses",
    "header:To:asGroupedAddresses",
    "header:Message-ID:asMessageIds",
    "header:Date:asDate",
    "header:List-Unsubscribe:asURLs",
    "header:X-Custom:asRaw",
    "header:X-Custom:asText",
    "header:Received:all",
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/jmap/email_get")
}

/// The names of the golden messages, sorted.
pub fn golden_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The message `NAME.eml`.
pub fn golden_message(name: &str) -> Vec<u8> {
    std::fs::read(golden_dir().join(format!("{name}.eml"))).unwrap()
}

/// The Email/get answer in `NAME.json`, or (with `TRESOR_BLESS` set) `got` written there first.
pub fn golden_answer(name: &str, got: &Value) -> Value {
    let file = golden_dir().join(format!("{name}.json"));
    if std::env::var_os("TRESOR_BLESS").is_some() {
        std::fs::write(&file, serde_json::to_string_pretty(got).unwrap() + "\n").unwrap();
    }
    let text = std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("{} is missing (TRESOR_BLESS=1 writes it)", file.display()));
    serde_json::from_str(&text).unwrap()
}

/// Replaces what the server makes up with placeholders: `<id>`, `<blobId>`,
/// `<threadId>`, `<mailbox>` (the one mailbox), `<receivedAt>`, and
/// `<blob PART>` for the blob of body part PART.
pub fn normalize(email: &mut Value) {
    for (key, placeholder) in [("id", "<id>"), ("blobId", "<blobId>"), ("threadId", "<threadId>"), ("receivedAt", "<receivedAt>")] {
        if email[key].is_string() {
            email[key] = placeholder.into();
        }
    }
    if let Some(boxes) = email["mailboxIds"].as_object_mut() {
        assert_eq!(boxes.len(), 1, "delivered into one mailbox");
        *boxes = [("<mailbox>".to_owned(), Value::Bool(true))].into_iter().collect();
    }
    for key in ["bodyStructure", "textBody", "htmlBody", "attachments"] {
        parts(&mut email[key], &mut |part| {
            if let (Some(id), true) = (part["partId"].as_str().map(str::to_owned), part["blobId"].is_string()) {
                part["blobId"] = format!("<blob {id}>").into();
            }
        });
    }
}

/// Calls `f` on every body part in `v` (a part or a list of parts), subParts first.
fn parts(v: &mut Value, f: &mut impl FnMut(&mut Value)) {
    match v {
        Value::Array(list) => list.iter_mut().for_each(|p| parts(p, f)),
        Value::Object(_) => {
            parts(&mut v["subParts"], f);
            f(v);
        }
        _ => {}
    }
}

/// Each leaf part's blob downloads, and its `size` is the octets the download has.
pub fn check_part_blobs(c: &Client, email: &Value, what: &str) {
    let mut email = email.clone();
    parts(&mut email["bodyStructure"], &mut |part| {
        if let Some(blob) = part["blobId"].as_str() {
            let (status, bytes) = c.download(blob);
            assert_eq!(status, 200, "{what}: part {} blob {blob}", part["partId"]);
            assert_eq!(Some(bytes.len() as u64), part["size"].as_u64(), "{what}: part {}: size is the decoded octets", part["partId"]);
        }
    });
}

/// Where `got` differs from `want`: one line per JSON path.
pub fn differences(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for k in w.keys().chain(g.keys().filter(|k| !w.contains_key(*k))) {
                match (w.get(k), g.get(k)) {
                    (Some(w), Some(g)) => differences(&format!("{path}/{k}"), w, g, out),
                    (Some(w), None) => out.push(format!("{path}/{k}: expected {w}, missing from the answer")),
                    (None, g) => out.push(format!("{path}/{k}: not expected, got {}", g.unwrap())),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (w, g)) in w.iter().zip(g).enumerate() {
                differences(&format!("{path}/{i}"), w, g, out);
            }
        }
        _ if want != got => out.push(format!("{path}: expected {want}, got {got}")),
        _ => {}
    }
}

/// Delivers `NAME.eml` and compares its Email/get with `NAME.json`.
fn check_get(name: &str) {
    let s = Setup::new();
    s.create("golden@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "golden@example.com");
    deliver_bytes(&server, "golden@example.com", &golden_message(name));
    let r = c.call("Email/get", json!({ "ids": c.emails(json!({})), "properties": PROPERTIES, "fetchAllBodyValues": true }));
    let mut got = r["list"][0].clone();
    assert!(got.is_object(), "{name}: {r}");
    check_part_blobs(&c, &got, name);
    normalize(&mut got);
    let mut diff = Vec::new();
    differences("", &golden_answer(name, &got), &got, &mut diff);
    assert!(diff.is_empty(), "Email/get of {name}.eml differs from {name}.json:\n{}", diff.join("\n"));
}

mod golden {
    golden_tests!(super::check_get);
}

#[test]
fn email_get_serves_body_structure_and_values() {
    let s = Setup::new();
    s.create("b@example.com", &[]);
    let server = s.start();
    let msg = "From: a@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n\
--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n\
--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 au lait, tr=C3=A8s bien\r\n\
--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Caf\u{e9}</p>\r\n--inner--\r\n\
--outer\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n\
--outer--\r\n";
    deliver(&server, "b@example.com", msg);
    let c = Client::login(&server, "b@example.com");
    let (auth, account) = (&c.auth, &c.account);
    let r = c.request(json!([
        ["Email/query", {}, "q"],
        ["Email/get", {"#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"},
          "properties": ["bodyStructure", "textBody", "htmlBody", "attachments", "bodyValues", "hasAttachment", "preview"],
          "fetchTextBodyValues": true, "fetchHTMLBodyValues": true, "maxBodyValueBytes": 6}, "g"]
    ]));
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
        http(server.http, "GET", &format!("/jmap/download/{account}/{blob}/r.pdf?type=application/pdf"), &[("Authorization", auth)], b"");
    assert_eq!((status, bytes.as_slice()), (200, &b"%PDF-1.4\n"[..]));
    assert!(headers.iter().any(|(k, v)| k == "content-type" && v == "application/pdf"));
    let (status, _, _) = http(server.http, "GET", &format!("/jmap/download/Adeadbeef/{blob}/r.pdf"), &[("Authorization", auth)], b"");
    assert_eq!(status, 404);
    let (status, _, _) = http(server.http, "GET", &format!("/jmap/download/{account}/G999/x"), &[("Authorization", auth)], b"");
    assert_eq!(status, 404);
}
