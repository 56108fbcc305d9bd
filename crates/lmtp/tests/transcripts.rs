//! Data-driven tests of the sans-IO LMTP session: each test is a transcript of
//! what the client sends and what the server must answer, checked against a fake
//! backend, with the input fed whole and in odd-sized fragments (the replies must
//! be identical).
//!
//! Transcript syntax, one item per line (leading whitespace ignored):
//!
//! - `C: text` — the client sends `text` and CRLF. `C~ text` sends `text` alone.
//!   Both take the escapes `\r`, `\n`, `\t`, `\\` and `\xHH`.
//! - `S: text` — the server answers `text` and CRLF. The greeting is implied.
//! - `@lhlo` — `C: LHLO client.example` and the full LHLO reply.
//! - `CLOSED` — last: the server has closed the session. Without it, the
//!   session must still be waiting for input at the end.
//!
//! Replies are compared as one byte stream, so `C:` and `S:` lines interleave as
//! reads best: pipelined commands first, their replies after.

use tresor_lmtp::{Config, Delivery, DeliveryResult, Event, RcptCheck, Recipient, Session};

const HOST: &str = "lmtp.example";

fn config() -> Config {
    Config { hostname: HOST.into(), max_message_size: 1000, max_recipients: 100, ..Config::default() }
}

/// The fake directory: a few mailboxes with every kind of trouble.
fn check_recipient(address: &str, declared_size: Option<u64>) -> RcptCheck {
    let accept = |account| RcptCheck::Accept(Recipient { address: address.to_owned(), account });
    match address.to_ascii_lowercase().as_str() {
        "alice@example.com" => accept(1),
        "bob@example.com" => accept(2),
        "carol@example.com" => accept(3),
        // Accepted at RCPT time, but full by the time the message arrives.
        "dave@example.com" => accept(4),
        "postmaster" => accept(9),
        "disabled@example.com" => RcptCheck::Disabled,
        "full@example.com" => RcptCheck::OverQuota,
        "small@example.com" if declared_size.is_some_and(|size| size > 100) => RcptCheck::TooBigForQuota,
        "small@example.com" => accept(5),
        "flaky@example.com" => RcptCheck::TempFail,
        other if other.ends_with("@many.example") => accept(1000),
        _ => RcptCheck::Unknown,
    }
}

fn deliver(delivery: &Delivery) -> Vec<DeliveryResult> {
    let result = |r: &Recipient| match r.account {
        4 => DeliveryResult::OverQuota,
        _ => DeliveryResult::Delivered,
    };
    delivery.recipients.iter().map(result).collect()
}

fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()].iter().map(|&b| b as char).collect();
                out.push(u8::from_str_radix(&hex, 16).expect("\\xHH"));
            }
            other => panic!("unknown escape \\{:?}", other.map(char::from)),
        }
    }
    out
}

/// Splits a transcript into the client's bytes, the expected replies and whether
/// the session must end closed.
fn parse(transcript: &str) -> (Vec<u8>, String, bool) {
    let mut input = Vec::new();
    let mut expected = format!("220 {HOST} LMTP ready\r\n");
    let mut closed = false;
    for line in transcript.lines().map(str::trim_start).filter(|l| !l.is_empty()) {
        assert!(!closed, "CLOSED must be last");
        if let Some(text) = line.strip_prefix("C:") {
            input.extend(unescape(text.strip_prefix(' ').unwrap_or(text)));
            input.extend(b"\r\n");
        } else if let Some(text) = line.strip_prefix("C~ ") {
            input.extend(unescape(text));
        } else if let Some(text) = line.strip_prefix("S:") {
            expected += text.strip_prefix(' ').unwrap_or(text);
            expected += "\r\n";
        } else if line == "@lhlo" {
            input.extend(b"LHLO client.example\r\n");
            expected += &format!(
                "250-{HOST}\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SIZE {}\r\n250 CHUNKING\r\n",
                config().max_message_size
            );
        } else if line == "CLOSED" {
            closed = true;
        } else {
            panic!("not a transcript line: {line}");
        }
    }
    (input, expected, closed)
}

struct Run {
    output: Vec<u8>,
    deliveries: Vec<Delivery>,
    closed: bool,
}

