//! The MIME structure walk: splits raw bytes into entities (header, body,
//! children, encapsulated messages) with exact byte ranges, in one pass.
//!
//! mail-parser's tree cannot serve IMAP: its offsets for encoded nested
//! messages point into decoded copies, and it reshapes broken structures. So
//! the structure is walked here, the way Dovecot does it: a boundary line
//! ends the current part when it matches any open multipart's boundary (the
//! longest match wins), which recovers from missing close delimiters.

use crate::envelope;
use crate::fields::{self, MimeFields};
use crate::header::{self, is_blank, line_end};
use crate::model::{BodyPart, Nested};

/// Nesting deeper than this is not descended into: each level costs stack,
/// and no real mail comes close.
const MAX_DEPTH: u32 = 48;
/// Parts kept per message; later sub-parts of a multipart are left out of
/// the tree (their bytes stay in the parent's body), so a hostile message
/// cannot make a huge summary.
const MAX_PARTS: usize = 2000;

/// Where the scan for the end of a part stopped.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Eof,
    Boundary {
        /// Offset of the line that starts with `--boundary`.
        line: usize,
        /// Offset just past that line.
        next: usize,
        /// Which open boundary matched (index into the stack).
        index: usize,
        /// `--boundary--`: the multipart's close delimiter.
        close: bool,
    },
}

pub(crate) struct Walker<'a> {
    raw: &'a [u8],
    /// Boundaries of the multiparts enclosing the current position.
    boundaries: Vec<Vec<u8>>,
    parts: usize,
}

impl<'a> Walker<'a> {
    pub fn new(raw: &'a [u8]) -> Self {
        Walker { raw, boundaries: Vec::new(), parts: 0 }
    }

    /// The whole message as one entity (section numbers not yet assigned).
    pub fn message(mut self) -> BodyPart {
        self.entity(0, 0, false).0
    }

    /// Parses the entity starting at `start`; returns it, where it ends and
    /// what stopped it.
    fn entity(&mut self, start: usize, depth: u32, in_digest: bool) -> (BodyPart, usize, Stop) {
        self.parts += 1;
        let (header_end, body_start, stop) = self.header(start);
        let fields = fields::read(&self.raw[start..header_end], in_digest);
        let mut part = leaf(&fields, (start, header_end));

        if let Some(stop) = stop {
            // A boundary line right inside the header: the part has no body.
            part.body = (to_u32(header_end), to_u32(header_end));
            part.lines = counted(&fields, &[]);
            if fields.is_multipart() {
                part.children = vec![placeholder(header_end)];
            }
            return (part, header_end, stop);
        }

        let boundary = fields.boundary().map(|b| b.as_bytes().to_vec());
        let (end, stop) = match boundary {
            Some(boundary) if depth < MAX_DEPTH => {
                let digest = fields.subtype == "digest";
                self.multipart(&mut part, body_start, boundary, depth, digest)
            }
            _ if fields.is_message() && fields.is_identity_encoded() && depth < MAX_DEPTH => {
                let (root, end, stop) = self.entity(body_start, depth + 1, false);
                let env = envelope::envelope(self.slice(root.header));
                part.message = Some(Box::new(Nested { envelope: env, root }));
                (end, stop)
            }
            _ => {
                let stop = self.scan(body_start);
                (self.end_before(stop, body_start), stop)
            }
        };
        if fields.is_multipart() && part.children.is_empty() {
            // Too deep to descend, or no delimiter found: IMAP needs one child.
            part.children = vec![placeholder(end)];
        }
        part.body = (to_u32(body_start), to_u32(end));
        part.size = to_u32(end - body_start);
        part.lines = counted(&fields, &self.raw[body_start..end]);
        (part, end, stop)
    }

