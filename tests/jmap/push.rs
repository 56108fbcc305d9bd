//! Push: EventSource (RFC 8620 7.3) and WebSocket (RFC 8887), from LMTP, IMAP
//! and JMAP; `closeafter=state` and `ping`. Every wait is bounded.

use super::*;
use crate::imap::Imap;
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    sync::mpsc,
    time::{Duration, Instant},
};
use tungstenite::{Message, WebSocket, client::IntoClientRequest};

/// Opens an event stream at `path` (with `auth`, if any) and returns it once
/// the response head is read, so the server is subscribed before any change.
pub fn open_stream(addr: SocketAddr, path: &str, auth: Option<&str>) -> BufReader<TcpStream> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Accept: text/event-stream\r\nConnection: close\r\n\r\n").unwrap();
    let mut reader = BufReader::new(s);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.contains(" 200 "), "{status}");
    let mut line = String::new();
    let mut content_type = false;
    while line != "\r\n" {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream closed in its head");
        content_type |= line.to_ascii_lowercase().starts_with("content-type: text/event-stream");
    }
    assert!(content_type, "served as text/event-stream");
    reader
}

/// The session's eventSourceUrl as a path, with its variables filled in.
pub fn event_source_path(c: &Client, types: &str, closeafter: &str, ping: u32) -> String {
    let url = c.session["eventSourceUrl"].as_str().unwrap();
    let path = &url[url.find("/jmap/").unwrap()..];
    path.replace("{types}", types).replace("{closeafter}", closeafter).replace("{ping}", &ping.to_string())
}

/// The next server-sent event: its name and its data. Lines that are
/// neither (a chunked body's size lines) are skipped.
fn next_event(lines: &mut impl Iterator<Item = String>) -> Option<(String, Value)> {
    let (mut name, mut data) = (String::from("message"), String::new());
    for line in lines {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            if data.is_empty() {
                continue;
            }
            return Some((name, serde_json::from_str(&data).unwrap_or_else(|e| panic!("event data {data:?}: {e}"))));
        }
        if let Some(v) = line.strip_prefix("event:") {
            name = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    None
}

fn lines(reader: BufReader<TcpStream>) -> impl Iterator<Item = String> {
    reader.lines().map_while(Result::ok)
}

/// An EventSource (no Authorization: the session's token) whose StateChanges go into a channel.
fn event_source(addr: SocketAddr, c: &Client) -> mpsc::Receiver<Value> {
    let reader = open_stream(addr, &event_source_path(c, "*", "no", 0), None);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = lines(reader);
        while let Some((name, data)) = next_event(&mut lines) {
            if name == "state" && tx.send(data).is_err() {
                return;
            }
        }
    });
    rx
}

/// A WebSocket (RFC 8887, subprotocol `jmap`) with Basic auth.
fn connect_ws(addr: SocketAddr, auth: &str) -> WebSocket<TcpStream> {
    let mut req = format!("ws://{addr}/jmap/ws").into_client_request().unwrap();
    req.headers_mut().insert("Authorization", auth.parse().unwrap());
    req.headers_mut().insert("Sec-WebSocket-Protocol", "jmap".parse().unwrap());
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (ws, resp) = tungstenite::client::client(req, stream).unwrap();
    assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), "jmap");
    ws
}

/// Sends one text frame.
fn send(ws: &mut WebSocket<TcpStream>, v: &Value) {
    ws.send(Message::Text(v.to_string().into())).unwrap();
}

/// The next text frame, as JSON.
fn receive(ws: &mut WebSocket<TcpStream>) -> Value {
    loop {
        if let Message::Text(t) = ws.read().unwrap() {
            break serde_json::from_str::<Value>(&t).unwrap();
        }
    }
}

