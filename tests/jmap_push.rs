//! Push from every writer: an LMTP delivery, an IMAP STORE and a JMAP
//! Email/set each reach an open EventSource and an open WebSocket within a
//! second, as a StateChange for the account with the new Email state.

use crate::harness::{Lmtp, Setup, basic};
use crate::imap::Imap;
use crate::jmap_methods::Client;
use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader, Write},
    net::TcpStream,
    sync::mpsc,
    time::{Duration, Instant},
};

/// Reads `data:` lines of an event stream (no Authorization: the session's token) into a channel.
fn event_source(addr: std::net::SocketAddr, url: &str) -> mpsc::Receiver<Value> {
    let path = &url[url.find("/jmap/").unwrap()..];
    let path = path.replace("{types}", "*").replace("{closeafter}", "no").replace("{ping}", "0");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n").unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data: ")
                && let Ok(v) = serde_json::from_str::<Value>(data)
                && tx.send(v).is_err()
            {
                return;
            }
        }
    });
    rx
}

/// A WebSocket with push on, its StateChanges read into a channel.
fn web_socket(addr: std::net::SocketAddr, auth: &str) -> mpsc::Receiver<Value> {
    use tungstenite::{Message, client::IntoClientRequest};
    let mut req = format!("ws://{addr}/jmap/ws").into_client_request().unwrap();
    req.headers_mut().insert("Authorization", auth.parse().unwrap());
    req.headers_mut().insert("Sec-WebSocket-Protocol", "jmap".parse().unwrap());
    let (mut ws, _) = tungstenite::client::client(req, TcpStream::connect(addr).unwrap()).unwrap();
    ws.send(Message::Text(json!({ "@type": "WebSocketPushEnable", "dataTypes": null }).to_string().into())).unwrap();
    // Handled in order: once this echo is answered, push is on.
    let echo = json!({ "@type": "Request", "id": "on", "using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {}, "c"]] });
    ws.send(Message::Text(echo.to_string().into())).unwrap();
    loop {
        if let Message::Text(t) = ws.read().unwrap()
            && serde_json::from_str::<Value>(&t).unwrap()["requestId"] == "on"
        {
            break;
        }
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        while let Ok(m) = ws.read() {
            if let Message::Text(t) = m
                && let Ok(v) = serde_json::from_str::<Value>(&t)
                && v["@type"] == "StateChange"
                && tx.send(v).is_err()
            {
                return;
            }
        }
    });
    rx
}

/// Waits at most a second for a StateChange whose Email state is `state`.
fn arrives(rx: &mpsc::Receiver<Value>, account: &str, state: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(v) if v["changed"][account]["Email"] == state => return,
            Ok(_) => continue, // an earlier state
            Err(_) => panic!("{what}: no StateChange with Email state {state} within 1 s"),
        }
    }
}

#[test]
fn lmtp_imap_and_jmap_changes_reach_event_source_and_websocket_within_a_second() {
    let s = Setup::new();
    s.create("push@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "push@example.com", "secret");
    let es = event_source(server.http, c.session["eventSourceUrl"].as_str().unwrap());
    let ws = web_socket(server.http, &basic("push@example.com", "secret"));
    std::thread::sleep(Duration::from_millis(200)); // the stream's headers are out
    let state = || c.call("Email/get", json!({ "ids": [] }))["state"].as_str().unwrap().to_owned();

    let mut lmtp = Lmtp::connect(server.lmtp);
    assert!(lmtp.deliver("a@example.org", &["push@example.com"], b"Subject: one\r\n\r\nx\r\n")[0].starts_with("250"));
    let now = state();
    arrives(&es, &c.account, &now, "LMTP -> EventSource");
    arrives(&ws, &c.account, &now, "LMTP -> WebSocket");

    let mut imap = Imap::login(server.imap, "push@example.com");
    imap.cmd("s SELECT INBOX");
    let reply = imap.cmd("t STORE 1 +FLAGS (\\Flagged)");
    assert!(reply.last().unwrap().starts_with("t OK"), "{reply:?}");
    let now = state();
    arrives(&es, &c.account, &now, "IMAP STORE -> EventSource");
    arrives(&ws, &c.account, &now, "IMAP STORE -> WebSocket");

    let id = c.call("Email/query", json!({}))["ids"][0].as_str().unwrap().to_owned();
    let r = c.call("Email/set", json!({ "update": { id: { "keywords/$seen": true } } }));
    let now = r["newState"].as_str().unwrap().to_owned();
    arrives(&es, &c.account, &now, "JMAP Email/set -> EventSource");
    arrives(&ws, &c.account, &now, "JMAP Email/set -> WebSocket");
}
