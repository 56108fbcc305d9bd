//! Tests of the parse step against `.eml` fixtures: golden summaries
//! (`x.eml` -> `x.json`, regenerate with `BLESS=1`), byte-exact sections,
//! decoded text, postcard round-trips, and a mutation run parse must survive.

use std::fs;
use std::path::PathBuf;

use tresor_message::{
    BodyPart, MessageSummary, SearchHeader, SectionText, TextSource, decoded_part, parse, parse_path, section, text_for_search,
};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every fixture as (name, raw bytes), sorted by name.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).expect("read fixture"))
        })
        .collect();
    out.sort();
    assert!(out.len() >= 14, "fixtures missing from {}", fixture_dir().display());
    out
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(fixture_dir().join(format!("{name}.eml"))).expect("read fixture")
}

#[test]
fn summaries_match_golden_json() {
    let bless = std::env::var("BLESS").is_ok_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for (name, raw) in fixtures() {
        let summary = parse(&raw);
        let path = fixture_dir().join(format!("{name}.json"));
        let actual = golden_json(&summary);
        if bless {
            fs::write(&path, &actual).expect("write golden");
            continue;
        }
        let expected = fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing: run with BLESS=1", path.display()));
        let expected: MessageSummary = serde_json::from_str(&expected).expect("golden parses");
        if expected != summary {
            mismatches.push(format!("{name}: got\n{actual}"));
        }
    }
    assert!(mismatches.is_empty(), "summaries differ (BLESS=1 regenerates):\n{}", mismatches.join("\n"));
}

/// serde_json's pretty form, with arrays of numbers (raw bytes, ranges) on
/// one line so that the files stay readable.
fn golden_json(summary: &MessageSummary) -> String {
    let pretty = serde_json::to_string_pretty(summary).expect("serialize");
    let lines: Vec<&str> = pretty.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.ends_with('[') {
            let numbers: Vec<&str> = lines[i + 1..]
                .iter()
                .map(|l| l.trim().trim_end_matches(','))
                .take_while(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
                .collect();
            let close = lines.get(i + 1 + numbers.len()).map(|l| l.trim_start());
            if let Some(close) = close.filter(|c| c.starts_with(']') && !numbers.is_empty()) {
                out.push_str(&format!("{}{}{}\n", line, numbers.join(", "), close));
                i += numbers.len() + 2;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    out
}

/// `BODY[spec]` as a client writes it: "", "1.2", "2.HEADER", "1.MIME".
fn fetch<'a>(raw: &'a [u8], summary: &MessageSummary, spec: &str) -> Option<&'a [u8]> {
    let (path, text) = match spec.rsplit_once('.') {
        Some((path, text @ ("MIME" | "HEADER" | "TEXT"))) => (path, text),
        None if matches!(spec, "HEADER" | "TEXT") => ("", spec),
        _ => (spec, ""),
    };
    let text = match text {
        "" => SectionText::Full,
        "HEADER" => SectionText::Header,
        "TEXT" => SectionText::Text,
        "MIME" => SectionText::Mime,
        other => panic!("bad section text {other}"),
    };
    section(raw, summary, &parse_path(path)?, text)
}

#[test]
fn sections_are_byte_exact() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("plain", "1", Some("Hi Bob,\r\n\r\nare you free for lunch on Friday?\r\n\r\nAlice\r\n")),
        ("plain", "2", None),
        ("plain", "1.1", None),
        ("plain", "1.MIME", Some(PLAIN_HEADER)),
        ("plain", "HEADER", Some(PLAIN_HEADER)),
        ("attachment", "1.MIME", Some("Content-Type: text/plain; charset=utf-8\r\n\r\n")),
        ("attachment", "1", Some("The report is attached.")),
        ("attachment", "1.HEADER", None),
        ("alternative-in-mixed", "1", Some(ALTERNATIVE_BODY)),
        ("alternative-in-mixed", "1.1", Some("Plain   version\r\nof the news.")),
        ("alternative-in-mixed", "1.2.MIME", Some("Content-Type: text/html; charset=utf-8\r\n\r\n")),
        ("alternative-in-mixed", "3", Some("a,b\r\n1,2")),
        ("alternative-in-mixed", "4", None),
        ("forwarded", "2.HEADER", Some(FORWARDED_HEADER)),
        ("forwarded", "2.1", Some("Numbers are up.")),
        ("forwarded", "2.2.MIME", Some("Content-Type: text/html; charset=us-ascii\r\n\r\n")),
        ("forwarded", "2.MIME", Some("Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n")),
        ("forwarded", "1.TEXT", None),
        ("bare-lf", "1", Some("<div>Only <em>HTML</em>\nhere.</div>")),
        ("bare-lf", "2.MIME", Some("Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n")),
        ("truncated-multipart", "2", Some("AAECAwQFBgcICQoL\r\nDA0ODxAREhMUFRYX")),
        ("headerless", "HEADER", Some("")),
        ("headerless", "TEXT", Some("Just some text without any header.\r\nSecond line: still body.\r\n")),
        ("empty", "", Some("")),
        ("empty", "1", Some("")),
        ("digest", "1.MIME", Some("\r\n")),
        ("digest", "1.HEADER", Some("From: a@example.com\r\nSubject: first\r\n\r\n")),
        ("digest", "2.TEXT", Some("Two.")),
        ("digest", "2.1", Some("Two.")),
    ];
    for &(name, spec, expected) in cases {
        let raw = fixture(name);
        let summary = parse(&raw);
        let got = fetch(&raw, &summary, spec).map(|b| String::from_utf8_lossy(b).into_owned());
        assert_eq!(got.as_deref(), expected, "{name} BODY[{spec}]");
    }
}

