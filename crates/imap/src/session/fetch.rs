//! FETCH: every data item of RFC 9051 6.4.5, BINARY (RFC 3516), MODSEQ with
//! CHANGEDSINCE and VANISHED (RFC 7162), EMAILID/THREADID (RFC 8474).
//! The immutable part of a message (summary) and the raw bytes are read only
//! when an item needs them; the header alone is read when only header
//! sections are asked for.

use super::{Reply, Session, render, view::View};
use crate::codec::{
    command::{FetchAttr, Partial, Section, SectionText, SequenceSet},
    encode,
};
use std::borrow::Cow;
use tresor_store::{
    Account, Result,
    changes::Change,
    ids,
    mail::{EmailId, EmailMeta, EmailState, KeywordOp},
};

/// What the items need from the store.
struct Needs {
    meta: bool,
    raw: bool,
    /// Only root-header sections: read the header bytes, not the message.
    header_only: bool,
    sets_seen: bool,
}

fn needs(items: &[FetchAttr]) -> Needs {
    let mut n = Needs { meta: false, raw: false, header_only: true, sets_seen: false };
    for item in items {
        match item {
            FetchAttr::Envelope | FetchAttr::InternalDate | FetchAttr::Rfc822Size | FetchAttr::Body | FetchAttr::BodyStructure => {
                n.meta = true
            }
            FetchAttr::ThreadId => n.meta = true,
            FetchAttr::Rfc822Header => {
                n.meta = true;
                n.raw = true;
            }
            FetchAttr::BodySection { peek, section, .. } => {
                n.meta = true;
                n.raw = true;
                let header = section.part.is_empty()
                    && matches!(section.text, Some(SectionText::Header | SectionText::HeaderFields(_) | SectionText::HeaderFieldsNot(_)));
                n.header_only &= header;
                n.sets_seen |= !peek;
            }
            FetchAttr::Rfc822 | FetchAttr::Rfc822Text => {
                n.meta = true;
                n.raw = true;
                n.header_only = false;
                n.sets_seen = true;
            }
            FetchAttr::Binary { peek, .. } => {
                n.meta = true;
                n.raw = true;
                n.header_only = false;
                n.sets_seen |= !peek;
            }
            FetchAttr::BinarySize(_) => {
                n.meta = true;
                n.raw = true;
                n.header_only = false;
            }
            FetchAttr::Flags | FetchAttr::Uid | FetchAttr::ModSeq | FetchAttr::EmailId => {}
        }
    }
    n
}

