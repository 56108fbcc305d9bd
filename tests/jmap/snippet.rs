//! SearchSnippet/get.

use super::*;

#[test]
fn search_snippets_mark_matches_in_subject_and_body() {
    let s = Setup::new();
    s.create("snip@example.com", &[]);
    let server = s.start();
    let m = "From: a@example.org\r\nSubject: =?UTF-8?Q?Caf=C3=A9?= budget <draft>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThe caf=C3=A9 budget for 2025 is attached & final.\r\n";
    deliver(&server, "snip@example.com", m);
    deliver(&server, "snip@example.com", "Subject: other\r\n\r\nnothing to see\r\n");
    let c = Client::login(&server, "snip@example.com");
    let filter = json!({"text": "café"});
    let other = c.emails(json!({"subject": "other"}));
    let r = c.request(json!([
        ["Email/query", {"filter": filter}, "q"],
        ["SearchSnippet/get", {"filter": filter, "#emailIds": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "s"],
        ["SearchSnippet/get", {"filter": filter, "emailIds": ["Mffff"]}, "t"],
        ["SearchSnippet/get", {"filter": filter, "emailIds": other}, "u"]
    ]));
    let snippet = &r["methodResponses"][1][1]["list"][0];
    assert_eq!(snippet["subject"], "<mark>Café</mark> budget &lt;draft&gt;", "{r}");
    assert_eq!(snippet["preview"], "The <mark>café</mark> budget for 2025 is attached &amp; final.", "{r}");
    assert_eq!(r["methodResponses"][2][1]["notFound"], json!(["Mffff"]));
    assert_eq!(r["methodResponses"][3][1]["list"], json!([{ "emailId": other[0], "subject": null, "preview": null }]), "no match: nulls");
}
