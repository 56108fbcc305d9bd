//! The sender: hands queued submissions and vacation replies to the
//! smarthost (`[submission]`) over SMTP with STARTTLS (or implicit TLS) and
//! AUTH, with mail-send as the client and our own rustls config (ring, the
//! configured or system roots).
//!
//! Submissions live sealed in their account (`store::mail::outbound`); the
//! store's `OUTBOX` names accounts with new ones, and a scan at start-up finds
//! those queued before a restart. Each recipient's SMTP reply is recorded:
//! 2xx -> `delivered: unknown` (the smarthost took it; no DSN follows),
//! 5xx -> `no`. A 4xx or a connection failure is retried with backoff for up
//! to two days, then recorded as failed. Vacation replies are best effort:
//! held in memory, retried a few times, never written to disk.

use crate::config::{Security, Submission as Config};
use anyhow::{Context, Result};
use mail_send::{SmtpClient, SmtpClientBuilder, smtp::message::Parameters};
use std::{sync::Arc, time::Duration};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    sync::{mpsc, watch},
};
use tokio_rustls::TlsConnector;
use tresor_store::{
    AccountId, Store,
    mail::outbound::{OUTBOX, Submission, UndoStatus},
};

/// A message that is not a submission (a vacation reply): sent from `<>`.
pub struct AutoReply {
    pub rcpt: String,
    pub message: Vec<u8>,
}

/// How long a temporary failure is retried before the submission fails.
const GIVE_UP_AFTER: i64 = 2 * 86_400;

pub struct Smarthost {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, tresor_types::Secret<String>)>,
    tls: TlsConnector,
    helo: String,
}

impl Smarthost {
    pub fn new(config: &Config, helo: &str) -> Result<Option<Smarthost>> {
        let Some((host, port)) = config.smarthost.clone() else { return Ok(None) };
        let mut roots = rustls::RootCertStore::empty();
        let bundle = config.ca_file.clone().unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".into());
        let pem = std::fs::read(&bundle).with_context(|| format!("submission roots {}", bundle.display()))?;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots.add(cert.context("submission roots: a bad certificate")?).context("submission roots")?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Some(Smarthost {
            host,
            port,
            security: config.security,
            credentials: config.credentials.clone(),
            tls: TlsConnector::from(Arc::new(tls)),
            helo: helo.to_owned(),
        }))
    }

    fn builder(&self) -> SmtpClientBuilder<String> {
        SmtpClientBuilder {
            timeout: Duration::from_secs(60),
            tls_connector: self.tls.clone(),
            tls_hostname: self.host.clone(),
            tls_implicit: self.security == Security::Tls,
            credentials: self.credentials.as_ref().map(|(u, p)| mail_send::Credentials::new(u.clone(), p.expose().clone())),
            addr: format!("{}:{}", self.host, self.port),
            is_lmtp: false,
            say_ehlo: true,
            local_host: self.helo.clone(),
            local_ip: None,
        }
    }

    /// One transaction: the reply to each recipient, or an error for the
    /// whole attempt (connection, TLS, AUTH, MAIL FROM or DATA failed).
    async fn send(&self, mail_from: &str, params: &[(String, Option<String>)], rcpts: &[String], message: &[u8]) -> Attempt {
        let result = match self.security {
            Security::None => match self.builder().connect_plain().await {
                Ok(c) => transaction(c, mail_from, params, rcpts, message).await,
                Err(e) => Err(e),
            },
            _ => match self.builder().connect().await {
                Ok(c) => transaction(c, mail_from, params, rcpts, message).await,
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(replies) => Attempt::Done(replies),
            Err(e) => match reply_of(&e) {
                Some((code, text)) if code >= 500 => Attempt::Failed(text),
                _ => Attempt::Retry(e.to_string()),
            },
        }
    }
}

enum Attempt {
    /// Per recipient: (SMTP code, reply text).
    Done(Vec<(u16, String)>),
    /// A permanent failure for every recipient.
    Failed(String),
    /// Try again later.
    Retry(String),
}

