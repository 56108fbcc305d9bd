//! Commands that change messages: STORE (with UNCHANGEDSINCE), COPY and MOVE
//! (with COPYUID), EXPUNGE and UID EXPUNGE, APPEND (with APPENDUID,
//! MULTIAPPEND, literal8). Each is one store transaction, so other sessions
//! see it whole or not at all.

use super::{Reply, Session, fetch::emails_of, render, view::View};
use crate::codec::{
    command::{AppendMessage, SequenceSet, StoreOp},
    encode,
};
use tresor_store::{
    Result,
    mail::{KeywordOp, NewMessage},
};

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn store(
        &mut self,
        uid: bool,
        set: &SequenceSet,
        unchanged_since: Option<u64>,
        op: StoreOp,
        silent: bool,
        flags: &[String],
        out: &mut Vec<u8>,
    ) -> Result<Reply> {
        let account = self.acct();
        let view = self.selected.as_ref().expect("selected");
        if view.read_only {
            return Ok(Reply::no_code("READ-ONLY", "mailbox is read-only"));
        }
        if !uid && !view.valid_seqs(set) {
            return Ok(Reply::bad("invalid sequence set: no such message"));
        }
        let mut keywords = Vec::new();
        for flag in flags {
            if flag.eq_ignore_ascii_case("\\Recent") {
                continue;
            }
            match render::keyword_of_flag(flag) {
                Some(k) => keywords.push(k),
                None => return Ok(Reply::bad("invalid flag")),
            }
        }
        if unchanged_since.is_some() {
            self.enable_condstore(out)?;
        }
        let view = self.selected.as_ref().expect("selected");
        let targets = view.resolve(set, uid, self.saved.as_deref());
        let emails = emails_of(&account, view, &targets)?;
        let ids: Vec<_> = emails.iter().map(|(_, _, e)| *e).collect();
        let op = match op {
            StoreOp::Replace => KeywordOp::Replace,
            StoreOp::Add => KeywordOp::Add,
            StoreOp::Remove => KeywordOp::Remove,
        };
        let result = account.set_keywords(&ids, op, &keywords, unchanged_since)?;
        let view = self.selected.as_mut().expect("selected");
        view.own.extend(result.updated.iter().map(|(_, s)| s.modseq));
        let condstore = self.enabled.condstore;
        for (seq, uid_value, email) in &emails {
            if result.conflicts.contains(email) {
                continue;
            }
            let changed = result.updated.iter().find(|(e, _)| e == email).map(|(_, s)| s.clone());
            // Silent: the client knows what it set; with CONDSTORE it still
            // learns the new MODSEQ (RFC 7162 3.1.3).
            if silent && !(condstore && changed.is_some()) {
                continue;
            }
            let Some(state) = (match changed {
                Some(s) => Some(s),
                None => account.email_state(*email)?,
            }) else {
                continue;
            };
            view.announce(&state.keywords, out);
            if silent {
                out.extend_from_slice(format!("* {seq} FETCH (UID {uid_value} MODSEQ ({}))\r\n", state.modseq).as_bytes());
            } else {
                super::view::write_flags_fetch(
                    out,
                    *seq,
                    (uid || self.enabled.qresync).then_some(*uid_value),
                    &state.keywords,
                    view.recent.contains(uid_value),
                    condstore.then_some(state.modseq),
                );
            }
        }
        self.sync(out, uid)?;
        if !result.conflicts.is_empty() {
            let view = self.selected.as_ref().expect("selected");
            let mut failed: Vec<u32> =
                emails.iter().filter(|(_, _, e)| result.conflicts.contains(e)).map(|(seq, u, _)| if uid { *u } else { *seq }).collect();
            failed.sort_unstable();
            let _ = view;
            let mut code = b"MODIFIED ".to_vec();
            encode::sequence_set(&mut code, &failed);
            return Ok(Reply::ok_code(&String::from_utf8_lossy(&code), "conditional STORE failed"));
        }
        Ok(Reply::ok("STORE completed"))
    }

    pub(super) fn copy(&mut self, uid: bool, set: &SequenceSet, wire: &str, is_move: bool, out: &mut Vec<u8>) -> Result<Reply> {
        let account = self.acct();
        let view = self.selected.as_ref().expect("selected");
        if is_move && view.read_only {
            return Ok(Reply::no_code("READ-ONLY", "mailbox is read-only"));
        }
        if !uid && !view.valid_seqs(set) {
            return Ok(Reply::bad("invalid sequence set: no such message"));
        }
        let Some(name) = self.mailbox_name(wire) else { return Ok(Reply::no_code("TRYCREATE", "no such mailbox")) };
        let Some(target) = account.mailbox_by_name(&name)? else { return Ok(Reply::no_code("TRYCREATE", "no such mailbox")) };
        let view = self.selected.as_ref().expect("selected");
        let uids: Vec<u32> = view.resolve(set, uid, self.saved.as_deref()).into_iter().map(|(_, u)| u).collect();
        let what = if is_move { "MOVE" } else { "COPY" };
        if uids.is_empty() {
            return Ok(Reply::ok(&format!("{what} completed: no messages matched")));
        }
        let source = view.mailbox;
        let pairs = if is_move && target.id == source {
            // MOVE into the same mailbox: new UIDs, the old ones expunged.
            let pairs = account.copy(source, &uids, target.id)?;
            account.expunge(source, &uids)?;
            pairs
        } else if is_move {
            account.move_messages(source, &uids, target.id)?
        } else {
            account.copy(source, &uids, target.id)?
        };
        let code = copyuid(target.uid_validity, &pairs);
        if !is_move {
            self.sync(out, uid)?;
            return Ok(Reply { code, ..Reply::ok("COPY completed") });
        }
        // MOVE: COPYUID goes untagged, before the EXPUNGEs (RFC 6851).
        if let Some(code) = &code {
            out.extend_from_slice(format!("* OK [{code}] moved\r\n").as_bytes());
        }
        let qresync = self.enabled.qresync;
        let view = self.selected.as_mut().expect("selected");
        let mut vanished = Vec::new();
        for (from, _) in &pairs {
            view.expunged(*from, qresync, &mut vanished, out);
        }
        View::write_vanished(out, &mut vanished);
        self.sync(out, true)?;
        Ok(Reply::ok("MOVE completed"))
    }

    pub(super) fn expunge(&mut self, only: Option<SequenceSet>, out: &mut Vec<u8>) -> Result<Reply> {
        let account = self.acct();
        let view = self.selected.as_ref().expect("selected");
        if view.read_only {
            return Ok(Reply::no_code("READ-ONLY", "mailbox is read-only"));
        }
        let mut uids = view.deleted_uids(&account)?;
        if let Some(set) = &only {
            let max = view.max_uid();
            uids.retain(|u| {
                super::view::contains(set, *u, max) || (set == &SequenceSet::Saved && self.saved.as_ref().is_some_and(|s| s.contains(u)))
            });
        }
        let removed = if uids.is_empty() { Vec::new() } else { account.expunge(view.mailbox, &uids)? };
        let qresync = self.enabled.qresync;
        let view = self.selected.as_mut().expect("selected");
        let mut vanished = Vec::new();
        for uid in &removed {
            view.expunged(*uid, qresync, &mut vanished, out);
        }
        View::write_vanished(out, &mut vanished);
        self.sync(out, true)?;
        if self.enabled.condstore
            && let Some(m) = account.mailbox(self.selected_mailbox().expect("selected"))?
        {
            return Ok(Reply::ok_code(&format!("HIGHESTMODSEQ {}", super::view::highest_modseq(&m)), "EXPUNGE completed"));
        }
        Ok(Reply::ok("EXPUNGE completed"))
    }

    pub(super) fn append(&mut self, wire: &str, messages: Vec<AppendMessage>, out: &mut Vec<u8>) -> Result<Reply> {
        let account = self.acct();
        let Some(name) = self.mailbox_name(wire) else { return Ok(Reply::no_code("TRYCREATE", "no such mailbox")) };
        let Some(target) = account.mailbox_by_name(&name)? else { return Ok(Reply::no_code("TRYCREATE", "no such mailbox")) };
        let limit = self.backend.append_limit();
        for m in &messages {
            if m.data.len() as u64 > limit {
                return Ok(Reply::no_code("TOOBIG", "message exceeds APPENDLIMIT"));
            }
            if m.data.is_empty() {
                return Ok(Reply::no("empty message"));
            }
            if !m.binary && m.data.contains(&0) {
                return Ok(Reply::no_code("CANNOT", "NUL octets need a literal8 (BINARY)"));
            }
        }
        let now = self.backend.now();
        let mut appended: Vec<u32> = Vec::new();
        for m in &messages {
            let mut keywords = Vec::new();
            for flag in &m.flags {
                if flag.eq_ignore_ascii_case("\\Recent") {
                    continue;
                }
                match render::keyword_of_flag(flag) {
                    Some(k) => keywords.push(k),
                    None => {
                        self.undo_append(target.id, &appended)?;
                        return Ok(Reply::bad("invalid flag"));
                    }
                }
            }
            // RFC 3516: NULs from a literal8 must never reach a BODY[] reply,
            // so parts that carry them are stored base64-encoded.
            let recoded = if m.binary { recode_nul_parts(&m.data, &tresor_message::parse(&m.data)) } else { None };
            let raw = recoded.as_deref().unwrap_or(&m.data);
            let summary = tresor_message::parse(raw);
            let new = NewMessage { raw, summary: &summary, mailbox: target.id, keywords, received_at: m.date.map_or(now, |d| d.unix) };
            match account.append(new) {
                Ok(a) => appended.push(a.uid),
                Err(e) => {
                    // MULTIAPPEND is all or nothing (RFC 3502).
                    self.undo_append(target.id, &appended)?;
                    return Err(e);
                }
            }
        }
        self.sync(out, true)?;
        let mut code = format!("APPENDUID {} ", target.uid_validity).into_bytes();
        encode::sequence_set(&mut code, &appended);
        Ok(Reply::ok_code(&String::from_utf8_lossy(&code), "APPEND completed"))
    }

    fn undo_append(&self, mailbox: tresor_store::mail::MailboxId, uids: &[u32]) -> Result<()> {
        if !uids.is_empty() {
            self.acct().expunge(mailbox, uids)?;
        }
        Ok(())
    }
}

