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

/// Orders `items` by `keys`, each REVERSE flipping only its own key; equal
/// messages stay in sequence order.
pub fn sort(keys: &[SortKey], items: &mut [SortItem]) {
    // Each message's values are computed once, not per comparison: a display
    // name is an RFC 2047 decode, and a comparison sort makes n log n of them.
    items.sort_by_cached_key(|item| Ranked {
        values: keys.iter().map(|k| (k.reverse, value(k.criterion, item.meta))).collect(),
        seq: item.seq,
    });
}

/// One message's sort values; at each position every message has the same
/// variant, because it comes from the same criterion.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Number(i64),
    Size(u64),
    Text(String),
}

#[derive(PartialEq, Eq)]
struct Ranked {
    /// (reversed, value) per sort key.
    values: Vec<(bool, Value)>,
    seq: u32,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        for ((reverse, a), (_, b)) in self.values.iter().zip(&other.values) {
            let o = if *reverse { b.cmp(a) } else { a.cmp(b) };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.seq.cmp(&other.seq)
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn value(c: SortCriterion, meta: &EmailMeta) -> Value {
    let envelope = &meta.summary.envelope;
    match c {
        SortCriterion::Arrival => Value::Number(meta.received_at),
        // The Date: header in UTC; the internal date when it is missing or
        // unreadable (RFC 5256 section 2.2).
        SortCriterion::Date => Value::Number(meta.summary.sent_at.unwrap_or(meta.received_at)),
        SortCriterion::Size => Value::Size(meta.size),
        SortCriterion::Subject => Value::Text(casemap(&meta.summary.base_subject)),
        SortCriterion::From => Value::Text(mailbox_key(&envelope.from)),
        SortCriterion::To => Value::Text(mailbox_key(&envelope.to)),
        SortCriterion::Cc => Value::Text(mailbox_key(&envelope.cc)),
        SortCriterion::DisplayFrom => Value::Text(display_key(&envelope.from)),
        SortCriterion::DisplayTo => Value::Text(display_key(&envelope.to)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use SortCriterion::*;

    /// Messages as (header lines, internal date); the body adds nothing but
    /// `extra` bytes of size.
    fn metas(messages: &[(&str, i64, usize)]) -> Vec<EmailMeta> {
        messages
            .iter()
            .enumerate()
            .map(|(i, (header, received_at, extra))| {
                let raw = format!("{header}\r\n\r\n{}\r\n", "x".repeat(*extra)).into_bytes();
                let summary = tresor_message::parse(&raw);
                EmailMeta { blob: i as u64, size: raw.len() as u64, received_at: *received_at, thread: i as u64, summary }
            })
            .collect()
    }

    /// The sequence numbers (1-based positions in `metas`) in sorted order.
    fn check(metas: &[EmailMeta], keys: &[(bool, SortCriterion)], expected: &[u32]) {
        let mut items: Vec<SortItem> =
            metas.iter().enumerate().map(|(i, meta)| SortItem { id: i as u32 + 1, seq: i as u32 + 1, meta }).collect();
        let keys: Vec<SortKey> = keys.iter().map(|&(reverse, criterion)| SortKey { reverse, criterion }).collect();
        sort(&keys, &mut items);
        let got: Vec<u32> = items.iter().map(|i| i.id).collect();
        assert_eq!(got, expected, "{keys:?}");
    }

    #[test]
    fn dates_sizes_and_reverse() {
        let m = metas(&[
            ("Date: Mon, 1 Jan 2024 12:00:00 +0000", 300, 100),
            // 2024-01-01 11:00 UTC: earlier than message 1 despite the hour.
            ("Date: Mon, 1 Jan 2024 13:00:00 +0200", 200, 300),
            // No Date: the internal date (1970) stands in.
            ("Subject: undated", 100, 200),
            ("Date: Mon, 1 Jan 2024 12:00:00 +0000", 400, 100),
        ]);
        check(&m, &[(false, Arrival)], &[3, 2, 1, 4]);
        check(&m, &[(true, Arrival)], &[4, 1, 2, 3]);
        check(&m, &[(false, Date)], &[3, 2, 1, 4]);
        // Equal dates keep sequence order even when reversed.
        check(&m, &[(true, Date)], &[1, 4, 2, 3]);
        check(&m, &[(false, Size)], &[1, 4, 3, 2]);
        // REVERSE applies to its own key only.
        check(&m, &[(false, Size), (true, Arrival)], &[4, 1, 3, 2]);
        check(&m, &[(true, Size), (false, Arrival)], &[2, 3, 1, 4]);
    }

    #[test]
    fn subjects_compare_base_subjects_ignoring_case() {
        let m = metas(&[
            ("Subject: Re: beta", 1, 0),
            ("Subject: [list] Alpha", 2, 0),
            ("Subject: Fwd: ALPHA", 3, 0),
            ("Subject: gamma", 4, 0),
            ("From: nobody@example.org", 5, 0),
        ]);
        check(&m, &[(false, Subject)], &[5, 2, 3, 1, 4]);
        check(&m, &[(true, Subject)], &[4, 1, 2, 3, 5]);
    }

    #[test]
    fn addresses_by_mailbox_or_display_name() {
        let m = metas(&[
            ("From: Zed <alice@example.org>\r\nTo: x@example.org", 1, 0),
            ("From: Al <bob@example.org>\r\nTo: Undisclosed:;", 2, 0),
            // Decoded, the name is Zoe: after Zed; encoded, it would be first.
            ("From: =?UTF-8?Q?Zoe?= <carl@example.org>\r\nCc: b@example.org", 3, 0),
            // No display name: the addr-spec.
            ("From: Dave@Example.org\r\nTo: y@example.org, a@example.org", 4, 0),
        ]);
        check(&m, &[(false, From)], &[1, 2, 3, 4]);
        check(&m, &[(false, DisplayFrom)], &[2, 4, 1, 3]);
        // A group sorts by its name; no Cc is the empty string.
        check(&m, &[(false, To)], &[3, 2, 1, 4]);
        check(&m, &[(false, DisplayTo)], &[3, 2, 1, 4]);
        check(&m, &[(false, Cc)], &[1, 2, 4, 3]);
    }
}