const PLAIN_HEADER: &str = "Return-Path: <alice@example.com>\r\n\
Received: from mx.example.com by tresor.example.net;\r\n Mon, 6 Jan 2025 10:00:00 +0000\r\n\
Date: Mon, 6 Jan 2025 09:59:58 +0100\r\n\
From: Alice Example <alice@example.com>\r\n\
To: Bob <bob@example.net>, carol@example.org\r\n\
Cc: \"Dave, the \\\"Boss\\\"\" <dave@example.org>\r\n\
Subject: Lunch on\r\n Friday?\r\n\
Message-ID: <lunch-1@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\r\n";

const ALTERNATIVE_BODY: &str = "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Plain   version\r\nof the news.\r\n--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><body><p>HTML <b>version</b> of the news.</p></body></html>\r\n--inner--\r\n";

const FORWARDED_HEADER: &str = "From: Grace <grace@example.org>\r\n\
To: Erin <erin@example.com>\r\nSubject: Quarterly numbers\r\n\
Date: Thu, 09 Jan 2025 11:00:00 +0000\r\nMessage-ID: <q4@example.org>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"fwd-inner\"\r\n\r\n";

/// Structural invariants every parse must keep, malformed input or not.
fn check_invariants(raw: &[u8], summary: &MessageSummary) {
    assert_eq!(summary.size, raw.len() as u64);
    check_part(&summary.root, (0, raw.len() as u32));
    for part in summary.root.walk() {
        assert_eq!(part.is_multipart(), part.content_type == "multipart", "{part:?}");
        if let Some(id) = &part.part_id {
            let path = parse_path(id).expect("part ids parse");
            let found = summary.part(&path).expect("part id resolves");
            assert!(std::ptr::eq(found, part), "part {id} resolves to another part");
        }
    }
    for id in summary.text_body.iter().chain(&summary.html_body).chain(&summary.attachments) {
        assert!(summary.part(&parse_path(id).unwrap()).is_some(), "JMAP list names {id}");
    }
    assert!(summary.preview.chars().count() <= 256);
}

fn check_part(part: &BodyPart, within: (u32, u32)) {
    let (h, b) = (part.header, part.body);
    assert!(within.0 <= h.0 && h.0 <= h.1 && h.1 == b.0 && b.0 <= b.1 && b.1 <= within.1, "{part:?} not within {within:?}");
    assert_eq!(part.size, b.1 - b.0);
    for child in &part.children {
        check_part(child, b);
    }
    if let Some(nested) = &part.message {
        assert_eq!((nested.root.header.0, nested.root.body.1), b, "a message fills its part");
        check_part(&nested.root, b);
    }
}

#[test]
fn fixtures_keep_invariants() {
    for (name, raw) in fixtures() {
        let summary = parse(&raw);
        check_invariants(&raw, &summary);
        // Every body range cut out of raw is a slice that exists.
        for part in summary.root.walk() {
            assert!(raw.get(part.header.0 as usize..part.body.1 as usize).is_some(), "{name}");
        }
    }
}

#[test]
fn summaries_round_trip_through_postcard() {
    for (name, raw) in fixtures() {
        let summary = parse(&raw);
        let bytes = postcard::to_allocvec(&summary).expect("postcard serialize");
        let back: MessageSummary = postcard::from_bytes(&bytes).expect("postcard deserialize");
        assert_eq!(back, summary, "{name}");
    }
}

fn search_texts(name: &str) -> Vec<(TextSource, String)> {
    let raw = fixture(name);
    text_for_search(&raw, &parse(&raw)).collect()
}

