//! One IMAP connection from greeting to close, over any async stream.
//!
//! The loop: cut input into commands ([`Framer`]), answer continuation
//! requests for literals (size checked first), run each command on the
//! blocking pool (the store blocks), and stream its response out. Large
//! responses are flushed while the command runs through a bounded channel,
//! so a client that stops reading stalls its own command instead of growing
//! the server's memory. IDLE waits on the account's change log. STARTTLS and
//! COMPRESS=DEFLATE switch the transport between commands.

use crate::{
    codec::{
        framing::{Frame, Framer, Limits},
        parse,
    },
    session::{Next, Session},
};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use std::{io, time::Duration};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    sync::{mpsc, watch},
    time::timeout,
};

/// The transport after STARTTLS or not: boxed so the type can change.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

#[derive(Debug, Clone)]
pub struct Config {
    pub limits: Limits,
    /// Before login (RFC 9051 5.4 allows a short one).
    pub login_timeout: Duration,
    /// After login, and in IDLE (at least 30 minutes by RFC 9051 5.4).
    pub idle_timeout: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            limits: Limits { max_line: 64 * 1024, max_literal: 64 * 1024 * 1024, max_command_literal: 64 * 1024 },
            login_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(31 * 60),
        }
    }
}

/// Small: an idle connection holds one of these while it waits.
const READ_CHUNK: usize = 4 * 1024;
/// Response bytes a command may hold before handing them to the writer.
pub const FLUSH_AT: usize = 256 * 1024;

/// Serves one connection until LOGOUT, the peer leaving, a timeout or
/// shutdown.
pub async fn serve(
    stream: Box<dyn Stream>,
    session: Session,
    starttls: Option<tokio_rustls::TlsAcceptor>,
    config: Config,
    shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let mut c = Connection {
        stream,
        session: Some(session),
        framer: Framer::new(config.limits.clone()),
        config,
        starttls,
        deflate: None,
        shutdown,
    };
    let r = c.run().await;
    tracing::debug!(ok = r.is_ok(), "IMAP connection ended");
    r
}

struct Deflate {
    inflate: Decompress,
    deflate: Compress,
}

struct Connection {
    stream: Box<dyn Stream>,
    /// Taken while a command runs on the blocking pool.
    session: Option<Session>,
    framer: Framer,
    config: Config,
    starttls: Option<tokio_rustls::TlsAcceptor>,
    deflate: Option<Deflate>,
    shutdown: watch::Receiver<bool>,
}

enum Input {
    Bytes,
    Closed,
    TimedOut,
    Shutdown,
}

impl Connection {
    fn session(&mut self) -> &mut Session {
        self.session.as_mut().expect("session is back between commands")
    }

    async fn run(&mut self) -> io::Result<()> {
        let mut out = Vec::new();
        self.session().greeting(&mut out);
        self.write(&out).await?;
        loop {
            match self.framer.next() {
                Frame::Command(bytes) => {
                    let next = self.command(&bytes).await?;
                    if !self.after(next).await? {
                        return Ok(());
                    }
                }
                Frame::LiteralRequest { tag, size } => {
                    let tag = tag.unwrap_or_else(|| "*".into());
                    match self.literal_allowed(size) {
                        Ok(()) => {
                            self.framer.accept_literal();
                            self.write(b"+ Ready for literal data\r\n").await?;
                        }
                        Err(reply) => {
                            self.framer.reject_literal();
                            self.write(format!("{tag} {reply}\r\n").as_bytes()).await?;
                        }
                    }
                }
                Frame::TooBig { tag, literal } => {
                    let tag = tag.unwrap_or_else(|| "*".into());
                    let line =
                        if literal { format!("{tag} NO [TOOBIG] literal too large\r\n") } else { format!("{tag} BAD line too long\r\n") };
                    self.write(line.as_bytes()).await?;
                }
                Frame::Incomplete => match self.read().await? {
                    Input::Bytes => {}
                    Input::Closed => return Ok(()),
                    Input::TimedOut => {
                        self.write(b"* BYE autologout: idle for too long\r\n").await?;
                        return Ok(());
                    }
                    Input::Shutdown => {
                        self.write(b"* BYE server shutting down\r\n").await?;
                        return Ok(());
                    }
                },
            }
        }
    }

