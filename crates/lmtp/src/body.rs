//! The message being received: DATA's dot-stuffed stream decoder, BDAT's chunk
//! normaliser, and the size cap that keeps one transaction's memory bounded.
//!
//! Both paths store CRLF line ends: a bare LF becomes CRLF. Only `CRLF . CRLF`
//! ends DATA — `LF . LF`, `LF . CRLF` and `CRLF . LF` are content — so a message
//! that some other server would split into two (SMTP smuggling) stays one here.

/// Accumulates a message up to `limit` octets. Past the limit it drops what it
/// held and only remembers that the message was too big, so an oversized stream
/// costs no memory while the session reads it to its end.
#[derive(Debug)]
pub(crate) struct Body {
    bytes: Vec<u8>,
    limit: u64,
    overflowed: bool,
    /// BDAT only: the previous chunk ended in CR (its LF may start the next one).
    prev_cr: bool,
}

impl Body {
    pub(crate) fn new(limit: u64) -> Self {
        Self { bytes: Vec::new(), limit, overflowed: false, prev_cr: false }
    }

    pub(crate) fn overflowed(&self) -> bool {
        self.overflowed
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// A BDAT chunk of `octets` is announced: if it cannot fit, fail now rather
    /// than buffer it (normalising only ever adds octets).
    pub(crate) fn announce(&mut self, octets: u64) {
        if (self.bytes.len() as u64).saturating_add(octets) > self.limit {
            self.overflow();
        }
    }

    fn overflow(&mut self) {
        self.overflowed = true;
        self.bytes = Vec::new();
    }

    fn push(&mut self, data: &[u8]) {
        if self.overflowed || data.is_empty() {
            return;
        }
        let needed = self.bytes.len() + data.len();
        if needed as u64 > self.limit {
            self.overflow();
            return;
        }
        if needed > self.bytes.capacity() {
            // Grow geometrically but never past the limit, so capacity (not just
            // length) stays within max_message_size.
            let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
            let target = needed.max(self.bytes.capacity() * 2).max(4096).min(limit);
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(data);
    }

    /// Appends (part of) a BDAT chunk, normalising bare LF to CRLF. BDAT octets are
    /// otherwise taken as they are: no dot-stuffing (RFC 3030).
    pub(crate) fn push_chunk(&mut self, data: &[u8]) {
        let mut start = 0;
        for (i, &b) in data.iter().enumerate() {
            let after_cr = if i == 0 { self.prev_cr } else { data[i - 1] == b'\r' };
            if b == b'\n' && !after_cr {
                self.push(&data[start..i]);
                self.push(b"\r\n");
                start = i + 1;
            }
        }
        self.push(&data[start..]);
        if let Some(&last) = data.last() {
            self.prev_cr = last == b'\r';
        }
    }
}

/// Where the DATA decoder stands between two input fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line. `after_crlf`: the previous line ended in a real
    /// CRLF (or this is the first line), so a leading dot is stuffing or the end.
    LineStart { after_crlf: bool },
    /// `CRLF .` seen: stuffing or the start of the terminator.
    Dot,
    /// `CRLF . CR` seen: the terminator if an LF follows.
    DotCr,
    /// Inside a line.
    Text,
    /// Inside a line, a CR seen and not yet written.
    Cr,
}

/// Decodes a DATA stream (RFC 5321 4.5.2): removes dot-stuffing, normalises bare
/// LF to CRLF, and finds the `CRLF . CRLF` terminator. Holds no input: every octet
/// fed is consumed up to the terminator, so the caller buffers nothing.
#[derive(Debug)]
pub(crate) struct DataDecoder {
    state: State,
}

impl DataDecoder {
    /// The DATA command's own CRLF counts as the CRLF before a leading `.`: an
    /// empty message is `DATA CRLF . CRLF`.
    pub(crate) fn new() -> Self {
        Self { state: State::LineStart { after_crlf: true } }
    }

