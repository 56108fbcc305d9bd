//! Email/get: body structure and values (golden files in email_golden.rs).

use super::*;

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
