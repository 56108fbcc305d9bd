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

/// The longest blob id we read: parts of parts of ... nest only so deep.
const MAX_ID: usize = 255;

/// The bytes of `blob_id` in `account`, or None.
pub fn download(account: &Account, blob_id: &str) -> Option<Vec<u8>> {
    if blob_id.len() > MAX_ID {
        return None;
    }
    if let Some(rest) = blob_id.strip_prefix('P') {
        let (email, part) = rest.split_once('-')?;
        let email = ids::parse_email(&format!("M{email}"))?;
        let meta = account.email_meta(email).ok()??;
        let part = meta.summary.part(&tresor_message::parse_path(&part.replace('_', "."))?)?;
        if part.is_multipart() {
            return None;
        }
        let raw = account.read_blob(meta.blob).ok()?;
        return Some(tresor_message::decoded_part(&raw, part));
    }
    if let Some(rest) = blob_id.strip_prefix('Q') {
        let (inner, part) = rest.rsplit_once('-')?;
        let raw = download(account, inner)?;
        let summary = tresor_message::parse(&raw);
        let part = summary.part(&tresor_message::parse_path(&part.replace('_', "."))?)?;
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

/// Whether `blob_id` has the form of one of our blob ids (it may still not
/// exist): a malformed one is an invalid property, not a missing blob.
pub fn is_well_formed(blob_id: &str) -> bool {
    blob_id.len() <= MAX_ID
        && (ids::parse_upload(blob_id).is_some()
            || ids::parse_blob(blob_id).is_some()
            || blob_id.strip_prefix('P').or_else(|| blob_id.strip_prefix('Q')).is_some_and(|rest| rest.contains('-')))
}
