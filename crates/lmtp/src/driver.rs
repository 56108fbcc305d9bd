//! The async driver: one LMTP connection, from accept to close, over any
//! `AsyncRead + AsyncWrite` (TCP, a Unix socket, a test duplex).
//!
//! Shaped like mini-redis's `Handler::run`: one loop that pulls events from the
//! sans-IO [`Session`], asks the [`Backend`], and — only when the session has
//! nothing left to do without the client — flushes the batched replies and waits
//! for input, the idle timeout or shutdown, whichever comes first. Backend calls
//! are never interrupted: a delivery under way at shutdown is finished and its
//! replies sent before the `421`.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use crate::backend::Backend;
use crate::config::Config;
use crate::session::{Event, Session};

/// One read's worth; with the session's line limit this bounds buffered input.
const READ_CHUNK: usize = 16 * 1024;

/// Replies held before writing even though more commands are pending: a long
/// pipeline still gets its answers streamed, and memory stays bounded.
const WRITE_THRESHOLD: usize = 64 * 1024;

/// Serves one LMTP connection until the client quits, the connection drops, the
/// session closes it (errors, idle timeout), or `shutdown` completes.
///
/// Returns `Ok` on every orderly end, including the client hanging up.
///
/// # Errors
///
/// An I/O error from the stream, or `TimedOut` when the client stopped taking our
/// replies for `idle_timeout`.
pub async fn serve<S, B>(stream: S, backend: Arc<B>, config: Arc<Config>, shutdown: impl Future<Output = ()>) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    B: Backend,
{
    let mut connection = Connection {
        idle_timeout: config.idle_timeout,
        session: Session::new(&config),
        stream,
        read_buf: vec![0; READ_CHUNK].into_boxed_slice(),
        out: Vec::new(),
    };
    let result = connection.run(&*backend, shutdown).await;
    tracing::debug!(ok = result.is_ok(), "LMTP connection ended");
    result
}

struct Connection<S> {
    session: Session,
    stream: S,
    read_buf: Box<[u8]>,
    /// Replies not yet written.
    out: Vec<u8>,
    idle_timeout: Duration,
}

enum Wake {
    Read(Result<io::Result<usize>, tokio::time::error::Elapsed>),
    Shutdown,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    async fn run<B: Backend>(&mut self, backend: &B, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        tokio::pin!(shutdown);
        // A completed future must not be polled again.
        let mut shutdown_fired = false;
        loop {
            match self.session.next_event() {
                Event::Output(bytes) => {
                    if self.out.is_empty() {
                        self.out = bytes;
                    } else {
                        self.out.extend_from_slice(&bytes);
                    }
                    if self.out.len() >= WRITE_THRESHOLD {
                        self.write_out().await?;
                    }
                }
                Event::CheckRecipient { address, declared_size } => {
                    let check = backend.check_recipient(&address, declared_size).await;
                    self.session.answer_recipient(check);
                }
                Event::Deliver(delivery) => {
                    let results = backend.deliver(delivery).await;
                    self.session.answer_delivery(results);
                }
                Event::NeedInput => {
                    self.flush().await?;
                    let wake = tokio::select! {
                        biased;
                        () = &mut shutdown, if !shutdown_fired => Wake::Shutdown,
                        read = timeout(self.idle_timeout, self.stream.read(&mut self.read_buf)) => Wake::Read(read),
                    };
                    match wake {
                        Wake::Shutdown => {
                            shutdown_fired = true;
                            self.session.shutdown();
                        }
                        Wake::Read(Err(_elapsed)) => self.session.idle_timeout(),
                        // The client hung up; an unfinished transaction is simply
                        // dropped (nothing was promised for it).
                        Wake::Read(Ok(Ok(0))) => return Ok(()),
                        Wake::Read(Ok(Ok(n))) => self.session.enqueue_input(&self.read_buf[..n]),
                        Wake::Read(Ok(Err(e))) => return Err(e),
                    }
                }
                Event::Close => {
                    self.flush().await?;
                    // The peer may already be gone; the session is over either way.
                    let _ = self.stream.shutdown().await;
                    return Ok(());
                }
            }
        }
    }

    async fn write_out(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            timed(self.idle_timeout, self.stream.write_all(&self.out)).await?;
            self.out.clear();
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.write_out().await?;
        timed(self.idle_timeout, self.stream.flush()).await
    }
}