/// Drives a session over `input` fed `step` octets at a time, answering its
/// questions from the fake backend.
fn run(config: &Config, input: &[u8], step: usize) -> Run {
    let mut session = Session::new(config);
    let mut chunks = input.chunks(step.max(1));
    let mut run = Run { output: Vec::new(), deliveries: Vec::new(), closed: false };
    loop {
        match session.next_event() {
            Event::Output(bytes) => run.output.extend(bytes),
            Event::NeedInput => match chunks.next() {
                Some(chunk) => {
                    session.enqueue_input(chunk);
                    // Memory bound: one command line plus one read.
                    assert!(session.buffered_input() <= config.max_command_line + chunk.len());
                }
                None => return run,
            },
            Event::CheckRecipient { address, declared_size } => {
                session.answer_recipient(check_recipient(&address, declared_size));
            }
            Event::Deliver(delivery) => {
                let results = deliver(&delivery);
                run.deliveries.push(delivery);
                session.answer_delivery(results);
            }
            Event::Close => {
                run.closed = true;
                return run;
            }
        }
    }
}

/// Runs `transcript` whole and in fragments of 1, 2, 3, 7, 64 and 4096 octets;
/// every run must give exactly the expected replies and the same deliveries.
fn check_with(config: Config, transcript: &str) -> Vec<Delivery> {
    let (input, expected, closed) = parse(transcript);
    let whole = run(&config, &input, input.len());
    assert_eq!(String::from_utf8_lossy(&whole.output), expected, "input fed whole");
    assert_eq!(whole.closed, closed, "session closed? (input fed whole)");
    for step in [1, 2, 3, 7, 64, 4096] {
        let fragmented = run(&config, &input, step);
        assert_eq!(String::from_utf8_lossy(&fragmented.output), expected, "input fed {step} octets at a time");
        assert_eq!(fragmented.deliveries, whole.deliveries, "deliveries, {step} octets at a time");
        assert_eq!(fragmented.closed, closed, "session closed? ({step} octets at a time)");
    }
    whole.deliveries
}

fn check(transcript: &str) -> Vec<Delivery> {
    check_with(config(), transcript)
}

fn message(delivery: &Delivery) -> String {
    String::from_utf8_lossy(&delivery.message).into_owned()
}

fn accounts(delivery: &Delivery) -> Vec<u64> {
    delivery.recipients.iter().map(|r| r.account).collect()
}

#[test]
fn lhlo_advertises_only_complete_extensions_and_quit_closes() {
    check(
        r"
        C: LHLO client.example
        S: 250-lmtp.example
        S: 250-PIPELINING
        S: 250-ENHANCEDSTATUSCODES
        S: 250-8BITMIME
        S: 250-SIZE 1000
        S: 250 CHUNKING
        C: QUIT
        S: 221 2.0.0 Bye
        CLOSED
        ",
    );
}

#[test]
fn helo_and_ehlo_are_refused_and_mail_needs_lhlo() {
    check(
        r"
        C: HELO client.example
        S: 500 5.5.1 This is an LMTP server: use LHLO
        C: EHLO client.example
        S: 500 5.5.1 This is an LMTP server: use LHLO
        C: MAIL FROM:<a@example.org>
        S: 503 5.5.1 Send LHLO first
        C: RCPT TO:<alice@example.com>
        S: 503 5.5.1 Send LHLO first
        C: NOOP
        S: 250 2.0.0 OK
        ",
    );
}

#[test]
fn pipelined_transaction_gets_one_reply_per_accepted_recipient() {
    let deliveries = check(
        r"
        @lhlo
        C: MAIL FROM:<sender@example.org> SIZE=30 BODY=8BITMIME
        C: RCPT TO:<alice@example.com>
        C: RCPT TO:<nobody@example.com>
        C: RCPT TO:<bob@example.com>
        C: DATA
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 550 5.1.1 <nobody@example.com> User unknown
        S: 250 2.1.5 <bob@example.com> Recipient OK
        S: 354 Start mail input; end with <CRLF>.<CRLF>
        C: Subject: hi
        C:
        C: Hello.
        C: .
        C: MAIL FROM:<>
        C: RCPT TO:<carol@example.com>
        C: DATA
        S: 250 2.0.0 <alice@example.com> Delivered
        S: 250 2.0.0 <bob@example.com> Delivered
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <carol@example.com> Recipient OK
        S: 354 Start mail input; end with <CRLF>.<CRLF>
        C: .
        C: QUIT
        S: 250 2.0.0 <carol@example.com> Delivered
        S: 221 2.0.0 Bye
        CLOSED
        ",
    );
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].return_path, "sender@example.org");
    assert_eq!(accounts(&deliveries[0]), [1, 2]);
    assert_eq!(message(&deliveries[0]), "Subject: hi\r\n\r\nHello.\r\n");
    assert_eq!(deliveries[1].return_path, "");
    assert_eq!(message(&deliveries[1]), "");
}

