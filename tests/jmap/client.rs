//! A real JMAP client library (the `jmap-client` crate) against the real
//! server: session discovery, mailboxes, import (upload + Email/import),
//! query, get, set, changes, and push over EventSource and WebSocket.

use super::*;
use futures_util::StreamExt;
use jmap_client::{
    DataType, PushObject,
    client::Client as JmapClient,
    client_ws::WebSocketMessage,
    email::{Property, query::Filter},
    event_source::PushNotification,
    mailbox::Role,
};
use std::time::Duration;

#[test]
fn the_jmap_client_crate_works_against_the_server() {
    let s = Setup::new();
    s.create("jc@example.com", &[]);
    let server = s.start();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let client = JmapClient::new()
            .credentials(("jc@example.com", "secret"))
            .follow_redirects(["127.0.0.1"])
            .connect(&format!("http://{}", server.http))
            .await
            .expect("session discovery");
        assert_eq!(client.session().username(), "jc@example.com");
        let start = client.email_changes("0", None).await.unwrap().new_state().to_owned();

        let mailbox = client.mailbox_create("Projects", None::<String>, Role::None).await.unwrap().take_id();
        let got = client.mailbox_get(&mailbox, None::<Vec<_>>).await.unwrap().unwrap();
        assert_eq!(got.name(), Some("Projects"));

        let raw =
            b"From: Dana <dana@example.org>\r\nTo: jc@example.com\r\nSubject: imported by jmap-client\r\n\r\nhello from the client\r\n";
        let imported = client.email_import(raw.to_vec(), [&mailbox], Some(["$seen"]), None).await.unwrap();
        let id = imported.id().unwrap().to_owned();

        let ids = client.email_query(Some(Filter::in_mailbox(&mailbox)), None::<Vec<_>>).await.unwrap().take_ids();
        assert_eq!(ids, std::slice::from_ref(&id));
        let email = client.email_get(&id, Some([Property::Subject, Property::Keywords, Property::Preview])).await.unwrap().unwrap();
        assert_eq!(email.subject(), Some("imported by jmap-client"));
        assert_eq!(email.keywords(), ["$seen"]);
        assert_eq!(email.preview(), Some("hello from the client"));

        client.email_set_keyword(&id, "$flagged", true).await.unwrap();
        let changes = client.email_changes(start, None).await.unwrap();
        assert!(changes.created().contains(&id) || changes.updated().contains(&id), "{changes:?}");

        // EventSource: a delivery is pushed.
        // event_source returns once the response head is in, so the server is subscribed.
        let mut events = client.event_source(Some([DataType::Email]), false, Some(60), None).await.unwrap();
        let lmtp = server.lmtp;
        tokio::task::spawn_blocking(move || {
            let mut c = Lmtp::connect(lmtp);
            assert!(c.deliver("x@example.org", &["jc@example.com"], b"Subject: pushed\r\n\r\nx\r\n")[0].starts_with("250"));
        })
        .await
        .unwrap();
        let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.expect("an event within 5 s").unwrap().unwrap();
        let PushNotification::StateChange(changes) = event else { panic!("{event:?}") };
        assert!(changes.changed_accounts().next().is_some());

        // WebSocket: requests, then push of a change made over HTTP.
        let mut ws = client.connect_ws().await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<WebSocketMessage>(16);
        tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if tx.send(m).await.is_err() {
                    return;
                }
            }
        });
        client.enable_push_ws(None::<Vec<_>>, None::<&str>).await.unwrap();
        // The server handles a socket's messages in order: once a request sent
        // after WebSocketPushEnable is answered, push is on.
        let mut request = client.build();
        request.get_mailbox();
        let sent = request.send_ws().await.unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("an answer within 5 s") {
                Some(WebSocketMessage::Response(r)) if r.request_id() == Some(sent.as_str()) => break,
                Some(_) => continue,
                None => panic!("the WebSocket closed"),
            }
        }
        client.email_set_keyword(&id, "$answered", true).await.unwrap();
        let pushed = loop {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("a push within 5 s") {
                Some(WebSocketMessage::PushNotification(p)) => break p,
                Some(_) => continue,
                None => panic!("the WebSocket closed"),
            }
        };
        assert!(matches!(pushed, PushObject::StateChange { .. }), "{pushed:?}");
    });
}
