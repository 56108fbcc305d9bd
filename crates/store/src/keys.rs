//! Key layouts. Every key is a one-byte type tag followed by big-endian numeric
//! ids or a 32-byte keyed hash: nothing in a key is readable account data, and
//! big-endian ids sort numerically, so range scans walk UIDs and sequences in order.

use tresor_crypto::NameHash;

// Directory keyspace.
pub const DIR_META: u8 = b'M';
pub const DIR_ACCOUNT: u8 = b'A';
pub const DIR_ADDRESS: u8 = b'N';

// Keyring keyspace.
pub const KEYRING_DIRECTORY: u8 = b'D';
pub const KEYRING_ACCOUNT: u8 = b'K';

// Account keyspace.
pub const ACC_STATE: u8 = 0x01;
pub const ACC_MAILBOX: u8 = 0x02;
pub const ACC_MAILBOX_NAME: u8 = 0x03;
pub const ACC_EMAIL: u8 = 0x04;
pub const ACC_UID: u8 = 0x05;
pub const ACC_EMAIL_STATE: u8 = 0x06;
pub const ACC_BLOB: u8 = 0x07;
pub const ACC_THREAD_REF: u8 = 0x08;
pub const ACC_CHANGE: u8 = 0x09;
pub const ACC_THREAD_MEMBER: u8 = 0x0A;
pub const ACC_SETTINGS: u8 = 0x0B;
pub const ACC_METADATA: u8 = 0x0C;
pub const ACC_UPLOAD: u8 = 0x0D;
/// IMAP `\Recent`: per mailbox, the first UID no session has claimed.
pub const ACC_RECENT: u8 = 0x0E;
/// Subscriptions to names without a mailbox.
pub const ACC_SUBSCRIPTION: u8 = 0x0F;
/// Sending identities (JMAP Identity).
pub const ACC_IDENTITY: u8 = 0x10;
/// The vacation response.
pub const ACC_VACATION: u8 = 0x11;
/// Keyed hash of a sender -> when the vacation response last answered them.
pub const ACC_VACATION_SENT: u8 = 0x12;
/// Outgoing submissions (JMAP EmailSubmission) and their message copies' blobs.
pub const ACC_SUBMISSION: u8 = 0x13;
/// Search index: keyed hash of (field, word) + email -> empty.
pub const ACC_TERM: u8 = 0x14;
/// Present once every message of the account is in the search index.
pub const ACC_SEARCH_READY: u8 = 0x15;

/// Builds a key from a tag and parts.
pub struct Key(Vec<u8>);

impl Key {
    pub fn new(tag: u8) -> Self {
        Key(vec![tag])
    }
    pub fn u32(mut self, n: u32) -> Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }
    pub fn u64(mut self, n: u64) -> Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }
    pub fn hash(mut self, h: &NameHash) -> Self {
        self.0.extend_from_slice(h);
        self
    }
    pub fn build(self) -> Vec<u8> {
        self.0
    }
}

/// `[prefix, prefix+1)`, for scanning everything under a prefix of fixed-width parts.
pub fn prefix_range(prefix: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let mut end = prefix.clone();
    // Prefixes here never end in 0xFF..: tags are small and ids are incremented first.
    for i in (0..end.len()).rev() {
        if end[i] < 0xFF {
            end[i] += 1;
            end.truncate(i + 1);
            return (prefix, end);
        }
    }
    (prefix, vec![0xFF; 64])
}

pub fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().expect("4 bytes"))
}

pub fn be_u64(b: &[u8]) -> u64 {
    u64::from_be_bytes(b[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically_and_ranges_cover_prefixes() {
        let a = Key::new(ACC_UID).u32(1).u32(9).build();
        let b = Key::new(ACC_UID).u32(1).u32(10).build();
        assert!(a < b);
        let (from, to) = prefix_range(Key::new(ACC_UID).u32(1).build());
        assert!(a >= from && a < to && b < to);
        assert!(Key::new(ACC_UID).u32(2).u32(0).build() >= to);
        let (_, to) = prefix_range(vec![1, 0xFF]);
        assert_eq!(to, vec![2]);
    }
}