#[test]
fn search_text_is_decoded() {
    use SearchHeader::*;
    use TextSource::{Body, Header};
    let cases: &[(&str, TextSource, &str)] = &[
        ("qp-utf8", Header(Subject), "Re: Grüße aus Köln"),
        ("qp-utf8", Header(From), "Jörg Müller <joerg@example.de>"),
        ("qp-utf8", Body, "viele Grüße aus Köln! Die Straße ist sehr lang und dieser Satz auch."),
        ("encoded-words", Header(To), "佐藤 <sato@example.jp>"),
        ("encoded-words", Header(To), "Renée Martin <renee@example.fr>"),
        ("encoded-words", Header(From), "André Dupont <andre@example.fr>"),
        ("encoded-words", Body, "Café crème brûlée"),
        ("alternative-in-mixed", Body, "HTML version of the news."),
        ("alternative-in-mixed", Body, "a,b"),
        ("forwarded", Body, "Quarterly numbers"),
        ("forwarded", Body, "Grace <grace@example.org>"),
        ("forwarded", Body, "Numbers are up."),
        ("groups", Header(To), "ben@example.com"),
        ("groups", Header(Cc), "undisclosed-recipients"),
        ("bare-lf", Body, "Only HTML"),
        ("eight-bit", Body, "UTF-8 é"),
        ("digest", Body, "Two."),
    ];
    for &(name, source, needle) in cases {
        let texts = search_texts(name);
        assert!(
            texts.iter().any(|(s, t)| *s == source && t.contains(needle)),
            "{name}: no {source:?} text contains {needle:?} in {texts:?}"
        );
    }
    // Binary parts offer no text: the PDF's bytes are not searchable.
    let texts = search_texts("attachment");
    assert!(texts.iter().all(|(_, t)| !t.contains("fake report")), "{texts:?}");
}

#[test]
fn binary_sections_are_transfer_decoded() {
    let cases: &[(&str, &str, &[u8])] = &[
        ("attachment", "2", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nfake report\n\x00\x01\x02\xff"),
        ("bare-lf", "2", &[0, 1, 2]),
        ("alternative-in-mixed", "2", b"\x89PNG\r\n\x1a\n"),
        ("qp-utf8", "1", "Hallo Anna,\r\n\r\nviele Grüße aus Köln! Die Straße ist sehr lang und dieser Satz auch.\r\n".as_bytes()),
        ("truncated-multipart", "2", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]),
    ];
    for &(name, id, expected) in cases {
        let raw = fixture(name);
        let summary = parse(&raw);
        let part = summary.part(&parse_path(id).unwrap()).expect("part exists");
        assert_eq!(decoded_part(&raw, part), expected, "{name} BINARY[{id}]");
    }
}

/// xorshift64: deterministic pseudo-random numbers without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Snippets that poke at the structure rather than at random bytes.
const SNIPPETS: &[&[u8]] = &[
    b"\r\n\r\n",
    b"\n",
    b"--outer\r\n",
    b"--=_b1--",
    b"--fwd-inner\r\n",
    b"--lf\n",
    b"--cut",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"=?utf-8?q?",
    b"=?utf-8?b?w",
    b"\"",
    b"(",
    b"<",
    b":;",
    b"=\r\n",
    b"\xff\x00",
];

#[test]
fn parse_survives_mutated_fixtures() {
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let mut runs = 0;
    for (_, original) in fixtures() {
        for _ in 0..50 {
            let mut raw = original.clone();
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut raw);
            }
            let summary = parse(&raw);
            check_invariants(&raw, &summary);
            for part in summary.root.walk() {
                decoded_part(&raw, part);
            }
            text_for_search(&raw, &summary).for_each(drop);
            let bytes = postcard::to_allocvec(&summary).expect("postcard serialize");
            let back: MessageSummary = postcard::from_bytes(&bytes).expect("postcard deserialize");
            assert_eq!(back, summary);
            runs += 1;
        }
    }
    assert!(runs >= 700, "only {runs} mutations ran");
}

fn mutate(rng: &mut Rng, raw: &mut Vec<u8>) {
    let at = rng.below(raw.len() + 1);
    match rng.below(5) {
        0 if !raw.is_empty() => {
            let i = at.min(raw.len() - 1);
            raw[i] = rng.next() as u8;
        }
        1 => {
            let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
            raw.splice(at..at, snippet.iter().copied());
        }
        2 => {
            let end = (at + rng.below(64)).min(raw.len());
            raw.drain(at..end);
        }
        3 => raw.truncate(at),
        _ => {
            let end = (at + rng.below(128)).min(raw.len());
            let copy = raw[at..end].to_vec();
            let to = rng.below(raw.len() + 1);
            raw.splice(to..to, copy);
        }
    }
}

#[test]
fn hostile_nesting_is_bounded() {
    // 5000 nested multiparts, each opening the next: deep enough to
    // overflow a naive recursive parser's stack.
    let mut raw = Vec::new();
    for i in 0..5000 {
        raw.extend_from_slice(format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\nleaf\r\n");
    let summary = parse(&raw);
    check_invariants(&raw, &summary);

    // 100000 empty parts in one multipart: the tree keeps a bounded number.
    let mut raw = b"Content-Type: multipart/mixed; boundary=p\r\n\r\n".to_vec();
    for _ in 0..100_000 {
        raw.extend_from_slice(b"--p\r\n\r\nx\r\n");
    }
    raw.extend_from_slice(b"--p--\r\n");
    let summary = parse(&raw);
    check_invariants(&raw, &summary);
    assert!(summary.root.children.len() <= 2000, "{} parts kept", summary.root.children.len());
}
