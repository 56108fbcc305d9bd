//! The store behind LMTP: recipient checks at RCPT time, and delivery that
//! parses the message once, seals one copy per recipient account and answers
//! only after each copy is fsynced.

use std::sync::Arc;
use tresor_lmtp::{Backend, Delivery, DeliveryResult, RcptCheck, Recipient};
use tresor_store::{
    AccountId, Error, Store,
    directory::AccountState,
    mail::{MailboxId, NewMessage},
};

pub struct StoreBackend {
    pub store: Arc<Store>,
    /// Where vacation replies go (None: no smarthost, no replies).
    pub auto_replies: Option<tokio::sync::mpsc::Sender<crate::outbound::AutoReply>>,
    pub vacation_period: std::time::Duration,
}

impl Backend for StoreBackend {
    fn check_recipient(&self, address: &str, declared_size: Option<u64>) -> impl Future<Output = RcptCheck> + Send {
        // Inline, not on the blocking pool: a directory lookup is a few cached
        // point reads (microseconds), and the thread hop cost more than the
        // lookup (measured: BENCHMARKS.md). Unlocking an uncached account
        // (an age unwrap, ~0.2 ms) is the slowest case.
        let result = check(&self.store, address.to_owned(), declared_size);
        async move { result }
    }

    fn deliver(&self, delivery: Delivery) -> impl Future<Output = Vec<DeliveryResult>> + Send {
        let store = self.store.clone();
        let replies = self.auto_replies.clone();
        let period = self.vacation_period.as_secs() as i64;
        async move {
            let n = delivery.recipients.len();
            tokio::task::spawn_blocking(move || deliver(&store, delivery, replies.as_ref(), period))
                .await
                .unwrap_or_else(|_| vec![DeliveryResult::TempFail; n])
        }
    }
}

fn check(store: &Store, address: String, declared_size: Option<u64>) -> RcptCheck {
    let record = match store.find_address(&address) {
        Ok(Some(r)) => r,
        Ok(None) => return RcptCheck::Unknown,
        Err(e) => {
            tracing::warn!(error = %e, "recipient lookup failed");
            return RcptCheck::TempFail;
        }
    };
    if record.state != AccountState::Active {
        return RcptCheck::Disabled;
    }
    let account = match store.account(record.account_id()) {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "account unlock failed");
            return RcptCheck::TempFail;
        }
    };
    match account.check_quota(declared_size.unwrap_or(0)) {
        Ok(()) => RcptCheck::Accept(Recipient { address, account: record.id }),
        Err(Error::OverQuota(q)) if q.alone => RcptCheck::TooBigForQuota,
        Err(_) => RcptCheck::OverQuota,
    }
}

fn deliver(
    store: &Store,
    delivery: Delivery,
    replies: Option<&tokio::sync::mpsc::Sender<crate::outbound::AutoReply>>,
    period: i64,
) -> Vec<DeliveryResult> {
    // RFC 5321 4.4: the final delivery adds Return-Path.
    let mut raw = Vec::with_capacity(delivery.message.len() + 64);
    raw.extend_from_slice(b"Return-Path: <");
    raw.extend_from_slice(delivery.return_path.as_bytes());
    raw.extend_from_slice(b">\r\n");
    raw.extend_from_slice(&delivery.message);
    let summary = tresor_message::parse(&raw);
    let now = tresor_types::time::now();
    delivery
        .recipients
        .iter()
        .map(|r| {
            let result = store.account(AccountId(r.account)).and_then(|account| {
                account.append(NewMessage {
                    raw: &raw,
                    summary: &summary,
                    mailbox: MailboxId::INBOX,
                    keywords: Vec::new(),
                    received_at: now,
                })?;
                if let Some(replies) = replies {
                    // A failed auto-reply never fails the delivery.
                    if let Err(e) = vacation(store, &account, &delivery.return_path, &raw, &summary, now, period, replies) {
                        tracing::warn!(error = %e, "vacation reply failed");
                    }
                }
                Ok(())
            });
            match result {
                Ok(_) => DeliveryResult::Delivered,
                Err(Error::OverQuota(q)) if q.alone => DeliveryResult::TooBigForQuota,
                Err(Error::OverQuota(_)) => DeliveryResult::OverQuota,
                Err(Error::NotActive) => DeliveryResult::Disabled,
                Err(Error::NoAccount) => DeliveryResult::Unknown,
                Err(e) => {
                    tracing::error!(error = %e, "delivery failed");
                    DeliveryResult::TempFail
                }
            }
        })
        .collect()
}

