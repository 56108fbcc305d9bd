//! The selected mailbox as the client knows it: UIDs in sequence-number order
//! and the change-log position reflected so far. Other sessions' and
//! protocols' changes reach the client only through [`View::sync`], which
//! reads the change log (never a rescan), so a mailbox of any size costs one
//! `u32` per message and nothing more while idle.

use super::render;
use crate::codec::{
    command::{QResync, SeqNum, SequenceSet},
    encode,
};
use std::collections::{BTreeSet, HashSet};
use tresor_store::{
    Account, Result,
    changes::Change,
    ids,
    mail::{EmailId, Mailbox, MailboxId},
};

pub struct View {
    pub mailbox: MailboxId,
    pub read_only: bool,
    /// UIDs of the messages the client knows, ascending: sequence number n is
    /// `uids[n - 1]`.
    pub uids: Vec<u32>,
    /// Change-log position already reflected.
    pub log_pos: u64,
    /// Expunges seen but not yet told (during FETCH/STORE/SEARCH).
    pending_expunge: BTreeSet<u32>,
    /// Keywords announced in `* FLAGS` (clients reject undeclared ones).
    announced: BTreeSet<String>,
    /// Modseqs of this session's own flag changes, already reported.
    pub own: Vec<u64>,
    /// UIDs that are `\Recent` in this session (IMAP4rev1).
    pub recent: BTreeSet<u32>,
    /// IMAP4rev2 was enabled: no RECENT responses.
    rev2: bool,
}

const SYSTEM_FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

impl View {
    /// SELECT/EXAMINE: loads the UIDs and writes the untagged responses.
    pub fn open(
        account: &Account,
        mailbox: &Mailbox,
        read_only: bool,
        rev2: bool,
        qresync: Option<&QResync>,
        out: &mut Vec<u8>,
    ) -> Result<View> {
        // The log position first: a change racing the scan is then seen twice
        // (harmless) rather than never.
        let log_pos = account.modseq();
        let entries = account.uids(mailbox.id)?;
        let mut view = View {
            mailbox: mailbox.id,
            read_only,
            uids: entries.iter().map(|(u, _)| *u).collect(),
            log_pos,
            pending_expunge: BTreeSet::new(),
            announced: BTreeSet::new(),
            own: Vec::new(),
            recent: BTreeSet::new(),
            rev2,
        };
        // EXAMINE shows what is recent but claims nothing: the messages
        // stay recent for the next SELECT.
        // Claimed up to the last UID this view holds, so the range and the
        // view agree even if a message arrived meanwhile.
        let claimed = if read_only {
            account.recent_from(mailbox.id)?..u32::MAX
        } else {
            account.claim_recent(mailbox.id, view.max_uid().saturating_add(1))?
        };
        view.recent = view.uids.iter().copied().filter(|u| claimed.contains(u)).collect();
        let mut first_unseen = None;
        for (i, (_, email)) in entries.iter().enumerate() {
            let Some(state) = account.email_state(*email)? else { continue };
            for k in &state.keywords {
                if !k.starts_with('$') || !is_system(k) {
                    view.announced.insert(k.clone());
                }
            }
            if first_unseen.is_none() && !state.keywords.iter().any(|k| k == "$seen") {
                first_unseen = Some(i + 1);
            }
        }
        view.write_flags(out);
        out.extend_from_slice(format!("* OK [PERMANENTFLAGS ({SYSTEM_FLAGS} \\*)] Flags permitted\r\n").as_bytes());
        out.extend_from_slice(format!("* {} EXISTS\r\n", view.uids.len()).as_bytes());
        if !rev2 {
            out.extend_from_slice(format!("* {} RECENT\r\n", view.recent.len()).as_bytes());
            if let Some(n) = first_unseen {
                out.extend_from_slice(format!("* OK [UNSEEN {n}] First unseen\r\n").as_bytes());
            }
        }
        out.extend_from_slice(format!("* OK [UIDVALIDITY {}] UIDs valid\r\n", mailbox.uid_validity).as_bytes());
        out.extend_from_slice(format!("* OK [UIDNEXT {}] Predicted next UID\r\n", mailbox.uid_next).as_bytes());
        out.extend_from_slice(format!("* OK [HIGHESTMODSEQ {}] Highest\r\n", highest_modseq(mailbox)).as_bytes());
        out.extend_from_slice(format!("* OK [MAILBOXID ({})] Ok\r\n", ids::mailbox(mailbox.id)).as_bytes());
        if let Some(q) = qresync.filter(|q| q.uid_validity == mailbox.uid_validity) {
            view.qresync(account, q, &entries, out)?;
        }
        Ok(view)
    }