/// The message with every leaf part whose body holds a NUL re-encoded as
/// base64 (its Content-Transfer-Encoding replaced); None when no part has
/// one.
fn recode_nul_parts(raw: &[u8], summary: &tresor_message::MessageSummary) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let mut parts: Vec<&tresor_message::BodyPart> = summary
        .root
        .walk()
        .into_iter()
        .filter(|p| !p.is_multipart() && raw.get(p.body.0 as usize..p.body.1 as usize).is_some_and(|b| b.contains(&0)))
        .collect();
    if parts.is_empty() {
        return None;
    }
    // From the end, so earlier offsets stay valid.
    parts.sort_by_key(|p| std::cmp::Reverse(p.header.0));
    let mut out = raw.to_vec();
    for p in parts {
        let (h0, h1, b0, b1) = (p.header.0 as usize, p.header.1 as usize, p.body.0 as usize, p.body.1 as usize);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&raw[b0..b1]);
        let mut body = Vec::with_capacity(encoded.len() + encoded.len() / 76 * 2 + 2);
        for line in encoded.as_bytes().chunks(76) {
            body.extend_from_slice(line);
            body.extend_from_slice(b"\r\n");
        }
        if b1 < raw.len() && body.ends_with(b"\r\n") {
            // The line break before a boundary belongs to the boundary.
            body.truncate(body.len() - 2);
        }
        out.splice(b0..b1, body);
        out.splice(h0..h1, with_base64_cte(&raw[h0..h1]));
    }
    Some(out)
}

