//! Undoing a part's encodings: transfer encoding (for IMAP BINARY[]), then
//! charset and HTML (for search and previews). Tolerant throughout, because
//! stored mail is often slightly broken and a best effort beats nothing.

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::html::html_to_text;

use crate::model::BodyPart;

/// The part's body with its Content-Transfer-Encoding undone (IMAP
/// BINARY[section]). Unknown encodings are returned as stored.
pub fn decoded_part(raw: &[u8], part: &BodyPart) -> Vec<u8> {
    let body = raw.get(part.body.0 as usize..part.body.1 as usize).unwrap_or_default();
    if part.encoding.eq_ignore_ascii_case("base64") {
        base64(body)
    } else if part.encoding.eq_ignore_ascii_case("quoted-printable") {
        quoted_printable(body)
    } else {
        body.to_vec()
    }
}

/// The text of a text/* leaf as a string: transfer-decoded, converted from
/// its charset (UTF-8 assumed when unknown), HTML reduced to text. None for
/// anything else.
pub(crate) fn part_text(raw: &[u8], part: &BodyPart) -> Option<String> {
    let text = decoded_text(raw, part)?;
    Some(if part.subtype.eq_ignore_ascii_case("html") { html_text(&text) } else { text })
}

/// HTML reduced to text, with a line break where a block element ends
/// (mail-parser breaks only at `<br>` and `</p>`), so `<h1>Title</h1><p>Body`
/// reads "Title Body", not "TitleBody", in previews, snippets and the index.
fn html_text(html: &str) -> String {
    const BLOCKS: [&str; 14] = ["h1", "h2", "h3", "h4", "h5", "h6", "div", "li", "tr", "td", "th", "blockquote", "table", "title"];
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() + 16);
    let mut last = 0;
    let mut i = 0;
    while let Some(at) = lower[i..].find("</") {
        let start = i + at;
        let name_end = lower[start + 2..].find(|c: char| !c.is_ascii_alphanumeric()).map_or(lower.len(), |n| start + 2 + n);
        if BLOCKS.contains(&&lower[start + 2..name_end]) && lower[name_end..].starts_with('>') {
            out.push_str(&html[last..name_end + 1]);
            out.push_str("<br>");
            last = name_end + 1;
        }
        i = start + 2;
    }
    out.push_str(&html[last..]);
    html_to_text(&out)
}

/// The content of a text/* leaf as a string: transfer-decoded and converted
/// from its charset (UTF-8 assumed when unknown); HTML stays HTML. JMAP's
/// `bodyValues`. None for anything else.
pub fn decoded_text(raw: &[u8], part: &BodyPart) -> Option<String> {
    if !part.content_type.eq_ignore_ascii_case("text") || part.is_multipart() {
        return None;
    }
    let bytes = decoded_part(raw, part);
    Some(match part.param("charset").and_then(|c| charset_decoder(c.as_bytes())) {
        Some(decode) => decode(&bytes),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Base64 that skips characters outside the alphabet (line breaks, stray
/// junk) and stops at the first padding character.
fn base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in input {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Quoted-printable per RFC 2045 section 6.7: `=XY` escapes (either case),
/// soft line breaks, trailing white space on a line dropped. A `=` that
/// starts neither is kept literally rather than failing the whole part.
fn quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'=' => {
                let hex = |j: usize| input.get(j).and_then(|&c| (c as char).to_digit(16));
                if let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                // A soft line break: '=', optional padding, end of line.
                let mut j = i + 1;
                while matches!(input.get(j), Some(b' ' | b'\t')) {
                    j += 1;
                }
                match input.get(j) {
                    None => i = j,
                    Some(b'\n') => i = j + 1,
                    Some(b'\r') if input.get(j + 1) == Some(&b'\n') => i = j + 2,
                    _ => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b' ' | b'\t' => {
                let run_end = input[i..].iter().position(|&c| c != b' ' && c != b'\t').map_or(input.len(), |p| i + p);
                let at_line_end = match input.get(run_end) {
                    None | Some(b'\n') => true,
                    Some(b'\r') => input.get(run_end + 1) == Some(&b'\n'),
                    _ => false,
                };
                if !at_line_end {
                    out.extend_from_slice(&input[i..run_end]);
                }
                i = run_end;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn block_elements_end_words() {
        let t = super::html_text("<h1>Title</h1><p>Only &amp; HTML.</p><div>a</div><DIV>b</DIV>");
        assert_eq!(t.split_whitespace().collect::<Vec<_>>(), ["Title", "Only", "&", "HTML.", "a", "b"]);
    }

    use super::*;

    #[test]
    fn base64_tolerates_line_breaks_and_junk() {
        assert_eq!(base64(b"aGVs\r\nbG8g\n d29y*bGQ=\r\n"), b"hello world");
        assert_eq!(base64(b"YQ=="), b"a");
        assert_eq!(base64(b"YWI="), b"ab");
        assert_eq!(base64(b""), b"");
    }

    #[test]
    fn quoted_printable_cases() {
        assert_eq!(quoted_printable(b"caf=C3=A9 =\r\nau lait  \r\nnext"), "café au lait\r\nnext".as_bytes());
        assert_eq!(quoted_printable(b"a=3db=3D"), b"a=b=");
        assert_eq!(quoted_printable(b"50% = half=\n"), b"50% = half");
        assert_eq!(quoted_printable(b"bad =ZZ end="), b"bad =ZZ end");
    }
}