    /// Feeds `input`; returns the octets consumed and whether the terminator was
    /// reached (octets after it belong to the next command).
    pub(crate) fn decode(&mut self, input: &[u8], body: &mut Body) -> (usize, bool) {
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Text {
                // The hot path: copy a run of ordinary octets at once.
                let run = input[i..].iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(input.len() - i);
                body.push(&input[i..i + run]);
                i += run;
                if i == input.len() {
                    break;
                }
            }
            let b = input[i];
            i += 1;
            self.state = match (self.state, b) {
                (State::LineStart { after_crlf: true }, b'.') => State::Dot,
                (State::DotCr, b'\n') => return (i, true),
                (State::Dot, b'\r') => State::DotCr,
                (State::LineStart { .. } | State::Text, b'\r') => State::Cr,
                (State::LineStart { .. } | State::Text, b'\n') => {
                    body.push(b"\r\n");
                    State::LineStart { after_crlf: false }
                }
                // `CRLF . LF` is not the terminator; keep its dot, as a line that
                // mimics the end of data is best left visibly as it came.
                (State::Dot, b'\n') => {
                    body.push(b".\r\n");
                    State::LineStart { after_crlf: false }
                }
                (State::Cr, b'\n') => {
                    body.push(b"\r\n");
                    State::LineStart { after_crlf: true }
                }
                // A bare CR is content, kept as it came.
                (State::Cr | State::DotCr, b'\r') => {
                    body.push(b"\r");
                    State::Cr
                }
                (State::Cr | State::DotCr, _) => {
                    body.push(&[b'\r', b]);
                    State::Text
                }
                // After a stuffing dot, or any other octet of a line.
                (State::LineStart { .. } | State::Dot | State::Text, _) => {
                    body.push(&[b]);
                    State::Text
                }
            };
        }
        (i, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed in fragments of `step` octets; returns the message and
    /// what followed the terminator, or `None` if it never ended.
    fn decode(input: &[u8], step: usize, limit: u64) -> Option<(Vec<u8>, Vec<u8>, bool)> {
        let mut decoder = DataDecoder::new();
        let mut body = Body::new(limit);
        for (n, chunk) in input.chunks(step).enumerate() {
            let (used, done) = decoder.decode(chunk, &mut body);
            if done {
                let rest = [&chunk[used..], input.get((n + 1) * step..).unwrap_or_default()].concat();
                let overflowed = body.overflowed();
                return Some((body.into_bytes(), rest, overflowed));
            }
            assert_eq!(used, chunk.len(), "an unfinished decode consumes everything");
        }
        None
    }

    fn check(input: &[u8], message: &[u8], rest: &[u8]) {
        for step in [1, 2, 3, 5, input.len().max(1)] {
            let (got, got_rest, _) = decode(input, step, 1 << 20).expect("terminated");
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(message), "step {step}");
            assert_eq!(got_rest, rest, "step {step}");
        }
    }

    #[test]
    fn empty_message() {
        check(b".\r\nQUIT\r\n", b"", b"QUIT\r\n");
    }

    #[test]
    fn dot_unstuffing() {
        check(b"a\r\n..b\r\n...\r\n.\r\n", b"a\r\n.b\r\n..\r\n", b"");
    }

    #[test]
    fn bare_lf_is_normalised_and_never_terminates() {
        check(b"a\nb\n.\nc\n.\r\nd\r\n.\n\r\n.\r\n", b"a\r\nb\r\n.\r\nc\r\n.\r\nd\r\n.\r\n\r\n", b"");
    }

    #[test]
    fn bare_cr_is_content() {
        check(b"a\rb\r\r\n.\rx\r\n.\r\n", b"a\rb\r\r\n\rx\r\n", b"");
    }

    #[test]
    fn unterminated_stream_is_consumed_entirely() {
        assert!(decode(b"a\r\n.\n.x\r\n", 1, 100).is_none());
    }

    #[test]
    fn overflow_drops_the_buffer() {
        let input = [&b"x".repeat(5000)[..], b"\r\n.\r\n"].concat();
        let (message, _, overflowed) = decode(&input, 7, 1000).expect("terminated");
        assert!(overflowed);
        assert!(message.is_empty());
        let (message, _, overflowed) = decode(&input, 7, 5002).expect("terminated");
        assert!(!overflowed);
        assert_eq!(message.len(), 5002);
    }

    #[test]
    fn capacity_never_exceeds_limit() {
        let mut body = Body::new(10_000);
        for _ in 0..99 {
            body.push(&[b'x'; 100]);
            assert!(body.bytes.capacity() <= 10_000);
        }
        assert!(!body.overflowed());
    }

    #[test]
    fn chunks_normalise_bare_lf_across_boundaries() {
        let mut body = Body::new(100);
        body.push_chunk(b"a\r");
        body.push_chunk(b"\nb\n");
        body.push_chunk(b"\nc");
        assert_eq!(body.into_bytes(), b"a\r\nb\r\n\r\nc");
    }

    #[test]
    fn announced_chunk_over_limit_overflows_without_buffering() {
        let mut body = Body::new(10);
        body.push_chunk(b"12345");
        body.announce(6);
        assert!(body.overflowed());
        body.push_chunk(b"123456");
        assert!(body.into_bytes().is_empty());
    }
}