/// A Core/echo request over a WebSocket with this id.
fn echo(id: &str) -> Value {
    json!({"@type": "Request", "id": id, "using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {"x": 1}, "c"]]})
}

/// A WebSocket with push on, its StateChanges read into a channel.
fn web_socket(addr: SocketAddr, auth: &str) -> mpsc::Receiver<Value> {
    let mut ws = connect_ws(addr, auth);
    send(&mut ws, &json!({ "@type": "WebSocketPushEnable", "dataTypes": null }));
    // Handled in order: once this echo is answered, push is on.
    send(&mut ws, &echo("on"));
    while receive(&mut ws)["requestId"] != "on" {}
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
            Ok(v) => assert_eq!(v["@type"], "StateChange", "{what}: {v}"), // an earlier state
            Err(_) => panic!("{what}: no StateChange with Email state {state} within 1 s"),
        }
    }
}

#[test]
fn an_lmtp_delivery_reaches_an_open_event_source() {
    let s = Setup::new();
    s.create("p@example.com", &[]);
    let server = s.start();
    let auth = basic("p@example.com", "secret");
    let reader = open_stream(server.http, "/jmap/eventsource?types=*&closeafter=state&ping=0", Some(&auth));
    let sent = Instant::now();
    deliver(&server, "p@example.com", "Subject: push\r\n\r\nx\r\n");
    let (name, data) = next_event(&mut lines(reader)).expect("a StateChange");
    assert_eq!((name.as_str(), &data["@type"]), ("state", &json!("StateChange")));
    assert!(data.to_string().contains("\"Email\""), "{data}");
    assert!(sent.elapsed() < Duration::from_secs(10));
}

