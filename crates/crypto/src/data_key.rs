//! `DataKey`: one account's (or the directory's) 256-bit key, and the two keys
//! derived from it with HKDF-SHA256 — one for the AEAD, one for name hashes — so a
//! name hash never reveals anything about the sealing key and vice versa.

use crate::CryptoError;
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Format byte of a sealed value; bumps if the layout ever changes.
const SEAL_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// A keyed hash of a name (login, address, mailbox name, Message-ID…): what the
/// store uses as a RocksDB key instead of the name itself.
pub type NameHash = [u8; 32];

#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey {
    raw: [u8; 32],
    aead: [u8; 32],
    index: [u8; 32],
}

impl DataKey {
    pub fn generate() -> Self {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        Self::from_bytes(raw)
    }

    pub fn from_bytes(mut raw: [u8; 32]) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"tresor data key v1"), &raw);
        let mut aead = [0u8; 32];
        let mut index = [0u8; 32];
        hk.expand(b"aead", &mut aead).expect("32 bytes is a valid HKDF length");
        hk.expand(b"name-index", &mut index).expect("32 bytes is a valid HKDF length");
        let key = DataKey { raw, aead, index };
        raw.zeroize();
        key
    }

    /// The raw key, for wrapping only.
    pub(crate) fn raw(&self) -> &[u8; 32] {
        &self.raw
    }

    /// A short public identifier of this key (not secret: a hash of a derived
    /// value), for deletion receipts and audit lines.
    pub fn key_id(&self) -> String {
        let h = self.name_hash(b"key-id", b"");
        h[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Seals `plaintext` so that it opens only under this key *and* at this
    /// location (`cf`, `key`): swapping two values, or copying one to another
    /// key or account, fails authentication.
    pub fn seal(&self, cf: &[u8], key: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new((&self.aead).into());
        let aad = aad(cf, key);
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(SEAL_OVERHEAD + plaintext.len());
        out.push(SEAL_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, cf: &[u8], key: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < SEAL_OVERHEAD || sealed[0] != SEAL_V1 {
            return Err(CryptoError::Tampered);
        }
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new((&self.aead).into());
        cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad(cf, key) }).map_err(|_| CryptoError::Tampered)
    }

    /// HMAC-SHA256 of `name` under the index key, domain-separated so the same
    /// string hashes differently as a login and as a mailbox name.
    pub fn name_hash(&self, domain: &[u8], name: &[u8]) -> NameHash {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index).expect("HMAC takes any key length");
        mac.update(&(domain.len() as u32).to_be_bytes());
        mac.update(domain);
        mac.update(name);
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

/// Length-prefixed so (cf="ab", key="c") and (cf="a", key="bc") differ.
fn aad(cf: &[u8], key: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(4 + cf.len() + key.len());
    aad.extend_from_slice(&(cf.len() as u32).to_be_bytes());
    aad.extend_from_slice(cf);
    aad.extend_from_slice(key);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip() {
        let k = DataKey::generate();
        let sealed = k.seal(b"cf", b"k1", b"hello");
        assert_eq!(sealed.len(), 5 + SEAL_OVERHEAD);
        assert!(!sealed.windows(5).any(|w| w == b"hello"));
        assert_eq!(k.open(b"cf", b"k1", &sealed).unwrap(), b"hello");
    }

    #[test]
    fn moved_or_foreign_values_fail() {
        let k = DataKey::generate();
        let sealed = k.seal(b"cf", b"k1", b"hello");
        assert!(k.open(b"cf", b"k2", &sealed).is_err(), "moved to another key");
        assert!(k.open(b"cg", b"k1", &sealed).is_err(), "moved to another cf");
        assert!(k.open(b"c", b"fk1", &sealed).is_err(), "boundary shift");
        assert!(DataKey::generate().open(b"cf", b"k1", &sealed).is_err(), "foreign key");
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(k.open(b"cf", b"k1", &flipped).is_err(), "bit flip");
        assert!(k.open(b"cf", b"k1", &sealed[..10]).is_err(), "truncated");
    }

    #[test]
    fn name_hash_is_keyed_and_domain_separated() {
        let a = DataKey::generate();
        let b = DataKey::from_bytes(*a.raw());
        assert_eq!(a.name_hash(b"login", b"x"), b.name_hash(b"login", b"x"));
        assert_ne!(a.name_hash(b"login", b"x"), a.name_hash(b"mailbox", b"x"));
        assert_ne!(a.name_hash(b"login", b"x"), DataKey::generate().name_hash(b"login", b"x"));
        assert_eq!(format!("{a:?}"), "DataKey([redacted])");
    }
}