    /// Splits a multipart body into its children; returns where the
    /// multipart (epilogue included) ends and what stopped it.
    fn multipart(&mut self, part: &mut BodyPart, body_start: usize, boundary: Vec<u8>, depth: u32, digest: bool) -> (usize, Stop) {
        self.boundaries.push(boundary);
        let own = self.boundaries.len() - 1;
        // The preamble runs to the first delimiter.
        let mut stop = self.scan(body_start);
        // Where the last child ended: an unclosed multipart must not end
        // before it (a child's header can end exactly at the boundary line,
        // keeping the line break that would otherwise go to the boundary).
        let mut last_end = body_start;
        loop {
            match stop {
                Stop::Boundary { index, close: false, next, .. } if index == own => {
                    if self.parts >= MAX_PARTS {
                        stop = self.scan(next);
                        continue;
                    }
                    let (child, child_end, child_stop) = self.entity(next, depth + 1, digest);
                    part.children.push(child);
                    last_end = child_end;
                    stop = child_stop;
                }
                Stop::Boundary { index, close: true, line, next } if index == own => {
                    // The epilogue runs to an enclosing boundary or the end.
                    // The close line's own line break may be the one that
                    // belongs to the next boundary, so it is not the floor.
                    self.boundaries.pop();
                    let after = self.scan(next);
                    let close_end = self.before_line_break(next, line);
                    return (self.end_before(after, close_end), after);
                }
                // An enclosing multipart's boundary, or the end of the input:
                // this multipart was never closed.
                _ => {
                    self.boundaries.pop();
                    return (self.end_before(stop, body_start).max(last_end), stop);
                }
            }
        }
    }

    /// Finds the end of the header starting at `start`: returns the end of
    /// the header (blank line included), the start of the body and, if a
    /// boundary line cut the header short, that boundary.
    fn header(&self, start: usize) -> (usize, usize, Option<Stop>) {
        let raw = self.raw;
        let mut pos = start;
        while pos < raw.len() {
            if let Some(stop) = self.boundary_at(pos) {
                let end = self.end_before(stop, start);
                return (end, end, Some(stop));
            }
            let next = line_end(raw, pos);
            let line = &raw[pos..next];
            if is_blank(line) {
                return (next, next, None);
            }
            // An mbox "From " line can sit on top of an imported message; it
            // is kept in the header as a line that is not a field.
            if pos == start && !header::is_field_line(line) && !line.starts_with(b"From ") {
                // Not a header at all: the entity is all body.
                return (start, start, None);
            }
            pos = next;
        }
        (raw.len(), raw.len(), None)
    }

    /// The first line at or after `from` that starts with an open boundary.
    fn scan(&self, from: usize) -> Stop {
        let mut pos = from;
        while pos < self.raw.len() {
            if let Some(stop) = self.boundary_at(pos) {
                return stop;
            }
            pos = line_end(self.raw, pos);
        }
        Stop::Eof
    }

    /// Whether the line at `pos` starts with `--` and an open boundary.
    fn boundary_at(&self, pos: usize) -> Option<Stop> {
        if self.boundaries.is_empty() {
            return None;
        }
        let rest = self.raw[pos..].strip_prefix(b"--")?;
        let (index, boundary) =
            self.boundaries.iter().enumerate().filter(|(_, b)| rest.starts_with(b)).max_by_key(|(i, b)| (b.len(), *i))?;
        Some(Stop::Boundary { line: pos, next: line_end(self.raw, pos), index, close: rest[boundary.len()..].starts_with(b"--") })
    }

    /// Where content ends before `stop`: the line break in front of a
    /// boundary line belongs to the boundary (RFC 2046 section 5.1.1).
    fn end_before(&self, stop: Stop, floor: usize) -> usize {
        match stop {
            Stop::Eof => self.raw.len(),
            Stop::Boundary { line, .. } => self.before_line_break(line, floor),
        }
    }

    /// `pos` moved back over the line break that ends just before it, but
    /// never below `floor`.
    fn before_line_break(&self, pos: usize, floor: usize) -> usize {
        let mut end = pos;
        if end > floor && self.raw[end - 1] == b'\n' {
            end -= 1;
            if end > floor && self.raw[end - 1] == b'\r' {
                end -= 1;
            }
        }
        end.max(floor)
    }

    fn slice(&self, range: (u32, u32)) -> &'a [u8] {
        &self.raw[range.0 as usize..range.1 as usize]
    }
}

/// A part from its MIME fields, with an empty body for now.
fn leaf(fields: &MimeFields, header: (usize, usize)) -> BodyPart {
    BodyPart {
        part_id: None,
        content_type: fields.content_type.clone(),
        subtype: fields.subtype.clone(),
        params: fields.params.clone(),
        id: fields.id.clone(),
        description: fields.description.clone(),
        encoding: fields.encoding.clone(),
        size: 0,
        lines: None,
        md5: fields.md5.clone(),
        disposition: fields.disposition.clone(),
        language: fields.language.clone(),
        location: fields.location.clone(),
        header: (to_u32(header.0), to_u32(header.1)),
        body: (to_u32(header.1), to_u32(header.1)),
        children: Vec::new(),
        message: None,
    }
}