#[test]
fn delivery_results_are_reported_per_recipient() {
    check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C: RCPT TO:<dave@example.com>
        C: DATA
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 250 2.1.5 <dave@example.com> Recipient OK
        S: 354 Start mail input; end with <CRLF>.<CRLF>
        C: x
        C: .
        S: 250 2.0.0 <alice@example.com> Delivered
        S: 452 4.2.2 <dave@example.com> Mailbox full
        ",
    );
}

#[test]
fn recipient_refusals_have_their_own_codes() {
    check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org> SIZE=500
        C: RCPT TO:<disabled@example.com>
        C: RCPT TO:<full@example.com>
        C: RCPT TO:<small@example.com>
        C: RCPT TO:<flaky@example.com>
        C: RCPT TO:<Postmaster>
        C: RCPT TO:<@relay.example:alice@example.com>
        S: 250 2.1.0 Sender OK
        S: 550 5.2.1 <disabled@example.com> Mailbox disabled, not accepting messages
        S: 452 4.2.2 <full@example.com> Mailbox full
        S: 552 5.2.2 <small@example.com> Message exceeds mailbox quota
        S: 451 4.3.0 <flaky@example.com> Temporary failure, try again later
        S: 250 2.1.5 <Postmaster> Recipient OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        ",
    );
}

#[test]
fn data_is_dot_unstuffed_and_bare_lf_normalised_without_ending_it() {
    let deliveries = check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C: DATA
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 354 Start mail input; end with <CRLF>.<CRLF>
        C: ..leading dot
        C: ...
        C: bare\nLF\n.\nstill data\n.
        C: a\r\n.\nstill data
        C: .
        S: 250 2.0.0 <alice@example.com> Delivered
        ",
    );
    assert_eq!(message(&deliveries[0]), ".leading dot\r\n..\r\nbare\r\nLF\r\n.\r\nstill data\r\n.\r\na\r\n.\r\nstill data\r\n");
}

#[test]
fn bdat_chunks_are_accumulated_and_last_gets_per_recipient_replies() {
    let deliveries = check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C: RCPT TO:<bob@example.com>
        C~ BDAT 13\r\nSubject: hi\r\n
        C~ BDAT 2\r\n\r\n
        C~ BDAT 9\r\n.dot\nline
        C~ BDAT 2 LAST\r\n\r\n
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 250 2.1.5 <bob@example.com> Recipient OK
        S: 250 2.0.0 13 octets received
        S: 250 2.0.0 2 octets received
        S: 250 2.0.0 9 octets received
        S: 250 2.0.0 <alice@example.com> Delivered
        S: 250 2.0.0 <bob@example.com> Delivered
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<carol@example.com>
        C~ BDAT 5\r\nHello
        C: BDAT 0 LAST
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <carol@example.com> Recipient OK
        S: 250 2.0.0 5 octets received
        S: 250 2.0.0 <carol@example.com> Delivered
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<carol@example.com>
        C: BDAT 0 LAST
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <carol@example.com> Recipient OK
        S: 250 2.0.0 <carol@example.com> Delivered
        ",
    );
    let messages: Vec<String> = deliveries.iter().map(message).collect();
    assert_eq!(messages, ["Subject: hi\r\n\r\n.dot\r\nline\r\n", "Hello", ""]);
    assert_eq!(accounts(&deliveries[0]), [1, 2]);
}

#[test]
fn bdat_closes_rcpt_and_data() {
    let deliveries = check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C~ BDAT 3\r\nabc
        C: RCPT TO:<bob@example.com>
        C: DATA
        C: BDAT 0 LAST
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 250 2.0.0 3 octets received
        S: 503 5.5.1 RCPT not allowed after BDAT
        S: 503 5.5.1 DATA not allowed after BDAT
        S: 250 2.0.0 <alice@example.com> Delivered
        ",
    );
    assert_eq!(message(&deliveries[0]), "abc");
}

