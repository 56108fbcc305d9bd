//! IMAP section numbers (RFC 3501 section 6.4.5): assigning them to the tree
//! and resolving `BODY[1.2]`, `BODY[1.2.MIME]`, `BODY[2.HEADER]` and friends
//! to byte ranges of the raw message.

use crate::model::{BodyPart, MessageSummary};

/// Which bytes of a section a FETCH asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionText {
    /// `BODY[]` / `BODY[1.2]`: the whole message, or the part's body.
    Full,
    /// `BODY[HEADER]` / `BODY[2.HEADER]`: the header of the message, or of
    /// the message inside a message/rfc822 part, blank line included.
    Header,
    /// `BODY[TEXT]` / `BODY[2.TEXT]`: the body of that message.
    Text,
    /// `BODY[1.2.MIME]`: the part's own MIME header, blank line included.
    Mime,
}

/// Numbers every part of a message whose root is `root`; `base` is the
/// section number of the message/rfc822 part holding it ("" at top level).
pub(crate) fn assign_ids(root: &mut BodyPart, base: &str) {
    if root.is_multipart() {
        // A message's multipart body has no number of its own: its
        // children are numbered directly below the message.
        root.part_id = None;
        number_children(root, base);
    } else {
        number(root, child_id(base, 1));
    }
}

fn number(part: &mut BodyPart, id: String) {
    if part.is_multipart() {
        number_children(part, &id);
    }
    if let Some(nested) = &mut part.message {
        assign_ids(&mut nested.root, &id);
    }
    part.part_id = Some(id);
}

fn number_children(part: &mut BodyPart, base: &str) {
    for (i, child) in part.children.iter_mut().enumerate() {
        number(child, child_id(base, i + 1));
    }
}

fn child_id(base: &str, n: usize) -> String {
    if base.is_empty() { n.to_string() } else { format!("{base}.{n}") }
}

/// Parses "1.2.3" into numbers; None for anything else (empty, zero, junk).
pub fn parse_path(section: &str) -> Option<Vec<u32>> {
    if section.is_empty() {
        return Some(Vec::new());
    }
    section.split('.').map(|n| n.parse::<u32>().ok().filter(|&n| n > 0)).collect()
}

impl MessageSummary {
    /// The part at an IMAP section path (`[1, 2]` for "1.2"); None if the
    /// message has no such part. The empty path is the message itself.
    pub fn part(&self, path: &[u32]) -> Option<&BodyPart> {
        let mut part = &self.root;
        for (i, &n) in path.iter().enumerate() {
            if i > 0 {
                // Below the first level, only a multipart or an encapsulated
                // message has sub-parts; a message's numbers address its body.
                if let Some(nested) = &part.message {
                    part = &nested.root;
                } else if !part.is_multipart() {
                    return None;
                }
            }
            part = if part.is_multipart() {
                part.children.get(usize::try_from(n).ok()?.checked_sub(1)?)?
            } else if n == 1 {
                part
            } else {
                return None;
            };
        }
        Some(part)
    }
}

/// The bytes of `BODY[path.text]`, or None if the message has no such
/// section (a bad number, HEADER/TEXT of a part that is not a message, MIME
/// of the message itself).
pub fn section<'a>(raw: &'a [u8], summary: &MessageSummary, path: &[u32], text: SectionText) -> Option<&'a [u8]> {
    let range = if path.is_empty() {
        match text {
            SectionText::Full => return Some(raw),
            SectionText::Header => summary.root.header,
            SectionText::Text => summary.root.body,
            SectionText::Mime => return None,
        }
    } else {
        let part = summary.part(path)?;
        match text {
            SectionText::Full => part.body,
            SectionText::Mime => part.header,
            SectionText::Header => part.message.as_ref()?.root.header,
            SectionText::Text => part.message.as_ref()?.root.body,
        }
    };
    raw.get(range.0 as usize..range.1 as usize)
}