/// Answers with the account's vacation response if it is on, the message
/// came from a person (RFC 3834: not to `<>`, lists, bulk or other
/// automatic mail, and only when the account is a direct recipient) and that
/// sender had no reply within `period`.
#[allow(clippy::too_many_arguments)]
fn vacation(
    store: &Store,
    account: &tresor_store::Account,
    return_path: &str,
    raw: &[u8],
    summary: &tresor_message::MessageSummary,
    now: i64,
    period: i64,
    replies: &tokio::sync::mpsc::Sender<crate::outbound::AutoReply>,
) -> Result<(), Error> {
    let v = account.vacation()?;
    if !v.active(now) || !from_a_person(return_path, raw) {
        return Ok(());
    }
    let Some(record) = store.record(account.id)? else { return Ok(()) };
    let addr = |a: &tresor_message::Address| -> Option<String> {
        Some(format!("{}@{}", String::from_utf8_lossy(a.mailbox.as_deref()?), String::from_utf8_lossy(a.host.as_deref()?)))
    };
    let env = &summary.envelope;
    let Some(me) = env.to.iter().chain(&env.cc).filter_map(addr).find(|a| record.addresses().any(|m| m.eq_ignore_ascii_case(a))) else {
        return Ok(()); // Bcc'd or via a list: not a direct recipient
    };
    if !account.claim_vacation_reply(return_path, now, period)? {
        return Ok(());
    }
    let subject = v.subject.clone().unwrap_or_else(|| {
        let original = env.subject.as_deref().map(tresor_message::decode_text).unwrap_or_default();
        format!("Auto: {}", original.trim())
    });
    let mut builder = mail_builder::MessageBuilder::new()
        .from(me.as_str())
        .to(return_path)
        .subject(subject)
        .header("Auto-Submitted", mail_builder::headers::raw::Raw::new("auto-replied"));
    if let Some(id) = &summary.message_id {
        builder = builder.in_reply_to(id.as_str()).references(id.as_str());
    }
    let text = v.text.clone().unwrap_or_default();
    builder = match &v.html {
        Some(html) => builder.text_body(text).html_body(html.clone()),
        None => builder.text_body(text),
    };
    let message = builder.write_to_vec().map_err(|e| Error::Invalid { what: "vacation reply", why: e.to_string() })?;
    // Full queue: the reply is dropped (a vacation reply is best effort).
    let _ = replies.try_send(crate::outbound::AutoReply { rcpt: return_path.to_owned(), message });
    Ok(())
}

/// RFC 3834 section 2 and common practice: who must never get an auto-reply.
fn from_a_person(return_path: &str, raw: &[u8]) -> bool {
    let lower = return_path.to_ascii_lowercase();
    let local = lower.split('@').next().unwrap_or_default();
    if lower.is_empty()
        || ["mailer-daemon", "postmaster", "listserv", "majordomo", "noreply", "no-reply", "donotreply", "do-not-reply"].contains(&local)
        || local.starts_with("owner-")
        || local.ends_with("-request")
        || local.ends_with("-bounces")
        || local.contains("+bounces")
    {
        return false;
    }
    let header_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    let mut fields = header_fields(&raw[..header_end]);
    !fields.any(|(name, value)| {
        let value = value.trim().to_ascii_lowercase();
        match name.to_ascii_lowercase().as_str() {
            "auto-submitted" => value != "no",
            "precedence" => matches!(value.as_str(), "bulk" | "list" | "junk"),
            "list-id" | "list-unsubscribe" | "list-post" | "x-auto-response-suppress" | "feedback-id" => true,
            "x-autoreply" | "x-autorespond" => true,
            _ => false,
        }
    })
}

/// Header fields as (name, unfolded value).
fn header_fields(block: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    let text = String::from_utf8_lossy(block).replace("\r\n ", " ").replace("\r\n\t", " ");
    text.split("\r\n").filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_owned(), v.to_owned()))).collect::<Vec<_>>().into_iter()
}