/// The empty text/plain child that stands in for the parts of a multipart
/// that has none (Dovecot writes the same into BODYSTRUCTURE).
fn placeholder(at: usize) -> BodyPart {
    let at = to_u32(at);
    BodyPart {
        part_id: None,
        content_type: "text".to_owned(),
        subtype: "plain".to_owned(),
        params: vec![("charset".to_owned(), "us-ascii".to_owned())],
        id: None,
        description: None,
        encoding: "7bit".to_owned(),
        size: 0,
        lines: Some(0),
        md5: None,
        disposition: None,
        language: Vec::new(),
        location: None,
        header: (at, at),
        body: (at, at),
        children: Vec::new(),
        message: None,
    }
}

/// Line count for text/* and message/* bodies (IMAP sends it only for those):
/// line feeds, plus one for a last line that lacks one.
fn counted(fields: &MimeFields, body: &[u8]) -> Option<u32> {
    if fields.content_type != "text" && !fields.is_message() {
        return None;
    }
    let feeds = body.iter().filter(|&&b| b == b'\n').count();
    let partial = usize::from(body.last().is_some_and(|&b| b != b'\n'));
    Some(to_u32(feeds + partial))
}

/// Offsets are stored as u32: the delivery size limit keeps messages far
/// below 4 GiB, and saturating keeps a violation harmless.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::Walker;
    use crate::model::BodyPart;

    /// One line per part: content type and the body bytes, indented by depth.
    fn tree(raw: &str) -> String {
        fn walk(raw: &[u8], part: &BodyPart, depth: usize, out: &mut String) {
            let body = String::from_utf8_lossy(&raw[part.body.0 as usize..part.body.1 as usize]);
            let line = format!("{}/{} {:?}", part.content_type, part.subtype, body);
            out.push_str(&format!("{}{}\n", "  ".repeat(depth), line));
            for child in &part.children {
                walk(raw, child, depth + 1, out);
            }
            if let Some(nested) = &part.message {
                walk(raw, &nested.root, depth + 1, out);
            }
        }
        let mut out = String::new();
        walk(raw.as_bytes(), &Walker::new(raw.as_bytes()).message(), 0, &mut out);
        out
    }

    fn check(raw: &str, expected: &str) {
        assert_eq!(tree(raw), expected, "input: {raw:?}");
    }

    #[test]
    fn boundaries() {
        // Boundaries are case-sensitive; transport padding after one is fine.
        check(
            "Content-Type: multipart/mixed; boundary=AbC\n\n--abc\n--AbC  \n\none\n--AbC--\n",
            "multipart/mixed \"--abc\\n--AbC  \\n\\none\\n--AbC--\\n\"\n  text/plain \"one\"\n",
        );
        // The same boundary reused by a nested multipart: innermost wins.
        check(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nin\n--b--\n--b\n\nout\n--b--\n",
            "multipart/mixed \"--b\\nContent-Type: multipart/mixed; boundary=b\\n\\n--b\\n\\nin\\n--b--\\n--b\\n\\nout\\n--b--\\n\"\n  \
             multipart/mixed \"--b\\n\\nin\\n--b--\"\n    text/plain \"in\"\n  text/plain \"out\"\n",
        );
        // An enclosing boundary ends an unclosed inner multipart.
        check(
            "Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\n\na\n--outer\n\nb\n--outer--\n",
            "multipart/mixed \"--outer\\nContent-Type: multipart/alternative; boundary=inner\\n\\n--inner\\n\\na\\n--outer\\n\\nb\\n--outer--\\n\"\n  \
             multipart/alternative \"--inner\\n\\na\"\n    text/plain \"a\"\n  text/plain \"b\"\n",
        );
    }

    #[test]
    fn broken_structure_degrades_to_text() {
        // No boundary parameter: an invalid Content-Type, so text/plain.
        check("Content-Type: multipart/mixed\n\nbody\n", "text/plain \"body\\n\"\n");
        // A boundary that never occurs: one empty placeholder part.
        check("Content-Type: multipart/mixed; boundary=zz\n\nbody\n", "multipart/mixed \"body\\n\"\n  text/plain \"\"\n");
        // An mbox From_ line does not turn the header into body.
        check("From alice@example.com Mon Jan  6 10:00:00 2025\nContent-Type: text/html\n\n<p>x</p>", "text/html \"<p>x</p>\"\n");
        // A base64 message/rfc822 is a leaf: its bytes are not a message here.
        check(
            "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA==\n",
            "message/rfc822 \"U3ViamVjdDogeA==\\n\"\n",
        );
    }
}
