//! Golden files: each `tests/data/jmap/NAME.eml` is delivered over LMTP and
//! read with Email/get (every property, every header form), and uploaded and
//! read with Email/parse; the answers must equal `NAME.get.json` and
//! `NAME.parse.json`. Server-made ids are replaced by placeholders first.
//! `TRESOR_BLESS=1` rewrites the golden files (read the diff before keeping it).

use super::*;
use std::path::PathBuf;

const PROPERTIES: &[&str] = &[
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

fn goldens() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/jmap");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect();
    files.sort();
    assert!(files.len() >= 8, "golden messages in {}", dir.display());
    files
}

/// Replaces ids the server makes (and the arrival time) with stable names.
fn normalize(v: &mut Value, names: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let is_id = s.len() > 1
                && s.len() < 64
                && matches!(s.as_bytes()[0], b'M' | b'T' | b'B' | b'G' | b'U' | b'P' | b'Q')
                && s[1..].bytes().all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b'_' || b.is_ascii_alphanumeric())
                && s[1..].bytes().any(|b| b.is_ascii_digit());
            if is_id {
                let i = names.iter().position(|n| n == s).unwrap_or_else(|| {
                    names.push(s.clone());
                    names.len() - 1
                });
                *s = format!("<id{i}>");
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| normalize(x, names)),
        Value::Object(o) => {
            let entries: Vec<(String, Value)> = std::mem::take(o).into_iter().collect();
            for (k, mut x) in entries {
                normalize(&mut x, names);
                let mut key = Value::String(k);
                normalize(&mut key, names);
                let key = key.as_str().unwrap().to_owned();
                if key == "receivedAt" {
                    x = "<receivedAt>".into();
                }
                o.insert(key, x);
            }
        }
        _ => {}
    }
}

fn check(path: &std::path::Path, kind: &str, mut got: Value) {
    normalize(&mut got, &mut Vec::new());
    let golden = path.with_extension(format!("{kind}.json"));
    let pretty = serde_json::to_string_pretty(&got).unwrap() + "\n";
    if std::env::var_os("TRESOR_BLESS").is_some() {
        std::fs::write(&golden, &pretty).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| panic!("{} is missing (TRESOR_BLESS=1 writes it)", golden.display()));
    assert_eq!(pretty, want, "{} differs from its golden file", golden.display());
}

#[test]
fn email_get_and_email_parse_match_their_golden_files() {
    let s = Setup::new();
    s.create("golden@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "golden@example.com", "secret");
    for path in goldens() {
        let raw = std::fs::read(&path).unwrap();
        let before = c.call("Email/query", json!({}))["ids"].as_array().unwrap().clone();
        let mut lmtp = Lmtp::connect(server.lmtp);
        assert!(lmtp.deliver("sender@example.org", &["golden@example.com"], &raw)[0].starts_with("250"), "{}", path.display());
        let now = c.call("Email/query", json!({}))["ids"].as_array().unwrap().clone();
        let id = now.iter().find(|i| !before.contains(i)).unwrap().clone();
        let got = c.call("Email/get", json!({ "ids": [id], "properties": PROPERTIES, "fetchAllBodyValues": true }));
        check(&path, "get", got["list"][0].clone());

        let blob = c.upload(&raw);
        let parse_properties: Vec<&str> = PROPERTIES.iter().copied().filter(|p| *p != "receivedAt").collect();
        let parsed = c.call("Email/parse", json!({ "blobIds": [blob], "properties": parse_properties, "fetchAllBodyValues": true }));
        check(&path, "parse", parsed["parsed"][&blob].clone());
    }
}
