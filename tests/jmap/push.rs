//! Push: EventSource (RFC 8620 7.3) and WebSocket (RFC 8887), from LMTP, IMAP and JMAP.

use super::*;
use crate::imap::Imap;
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
