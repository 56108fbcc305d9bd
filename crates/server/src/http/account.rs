//! The logged-in user's own pages. For now: `GET /account/export`, the whole
//! account as the same archive `tresor account export` writes, streamed with
//! bounded memory (the tar is produced on a blocking thread into a small
//! channel that the response body drains).

use super::{AppState, Conn, auth};
use axum::{
    Extension,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use std::io::Write;
use tokio::sync::mpsc;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/export", get(export))
}

async fn export(State(s): State<AppState>, Extension(conn): Extension<Conn>, headers: HeaderMap) -> Response {
    let record = match auth::basic(&s, &conn, &headers).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let account = {
        let store = s.store.clone();
        match tokio::task::spawn_blocking(move || store.account(record.account_id())).await {
            Ok(Ok(a)) => a,
            _ => return (StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response(),
        }
    };
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let mut sink = ChannelWriter { tx: tx.clone(), buf: Vec::with_capacity(CHUNK) };
        let result = tresor_lifecycle::export::export(
            &account,
            &mut sink,
            tresor_lifecycle::export::Protection::None,
            tresor_types::time::now(),
            |_, _| {},
        )
        .map_err(std::io::Error::other)
        .and_then(|_| sink.flush());
        if let Err(e) = result {
            tracing::warn!(error = %e, "export download failed");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (
        [(header::CONTENT_TYPE, "application/x-tar"), (header::CONTENT_DISPOSITION, "attachment; filename=\"tresor-export.tar\"")],
        Body::from_stream(stream),
    )
        .into_response()
}

const CHUNK: usize = 64 * 1024;

/// A `Write` that hands 64 KiB chunks to the response body; blocks when the
/// client reads slowly, so memory stays bounded.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}