#[test]
fn refused_bdat_chunk_is_consumed_not_executed() {
    check(
        r"
        @lhlo
        C~ BDAT 12\r\nRCPT TO:<x>\n
        S: 503 5.5.1 Need MAIL command
        C: MAIL FROM:<a@example.org>
        C~ BDAT 4 LAST\r\nQUIT
        S: 250 2.1.0 Sender OK
        S: 503 5.5.1 Need RCPT command
        C: RCPT TO:<nobody@example.com>
        C~ BDAT 6 LAST\r\nQUIT\r\n
        S: 550 5.1.1 <nobody@example.com> User unknown
        S: 503 5.5.1 No valid recipients
        C: NOOP
        S: 250 2.0.0 OK
        ",
    );
}

#[test]
fn malformed_bdat_closes_because_the_stream_cannot_be_resynchronised() {
    check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C: BDAT ten
        C: RCPT TO:<bob@example.com>
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 421 4.5.4 Syntax: BDAT size [LAST]; cannot resynchronise, closing connection
        CLOSED
        ",
    );
}

#[test]
fn data_before_mail_and_before_rcpt_is_refused() {
    check(
        r"
        @lhlo
        C: DATA
        S: 503 5.5.1 Need MAIL command
        C: MAIL FROM:<a@example.org>
        C: DATA
        S: 250 2.1.0 Sender OK
        S: 503 5.5.1 Need RCPT command
        C: RSET
        S: 250 2.0.0 OK
        C: MAIL FROM:<a@example.org>
        S: 250 2.1.0 Sender OK
        ",
    );
}

#[test]
fn data_without_valid_recipients_then_reset_goes_on() {
    check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<nobody@example.com>
        C: DATA
        S: 250 2.1.0 Sender OK
        S: 550 5.1.1 <nobody@example.com> User unknown
        S: 503 5.5.1 No valid recipients
        C: RSET
        C: MAIL FROM:<a@example.org>
        S: 250 2.0.0 OK
        S: 250 2.1.0 Sender OK
        ",
    );
}

#[test]
fn message_pipelined_after_refused_data_is_never_read_as_commands() {
    // Its first line is a header field (Postfix's rule).
    check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<nobody@example.com>
        C: DATA
        C: From: a@example.org
        C:
        C: RCPT TO:<alice@example.com>
        C: DATA
        C: .
        S: 250 2.1.0 Sender OK
        S: 550 5.1.1 <nobody@example.com> User unknown
        S: 503 5.5.1 No valid recipients
        S: 421 4.7.0 Message data sent as commands, closing connection
        CLOSED
        ",
    );
    // Its first line is a command: a smuggling attempt.
    check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<nobody@example.com>
        C: DATA
        C: RCPT TO:<alice@example.com>
        C: DATA
        C: .
        S: 250 2.1.0 Sender OK
        S: 550 5.1.1 <nobody@example.com> User unknown
        S: 503 5.5.1 No valid recipients
        S: 421 4.7.0 Message data sent as commands, closing connection
        CLOSED
        ",
    );
    // Its first line is plain text.
    check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: DATA
        C: hello
        S: 250 2.1.0 Sender OK
        S: 503 5.5.1 Need RCPT command
        S: 421 4.7.0 Message data sent as commands, closing connection
        CLOSED
        ",
    );
}

#[test]
fn declared_size_over_the_limit_is_refused_at_mail() {
    check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org> SIZE=1001
        S: 552 5.3.4 Message size exceeds fixed maximum message size
        C: MAIL FROM:<a@example.org> SIZE=99999999999999999999999
        S: 552 5.3.4 Message size exceeds fixed maximum message size
        C: MAIL FROM:<a@example.org> SIZE=1000
        S: 250 2.1.0 Sender OK
        ",
    );
}