    /// The reply for a literal above a limit, before its continuation.
    fn literal_allowed(&mut self, size: u64) -> Result<(), String> {
        let limits = &self.config.limits;
        // Outside APPEND only small literals are taken: refuse before the
        // client uploads bytes that would be dropped.
        if !self.framer.literal_fits() {
            return Err("NO [TOOBIG] literal too large".into());
        }
        if size > limits.max_literal {
            return Err("NO [TOOBIG] message exceeds APPENDLIMIT".into());
        }
        let session = self.session();
        if let Some(account) = session.account()
            && let Err(tresor_store::Error::OverQuota(_)) = account.check_quota(size)
        {
            return Err("NO [OVERQUOTA] message would exceed the quota".into());
        }
        if !session.is_authenticated() && size > 8 * 1024 {
            return Err("BAD literal too large before login".into());
        }
        Ok(())
    }

    /// Parses and runs one command; returns what the session wants next.
    async fn command(&mut self, bytes: &[u8]) -> io::Result<Next> {
        let cmd = match parse::command(bytes) {
            Ok(cmd) => cmd,
            Err(e) => {
                let tag = e.tag.unwrap_or_else(|| "*".into());
                self.write(format!("{tag} BAD {}\r\n", e.message).as_bytes()).await?;
                return Ok(Next::Continue);
            }
        };
        let mut session = self.session.take().expect("no command in flight");
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(2);
        session.set_flush(Some(tx));
        let mut job = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let next = session.handle(cmd, &mut out);
            session.set_flush(None);
            (session, out, next)
        });
        // Stream what the command flushes while it runs.
        let (session, out, next) = loop {
            tokio::select! {
                Some(chunk) = rx.recv() => self.write(&chunk).await?,
                done = &mut job => break done.map_err(io::Error::other)?,
            }
        };
        while let Ok(chunk) = rx.try_recv() {
            self.write(&chunk).await?;
        }
        self.session = Some(session);
        self.write(&out).await?;
        Ok(next)
    }

    /// Acts on a command's [`Next`]; false ends the connection.
    async fn after(&mut self, next: Next) -> io::Result<bool> {
        match next {
            Next::Continue => Ok(true),
            Next::Logout => Ok(false),
            Next::StartTls => {
                let Some(acceptor) = self.starttls.clone() else { return Ok(false) };
                // Bytes pipelined after STARTTLS are an injection attempt
                // (CVE-2011-0411 style): drop them.
                let _ = self.framer.take_buffered();
                let plain = std::mem::replace(&mut self.stream, Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink())));
                let tls = acceptor.accept(plain).await?;
                self.stream = Box::new(tls);
                self.session().tls_started();
                Ok(true)
            }
            Next::Compress => {
                let pending = self.framer.take_buffered();
                let mut d = Deflate { inflate: Decompress::new(false), deflate: Compress::new(Compression::fast(), false) };
                let plain = inflate(&mut d.inflate, &pending)?;
                self.deflate = Some(d);
                self.framer.push(&plain);
                Ok(true)
            }
            Next::Idle { tag } => self.idle(&tag).await,
            Next::AuthContinue { tag: _ } => {
                let line = loop {
                    if let Some(line) = self.framer.take_line() {
                        break line;
                    }
                    match self.read().await? {
                        Input::Bytes => {}
                        _ => return Ok(false),
                    }
                };
                let mut session = self.session.take().expect("session");
                let (session, out, next) = tokio::task::spawn_blocking(move || {
                    let mut out = Vec::new();
                    let next = session.auth_response(&line, &mut out);
                    (session, out, next)
                })
                .await
                .map_err(io::Error::other)?;
                self.session = Some(session);
                self.write(&out).await?;
                Box::pin(self.after(next)).await
            }
        }
    }

    /// IDLE: pushes changes as they are committed until DONE.
    async fn idle(&mut self, tag: &str) -> io::Result<bool> {
        let Some(mut changes) = self.session().changes() else { return Ok(true) };
        changes.borrow_and_update();
        let deadline = tokio::time::Instant::now() + self.config.idle_timeout;
        loop {
            if let Some(line) = self.framer.take_line() {
                let mut out = Vec::new();
                if line.eq_ignore_ascii_case(b"DONE") {
                    let tag = tag.to_owned();
                    let mut session = self.session.take().expect("session");
                    let (session, out) = tokio::task::spawn_blocking(move || {
                        session.idle_done(&tag, &mut out);
                        (session, out)
                    })
                    .await
                    .map_err(io::Error::other)?;
                    self.session = Some(session);
                    self.write(&out).await?;
                    return Ok(true);
                }
                self.write(format!("{tag} BAD expected DONE\r\n").as_bytes()).await?;
                return Ok(true);
            }
            // DONE is six octets: an idling connection holds a small buffer.
            let mut buf = [0u8; 256];
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ok(false);
                    }
                    changes.borrow_and_update();
                    let mut session = self.session.take().expect("session");
                    let (session, out) = tokio::task::spawn_blocking(move || {
                        let mut out = Vec::new();
                        let _ = session.idle_poll(&mut out);
                        (session, out)
                    })
                    .await
                    .map_err(io::Error::other)?;
                    self.session = Some(session);
                    self.write(&out).await?;
                }
                n = self.stream.read(&mut buf) => {
                    let n = n?;
                    if n == 0 {
                        return Ok(false);
                    }
                    self.received(&buf[..n])?;
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.write(b"* BYE IDLE for too long\r\n").await?;
                    return Ok(false);
                }
                _ = self.shutdown.changed() => {
                    self.write(b"* BYE server shutting down\r\n").await?;
                    return Ok(false);
                }
            }
        }
    }

    async fn read(&mut self) -> io::Result<Input> {
        let wait = if self.session().is_authenticated() { self.config.idle_timeout } else { self.config.login_timeout };
        let mut buf = vec![0u8; READ_CHUNK];
        if *self.shutdown.borrow() {
            return Ok(Input::Shutdown);
        }
        tokio::select! {
            r = timeout(wait, self.stream.read(&mut buf)) => match r {
                Err(_) => Ok(Input::TimedOut),
                Ok(Ok(0)) => Ok(Input::Closed),
                Ok(Ok(n)) => {
                    self.received(&buf[..n])?;
                    Ok(Input::Bytes)
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => Ok(Input::Closed),
                Ok(Err(e)) => Err(e),
            },
            _ = self.shutdown.changed() => Ok(Input::Shutdown),
        }
    }

    fn received(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.deflate {
            Some(d) => {
                let plain = inflate(&mut d.inflate, bytes)?;
                self.framer.push(&plain);
            }
            None => self.framer.push(bytes),
        }
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let wait = self.config.idle_timeout;
        let data;
        let bytes = match &mut self.deflate {
            Some(d) => {
                data = deflate(&mut d.deflate, bytes)?;
                &data[..]
            }
            None => bytes,
        };
        // A client that stops reading for the idle timeout is dropped.
        match timeout(wait, async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        })
        .await
        {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "client stopped reading")),
        }
    }
}

