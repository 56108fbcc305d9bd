//! Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3): printable
//! ASCII stands for itself (`&` as `&-`), anything else is UTF-16 in a
//! modified base64 (`,` for `/`) between `&` and `-`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |out: &mut String, pending: &mut Vec<u16>| {
        if pending.is_empty() {
            return;
        }
        out.push('&');
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        for chunk in bytes.chunks(3) {
            let n = (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// None for names that are not valid modified UTF-7: 8-bit bytes, bad
/// base64, an encoded run of printable ASCII, unpaired surrogates.
pub fn decode(wire: &str) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let bytes = wire.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(0x20..0x7f).contains(&b) {
            return None;
        }
        if b != b'&' {
            out.push(b as char);
            i += 1;
            continue;
        }
        let end = i + 1 + bytes[i + 1..].iter().position(|&c| c == b'-')?;
        let run = &bytes[i + 1..end];
        i = end + 1;
        if run.is_empty() {
            out.push('&');
            continue;
        }
        let mut bits: u32 = 0;
        let mut nbits = 0;
        let mut units = Vec::new();
        for &c in run {
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            bits = bits << 6 | v;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push((bits >> nbits) as u16);
                bits &= (1 << nbits) - 1;
            }
        }
        if nbits >= 6 || bits != 0 {
            return None;
        }
        let text = String::from_utf16(&units).ok()?;
        if text.chars().any(|c| (' '..='~').contains(&c)) {
            return None;
        }
        out.push_str(&text);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (plain, wire) in [
            ("Entwürfe", "Entw&APw-rfe"),
            ("A & B", "A &- B"),
            ("日本語", "&ZeVnLIqe-"),
            ("📬 Mail", "&2D3c7A- Mail"),
            ("INBOX", "INBOX"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("&", "&-"),
            ("&&", "&-&-"),
            ("", ""),
            ("Entwürfe & Ablage", "Entw&APw-rfe &- Ablage"),
            ("📬", "&2D3c7A-"),
        ] {
            assert_eq!(encode(plain), wire, "{plain}");
            assert_eq!(decode(wire).as_deref(), Some(plain), "{wire}");
        }
    }

    #[test]
    fn rejects_invalid() {
        // Unterminated, ASCII encoded, bad base64, 8-bit, a lone surrogate,
        // leftover bits that are not zero, a partial UTF-16 unit, a control.
        for bad in ["a&b", "&", "&Jjo", "&AGE-", "&Jjo!", "&Jj.-", "caf\u{e9}", "&2D0-", "&APx-", "&APw", "&AP-", "a\tb"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn any_name_round_trips() {
        for name in ["Ärger/ÖL", "a&ü&b", "мой ящик", "混合 mixed 🎉🎊 text", "\u{7f}\u{80}", "trailing ü"] {
            assert_eq!(decode(&encode(name)).as_deref(), Some(name), "{name}");
            assert!(encode(name).bytes().all(|b| (0x20..0x7f).contains(&b)), "{name}");
        }
    }
}
