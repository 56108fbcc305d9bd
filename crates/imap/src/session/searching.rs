//! SEARCH (with ESEARCH, SEARCHRES, CONDSTORE's MODSEQ), SORT (with ESORT,
//! SORT=DISPLAY) and THREAD: the commands glue; the matching, ordering and
//! threading live in [`super::search`], [`super::sort`] and [`super::thread`].

use super::{Reply, Session, fetch::emails_of, search, sort, thread};
use crate::codec::{
    command::{SearchKey, SearchReturn, SortKey, ThreadAlgorithm},
    encode,
};
use std::collections::HashMap;
use tresor_store::{
    Result, ids,
    mail::{EmailId, EmailMeta},
};

/// One message that matched.
struct Hit {
    seq: u32,
    uid: u32,
    modseq: u64,
    meta: EmailMeta,
}

impl Session {
    /// Runs the criteria over the selected mailbox; None: bad charset.
    fn matching(&self, charset: Option<&str>, criteria: &SearchKey) -> Result<Option<Vec<Hit>>> {
        let Ok(query) = search::prepare(criteria, charset) else { return Ok(None) };
        let account = self.acct();
        let view = self.selected.as_ref().expect("selected");
        let all: Vec<(u32, u32)> = view.uids.iter().enumerate().map(|(i, u)| (i as u32 + 1, *u)).collect();
        let emails = emails_of(&account, view, &all)?;
        let raw_of = |email: EmailId| account.read_message(email).ok();
        let email_id = |e: EmailId| ids::email(e);
        let thread_id = |t: u64| ids::thread(t);
        let saved = self.saved.as_deref();
        let recent = |uid: u32| view.recent.contains(&uid);
        let ctx = search::Ctx {
            max_seq: view.exists(),
            max_uid: view.max_uid(),
            saved,
            now: self.backend.now(),
            raw: &raw_of,
            email_id: &email_id,
            thread_id: &thread_id,
            recent: &recent,
        };
        let mut hits = Vec::new();
        for (seq, uid, email) in emails {
            let (Some(meta), Some(state)) = (account.email_meta(email)?, account.email_state(email)?) else { continue };
            let candidate = search::Candidate { seq, uid, email, meta: &meta, state: &state };
            let mut raw = None;
            if search::matches(&query, &candidate, &ctx, &mut raw) {
                hits.push(Hit { seq, uid, modseq: state.modseq, meta });
            }
        }
        Ok(Some(hits))
    }

    pub(super) fn search(
        &mut self,
        uid: bool,
        charset: Option<&str>,
        ret: Option<Vec<SearchReturn>>,
        criteria: &SearchKey,
        tag_out: &mut Vec<u8>,
    ) -> Result<Reply> {
        let out = tag_out;
        let Some(hits) = self.matching(charset, criteria)? else { return Ok(bad_charset()) };
        let with_modseq = mentions_modseq(criteria);
        if with_modseq {
            self.enable_condstore(out)?;
        }
        let ids: Vec<u32> = hits.iter().map(|h| if uid { h.uid } else { h.seq }).collect();
        let max_modseq = hits.iter().map(|h| h.modseq).max();
        // RFC 7162 3.1.5: with only MIN and/or MAX, the MODSEQ is that of the
        // messages returned.
        let shown_modseq = match &ret {
            Some(o) if !o.is_empty() && o.iter().all(|r| matches!(r, SearchReturn::Min | SearchReturn::Max | SearchReturn::Save)) => {
                let mut shown = Vec::new();
                if o.contains(&SearchReturn::Min) {
                    shown.extend(hits.iter().min_by_key(|h| h.uid));
                }
                if o.contains(&SearchReturn::Max) {
                    shown.extend(hits.iter().max_by_key(|h| h.uid));
                }
                shown.iter().map(|h| h.modseq).max()
            }
            _ => max_modseq,
        };
        let ret = match ret {
            Some(r) => Some(r),
            None if self.enabled.rev2 => Some(Vec::new()),
            None => None,
        };
        match ret {
            None => {
                out.extend_from_slice(b"* SEARCH");
                for id in &ids {
                    out.extend_from_slice(format!(" {id}").as_bytes());
                }
                if with_modseq && let Some(m) = max_modseq {
                    out.extend_from_slice(format!(" (MODSEQ {m})").as_bytes());
                }
                out.extend_from_slice(b"\r\n");
            }
            Some(mut options) => {
                if options.is_empty() {
                    options.push(SearchReturn::All);
                }
                let uids: Vec<u32> = hits.iter().map(|h| h.uid).collect();
                if options.contains(&SearchReturn::Save) {
                    self.saved = Some(saved_result(&options, &uids));
                }
                let only_save = options.iter().all(|o| *o == SearchReturn::Save);
                if !only_save {
                    let tag = self.current_tag.clone();
                    write_esearch(out, &tag, uid, &options, &ids, false, with_modseq.then_some(shown_modseq).flatten());
                }
            }
        }
        self.sync(out, uid)?;
        Ok(Reply::ok("SEARCH completed"))
    }

