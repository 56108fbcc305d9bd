//! API tokens (bearer auth until revoked) and the event-source token a browser uses instead of an Authorization header.

use super::push::{event_source_path, open_stream};
use super::*;

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
    let c = Client::login(&server, "e@example.com");
    let path = event_source_path(&c, "*", "state", 0);
    assert!(path.contains("&token="));
    // No Authorization header: the token opens the stream (open_stream checks the 200).
    let mut stream = open_stream(server.http, &path, None);
    deliver(&server, "e@example.com", "From: a@example.org\r\nSubject: push\r\n\r\nx\r\n");
    let mut body = String::new();
    std::io::Read::read_to_string(&mut stream, &mut body).unwrap();
    assert!(body.contains(&format!("\"{}\"", c.account)), "a StateChange for this account");
    // A forged or altered token is refused, and it opens nothing else.
    let forged = path.replacen("&token=", "&token=0", 1);
    assert_eq!(http(server.http, "GET", &forged, &[], b"").0, 401);
    let token = &path[path.find("token=").unwrap() + 6..];
    assert_eq!(http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &format!("Bearer {token}"))], b"").0, 401);
    // Another account's token cannot be made from this one.
    let other = Client::login(&server, "other@example.com");
    let other_url = other.session["eventSourceUrl"].as_str().unwrap();
    let other_token = &other_url[other_url.find("token=").unwrap() + 6..];
    let mixed = format!("{}{}", &token[..token.find('.').unwrap()], &other_token[other_token.find('.').unwrap()..]);
    let p = path.replace(token, &mixed);
    assert_eq!(http(server.http, "GET", &p, &[], b"").0, 401);
}
