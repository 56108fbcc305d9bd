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
        async move {
            let n = delivery.recipients.len();
            tokio::task::spawn_blocking(move || deliver(&store, delivery)).await.unwrap_or_else(|_| vec![DeliveryResult::TempFail; n])
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

fn deliver(store: &Store, delivery: Delivery) -> Vec<DeliveryResult> {
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
                })
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