    pub(super) fn sort(
        &mut self,
        uid: bool,
        ret: Option<Vec<SearchReturn>>,
        keys: &[SortKey],
        charset: &str,
        criteria: &SearchKey,
        out: &mut Vec<u8>,
    ) -> Result<Reply> {
        let Some(hits) = self.matching(Some(charset), criteria)? else { return Ok(bad_charset()) };
        let mut items: Vec<sort::SortItem> =
            hits.iter().map(|h| sort::SortItem { id: if uid { h.uid } else { h.seq }, seq: h.seq, meta: &h.meta }).collect();
        sort::sort(keys, &mut items);
        let ids: Vec<u32> = items.iter().map(|i| i.id).collect();
        match ret {
            None => {
                out.extend_from_slice(b"* SORT");
                for id in &ids {
                    out.extend_from_slice(format!(" {id}").as_bytes());
                }
                out.extend_from_slice(b"\r\n");
            }
            Some(mut options) => {
                if options.is_empty() {
                    options.push(SearchReturn::All);
                }
                if options.contains(&SearchReturn::Save) {
                    let by_uid: HashMap<u32, u32> = hits.iter().map(|h| (if uid { h.uid } else { h.seq }, h.uid)).collect();
                    let uids: Vec<u32> = ids.iter().map(|i| by_uid[i]).collect();
                    let mut saved = saved_result(&options, &uids);
                    saved.sort_unstable();
                    self.saved = Some(saved);
                }
                if !options.iter().all(|o| *o == SearchReturn::Save) {
                    let tag = self.current_tag.clone();
                    write_esearch(out, &tag, uid, &options, &ids, true, None);
                }
            }
        }
        self.sync(out, uid)?;
        Ok(Reply::ok("SORT completed"))
    }

    pub(super) fn thread(
        &mut self,
        uid: bool,
        algorithm: ThreadAlgorithm,
        charset: &str,
        criteria: &SearchKey,
        out: &mut Vec<u8>,
    ) -> Result<Reply> {
        let Some(hits) = self.matching(Some(charset), criteria)? else { return Ok(bad_charset()) };
        let items = hits.iter().map(|h| thread_item(h, uid)).collect();
        out.extend_from_slice(b"* THREAD ");
        thread::thread(algorithm, items, out);
        out.extend_from_slice(b"\r\n");
        self.sync(out, uid)?;
        Ok(Reply::ok("THREAD completed"))
    }
}