impl Session {
    pub(super) fn fetch(
        &mut self,
        uid: bool,
        set: &SequenceSet,
        items: &[FetchAttr],
        changed_since: Option<u64>,
        vanished: bool,
        out: &mut Vec<u8>,
    ) -> Result<Reply> {
        let account = self.acct();
        if vanished && (!uid || !self.enabled.qresync || changed_since.is_none()) {
            return Ok(Reply::bad("VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE"));
        }
        if changed_since.is_some() || items.contains(&FetchAttr::ModSeq) {
            self.enable_condstore(out)?;
        }
        let view = self.selected.as_ref().expect("selected");
        if !uid && !view.valid_seqs(set) {
            return Ok(Reply::bad("invalid sequence set: no such message"));
        }
        if set == &SequenceSet::Saved && self.saved.is_none() {
            return Ok(Reply::ok("FETCH completed"));
        }
        let targets = view.resolve(set, uid, self.saved.as_deref());
        if vanished && let Some(since) = changed_since {
            let mut gone: Vec<u32> = account
                .changes_since(since)?
                .into_iter()
                .filter_map(|(_, c)| match c {
                    Change::Removed { mailbox, uid, .. } if mailbox == view.mailbox => Some(uid),
                    _ => None,
                })
                .filter(|u| view.seq_of(*u).is_none() && super::view::contains(set, *u, view.max_uid().max(*u)))
                .collect();
            gone.sort_unstable();
            gone.dedup();
            if !gone.is_empty() {
                out.extend_from_slice(b"* VANISHED (EARLIER) ");
                encode::sequence_set(out, &gone);
                out.extend_from_slice(b"\r\n");
            }
        }
        let need = needs(items);
        let read_only = view.read_only;
        let emails = emails_of(&account, view, &targets)?;
        let modseq_item =
            self.enabled.condstore && (changed_since.is_some() || items.contains(&FetchAttr::Flags)) || items.contains(&FetchAttr::ModSeq);

        // Implicit \Seen first, in one transaction, so FLAGS below shows it.
        let mut seen_now = std::collections::HashSet::new();
        if need.sets_seen && !read_only {
            let mut unseen = Vec::new();
            for (_, _, email) in &emails {
                if let Some(state) = account.email_state(*email)?
                    && !state.keywords.iter().any(|k| k == "$seen")
                {
                    unseen.push(*email);
                }
            }
            if !unseen.is_empty() {
                let result = account.set_keywords(&unseen, KeywordOp::Add, &["$seen".to_owned()], None)?;
                let view = self.selected.as_mut().expect("selected");
                for (email, state) in result.updated {
                    view.own.push(state.modseq);
                    seen_now.insert(email);
                }
            }
        }

        for (seq, uid_value, email) in emails {
            let Some(state) = account.email_state(email)? else { continue };
            if changed_since.is_some_and(|since| state.modseq <= since) {
                continue;
            }
            let meta = if need.meta { account.email_meta(email)? } else { None };
            if need.meta && meta.is_none() {
                continue;
            }
            let read = match (&meta, need.raw) {
                (Some(meta), true) if need.header_only => account.read_blob_range(meta.blob, 0, meta.summary.root.header.1 as u64),
                (Some(_), true) => account.read_message(email),
                _ => Ok(Vec::new()),
            };
            let raw = match read {
                Ok(raw) => raw,
                // Expunged by another session after this one resolved the
                // set: the client hears of it at the next sync.
                Err(tresor_store::Error::NoMessage) => continue,
                Err(e) => return Err(e),
            };
            let view = self.selected.as_mut().expect("selected");
            view.announce(&state.keywords, out);
            let flags = items.contains(&FetchAttr::Flags) || seen_now.contains(&email);
            let recent = view.recent.contains(&uid_value);
            write_message(out, seq, uid_value, email, uid, items, &state, meta.as_ref(), &raw, flags.then_some(recent), modseq_item);
            self.flush_if_large(out);
        }
        self.sync(out, uid)?;
        Ok(Reply::ok("FETCH completed"))
    }
}