/// A header block with its Content-Transfer-Encoding field set to base64.
fn with_base64_cte(header: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len() + 40);
    let mut pos = 0;
    while pos < header.len() {
        let start = pos;
        let mut end = header[pos..].iter().position(|&b| b == b'\n').map_or(header.len(), |i| pos + i + 1);
        if header[start..end].iter().all(|&b| b == b'\r' || b == b'\n') {
            break;
        }
        while end < header.len() && matches!(header[end], b' ' | b'\t') {
            end = header[end..].iter().position(|&b| b == b'\n').map_or(header.len(), |i| end + i + 1);
        }
        pos = end;
        let field = &header[start..end];
        if field.len() >= 26 && field[..26].eq_ignore_ascii_case(b"content-transfer-encoding:") {
            continue;
        }
        out.extend_from_slice(field);
    }
    out.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n");
    out.extend_from_slice(&header[pos..]);
    out
}

/// `COPYUID uidvalidity source-set dest-set`, the two sets in matching order.
fn copyuid(uid_validity: u32, pairs: &[(u32, u32)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    let mut sorted = pairs.to_vec();
    sorted.sort_unstable();
    let (from, to): (Vec<u32>, Vec<u32>) = sorted.into_iter().unzip();
    // Compact ranges only when the destination is ascending too; otherwise
    // list each UID so the two sets pair up element by element.
    let mut out = format!("COPYUID {uid_validity} ").into_bytes();
    if to.windows(2).all(|w| w[0] < w[1]) {
        encode::sequence_set(&mut out, &from);
        out.push(b' ');
        encode::sequence_set(&mut out, &to);
    } else {
        let f: Vec<String> = from.iter().map(u32::to_string).collect();
        let t: Vec<String> = to.iter().map(u32::to_string).collect();
        out.extend_from_slice(format!("{} {}", f.join(","), t.join(",")).as_bytes());
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}
