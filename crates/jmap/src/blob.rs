//! Blob ids and reads. `G<blob>` is a whole stored message; `U<blob>` an
//! upload; `P<email>-<part>` one MIME part of a stored email and
//! `Q<blobId>-<part>` one part of any blob (Email/parse), both
//! transfer-decoded. Blob ids live in the account's own keyspace, so another
//! account's id, or one that does not exist, is simply not found.

use crate::ids;
use tresor_store::{Account, mail::EmailId};

/// The blob id of one part of an email (`1.2` is written `1_2`: ids allow no dots).
pub fn part_id(email: EmailId, part: &str) -> String {
    format!("P{:x}-{}", email.0, part.replace('.', "_"))
}

/// The blob id of one part of the message in blob `blob`.
pub fn blob_part_id(blob: &str, part: &str) -> String {
    format!("Q{blob}-{}", part.replace('.', "_"))
}

/// The longest blob id we read.
const MAX_ID: usize = 255;

/// How deep `Q` ids nest: a part of a part of a part of a blob. Each level
/// parses the level below again, so an id of many `Q`s would cost many
/// parses of a large message for one short request; real attachments of
/// attachments stop well before this.
const MAX_NESTING: usize = 4;

/// The bytes of `blob_id` in `account`, or None.
pub fn download(account: &Account, blob_id: &str) -> Option<Vec<u8>> {
    if !is_well_formed(blob_id) {
        return None;
    }
    read(account, blob_id)
}

fn read(account: &Account, blob_id: &str) -> Option<Vec<u8>> {
    if let Some(rest) = blob_id.strip_prefix('P') {
        let (email, part) = rest.split_once('-')?;
        let email = ids::parse_email(&format!("M{email}"))?;
        let meta = account.email_meta(email).ok()??;
        let part = meta.summary.part(&part_path(part)?)?;
        if part.is_multipart() {
            return None;
        }
        let raw = account.read_blob(meta.blob).ok()?;
        return Some(tresor_message::decoded_part(&raw, part));
    }
    if let Some(rest) = blob_id.strip_prefix('Q') {
        let (inner, part) = rest.rsplit_once('-')?;
        let path = part_path(part)?;
        let raw = read(account, inner)?;
        let summary = tresor_message::parse(&raw);
        let part = summary.part(&path)?;
        if part.is_multipart() {
            return None;
        }
        return Some(tresor_message::decoded_part(&raw, part));
    }
    if let Some(upload) = ids::parse_upload(blob_id) {
        return account.read_upload(upload).ok()?;
    }
    account.read_blob(ids::parse_blob(blob_id)?).ok()
}

/// A part id as written in a blob id (`1_2`); never empty: the whole
/// message has its own blob id.
fn part_path(part: &str) -> Option<Vec<u32>> {
    if part.is_empty() {
        return None;
    }
    tresor_message::parse_path(&part.replace('_', "."))
}

/// Whether `blob_id` has the form of one of our blob ids (it may still not
/// exist): a malformed one is an invalid property, not a missing blob.
pub fn is_well_formed(blob_id: &str) -> bool {
    blob_id.len() <= MAX_ID
        && blob_id.bytes().take_while(|&b| b == b'Q').count() <= MAX_NESTING
        && (ids::parse_upload(blob_id).is_some()
            || ids::parse_blob(blob_id).is_some()
            || blob_id.strip_prefix('P').or_else(|| blob_id.strip_prefix('Q')).is_some_and(|rest| rest.contains('-')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_ids_nest_only_so_deep() {
        assert!(is_well_formed("QG5-2"));
        assert!(is_well_formed(&format!("{}G5{}", "Q".repeat(MAX_NESTING), "-1".repeat(MAX_NESTING))));
        assert!(!is_well_formed(&format!("{}G5{}", "Q".repeat(MAX_NESTING + 1), "-1".repeat(MAX_NESTING + 1))));
        assert_eq!(part_path(""), None);
        assert_eq!(part_path("1_2"), Some(vec![1, 2]));
    }
}
