//! QUOTA (RFC 9208: one root, "", holding the account's storage and message
//! limits) and METADATA (RFC 5464: private entries per mailbox and for the
//! server; `/private/vendor/tresor/retention-days` is the user's retention).

use super::{Reply, Session, mailbox_astring};
use crate::codec::{
    command::{MetadataDepth, MetadataOptions},
    encode,
};
use tresor_store::{
    Result,
    mail::{MailboxId, metadata::RETENTION_ENTRY},
};

impl Session {
    pub(super) fn get_quota(&mut self, root: &str, out: &mut Vec<u8>) -> Result<Reply> {
        if !root.is_empty() {
            return Ok(Reply::no_code("NONEXISTENT", "no such quota root"));
        }
        self.write_quota(out);
        Ok(Reply::ok("GETQUOTA completed"))
    }

    pub(super) fn get_quota_root(&mut self, wire: &str, out: &mut Vec<u8>) -> Result<Reply> {
        let account = self.acct();
        let Some(name) = self.mailbox_name(wire) else { return Ok(Reply::no_code("NONEXISTENT", "no such mailbox")) };
        if account.mailbox_by_name(&name)?.is_none() {
            return Ok(Reply::no_code("NONEXISTENT", "no such mailbox"));
        }
        out.extend_from_slice(b"* QUOTAROOT ");
        mailbox_astring(out, wire);
        out.extend_from_slice(b" \"\"\r\n");
        self.write_quota(out);
        Ok(Reply::ok("GETQUOTAROOT completed"))
    }

    /// `* QUOTA "" (STORAGE used limit MESSAGE used limit)`, STORAGE in KiB.
    fn write_quota(&self, out: &mut Vec<u8>) {
        let account = self.acct();
        let quota = account.policy().quota;
        let counters = account.counters();
        let mut parts = Vec::new();
        if let Some(bytes) = quota.bytes {
            parts.push(format!("STORAGE {} {}", counters.bytes.div_ceil(1024), bytes / 1024));
        }
        if let Some(messages) = quota.messages {
            parts.push(format!("MESSAGE {} {messages}", counters.messages));
        }
        out.extend_from_slice(format!("* QUOTA \"\" ({})\r\n", parts.join(" ")).as_bytes());
    }

    /// The mailbox a METADATA command names: "" is the server (account).
    fn metadata_target(&self, wire: &str) -> Result<Result<Option<MailboxId>, Reply>> {
        if wire.is_empty() {
            return Ok(Ok(None));
        }
        let account = self.acct();
        let name = self.mailbox_name(wire);
        match name.map(|n| account.mailbox_by_name(&n)).transpose()?.flatten() {
            Some(m) => Ok(Ok(Some(m.id))),
            None => Ok(Err(Reply::no_code("NONEXISTENT", "no such mailbox"))),
        }
    }

    pub(super) fn get_metadata(&mut self, wire: &str, options: &MetadataOptions, entries: &[String], out: &mut Vec<u8>) -> Result<Reply> {
        let account = self.acct();
        let target = match self.metadata_target(wire)? {
            Ok(t) => t,
            Err(reply) => return Ok(reply),
        };
        let stored = account.metadata_entries(target)?;
        let mut found: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        for entry in entries {
            if !valid_entry(entry) {
                return Ok(Reply::bad("invalid entry name"));
            }
            // Entries without a value are left out (RFC 5464 4.2).
            if let Some((name, value)) = stored.iter().find(|(name, _)| name.eq_ignore_ascii_case(entry)) {
                found.push((name.clone(), Some(value.clone())));
            }
            if options.depth != MetadataDepth::Zero {
                let prefix = format!("{}/", entry.to_ascii_lowercase());
                for (name, value) in &stored {
                    let lower = name.to_ascii_lowercase();
                    let Some(rest) = lower.strip_prefix(&prefix) else { continue };
                    if options.depth == MetadataDepth::One && rest.contains('/') {
                        continue;
                    }
                    found.push((name.clone(), Some(value.clone())));
                }
            }
        }
        let mut longest_skipped = 0usize;
        let mut shown = Vec::new();
        for (name, value) in found {
            match (&value, options.max_size) {
                (Some(v), Some(max)) if v.len() as u64 > max => longest_skipped = longest_skipped.max(v.len()),
                _ => shown.push((name, value)),
            }
        }
        if !shown.is_empty() {
            out.extend_from_slice(b"* METADATA ");
            mailbox_astring(out, wire);
            out.extend_from_slice(b" (");
            for (i, (name, value)) in shown.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                encode::astring(out, name.as_bytes());
                out.push(b' ');
                encode::nstring(out, value.as_deref());
            }
            out.extend_from_slice(b")\r\n");
        }
        if longest_skipped > 0 {
            return Ok(Reply::ok_code(&format!("METADATA LONGENTRIES {longest_skipped}"), "GETMETADATA completed"));
        }
        Ok(Reply::ok("GETMETADATA completed"))
    }

    pub(super) fn set_metadata(&mut self, wire: &str, entries: Vec<(String, Option<Vec<u8>>)>) -> Result<Reply> {
        let account = self.acct();
        let target = match self.metadata_target(wire)? {
            Ok(t) => t,
            Err(reply) => return Ok(reply),
        };
        for (name, value) in &entries {
            if !valid_entry(name) {
                return Ok(Reply::bad("invalid entry name"));
            }
            if name.to_ascii_lowercase().starts_with("/shared/") {
                return Ok(Reply::no_code("PERMISSIONDENIED", "only /private entries can be set"));
            }
            if value.as_ref().is_some_and(|v| v.len() > tresor_store::mail::metadata::MAX_VALUE) {
                return Ok(Reply::no_code(&format!("METADATA MAXSIZE {}", tresor_store::mail::metadata::MAX_VALUE), "value too large"));
            }
            if name.eq_ignore_ascii_case(RETENTION_ENTRY) {
                let days = match value {
                    None => Some(0),
                    Some(v) => std::str::from_utf8(v).ok().and_then(|s| s.trim().parse::<u32>().ok()),
                };
                match days {
                    Some(d) if self.backend.retention_allowed(d) => {}
                    Some(_) => return Ok(Reply::no_code("CANNOT", "retention outside the bounds the operator allows")),
                    None => return Ok(Reply::bad("retention-days is a whole number of days")),
                }
            }
        }
        for (name, value) in &entries {
            match account.set_metadata(target, name, value.as_deref()) {
                Ok(()) => {}
                Err(tresor_store::Error::Invalid { what: "metadata", .. }) => {
                    return Ok(Reply::no_code("METADATA TOOMANY", "too many entries"));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Reply::ok("SETMETADATA completed"))
    }
}

/// RFC 5464 3.2: `/private/...` or `/shared/...`, no wildcards or `//`.
fn valid_entry(entry: &str) -> bool {
    let lower = entry.to_ascii_lowercase();
    (lower.starts_with("/private/") || lower.starts_with("/shared/") || lower == "/private" || lower == "/shared")
        && !entry.ends_with('/')
        && !entry.contains("//")
        && entry.chars().all(|c| !c.is_control() && c != '*' && c != '%')
}
