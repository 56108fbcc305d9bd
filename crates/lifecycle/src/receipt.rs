//! Deletion receipts: after a purge, a JSON document stating which account (by
//! the hash of its id), which key was destroyed, how much was deleted and when,
//! signed with Ed25519 by a key derived from the master key — so the operator
//! keeps no extra secret, and anyone holding the server's public key can check
//! a receipt with `tresor receipt verify FILE`.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use tresor_crypto::MasterKey;
use tresor_store::lifecycle::PurgeReport;
use tresor_types::time::rfc3339;

const KIND: &str = "tresor-deletion-receipt-1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    #[serde(rename = "type")]
    pub kind: String,
    pub account_hash: String,
    pub key_id: String,
    pub messages: u64,
    pub bytes: u64,
    pub mailboxes: u64,
    pub purge_started_at: String,
    pub key_destroyed_at: String,
    pub purge_finished_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signed {
    pub receipt: Receipt,
    /// Hex Ed25519 public key of the server that purged.
    pub signer: String,
    /// Hex Ed25519 signature over the receipt's canonical JSON.
    pub signature: String,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("not a Tresor deletion receipt: {0}")]
    Format(String),
    #[error("the signature does not match the receipt (altered, or not signed by this key)")]
    BadSignature,
    #[error("signed by {signer}, not by this server ({expected})")]
    OtherServer { signer: String, expected: String },
}

fn signing_key(master: &MasterKey) -> SigningKey {
    SigningKey::from_bytes(&master.derive_secret(b"deletion-receipt-signing"))
}

/// This server's receipt-verifying key, hex.
pub fn public_key(master: &MasterKey) -> String {
    hex(signing_key(master).verifying_key().as_bytes())
}

pub fn sign(master: &MasterKey, report: &PurgeReport) -> Signed {
    let receipt = Receipt {
        kind: KIND.into(),
        account_hash: report.account_hash.clone(),
        key_id: report.key_id.clone(),
        messages: report.messages,
        bytes: report.bytes,
        mailboxes: report.mailboxes,
        purge_started_at: rfc3339(report.started_at),
        key_destroyed_at: rfc3339(report.key_destroyed_at),
        purge_finished_at: rfc3339(report.finished_at),
    };
    let key = signing_key(master);
    let signature = key.sign(&canonical(&receipt));
    Signed { receipt, signer: hex(key.verifying_key().as_bytes()), signature: hex(&signature.to_bytes()) }
}

/// Checks the signature; with `expected` (hex key), also that this server signed.
pub fn verify(json: &str, expected: Option<&str>) -> Result<Signed, VerifyError> {
    let signed: Signed = serde_json::from_str(json).map_err(|e| VerifyError::Format(e.to_string()))?;
    if signed.receipt.kind != KIND {
        return Err(VerifyError::Format(format!("type {:?}", signed.receipt.kind)));
    }
    let key_bytes: [u8; 32] = unhex(&signed.signer).and_then(|b| b.try_into().ok()).ok_or_else(|| VerifyError::Format("signer".into()))?;
    let sig_bytes: [u8; 64] =
        unhex(&signed.signature).and_then(|b| b.try_into().ok()).ok_or_else(|| VerifyError::Format("signature".into()))?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|_| VerifyError::Format("signer is not an Ed25519 key".into()))?;
    key.verify(&canonical(&signed.receipt), &Signature::from_bytes(&sig_bytes)).map_err(|_| VerifyError::BadSignature)?;
    if let Some(expected) = expected
        && !expected.eq_ignore_ascii_case(&signed.signer)
    {
        return Err(VerifyError::OtherServer { signer: signed.signer, expected: expected.into() });
    }
    Ok(signed)
}

/// The bytes signed: the receipt as compact JSON, fields in declaration order.
fn canonical(r: &Receipt) -> Vec<u8> {
    serde_json::to_vec(r).expect("a receipt serializes")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> PurgeReport {
        PurgeReport {
            account_hash: "ab".repeat(32),
            key_id: "0011223344556677".into(),
            messages: 12,
            bytes: 3456,
            mailboxes: 6,
            started_at: 1_795_000_000,
            key_destroyed_at: 1_795_000_001,
            finished_at: 1_795_000_002,
        }
    }

    #[test]
    fn signed_receipts_verify_and_altered_ones_do_not() {
        let master = MasterKey::from_file_text(&MasterKey::generate_file()).unwrap();
        let signed = sign(&master, &report());
        let json = serde_json::to_string_pretty(&signed).unwrap();
        let ok = verify(&json, Some(&public_key(&master))).unwrap();
        assert_eq!(ok.receipt.messages, 12);
        assert_eq!(ok.receipt.key_destroyed_at, "2026-11-18T11:06:41Z");

        let altered = json.replace("\"messages\": 12", "\"messages\": 13");
        assert!(matches!(verify(&altered, None), Err(VerifyError::BadSignature)));
        let other = MasterKey::from_file_text(&MasterKey::generate_file()).unwrap();
        assert!(matches!(verify(&json, Some(&public_key(&other))), Err(VerifyError::OtherServer { .. })));
        assert!(matches!(verify("{}", None), Err(VerifyError::Format(_))));
        assert_eq!(public_key(&master), public_key(&master), "derived, stable");
    }
}
