//! ENABLE, ID (before login, as iPhone Mail sends it), NAMESPACE, and
//! COMPRESS=DEFLATE.

use super::{Imap, message, server_with};
use std::io::{Read, Write};

#[test]
fn id_enable_namespace() {
    let (_s, server) = server_with("en@example.com", &[]);
    let mut c = Imap::connect(server.imap);
    c.script(
        r#"
        C: a ID ("name" "iPhone Mail" "version" "21A329" "os" "iOS")
        S: * ID ("name" "Tresor")
        S: a OK *
        C: b LOGIN en@example.com secret
        S: b OK *
        C: c ENABLE CONDSTORE X-UNKNOWN
        S: * ENABLED CONDSTORE
        S: c OK *
        C: d ENABLE CONDSTORE
        S: * ENABLED
        S: d OK *
        C: e NAMESPACE
        S: * NAMESPACE (("" "/")) NIL NIL
        S: e OK *
        "#,
    );
}

#[test]
fn compress_deflate() {
    let (_s, server) = server_with("z@example.com", &[&message(1)]);
    let mut c = Imap::login(server.imap, "z@example.com");
    c.script("C: a COMPRESS DEFLATE\nS: a OK *");
    let (mut r, mut w) = c.into_streams();
    let mut deflate = flate2::Compress::new(flate2::Compression::default(), false);
    let mut inflate = flate2::Decompress::new(false);
    let mut out = Vec::with_capacity(4096);
    let commands = "b SELECT INBOX\r\nc FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]\r\n";
    deflate.compress_vec(commands.as_bytes(), &mut out, flate2::FlushCompress::Sync).unwrap();
    w.write_all(&out).unwrap();
    let mut plain = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&plain).contains("c OK") {
        let n = r.read(&mut buf).unwrap();
        assert!(n > 0, "closed; got {}", String::from_utf8_lossy(&plain));
        let mut out = Vec::with_capacity(64 * 1024);
        inflate.decompress_vec(&buf[..n], &mut out, flate2::FlushDecompress::Sync).unwrap();
        plain.extend_from_slice(&out);
    }
    let text = String::from_utf8_lossy(&plain);
    assert!(text.contains("b OK [READ-WRITE]"), "{text}");
    assert!(text.contains("Subject: message 1"), "{text}");
}