#[test]
fn data_over_the_limit_is_read_to_its_end_and_refused_per_recipient() {
    // 11 lines of 100 octets: 1100 > 1000.
    let body = format!("C: {}\n", "x".repeat(98)).repeat(11);
    let deliveries = check(&format!(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C: RCPT TO:<bob@example.com>
        C: DATA
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 250 2.1.5 <bob@example.com> Recipient OK
        S: 354 Start mail input; end with <CRLF>.<CRLF>
        {body}
        C: .
        S: 552 5.3.4 <alice@example.com> Message size exceeds fixed maximum message size
        S: 552 5.3.4 <bob@example.com> Message size exceeds fixed maximum message size
        C: MAIL FROM:<a@example.org>
        S: 250 2.1.0 Sender OK
        "
    ));
    assert!(deliveries.is_empty());
}

#[test]
fn bdat_over_the_limit_is_consumed_and_refused() {
    let x600 = "x".repeat(600);
    let deliveries = check(&format!(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C~ BDAT 600\r\n{x600}
        C~ BDAT 600\r\n{x600}
        C~ BDAT 10 LAST\r\nxxxxxxxxxx
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 250 2.0.0 600 octets received
        S: 552 5.3.4 Message size exceeds fixed maximum message size
        S: 552 5.3.4 <alice@example.com> Message size exceeds fixed maximum message size
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C~ BDAT 1200 LAST\r\n{x600}{x600}
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 552 5.3.4 <alice@example.com> Message size exceeds fixed maximum message size
        C: NOOP
        S: 250 2.0.0 OK
        "
    ));
    assert!(deliveries.is_empty());
}

#[test]
fn long_command_lines_are_discarded_and_the_session_goes_on() {
    let limit = config().max_command_line; // CRLF included
    let fits = format!("NOOP {}", "a".repeat(limit - 7));
    let over = format!("NOOP {}", "a".repeat(limit - 6));
    // The tail of a 100 kB line must not be taken for a command.
    let huge = format!("NOOP {}QUIT", "a".repeat(100_000));
    check(&format!(
        r"
        @lhlo
        C: {fits}
        S: 250 2.0.0 OK
        C: {over}
        S: 500 5.5.2 Line too long
        C: {huge}
        S: 500 5.5.2 Line too long
        C~ {huge}\n
        S: 500 5.5.2 Line too long
        C: NOOP
        S: 250 2.0.0 OK
        "
    ));
}

#[test]
fn over_long_line_after_refused_data_is_message_data() {
    let line = "x".repeat(5000);
    check(&format!(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<nobody@example.com>
        C: DATA
        C: {line}
        C: RCPT TO:<alice@example.com>
        S: 250 2.1.0 Sender OK
        S: 550 5.1.1 <nobody@example.com> User unknown
        S: 503 5.5.1 No valid recipients
        S: 421 4.7.0 Message data sent as commands, closing connection
        CLOSED
        "
    ));
}

#[test]
fn events_do_not_print_addresses() {
    let event = Event::CheckRecipient { address: "alice@example.com".into(), declared_size: Some(5) };
    assert!(!format!("{event:?}").contains("alice"));
    let delivery = Delivery {
        return_path: "bob@example.org".into(),
        recipients: vec![Recipient { address: "alice@example.com".into(), account: 1 }],
        message: b"Subject: secret".to_vec(),
    };
    let printed = format!("{:?}", Event::Deliver(delivery));
    assert!(!printed.contains("alice") && !printed.contains("bob") && !printed.contains("secret"), "{printed}");
}

#[test]
fn bare_lf_and_bare_cr_end_no_command() {
    check(
        r"
        @lhlo
        C~ NOOP\n
        S: 500 5.5.2 Bare LF not allowed
        C~ MAIL FROM:<a@example.org>\nRCPT TO:<alice@example.com>\r\n
        S: 500 5.5.2 Bare LF not allowed
        S: 503 5.5.1 Need MAIL command
        C: NOOP\rX
        S: 500 5.5.2 Bare CR not allowed
        C: NOOP
        S: 250 2.0.0 OK
        ",
    );
}

#[test]
fn eight_bit_junk_is_refused_without_harm() {
    check(
        r"
        @lhlo
        C: \xff\xfe\x80 junk
        S: 500 5.5.2 Command unrecognized
        C: M\xc3\xa0IL FROM:<a@example.org>
        S: 500 5.5.2 Command unrecognized
        C: MAIL FROM:<\xc3\xa9t\xc3\xa9@example.org>
        S: 501 5.1.7 Bad sender address syntax
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<al\xffice@example.com>
        S: 250 2.1.0 Sender OK
        S: 501 5.1.3 Bad recipient address syntax
        C: \x00\x01\x02
        S: 500 5.5.2 Command unrecognized
        C: NOOP \xff
        S: 250 2.0.0 OK
        C: LHLO \xff
        S: 501 5.5.4 Syntax: LHLO hostname
        ",
    );
}

