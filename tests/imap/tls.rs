//! STARTTLS and implicit TLS with rustls, and LOGINDISABLED off loopback.

use super::{PASSWORD, server_with};
use std::{
    io::{BufRead, BufReader, Write},
    net::TcpStream,
    sync::Arc,
};

fn client_config(setup: &crate::harness::Setup) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(setup.dir.path().join("tls/cert.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn read_line(r: &mut impl BufRead) -> String {
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    l
}

#[test]
fn starttls_then_login() {
    let (s, server) = server_with("tls@example.com", &[]);
    let mut plain = TcpStream::connect(server.imap).unwrap();
    let mut r = BufReader::new(plain.try_clone().unwrap());
    assert!(read_line(&mut r).contains("STARTTLS"));
    plain.write_all(b"a STARTTLS\r\n").unwrap();
    assert!(read_line(&mut r).starts_with("a OK"));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(client_config(&s), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, plain);
    tls.write_all(b"b CAPABILITY\r\n").unwrap();
    let mut r = BufReader::new(tls);
    let caps = read_line(&mut r);
    assert!(caps.starts_with("* CAPABILITY") && !caps.contains("STARTTLS"), "{caps}");
    assert!(read_line(&mut r).starts_with("b OK"));
    r.get_mut().write_all(format!("c LOGIN tls@example.com {PASSWORD}\r\n").as_bytes()).unwrap();
    assert!(read_line(&mut r).starts_with("c OK"));
}

#[test]
fn implicit_tls() {
    let (s, server) = server_with("imaps@example.com", &[]);
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(client_config(&s), name).unwrap();
    let tls = rustls::StreamOwned::new(conn, TcpStream::connect(server.imaps).unwrap());
    let mut r = BufReader::new(tls);
    let greeting = read_line(&mut r);
    assert!(greeting.starts_with("* OK") && !greeting.contains("STARTTLS"), "{greeting}");
    r.get_mut().write_all(format!("a LOGIN imaps@example.com {PASSWORD}\r\n").as_bytes()).unwrap();
    assert!(read_line(&mut r).starts_with("a OK"));
}
