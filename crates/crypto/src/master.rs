//! The master key: an age X25519 identity kept in its own file (`[keys] master`),
//! never in the data directory. Data keys are stored only wrapped to it, so a copy
//! of the data directory without this file is noise.

use crate::{CryptoError, DataKey};
use age::secrecy::ExposeSecret;
use std::str::FromStr;
use zeroize::Zeroizing;

pub struct MasterKey {
    identity: age::x25519::Identity,
    recipient: age::x25519::Recipient,
}

impl MasterKey {
    /// A new identity, as the text of a key file (age's own format, so `age -d -i`
    /// can read it in an emergency).
    pub fn generate_file() -> Zeroizing<String> {
        let id = age::x25519::Identity::generate();
        Zeroizing::new(format!(
            "# Tresor master key. Keep it apart from the data directory and its backups.\n# public key: {}\n{}\n",
            id.to_public(),
            id.to_string().expose_secret()
        ))
    }

    /// Parses a key file: `#` comments, blank lines, one `AGE-SECRET-KEY-1…` line.
    pub fn from_file_text(text: &str) -> Result<Self, CryptoError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(|| CryptoError::MasterKey("file has no AGE-SECRET-KEY line".into()))?;
        let identity =
            age::x25519::Identity::from_str(line).map_err(|e| CryptoError::MasterKey(format!("not an age X25519 identity: {e}")))?;
        let recipient = identity.to_public();
        Ok(MasterKey { identity, recipient })
    }

    pub fn wrap(&self, key: &DataKey) -> Vec<u8> {
        age::encrypt(&self.recipient, key.raw()).expect("age encryption to an X25519 recipient cannot fail in memory")
    }

    pub fn unwrap(&self, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let raw = Zeroizing::new(age::decrypt(&self.identity, wrapped).map_err(|e| CryptoError::Unwrap(e.to_string()))?);
        let bytes: [u8; 32] = raw.as_slice().try_into().map_err(|_| CryptoError::Unwrap("wrapped key has the wrong length".into()))?;
        Ok(DataKey::from_bytes(bytes))
    }

    /// A 256-bit secret derived from the master identity for one purpose
    /// (`label`), e.g. the seed of the receipt-signing key: nothing else to keep.
    pub fn derive_secret(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let ikm = Zeroizing::new(self.identity.to_string().expose_secret().as_bytes().to_vec());
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"tresor master derivation v1"), &ikm);
        let mut out = Zeroizing::new([0u8; 32]);
        hk.expand(label, &mut *out).expect("32 bytes is a valid HKDF length");
        out
    }

    /// The public half, printable (`age1…`).
    pub fn recipient(&self) -> String {
        self.recipient.to_string()
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.recipient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_unwrap_round_trip() {
        let m = MasterKey::from_file_text(&MasterKey::generate_file()).unwrap();
        let k = DataKey::generate();
        let w = m.wrap(&k);
        let k2 = m.unwrap(&w).unwrap();
        assert_eq!(k.name_hash(b"d", b"n"), k2.name_hash(b"d", b"n"));
        let other = MasterKey::from_file_text(&MasterKey::generate_file()).unwrap();
        assert!(other.unwrap(&w).is_err());
    }

    #[test]
    fn bad_key_files_are_rejected() {
        assert!(MasterKey::from_file_text("").is_err());
        assert!(MasterKey::from_file_text("# only a comment\n").is_err());
        assert!(MasterKey::from_file_text("AGE-SECRET-KEY-1NOTAKEY").is_err());
    }
}