/// Raw DEFLATE input (RFC 4978) to plain bytes.
fn inflate(d: &mut Decompress, input: &[u8]) -> io::Result<Vec<u8>> {
    /// More than this from one read is a decompression bomb.
    const MAX: usize = 64 * 1024 * 1024;
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        out.reserve(32 * 1024);
        let (in0, out0) = (d.total_in(), d.total_out());
        d.decompress_vec(&input[pos..], &mut out, FlushDecompress::None).map_err(io::Error::other)?;
        pos += (d.total_in() - in0) as usize;
        let made = d.total_out() - out0;
        if pos == input.len() && out.len() < out.capacity() || made == 0 && d.total_in() == in0 {
            return Ok(out);
        }
        if out.len() > MAX {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "decompression bomb"));
        }
    }
}

/// Plain bytes to raw DEFLATE with a sync flush, so the client can decode
/// everything sent so far.
fn deflate(c: &mut Compress, input: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut pos = 0;
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(input.len() / 2 + 1024);
        }
        let before_in = c.total_in();
        c.compress_vec(&input[pos..], &mut out, FlushCompress::Sync).map_err(io::Error::other)?;
        pos += (c.total_in() - before_in) as usize;
        if pos >= input.len() && out.capacity() > out.len() {
            return Ok(out);
        }
    }
}
