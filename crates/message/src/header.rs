//! Raw header blocks: the lines of a block, its fields (name and folded value)
//! and unfolding. Works on bytes, because IMAP wants header values exactly as
//! received, 8-bit bytes included.

/// One header field of a block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    pub name: &'a [u8],
    /// Everything after the colon up to and including the field's final line
    /// break: the form mail-parser's field parsers expect.
    pub value: &'a [u8],
}

impl Field<'_> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// The fields of a header block, in order. Lines that are not fields (no
/// colon, a bad name, a stray continuation) are skipped; an empty line ends
/// the block.
pub(crate) fn fields(block: &[u8]) -> impl Iterator<Item = Field<'_>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < block.len() {
            let start = pos;
            let mut end = line_end(block, start);
            if is_blank(&block[start..end]) {
                pos = block.len();
                return None;
            }
            // A field continues over the lines that start with white space.
            while end < block.len() && matches!(block[end], b' ' | b'\t') {
                end = line_end(block, end);
            }
            pos = end;
            if let Some(colon) = field_name_len(&block[start..end]) {
                let name = trim_end(&block[start..start + colon]);
                return Some(Field { name, value: &block[start + colon + 1..end] });
            }
        }
        None
    })
}

/// The value of the first field called `name`.
pub(crate) fn first<'a>(block: &'a [u8], name: &str) -> Option<&'a [u8]> {
    fields(block).find(|f| f.is(name)).map(|f| f.value)
}

/// Whether `line` starts a header field: a name of printable ASCII without
/// a colon, optional white space (obsolete syntax), then a colon.
pub(crate) fn is_field_line(line: &[u8]) -> bool {
    field_name_len(line).is_some()
}

/// The position of the colon that ends the field name, if `line` starts a field.
fn field_name_len(line: &[u8]) -> Option<usize> {
    let name_len = line.iter().position(|&b| !(33..=126).contains(&b) || b == b':')?;
    if name_len == 0 {
        return None;
    }
    let colon = name_len + line[name_len..].iter().position(|&b| !matches!(b, b' ' | b'\t'))?;
    (line[colon] == b':').then_some(colon)
}

/// Unfolded and trimmed: line breaks removed, surrounding white space cut.
/// RFC 5322 unfolding removes only the CRLF of a fold; the white space that
/// follows it stays, as IMAP servers keep it.
pub(crate) fn unfold(value: &[u8]) -> Vec<u8> {
    let unfolded: Vec<u8> = value.iter().copied().filter(|&b| b != b'\r' && b != b'\n').collect();
    trim(&unfolded).to_vec()
}

/// `unfold`, as lossy UTF-8 for the fields the model keeps as strings.
pub(crate) fn unfold_str(value: &[u8]) -> String {
    String::from_utf8_lossy(&unfold(value)).into_owned()
}

/// Offset just past the line break of the line starting at `start` (or the
/// end of `bytes` if the line has none).
pub(crate) fn line_end(bytes: &[u8], start: usize) -> usize {
    match bytes[start..].iter().position(|&b| b == b'\n') {
        Some(lf) => start + lf + 1,
        None => bytes.len(),
    }
}

/// Whether a line (with its line break) is empty: the end of a header block.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    matches!(line, b"\n" | b"\r\n")
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    trim_end(&bytes[start..])
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_fields_and_junk_lines() {
        let block = b"Subject: a\r\n  b\r\njunk line\r\nX-Y : z\nTo:\r\n\r\nBody: no\r\n";
        let got: Vec<(&[u8], Vec<u8>)> = fields(block).map(|f| (f.name, unfold(f.value))).collect();
        assert_eq!(got, vec![(&b"Subject"[..], b"a  b".to_vec()), (&b"X-Y"[..], b"z".to_vec()), (&b"To"[..], b"".to_vec()),]);
    }

    #[test]
    fn field_lines() {
        assert!(is_field_line(b"From: x"));
        assert!(is_field_line(b"From : x"));
        assert!(!is_field_line(b" From: x"));
        assert!(!is_field_line(b"From x"));
        assert!(!is_field_line(b": x"));
        assert!(!is_field_line(b"hello world: x"));
    }
}