/// A client that stops taking our replies must not hold the connection forever.
async fn timed(limit: Duration, op: impl Future<Output = io::Result<()>>) -> io::Result<()> {
    timeout(limit, op).await.unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "LMTP client stopped reading")))
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};

    use tokio::io::{DuplexStream, ReadBuf, duplex};
    use tokio::sync::{Notify, oneshot};

    use super::*;
    use crate::{Delivery, DeliveryResult, RcptCheck, Recipient};

    /// Accepts `*@example.com` except `nobody@`; can hold a delivery until told.
    #[derive(Default)]
    struct Fake {
        deliveries: Mutex<Vec<Delivery>>,
        hold_delivery: bool,
        delivery_started: Notify,
        release_delivery: Notify,
    }

    impl Backend for Fake {
        async fn check_recipient(&self, address: &str, _declared_size: Option<u64>) -> RcptCheck {
            if address.ends_with("@example.com") && !address.starts_with("nobody@") {
                RcptCheck::Accept(Recipient { address: address.to_owned(), account: 1 })
            } else {
                RcptCheck::Unknown
            }
        }

        async fn deliver(&self, delivery: Delivery) -> Vec<DeliveryResult> {
            self.delivery_started.notify_one();
            if self.hold_delivery {
                self.release_delivery.notified().await;
            }
            let results = vec![DeliveryResult::Delivered; delivery.recipients.len()];
            self.deliveries.lock().unwrap().push(delivery);
            results
        }
    }

    /// The server's end of the connection, counting the writes that reach it.
    struct Counted {
        inner: DuplexStream,
        writes: Arc<AtomicUsize>,
    }

    impl AsyncRead for Counted {
        fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Counted {
        fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
            if matches!(poll, Poll::Ready(Ok(_))) {
                self.writes.fetch_add(1, Ordering::SeqCst);
            }
            poll
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }
        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    struct Harness {
        client: DuplexStream,
        writes: Arc<AtomicUsize>,
        server: tokio::task::JoinHandle<io::Result<()>>,
        shutdown: Option<oneshot::Sender<()>>,
    }

    fn start(backend: Arc<Fake>) -> Harness {
        let (client, server) = duplex(1 << 20);
        let writes = Arc::new(AtomicUsize::new(0));
        let stream = Counted { inner: server, writes: writes.clone() };
        let (tx, rx) = oneshot::channel::<()>();
        let config = Arc::new(Config { hostname: "lmtp.example".into(), ..Config::default() });
        let shutdown = async move {
            // A dropped sender is not a shutdown.
            if rx.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let server = tokio::spawn(serve(stream, backend, config, shutdown));
        Harness { client, writes, server, shutdown: Some(tx) }
    }

    /// Reads until the text received so far ends with `suffix`.
    async fn read_until(client: &mut DuplexStream, suffix: &str) -> String {
        let mut got = Vec::new();
        let mut buf = [0; 4096];
        while !got.ends_with(suffix.as_bytes()) {
            let n = client.read(&mut buf).await.unwrap();
            assert!(n > 0, "EOF before {suffix:?}; got {:?}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(got).unwrap()
    }

    async fn read_to_end(client: &mut DuplexStream) -> String {
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        String::from_utf8(got).unwrap()
    }

    #[tokio::test]
    async fn pipelined_commands_are_answered_in_one_write() {
        let backend = Arc::new(Fake::default());
        let mut h = start(backend.clone());
        assert_eq!(read_until(&mut h.client, "\r\n").await, "220 lmtp.example LMTP ready\r\n");
        assert_eq!(h.writes.load(Ordering::SeqCst), 1);

        h.client.write_all(b"LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<nobody@example.com>\r\nDATA\r\n").await.unwrap();
        let replies = read_until(&mut h.client, "354 Start mail input; end with <CRLF>.<CRLF>\r\n").await;
        assert!(replies.contains("250 2.1.0 Sender OK\r\n250 2.1.5 <a@example.com> Recipient OK\r\n550 5.1.1"));
        assert_eq!(h.writes.load(Ordering::SeqCst), 2, "the whole batch in one write");

        h.client.write_all(b"hi\r\n.\r\nQUIT\r\n").await.unwrap();
        assert_eq!(read_to_end(&mut h.client).await, "250 2.0.0 <a@example.com> Delivered\r\n221 2.0.0 Bye\r\n");
        h.server.await.unwrap().unwrap();
        assert_eq!(backend.deliveries.lock().unwrap()[0].message, b"hi\r\n");
    }

    #[tokio::test(start_paused = true)]
    async fn idle_client_is_disconnected_with_421() {
        let mut h = start(Arc::new(Fake::default()));
        read_until(&mut h.client, "LMTP ready\r\n").await;
        let started = tokio::time::Instant::now();
        assert_eq!(read_to_end(&mut h.client).await, "421 4.4.2 Idle timeout, closing connection\r\n");
        assert!(started.elapsed() >= Config::default().idle_timeout);
        h.server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn shutdown_while_waiting_sends_421() {
        let mut h = start(Arc::new(Fake::default()));
        h.client.write_all(b"LHLO c\r\n").await.unwrap();
        read_until(&mut h.client, "250 CHUNKING\r\n").await;
        h.shutdown.take().unwrap().send(()).unwrap();
        assert_eq!(read_to_end(&mut h.client).await, "421 4.3.2 Service shutting down\r\n");
        h.server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn shutdown_lets_the_delivery_under_way_finish_first() {
        let backend = Arc::new(Fake { hold_delivery: true, ..Fake::default() });
        let mut h = start(backend.clone());
        h.client.write_all(b"LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.com>\r\nDATA\r\nhi\r\n.\r\n").await.unwrap();
        backend.delivery_started.notified().await;
        h.shutdown.take().unwrap().send(()).unwrap();
        backend.release_delivery.notify_one();
        let replies = read_to_end(&mut h.client).await;
        assert!(replies.ends_with("250 2.0.0 <a@example.com> Delivered\r\n421 4.3.2 Service shutting down\r\n"), "{replies}");
        h.server.await.unwrap().unwrap();
        assert_eq!(backend.deliveries.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn client_hanging_up_mid_transaction_ends_the_session_cleanly() {
        let backend = Arc::new(Fake::default());
        let mut h = start(backend.clone());
        h.client.write_all(b"LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.com>\r\nDATA\r\nhalf a mess").await.unwrap();
        read_until(&mut h.client, "<CRLF>.<CRLF>\r\n").await;
        drop(h.client);
        h.server.await.unwrap().unwrap();
        assert!(backend.deliveries.lock().unwrap().is_empty());
    }
}