#[test]
fn closeafter_state_ends_the_stream_after_one_state_change() {
    let s = Setup::new();
    s.create("ca@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "ca@example.com");
    let mut reader = open_stream(server.http, &event_source_path(&c, "*", "state", 0), None);
    deliver(&server, "ca@example.com", "Subject: one\r\n\r\nx\r\n");
    let state = c.state("Email");
    // The stream ends (read_to_string returns within the 10 s read timeout) holding one StateChange.
    let mut rest = String::new();
    reader.read_to_string(&mut rest).expect("the server ends the stream");
    let mut events = rest.lines().map(str::to_owned);
    let (name, data) = next_event(&mut events).expect("one StateChange");
    assert_eq!(name, "state");
    assert_eq!(data["changed"][&c.account]["Email"], state.as_str(), "the delivery's state");
    assert_eq!(next_event(&mut events), None, "nothing after the first StateChange: {rest:?}");
}

#[test]
fn ping_sends_ping_events_with_the_interval_used() {
    let s = Setup::new();
    s.create("ping@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "ping@example.com");
    let opened = Instant::now();
    let reader = open_stream(server.http, &event_source_path(&c, "*", "no", 1), None);
    let mut events = lines(reader);
    let (name, data) = next_event(&mut events).expect("a ping");
    assert_eq!(name, "ping", "{data}");
    let interval = data["interval"].as_u64().unwrap_or_else(|| panic!("a ping's data has the interval: {data}"));
    // RFC 8620 7.3: the server may clamp the interval, and says which it uses.
    assert!((1..=5).contains(&interval), "ping interval {interval}");
    assert!(opened.elapsed() < Duration::from_secs(interval + 2), "the first ping came after {:?}", opened.elapsed());
    let (name, again) = next_event(&mut events).expect("a second ping");
    assert_eq!((name.as_str(), again), ("ping", data));
}

#[test]
fn websocket_carries_requests_and_pushes_state_changes() {
    let s = Setup::new();
    s.create("ws@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "ws@example.com");
    let capability = &c.session["capabilities"]["urn:ietf:params:jmap:websocket"];
    assert!(capability["url"].as_str().unwrap().ends_with("/jmap/ws"), "{capability}");
    assert_eq!(capability["supportsPush"], true);
    let mut ws = connect_ws(server.http, &c.auth);
    send(&mut ws, &echo("r1"));
    let reply = receive(&mut ws);
    assert_eq!(reply["@type"], "Response");
    assert_eq!(reply["requestId"], "r1");
    assert_eq!(reply["methodResponses"][0][1]["x"], 1);

    send(&mut ws, &json!({"@type": "WebSocketPushEnable", "dataTypes": ["Email"]}));
    // Messages are handled in order: once this echo is answered, push is on.
    send(&mut ws, &echo("r2"));
    assert_eq!(receive(&mut ws)["requestId"], "r2");
    deliver(&server, "ws@example.com", "Subject: ws\r\n\r\nx\r\n");
    let event = receive(&mut ws);
    assert_eq!(event["@type"], "StateChange");
    assert!(event["changed"].as_object().unwrap().values().next().unwrap()["Email"].is_string());
    assert_eq!(event["changed"][&c.account]["Email"], c.state("Email").as_str());

    // After WebSocketPushDisable, a change pushes nothing: the next frame is the echo's answer.
    send(&mut ws, &json!({"@type": "WebSocketPushDisable"}));
    send(&mut ws, &echo("r3"));
    assert_eq!(receive(&mut ws)["requestId"], "r3");
    deliver(&server, "ws@example.com", "Subject: quiet\r\n\r\nx\r\n");
    send(&mut ws, &echo("r4"));
    assert_eq!(receive(&mut ws)["requestId"], "r4", "no StateChange once push is off");

    // Requests sent without waiting (more than are read ahead while one
    // runs) are all answered, in order.
    for i in 0..10 {
        send(&mut ws, &echo(&format!("p{i}")));
    }
    for i in 0..10 {
        assert_eq!(receive(&mut ws)["requestId"], format!("p{i}"));
    }
}

#[test]
fn a_websocket_message_that_is_not_json_gets_not_json_and_the_socket_stays_open() {
    let s = Setup::new();
    s.create("wj@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "wj@example.com");
    let mut ws = connect_ws(server.http, &c.auth);
    ws.send(Message::Text("{nope".into())).unwrap();
    let problem = receive(&mut ws);
    assert_eq!(problem["@type"], "RequestError", "{problem}");
    assert_eq!(problem["type"], "urn:ietf:params:jmap:error:notJSON", "RFC 8620 3.6.1: {problem}");
    send(&mut ws, &json!({"@type": "Request", "id": "x", "using": ["urn:example:nope"], "methodCalls": []}));
    let problem = receive(&mut ws);
    assert_eq!(
        (problem["type"].as_str(), problem["requestId"].as_str()),
        (Some("urn:ietf:params:jmap:error:unknownCapability"), Some("x")),
        "{problem}"
    );
    send(&mut ws, &echo("after"));
    assert_eq!(receive(&mut ws)["requestId"], "after");
}

#[test]
fn lmtp_imap_and_jmap_changes_reach_event_source_and_websocket_within_a_second() {
    let s = Setup::new();
    s.create("push@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "push@example.com");
    let es = event_source(server.http, &c);
    let ws = web_socket(server.http, &c.auth);

    deliver(&server, "push@example.com", "Subject: one\r\n\r\nx\r\n");
    let now = c.state("Email");
    arrives(&es, &c.account, &now, "LMTP -> EventSource");
    arrives(&ws, &c.account, &now, "LMTP -> WebSocket");

    let mut imap = Imap::login(server.imap, "push@example.com");
    imap.cmd("s SELECT INBOX");
    let reply = imap.cmd("t STORE 1 +FLAGS (\\Seen)");
    assert!(reply.last().unwrap().starts_with("t OK"), "{reply:?}");
    let now = c.state("Email");
    arrives(&es, &c.account, &now, "IMAP STORE -> EventSource");
    arrives(&ws, &c.account, &now, "IMAP STORE -> WebSocket");

    let id = c.emails(json!({}))[0].clone();
    let r = c.call("Email/set", json!({ "update": { id: { "keywords/$flagged": true } } }));
    let now = r["newState"].as_str().unwrap().to_owned();
    arrives(&es, &c.account, &now, "JMAP Email/set -> EventSource");
    arrives(&ws, &c.account, &now, "JMAP Email/set -> WebSocket");
}