#[test]
fn ten_thousand_recipients_are_capped() {
    let max = config().max_recipients;
    let mut transcript = String::from("@lhlo\nC: MAIL FROM:<a@example.org>\nS: 250 2.1.0 Sender OK\n");
    for i in 0..10_000 {
        transcript += &format!("C: RCPT TO:<user{i}@many.example>\n");
    }
    for i in 0..10_000 {
        transcript += &if i < max {
            format!("S: 250 2.1.5 <user{i}@many.example> Recipient OK\n")
        } else {
            "S: 452 4.5.3 Too many recipients\n".to_owned()
        };
    }
    transcript += "C: DATA\nS: 354 Start mail input; end with <CRLF>.<CRLF>\nC: hi\nC: .\n";
    for i in 0..max {
        transcript += &format!("S: 250 2.0.0 <user{i}@many.example> Delivered\n");
    }
    let deliveries = check(&transcript);
    assert_eq!(deliveries[0].recipients.len(), max);
}

#[test]
fn rset_mid_transaction_forgets_it() {
    let deliveries = check(
        r"
        @lhlo
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<alice@example.com>
        C: RSET
        C: RCPT TO:<bob@example.com>
        C: DATA
        C: MAIL FROM:<b@example.org>
        C: RCPT TO:<bob@example.com>
        C: DATA
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <alice@example.com> Recipient OK
        S: 250 2.0.0 OK
        S: 503 5.5.1 Need MAIL command
        S: 503 5.5.1 Need MAIL command
        S: 250 2.1.0 Sender OK
        S: 250 2.1.5 <bob@example.com> Recipient OK
        S: 354 Start mail input; end with <CRLF>.<CRLF>
        C: hi
        C: .
        S: 250 2.0.0 <bob@example.com> Delivered
        ",
    );
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].return_path, "b@example.org");
    assert_eq!(accounts(&deliveries[0]), [2]);
}

#[test]
fn syntax_and_sequence_errors_are_answered_and_the_session_goes_on() {
    check(
        r"
        @lhlo
        C: MAIL FROM:a@example.org
        S: 501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME]
        C: MAIL FROM:<a@example.org> RET=HDRS
        S: 555 5.5.4 Unsupported parameter
        C: MAIL FROM:<a@example.org> BODY=BINARYMIME
        S: 501 5.5.4 Syntax: BODY=7BIT|8BITMIME
        C: RCPT TO:<alice@example.com>
        S: 503 5.5.1 Need MAIL command
        C: MAIL FROM:<a@example.org>
        C: MAIL FROM:<a@example.org>
        S: 250 2.1.0 Sender OK
        S: 503 5.5.1 Nested MAIL command
        C: RCPT TO:<alice@example.com> NOTIFY=NEVER
        S: 555 5.5.4 Unsupported parameter
        C: RCPT TO:<>
        S: 501 5.1.3 Bad recipient address syntax
        C: RCPT alice@example.com
        S: 501 5.5.4 Syntax: RCPT TO:<address>
        C: DATA now
        S: 501 5.5.4 Syntax: DATA
        C:
        S: 500 5.5.2 Command unrecognized
        ",
    );
}

#[test]
fn other_commands() {
    check(
        r"
        @lhlo
        C: VRFY alice@example.com
        S: 252 2.5.0 Cannot VRFY user; send RCPT to try delivery
        C: VRFY
        S: 501 5.5.4 Syntax: VRFY address
        C: HELP
        S: 214 2.0.0 Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP
        C: EXPN staff
        S: 502 5.5.1 Command not implemented
        C: STARTTLS
        S: 502 5.5.1 Command not implemented
        C: XYZZY
        S: 500 5.5.2 Command unrecognized
        C: noop with an argument
        S: 250 2.0.0 OK
        C: RSET now
        S: 501 5.5.4 Syntax: RSET
        C: QUIT now
        S: 501 5.5.4 Syntax: QUIT
        C: quit
        S: 221 2.0.0 Bye
        CLOSED
        ",
    );
}

