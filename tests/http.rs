//! The HTTP side the server owns today: the admin API a billing system drives
//! (bearer token), and the user's own export download (Basic auth).

use crate::harness::{Lmtp, Setup, basic, http};
use std::io::Read;

#[test]
fn the_admin_api_creates_shows_terminates_and_reports_purges() {
    let s = Setup::with(|c| *c = c.replace("check_interval = \"1m\"", "check_interval = \"1s\""));
    let token = std::fs::read_to_string(s.dir.path().join("admin.token")).unwrap().trim().to_owned();
    let bearer = format!("Bearer {token}");
    let server = s.start();
    let auth = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];

    let (status, _, _) = http(server.http, "GET", "/admin/accounts/x@example.com", &[], b"");
    assert_eq!(status, 401, "no token");
    let (status, _, _) = http(server.http, "GET", "/admin/accounts/x@example.com", &[("Authorization", "Bearer wrong")], b"");
    assert_eq!(status, 401, "wrong token");

    let (status, _, body) =
        http(server.http, "POST", "/admin/accounts", &auth, br#"{"name":"billing@example.com","password":"pw","quota":"1G"}"#);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["state"], "active");
    let hash = v["account_hash"].as_str().unwrap().to_owned();
    let (status, _, _) = http(server.http, "POST", "/admin/accounts", &auth, br#"{"name":"billing@example.com","password":"pw"}"#);
    assert_eq!(status, 409, "exists");
    let (status, _, _) = http(server.http, "POST", "/admin/accounts", &auth, br#"{"name":"not an address","password":"pw"}"#);
    assert_eq!(status, 422);

    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("x@example.org", &["billing@example.com"], b"Subject: a\r\n\r\nb\r\n")[0].starts_with("250"));
    let (status, _, body) = http(server.http, "GET", "/admin/accounts/billing@example.com", &auth, b"");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((v["messages"].as_u64(), v["quota"].as_u64()), (Some(1), Some(1 << 30)));

    let (status, _, body) = http(server.http, "POST", "/admin/accounts/billing@example.com/terminate", &auth, br#"{"export_window":"2s"}"#);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["state"], "terminating");
    assert!(v["purge_at"].as_str().unwrap().ends_with('Z'));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, _, body) = http(server.http, "GET", "/admin/purges", &auth, b"");
        assert_eq!(status, 200);
        let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if list.as_array().unwrap().iter().any(|p| p["account_hash"] == hash.as_str()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no purge reported");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let (status, _, _) = http(server.http, "GET", "/admin/accounts/billing@example.com", &auth, b"");
    assert_eq!(status, 404, "purged accounts are gone");
}

#[test]
fn users_download_their_own_export_with_their_password() {
    let s = Setup::new();
    s.create("self@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    for i in 0..5 {
        assert!(
            c.deliver("x@example.org", &["self@example.com"], format!("Subject: m{i}\r\n\r\n{}\r\n", "x".repeat(100_000)).as_bytes())[0]
                .starts_with("250")
        );
    }
    let (status, headers, _) = http(server.http, "GET", "/account/export", &[], b"");
    assert_eq!(status, 401);
    assert!(headers.iter().any(|(k, v)| k == "www-authenticate" && v.starts_with("Basic realm=")));
    let (status, _, _) = http(server.http, "GET", "/account/export", &[("Authorization", &basic("self@example.com", "wrong"))], b"");
    assert_eq!(status, 401);

    let (status, headers, body) =
        http(server.http, "GET", "/account/export", &[("Authorization", &basic("self@example.com", "secret"))], b"");
    assert_eq!(status, 200);
    assert!(headers.iter().any(|(k, v)| k == "content-type" && v == "application/x-tar"));
    let mut names = Vec::new();
    for e in tar::Archive::new(&body[..]).entries().unwrap() {
        let mut e = e.unwrap();
        names.push(e.path().unwrap().display().to_string());
        e.read_to_end(&mut Vec::new()).unwrap();
    }
    assert_eq!(names.iter().filter(|n| n.ends_with(".eml")).count(), 5);
    assert_eq!(names.last().map(String::as_str), Some("manifest.json"));
}

#[test]
fn repeated_failed_logins_slow_down_then_block_even_the_right_password() {
    let s = Setup::new();
    s.create("target@example.com", &[]);
    let server = s.start();
    let wrong = basic("target@example.com", "guess");
    for _ in 0..5 {
        assert_eq!(http(server.http, "GET", "/account/export", &[("Authorization", &wrong)], b"").0, 401);
    }
    // From the sixth failure on, every attempt waits before it is checked.
    let t = std::time::Instant::now();
    assert_eq!(http(server.http, "GET", "/account/export", &[("Authorization", &wrong)], b"").0, 401);
    assert!(t.elapsed() >= std::time::Duration::from_millis(250), "no delay after 5 failures");
    for _ in 0..4 {
        assert_eq!(http(server.http, "GET", "/account/export", &[("Authorization", &wrong)], b"").0, 401);
    }
    // Ten failures: blocked, whatever the password.
    let (status, headers, _) =
        http(server.http, "GET", "/account/export", &[("Authorization", &basic("target@example.com", "secret"))], b"");
    assert_eq!(status, 429);
    assert!(headers.iter().any(|(k, _)| k == "retry-after"));
}