/// (seq, uid, email) for each target, looked up one by one for a few, with
/// one scan of the mailbox for many.
pub(super) fn emails_of(account: &Account, view: &View, targets: &[(u32, u32)]) -> Result<Vec<(u32, u32, EmailId)>> {
    let mut out = Vec::with_capacity(targets.len());
    if targets.len() <= 32 {
        for &(seq, uid) in targets {
            if let Some(e) = account.uid_entry(view.mailbox, uid)? {
                out.push((seq, uid, e.email));
            }
        }
    } else {
        let all = account.uids(view.mailbox)?;
        for &(seq, uid) in targets {
            if let Ok(i) = all.binary_search_by_key(&uid, |(u, _)| *u) {
                out.push((seq, uid, all[i].1));
            }
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn write_message(
    out: &mut Vec<u8>,
    seq: u32,
    uid: u32,
    email: EmailId,
    uid_command: bool,
    items: &[FetchAttr],
    state: &EmailState,
    meta: Option<&EmailMeta>,
    raw: &[u8],
    // Some(recent) when FLAGS is written.
    flags: Option<bool>,
    modseq: bool,
) {
    out.extend_from_slice(format!("* {seq} FETCH (").as_bytes());
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !first {
            out.push(b' ');
        }
        first = false;
    };
    if uid_command || items.contains(&FetchAttr::Uid) {
        sep(out);
        out.extend_from_slice(format!("UID {uid}").as_bytes());
    }
    if let Some(recent) = flags {
        sep(out);
        out.extend_from_slice(b"FLAGS ");
        render::flags(out, &state.keywords, recent);
    }
    if modseq {
        sep(out);
        out.extend_from_slice(format!("MODSEQ ({})", state.modseq).as_bytes());
    }
    for item in items {
        match item {
            FetchAttr::Uid | FetchAttr::Flags | FetchAttr::ModSeq => continue,
            FetchAttr::EmailId => {
                sep(out);
                out.extend_from_slice(format!("EMAILID ({})", ids::email(email)).as_bytes());
                continue;
            }
            _ => sep(out),
        }
        let meta = meta.expect("needs() asked for the meta");
        let summary = &meta.summary;
        match item {
            FetchAttr::Envelope => {
                out.extend_from_slice(b"ENVELOPE ");
                render::envelope(out, &summary.envelope);
            }
            FetchAttr::InternalDate => {
                out.extend_from_slice(b"INTERNALDATE ");
                render::internal_date(out, meta.received_at);
            }
            FetchAttr::Rfc822Size => out.extend_from_slice(format!("RFC822.SIZE {}", meta.size).as_bytes()),
            FetchAttr::Body => {
                out.extend_from_slice(b"BODY ");
                render::body_structure(out, &summary.root, false);
            }
            FetchAttr::BodyStructure => {
                out.extend_from_slice(b"BODYSTRUCTURE ");
                render::body_structure(out, &summary.root, true);
            }
            FetchAttr::ThreadId => out.extend_from_slice(format!("THREADID ({})", ids::thread(meta.thread)).as_bytes()),
            FetchAttr::Rfc822 => {
                out.extend_from_slice(b"RFC822 ");
                encode::literal(out, raw);
            }
            FetchAttr::Rfc822Header => {
                out.extend_from_slice(b"RFC822.HEADER ");
                let header = Section { part: vec![], text: Some(SectionText::Header) };
                let bytes = render::section_bytes(raw, summary, &header).unwrap_or(Cow::Borrowed(&[]));
                encode::literal(out, &bytes);
            }
            FetchAttr::Rfc822Text => {
                out.extend_from_slice(b"RFC822.TEXT ");
                let text = Section { part: vec![], text: Some(SectionText::Text) };
                let bytes = render::section_bytes(raw, summary, &text).unwrap_or(Cow::Borrowed(&[]));
                encode::literal(out, &bytes);
            }
            FetchAttr::BodySection { section, partial, .. } => {
                out.extend_from_slice(b"BODY[");
                render::section_name(out, section);
                out.push(b']');
                let bytes = render::section_bytes(raw, summary, section).unwrap_or(Cow::Borrowed(&[]));
                write_partial(out, &bytes, *partial, false);
            }
            FetchAttr::Binary { part, partial, .. } => {
                out.extend_from_slice(b"BINARY[");
                write_part(out, part);
                out.push(b']');
                match render::binary(raw, summary, part) {
                    Ok(bytes) => write_partial(out, &bytes, *partial, true),
                    // RFC 3516: the part cannot be decoded; the tagged reply
                    // would be NO [UNKNOWN-CTE], but the rest still answers.
                    Err(_) => out.extend_from_slice(b" NIL"),
                }
            }
            FetchAttr::BinarySize(part) => {
                out.extend_from_slice(b"BINARY.SIZE[");
                write_part(out, part);
                out.push(b']');
                match render::binary(raw, summary, part) {
                    Ok(bytes) => out.extend_from_slice(format!(" {}", bytes.len()).as_bytes()),
                    Err(_) => out.extend_from_slice(b" NIL"),
                }
            }
            FetchAttr::Uid | FetchAttr::Flags | FetchAttr::ModSeq | FetchAttr::EmailId => unreachable!("written above"),
        }
    }
    out.extend_from_slice(b")\r\n");
}

fn write_part(out: &mut Vec<u8>, part: &[u32]) {
    let s: Vec<String> = part.iter().map(|n| n.to_string()).collect();
    out.extend_from_slice(s.join(".").as_bytes());
}

/// ` {n}\r\nbytes`, or `<origin> {n}` for a partial fetch.
fn write_partial(out: &mut Vec<u8>, bytes: &[u8], partial: Option<Partial>, binary: bool) {
    let slice = match partial {
        Some(p) => {
            out.extend_from_slice(format!("<{}>", p.offset).as_bytes());
            let start = (p.offset as usize).min(bytes.len());
            let end = start.saturating_add(p.count as usize).min(bytes.len());
            &bytes[start..end]
        }
        None => bytes,
    };
    out.push(b' ');
    if binary && slice.contains(&0) {
        encode::literal8(out, slice);
    } else {
        encode::literal(out, slice);
    }
}