fn reply_of(e: &mail_send::Error) -> Option<(u16, String)> {
    match e {
        mail_send::Error::UnexpectedReply(r) | mail_send::Error::AuthenticationFailed(r) => Some((r.code, format_reply(r))),
        _ => None,
    }
}

fn format_reply(r: &smtp_proto::Response<String>) -> String {
    if r.esc[0] > 0 {
        format!("{} {}.{}.{} {}", r.code, r.esc[0], r.esc[1], r.esc[2], r.message.trim())
    } else {
        format!("{} {}", r.code, r.message.trim())
    }
}

async fn transaction<T: AsyncRead + AsyncWrite + Unpin>(
    mut client: SmtpClient<T>,
    mail_from: &str,
    params: &[(String, Option<String>)],
    rcpts: &[String],
    message: &[u8],
) -> mail_send::Result<Vec<(u16, String)>> {
    let mut p = Parameters::new();
    for (k, v) in params {
        match v {
            Some(v) => p.add((k.as_str(), v.as_str())),
            None => p.add(k.as_str()),
        };
    }
    client.mail_from(mail_from, &p).await?;
    let mut replies = Vec::with_capacity(rcpts.len());
    for rcpt in rcpts {
        let r = client.cmd(format!("RCPT TO:<{rcpt}>\r\n").as_bytes()).await?;
        replies.push((r.code, format_reply(&r)));
    }
    if replies.iter().any(|(code, _)| (200..300).contains(code)) {
        client.cmd(b"DATA\r\n").await?.assert_code(354)?;
        client.write_message(message).await?;
        let r = client.read().await?;
        // The answer to the data is every accepted recipient's answer.
        let (code, text) = (r.code, format_reply(&r));
        for reply in replies.iter_mut().filter(|(c, _)| (200..300).contains(c)) {
            *reply = (code, text.clone());
        }
    } else {
        client.rset().await.ok();
    }
    client.quit().await.ok();
    Ok(replies)
}

use mail_send::smtp::AssertReply as _;

