//! SearchSnippet/get.

use super::*;

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