    /// RFC 7162 3.2.5.1: what changed since the client's modseq, as VANISHED
    /// (EARLIER) and FETCH.
    fn qresync(&self, account: &Account, q: &QResync, entries: &[(u32, EmailId)], out: &mut Vec<u8>) -> Result<()> {
        let known = |uid: u32| q.known_uids.as_ref().is_none_or(|set| contains(set, uid, u32::MAX));
        let mut vanished: Vec<u32> = Vec::new();
        for (_, change) in account.changes_since(q.modseq)? {
            if let Change::Removed { mailbox, uid, .. } = change
                && mailbox == self.mailbox
                && known(uid)
            {
                vanished.push(uid);
            }
        }
        vanished.sort_unstable();
        vanished.dedup();
        vanished.retain(|u| self.uids.binary_search(u).is_err());
        if !vanished.is_empty() {
            out.extend_from_slice(b"* VANISHED (EARLIER) ");
            encode::sequence_set(out, &vanished);
            out.extend_from_slice(b"\r\n");
        }
        for (i, (uid, email)) in entries.iter().enumerate() {
            let Some(state) = account.email_state(*email)? else { continue };
            if state.modseq > q.modseq {
                write_flags_fetch(out, i as u32 + 1, Some(*uid), &state.keywords, self.recent.contains(uid), Some(state.modseq));
            }
        }
        Ok(())
    }

    fn write_flags(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("* FLAGS ({SYSTEM_FLAGS}").as_bytes());
        for k in &self.announced {
            out.push(b' ');
            out.extend_from_slice(k.as_bytes());
        }
        out.extend_from_slice(b")\r\n");
    }

    /// Announces keywords not yet in `* FLAGS` before a response uses them.
    pub fn announce(&mut self, keywords: &[String], out: &mut Vec<u8>) {
        let mut new = false;
        for k in keywords {
            if !is_system(k) && self.announced.insert(k.clone()) {
                new = true;
            }
        }
        if new {
            self.write_flags(out);
        }
    }

    pub fn exists(&self) -> u32 {
        self.uids.len() as u32
    }

    pub fn max_uid(&self) -> u32 {
        self.uids.last().copied().unwrap_or(0)
    }

    /// Sequence number of `uid`, if the client knows it.
    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.uids.binary_search(&uid).ok().map(|i| i as u32 + 1)
    }

    /// The (seq, uid) pairs a set names, ascending. `saved` is SEARCHRES's
    /// `$` (UIDs). Sequence numbers beyond EXISTS are ignored; a UID set
    /// naming no message is empty, not an error (RFC 9051 6.4.9).
    pub fn resolve(&self, set: &SequenceSet, uid: bool, saved: Option<&[u32]>) -> Vec<(u32, u32)> {
        match set {
            SequenceSet::Saved => {
                let saved = saved.unwrap_or(&[]);
                self.uids.iter().enumerate().filter(|(_, u)| saved.binary_search(u).is_ok()).map(|(i, u)| (i as u32 + 1, *u)).collect()
            }
            SequenceSet::Ranges(_) if uid => {
                let max = self.max_uid();
                self.uids.iter().enumerate().filter(|(_, u)| contains(set, **u, max)).map(|(i, u)| (i as u32 + 1, *u)).collect()
            }
            SequenceSet::Ranges(_) => {
                let max = self.exists();
                (1..=max).filter(|s| contains(set, *s, max)).map(|s| (s, self.uids[s as usize - 1])).collect()
            }
        }
    }

    /// Whether a sequence-number set names only messages that exist.
    pub fn valid_seqs(&self, set: &SequenceSet) -> bool {
        match set {
            SequenceSet::Saved => true,
            SequenceSet::Ranges(ranges) => ranges.iter().all(|r| {
                let ok = |n: SeqNum| match n {
                    SeqNum::Star => self.exists() > 0,
                    SeqNum::Value(v) => v <= self.exists(),
                };
                ok(r.from) && ok(r.to)
            }),
        }
    }

    /// UIDs of messages with `\Deleted`, for CLOSE and EXPUNGE.
    pub fn deleted_uids(&self, account: &Account) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        for (uid, email) in account.uids(self.mailbox)? {
            if self.seq_of(uid).is_none() {
                continue;
            }
            if account.email_state(email)?.is_some_and(|s| s.keywords.iter().any(|k| k == "$deleted")) {
                out.push(uid);
            }
        }
        Ok(out)
    }

    /// Removes `uid` from the view, writing `* n EXPUNGE` (or collecting it
    /// for VANISHED).
    pub fn expunged(&mut self, uid: u32, qresync: bool, vanished: &mut Vec<u32>, out: &mut Vec<u8>) {
        let Ok(i) = self.uids.binary_search(&uid) else { return };
        self.uids.remove(i);
        self.recent.remove(&uid);
        if qresync {
            vanished.push(uid);
        } else {
            out.extend_from_slice(format!("* {} EXPUNGE\r\n", i + 1).as_bytes());
        }
    }

    pub fn write_vanished(out: &mut Vec<u8>, vanished: &mut Vec<u32>) {
        if vanished.is_empty() {
            return;
        }
        vanished.sort_unstable();
        out.extend_from_slice(b"* VANISHED ");
        encode::sequence_set(out, vanished);
        out.extend_from_slice(b"\r\n");
        vanished.clear();
    }

    /// Reads the change log since `log_pos` and tells the client.
    pub fn sync(&mut self, account: &Account, qresync: bool, condstore: bool, expunges: bool, out: &mut Vec<u8>) -> Result<()> {
        if account.modseq() == self.log_pos && (self.pending_expunge.is_empty() || !expunges) {
            return Ok(());
        }
        let mut added = Vec::new();
        let mut flags: Vec<EmailId> = Vec::new();
        let mut seen_flags = HashSet::new();
        let mut destroyed = false;
        for (modseq, change) in account.changes_since(self.log_pos)? {
            self.log_pos = modseq;
            match change {
                Change::Added { mailbox, uid, .. } if mailbox == self.mailbox => added.push(uid),
                Change::Removed { mailbox, uid, .. } if mailbox == self.mailbox => {
                    if let Some(i) = added.iter().position(|u| *u == uid) {
                        added.remove(i);
                    } else {
                        self.pending_expunge.insert(uid);
                    }
                }
                Change::Keywords { email } if !self.own.contains(&modseq) && seen_flags.insert(email) => flags.push(email),
                Change::MailboxDestroyed { mailbox } if mailbox == self.mailbox => destroyed = true,
                _ => {}
            }
        }
        self.own.clear();
        if expunges && !self.pending_expunge.is_empty() {
            let mut vanished = Vec::new();
            for uid in std::mem::take(&mut self.pending_expunge) {
                self.expunged(uid, qresync, &mut vanished, out);
            }
            Self::write_vanished(out, &mut vanished);
        }
        for email in flags {
            let Some(state) = account.email_state(email)? else { continue };
            let Some(&(_, uid)) = state.mailboxes.iter().find(|(m, _)| *m == self.mailbox) else { continue };
            if self.pending_expunge.contains(&uid) {
                continue;
            }
            let Some(seq) = self.seq_of(uid) else { continue };
            self.announce(&state.keywords, out);
            write_flags_fetch(out, seq, Some(uid), &state.keywords, self.recent.contains(&uid), condstore.then_some(state.modseq));
        }
        added.sort_unstable();
        added.retain(|u| *u > self.max_uid());
        added.dedup();
        if !added.is_empty() {
            let mut keywords = Vec::new();
            for uid in &added {
                if let Some(entry) = account.uid_entry(self.mailbox, *uid)?
                    && let Some(state) = account.email_state(entry.email)?
                {
                    keywords.extend(state.keywords);
                }
            }
            self.announce(&keywords, out);
            if !self.read_only {
                let last = *added.last().expect("not empty");
                let claimed = account.claim_recent(self.mailbox, last + 1)?;
                self.recent.extend(added.iter().copied().filter(|u| claimed.contains(u)));
            }
            self.uids.extend(added);
            out.extend_from_slice(format!("* {} EXISTS\r\n", self.exists()).as_bytes());
            if !self.rev2 {
                out.extend_from_slice(format!("* {} RECENT\r\n", self.recent.len()).as_bytes());
            }
        }
        if destroyed {
            out.extend_from_slice(b"* BYE the selected mailbox was deleted\r\n");
        }
        Ok(())
    }
}

