//! SORT (RFC 5256) with DISPLAYFROM/DISPLAYTO (RFC 5957). Strings compare
//! with i;ascii-casemap; ties fall back to the sequence number.

use crate::codec::command::{SortCriterion, SortKey};
use std::cmp::Ordering;
use tresor_message::Address;
use tresor_store::mail::EmailMeta;

pub struct SortItem<'a> {
    /// What the response prints (sequence number or UID).
    pub id: u32,
    pub seq: u32,
    pub meta: &'a EmailMeta,
}

pub fn sort(keys: &[SortKey], items: &mut [SortItem]) {
    items.sort_by(|a, b| {
        for key in keys {
            let o = compare(key.criterion, a, b);
            let o = if key.reverse { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.seq.cmp(&b.seq)
    });
}

fn compare(c: SortCriterion, a: &SortItem, b: &SortItem) -> Ordering {
    let (x, y) = (a.meta, b.meta);
    match c {
        SortCriterion::Arrival => x.received_at.cmp(&y.received_at),
        SortCriterion::Date => x.summary.sent_at.unwrap_or(x.received_at).cmp(&y.summary.sent_at.unwrap_or(y.received_at)),
        SortCriterion::Size => x.size.cmp(&y.size),
        SortCriterion::Subject => casemap(&x.summary.base_subject).cmp(&casemap(&y.summary.base_subject)),
        SortCriterion::From => mailbox_key(&x.summary.envelope.from).cmp(&mailbox_key(&y.summary.envelope.from)),
        SortCriterion::To => mailbox_key(&x.summary.envelope.to).cmp(&mailbox_key(&y.summary.envelope.to)),
        SortCriterion::Cc => mailbox_key(&x.summary.envelope.cc).cmp(&mailbox_key(&y.summary.envelope.cc)),
        SortCriterion::DisplayFrom => display_key(&x.summary.envelope.from).cmp(&display_key(&y.summary.envelope.from)),
        SortCriterion::DisplayTo => display_key(&x.summary.envelope.to).cmp(&display_key(&y.summary.envelope.to)),
    }
}

/// i;ascii-casemap compares upper-cased strings (so `[` and `_` sort after
/// the letters).
fn casemap(s: &str) -> String {
    s.to_ascii_uppercase()
}

/// The addr-mailbox of the first address (RFC 5256: empty if none); for a
/// group, the group's name (what its first entry carries).
fn mailbox_key(list: &[Address]) -> String {
    list.first().and_then(|a| a.mailbox.as_deref()).map(|m| casemap(&String::from_utf8_lossy(m))).unwrap_or_default()
}

/// RFC 5957: the decoded display name of the first address, else its
/// addr-spec.
fn display_key(list: &[Address]) -> String {
    let Some(a) = list.first() else { return String::new() };
    if a.host.is_none() {
        // A group: its display name.
        return a.mailbox.as_deref().map(|m| casemap(&String::from_utf8_lossy(m))).unwrap_or_default();
    }
    if let Some(name) = a.name.as_deref().map(tresor_message::decode_text).filter(|n| !n.is_empty()) {
        return casemap(&name);
    }
    let mailbox = a.mailbox.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
    let host = a.host.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
    casemap(&format!("{mailbox}@{host}"))
}