#[test]
fn too_many_errors_close_the_session() {
    let mut transcript = String::from("@lhlo\n");
    transcript += &"C: FOO\n".repeat(21);
    transcript += &"S: 500 5.5.2 Command unrecognized\n".repeat(20);
    transcript += "S: 421 4.7.0 Too many errors\nCLOSED\n";
    check(&transcript);
}

#[test]
fn hostname_cannot_inject_into_replies() {
    let config = Config { hostname: "evil\r\n250 host".into(), ..config() };
    let mut session = Session::new(&config);
    let Event::Output(greeting) = session.next_event() else { panic!("greeting first") };
    assert_eq!(greeting, b"220 evil250host LMTP ready\r\n");
}

/// Drives a session to the point where it asks for delivery.
fn session_at_delivery() -> Session {
    let mut session = Session::new(&config());
    session.enqueue_input(b"LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nhi\r\n.\r\n");
    loop {
        match session.next_event() {
            Event::CheckRecipient { address, declared_size } => {
                session.answer_recipient(check_recipient(&address, declared_size));
            }
            Event::Deliver(_) => return session,
            Event::Output(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn output_until_input_needed(session: &mut Session) -> String {
    let mut out = Vec::new();
    loop {
        match session.next_event() {
            Event::Output(bytes) => out.extend(bytes),
            Event::NeedInput => return String::from_utf8(out).unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn missing_delivery_results_are_temporary_failures_never_success() {
    let mut session = session_at_delivery();
    session.answer_delivery(vec![DeliveryResult::Delivered]);
    assert_eq!(
        output_until_input_needed(&mut session),
        "250 2.0.0 <alice@example.com> Delivered\r\n451 4.3.0 <bob@example.com> Temporary failure, try again later\r\n"
    );
}

#[test]
fn an_unanswered_question_is_a_temporary_failure() {
    let mut session = session_at_delivery();
    assert_eq!(
        output_until_input_needed(&mut session),
        "451 4.3.0 <alice@example.com> Temporary failure, try again later\r\n\
         451 4.3.0 <bob@example.com> Temporary failure, try again later\r\n"
    );
}

#[test]
fn shutdown_and_idle_timeout_close_with_421() {
    for (close, reply) in [
        (Session::shutdown as fn(&mut Session), "421 4.3.2 Service shutting down\r\n"),
        (Session::idle_timeout, "421 4.4.2 Idle timeout, closing connection\r\n"),
    ] {
        let mut session = Session::new(&config());
        session.enqueue_input(b"LHLO c\r\nMAIL FROM:<>\r\n");
        output_until_input_needed(&mut session);
        close(&mut session);
        let Event::Output(bytes) = session.next_event() else { panic!("reply first") };
        assert_eq!(String::from_utf8(bytes).unwrap(), reply);
        assert!(matches!(session.next_event(), Event::Close));
    }
}

#[test]
fn random_input_never_panics_and_replies_are_whole_lines() {
    // xorshift: deterministic, no dependency.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let words: [&[u8]; 14] = [
        b"LHLO x\r\n",
        b"MAIL FROM:<a@b>\r\n",
        b"RCPT TO:<alice@example.com>\r\n",
        b"DATA\r\n",
        b"BDAT 5\r\n",
        b"BDAT 0 LAST\r\n",
        b".\r\n",
        b"\r\n",
        b"\n",
        b"\r",
        b".",
        b"\xff",
        b"RSET\r\n",
        b"x",
    ];
    let config = Config { max_errors: 1000, ..config() };
    for _ in 0..300 {
        let mut input = Vec::new();
        for _ in 0..(next() % 60) {
            let r = next();
            if r % 3 == 0 {
                input.push(r as u8);
            } else {
                input.extend_from_slice(words[(r % words.len() as u64) as usize]);
            }
        }
        let whole = run(&config, &input, input.len());
        let output = String::from_utf8(whole.output.clone()).expect("replies are ASCII");
        assert!(output.ends_with("\r\n"), "{output:?}");
        let step = (next() % 5 + 1) as usize;
        assert_eq!(run(&config, &input, step).output, whole.output, "step {step}, input {input:?}");
    }
}