/// Runs until shutdown: sends what is due, sleeps until the next due time,
/// an OUTBOX wake-up or at most a minute.
pub async fn run(
    store: Arc<Store>,
    smarthost: Arc<Smarthost>,
    mut replies: mpsc::Receiver<AutoReply>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Accounts queued before a restart.
    let scan = store.clone();
    if let Ok(Ok(records)) = tokio::task::spawn_blocking(move || scan.list_accounts()).await {
        for r in records {
            OUTBOX.push(r.account_id());
        }
    }
    let mut waiting: std::collections::BTreeSet<AccountId> = Default::default();
    loop {
        waiting.extend(OUTBOX.take());
        let mut next_due: Option<i64> = None;
        for account in std::mem::take(&mut waiting) {
            match send_due(&store, &smarthost, account).await {
                Ok(Some(due)) => {
                    next_due = Some(next_due.map_or(due, |n| n.min(due)));
                    waiting.insert(account);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(account = account.0, error = %e, "outbound: cannot read submissions");
                    waiting.insert(account);
                }
            }
        }
        let now = tresor_types::time::now();
        let sleep = next_due.map_or(60, |d| (d - now).clamp(1, 60)) as u64;
        tokio::select! {
            _ = OUTBOX.notified() => {}
            reply = replies.recv() => if let Some(reply) = reply { send_auto_reply(&smarthost, reply).await },
            _ = tokio::time::sleep(Duration::from_secs(sleep)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn send_auto_reply(smarthost: &Smarthost, reply: AutoReply) {
    for attempt in 0..3u64 {
        match smarthost.send("", &[], std::slice::from_ref(&reply.rcpt), &reply.message).await {
            Attempt::Done(_) | Attempt::Failed(_) => return,
            Attempt::Retry(e) => {
                tracing::info!(error = %e, "outbound: vacation reply not sent yet");
                tokio::time::sleep(Duration::from_secs(5 << attempt)).await;
            }
        }
    }
}

/// Sends every due pending submission of one account; returns when the
/// next pending one is due, if any.
async fn send_due(store: &Arc<Store>, smarthost: &Smarthost, account: AccountId) -> Result<Option<i64>> {
    let s = store.clone();
    let (handle, pending) = tokio::task::spawn_blocking(move || -> Result<_> {
        let a = s.account(account)?;
        let pending: Vec<(u64, Submission)> = a.submissions()?.into_iter().filter(|(_, s)| s.undo_status == UndoStatus::Pending).collect();
        Ok((a, pending))
    })
    .await??;
    let now = tresor_types::time::now();
    let mut next: Option<i64> = None;
    for (id, sub) in pending {
        if sub.send_at > now {
            next = Some(next.map_or(sub.send_at, |n| n.min(sub.send_at)));
            continue;
        }
        let (h, s2) = (handle.clone(), sub.clone());
        let message = tokio::task::spawn_blocking(move || h.submission_message(&s2)).await??;
        let rcpts: Vec<String> = sub.rcpt_to.clone();
        let attempt = smarthost.send(&sub.mail_from, &sub.mail_from_params, &rcpts, &message).await;
        let h = handle.clone();
        let sent_to = rcpts;
        let retry_at = tokio::task::spawn_blocking(move || -> Result<Option<i64>> {
            // The user may have canceled it meanwhile: then leave it be.
            let Some(mut current) = h.submission(id)? else { return Ok(None) };
            if current.undo_status != UndoStatus::Pending {
                return Ok(None);
            }
            let now = tresor_types::time::now();
            let mut retry = None;
            match attempt {
                Attempt::Done(replies) => {
                    for (address, (code, text)) in sent_to.iter().zip(replies) {
                        let Some(r) = current.delivery.iter_mut().find(|r| r.address == *address) else { continue };
                        r.smtp_reply = text;
                        r.delivered = if (200..300).contains(&code) {
                            "unknown"
                        } else if code >= 500 {
                            "no"
                        } else {
                            "queued"
                        }
                        .into();
                    }
                    let temp: Vec<String> =
                        current.delivery.iter().filter(|r| r.delivered == "queued").map(|r| r.address.clone()).collect();
                    if temp.is_empty() || now - current.created > GIVE_UP_AFTER {
                        current.undo_status = UndoStatus::Final;
                    } else {
                        // Only the recipients refused for now are tried again.
                        current.rcpt_to = temp;
                        retry = Some(backoff(&mut current, now));
                    }
                }
                Attempt::Failed(text) => {
                    for r in current.delivery.iter_mut().filter(|r| sent_to.contains(&r.address)) {
                        r.smtp_reply = text.clone();
                        r.delivered = "no".into();
                    }
                    current.undo_status = UndoStatus::Final;
                }
                Attempt::Retry(e) => {
                    tracing::info!(error = %e, "outbound: smarthost not reachable, will retry");
                    current.last_error = Some(e);
                    if now - current.created > GIVE_UP_AFTER {
                        for r in &mut current.delivery {
                            r.delivered = "no".into();
                            r.smtp_reply = format!("451 4.4.1 {}", current.last_error.as_deref().unwrap_or("not delivered"));
                        }
                        current.undo_status = UndoStatus::Final;
                    } else {
                        retry = Some(backoff(&mut current, now));
                    }
                }
            }
            h.update_submission(id, current)?;
            Ok(retry)
        })
        .await??;
        if let Some(at) = retry_at {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
    }
    Ok(next)
}

/// The next attempt: 1, 2, 4, ... minutes, at most an hour apart.
fn backoff(s: &mut Submission, now: i64) -> i64 {
    s.attempts += 1;
    s.send_at = now + (60i64 << s.attempts.min(6)).min(3600);
    s.send_at
}
