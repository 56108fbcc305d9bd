//! The building blocks of responses: atoms, quoted strings, literals, NIL.
//! A string goes out quoted when it can be (short, no CR/LF/NUL, no 8-bit
//! unless UTF-8 is allowed), as a literal otherwise.

/// Longest string sent quoted; longer ones become literals.
const MAX_QUOTED: usize = 1024;

/// `string`: quoted if possible, else a literal.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    if quotable(s) {
        quoted(out, s);
    } else {
        literal(out, s);
    }
}

/// `nstring`: NIL or a string.
pub fn nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// `astring`: an atom when the bytes are one, else a string.
pub fn astring(out: &mut Vec<u8>, s: &[u8]) {
    if !s.is_empty() && s.iter().all(|&b| is_astring_char(b)) {
        out.extend_from_slice(s);
    } else {
        string(out, s);
    }
}

/// `"..."` with `\` and `"` escaped. The caller checked [`quotable`].
pub fn quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// `{n}\r\n` and the bytes.
pub fn literal(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'{');
    out.extend_from_slice(s.len().to_string().as_bytes());
    out.extend_from_slice(b"}\r\n");
    out.extend_from_slice(s);
}

/// `~{n}\r\n` and the bytes (RFC 3516 literal8, for BINARY with NULs).
pub fn literal8(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'~');
    literal(out, s);
}

/// Whether `s` can be sent as a quoted string: no CR, LF or NUL, and valid
/// UTF-8 (8-bit quoted strings are IMAP4rev2 / UTF8=ACCEPT; IMAP4rev1
/// clients get 8-bit header bytes as literals).
pub fn quotable(s: &[u8]) -> bool {
    s.len() <= MAX_QUOTED && s.iter().all(|&b| b != b'\r' && b != b'\n' && b != 0 && b < 0x80)
}

/// RFC 9051 ASTRING-CHAR: ATOM-CHAR or `]`.
pub fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// ATOM-CHAR: any CHAR except atom-specials `(){ %*"\]` SP, CTLs.
pub fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// A parenthesised, space-separated list of atoms (flags, capabilities).
pub fn atom_list<S: AsRef<str>>(out: &mut Vec<u8>, items: impl IntoIterator<Item = S>) {
    out.push(b'(');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(item.as_ref().as_bytes());
    }
    out.push(b')');
}

/// A sequence set in compact form (`1:3,5,7:9`) from sorted, distinct numbers.
pub fn sequence_set(out: &mut Vec<u8>, sorted: &[u32]) {
    let mut i = 0;
    let mut first = true;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(start.to_string().as_bytes());
        if end != start {
            out.push(b':');
            out.extend_from_slice(end.to_string().as_bytes());
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_choose_their_form() {
        assert_eq!(s(|o| string(o, b"a \"b\"")), r#""a \"b\"""#);
        assert_eq!(s(|o| string(o, b"a\r\nb")), "{4}\r\na\r\nb");
        assert_eq!(s(|o| nstring(o, None)), "NIL");
        assert_eq!(s(|o| astring(o, b"INBOX")), "INBOX");
        assert_eq!(s(|o| astring(o, b"two words")), "\"two words\"");
        assert_eq!(s(|o| astring(o, b"")), "\"\"");
    }

    #[test]
    fn sets_are_compact() {
        assert_eq!(s(|o| sequence_set(o, &[1, 2, 3, 5, 7, 8, 9])), "1:3,5,7:9");
        assert_eq!(s(|o| sequence_set(o, &[4])), "4");
    }
}