/// `* n FETCH (UID u FLAGS (...) MODSEQ (m))`.
pub fn write_flags_fetch(out: &mut Vec<u8>, seq: u32, uid: Option<u32>, keywords: &[String], recent: bool, modseq: Option<u64>) {
    match uid {
        Some(uid) => out.extend_from_slice(format!("* {seq} FETCH (UID {uid} FLAGS ").as_bytes()),
        None => out.extend_from_slice(format!("* {seq} FETCH (FLAGS ").as_bytes()),
    }
    render::flags(out, keywords, recent);
    if let Some(m) = modseq {
        out.extend_from_slice(format!(" MODSEQ ({m})").as_bytes());
    }
    out.extend_from_slice(b")\r\n");
}

fn is_system(keyword: &str) -> bool {
    matches!(keyword, "$seen" | "$answered" | "$flagged" | "$draft" | "$deleted")
}

/// RFC 7162: a mailbox's HIGHESTMODSEQ is never 0.
pub fn highest_modseq(m: &Mailbox) -> u64 {
    m.highest_modseq.max(1)
}

/// Whether `n` is in `set`, with `*` standing for `max`.
pub fn contains(set: &SequenceSet, n: u32, max: u32) -> bool {
    let SequenceSet::Ranges(ranges) = set else { return false };
    let value = |s: SeqNum| match s {
        SeqNum::Star => max,
        SeqNum::Value(v) => v,
    };
    ranges.iter().any(|r| {
        let (a, b) = (value(r.from), value(r.to));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        (lo..=hi).contains(&n)
    })
}