fn thread_item(h: &Hit, uid: bool) -> thread::ThreadItem {
    let s = &h.meta.summary;
    let mut references = s.references.clone();
    if references.is_empty() {
        references.extend(s.in_reply_to.iter().take(1).cloned());
    }
    let subject = s.envelope.subject.as_deref().map(tresor_message::decode_text).unwrap_or_default();
    thread::ThreadItem {
        id: if uid { h.uid } else { h.seq },
        seq: h.seq,
        message_id: s.message_id.clone(),
        references,
        base_subject: s.base_subject.clone(),
        sent: s.sent_at.unwrap_or(h.meta.received_at),
        is_reply: tresor_message::is_reply(&subject),
    }
}

fn bad_charset() -> Reply {
    Reply::no_code("BADCHARSET (US-ASCII UTF-8)", "unsupported charset")
}

fn mentions_modseq(key: &SearchKey) -> bool {
    match key {
        SearchKey::ModSeq(_) => true,
        SearchKey::And(keys) => keys.iter().any(mentions_modseq),
        SearchKey::Or(a, b) => mentions_modseq(a) || mentions_modseq(b),
        SearchKey::Not(k) => mentions_modseq(k),
        _ => false,
    }
}

/// RFC 5182 2.1: SAVE with MIN/MAX saves just those; otherwise everything.
fn saved_result(options: &[SearchReturn], uids: &[u32]) -> Vec<u32> {
    let min = options.contains(&SearchReturn::Min);
    let max = options.contains(&SearchReturn::Max);
    if (min || max) && !options.contains(&SearchReturn::All) && !options.contains(&SearchReturn::Count) {
        let mut v = Vec::new();
        if min && let Some(m) = uids.iter().min() {
            v.push(*m);
        }
        if max && let Some(m) = uids.iter().max() {
            v.push(*m);
        }
        v.sort_unstable();
        v.dedup();
        return v;
    }
    let mut v = uids.to_vec();
    v.sort_unstable();
    v
}

/// `* ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set [MODSEQ n]`.
/// For ESORT (`ordered`), MIN/MAX/ALL follow the sort order.
fn write_esearch(out: &mut Vec<u8>, tag: &str, uid: bool, options: &[SearchReturn], ids: &[u32], ordered: bool, modseq: Option<u64>) {
    out.extend_from_slice(b"* ESEARCH (TAG ");
    encode::quoted(out, tag.as_bytes());
    out.push(b')');
    if uid {
        out.extend_from_slice(b" UID");
    }
    let (min, max) = if ordered { (ids.first(), ids.last()) } else { (ids.iter().min(), ids.iter().max()) };
    for option in options {
        match option {
            SearchReturn::Min => {
                if let Some(m) = min {
                    out.extend_from_slice(format!(" MIN {m}").as_bytes());
                }
            }
            SearchReturn::Max => {
                if let Some(m) = max {
                    out.extend_from_slice(format!(" MAX {m}").as_bytes());
                }
            }
            SearchReturn::Count => out.extend_from_slice(format!(" COUNT {}", ids.len()).as_bytes()),
            SearchReturn::All if !ids.is_empty() => {
                out.extend_from_slice(b" ALL ");
                if ordered {
                    ordered_set(out, ids);
                } else {
                    let mut sorted = ids.to_vec();
                    sorted.sort_unstable();
                    encode::sequence_set(out, &sorted);
                }
            }
            SearchReturn::All | SearchReturn::Save => {}
        }
    }
    if let Some(m) = modseq {
        out.extend_from_slice(format!(" MODSEQ {m}").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// A sequence set that keeps the sort order: runs of consecutive ascending
/// numbers become ranges (`4,1:3,7`).
fn ordered_set(out: &mut Vec<u8>, ids: &[u32]) {
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut end = start;
        while i + 1 < ids.len() && ids[i + 1] == end + 1 {
            i += 1;
            end = ids[i];
        }
        if out.last() != Some(&b' ') {
            out.push(b',');
        }
        out.extend_from_slice(start.to_string().as_bytes());
        if end != start {
            out.extend_from_slice(format!(":{end}").as_bytes());
        }
        i += 1;
    }
}
