//! Fuzzes the whole sans-IO session (framing, command parsing, DATA and BDAT
//! decoding) with arbitrary client bytes. Beyond "never panics", it checks what
//! the transcript tests check: replies are whole ASCII lines, and feeding the same
//! bytes in other fragments gives the same replies.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tresor_lmtp::{Config, DeliveryResult, Event, RcptCheck, Recipient, Session};

fn run(config: &Config, input: &[u8], step: usize) -> Vec<u8> {
    let mut session = Session::new(config);
    let mut chunks = input.chunks(step.max(1));
    let mut output = Vec::new();
    loop {
        match session.next_event() {
            Event::Output(bytes) => output.extend(bytes),
            Event::NeedInput => match chunks.next() {
                Some(chunk) => {
                    session.enqueue_input(chunk);
                    assert!(session.buffered_input() <= config.max_command_line + chunk.len());
                }
                None => return output,
            },
            Event::CheckRecipient { address, .. } => {
                // Decided by the bytes alone, so every run answers alike.
                let check = match address.len() % 3 {
                    0 => RcptCheck::Accept(Recipient { address, account: 1 }),
                    1 => RcptCheck::Unknown,
                    _ => RcptCheck::TempFail,
                };
                session.answer_recipient(check);
            }
            Event::Deliver(delivery) => {
                assert!(delivery.message.len() as u64 <= config.max_message_size);
                session.answer_delivery(vec![DeliveryResult::Delivered; delivery.recipients.len()]);
            }
            Event::Close => return output,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, input)) = data.split_first() else { return };
    let config = Config { max_message_size: 4096, max_recipients: 5, max_command_line: 512, ..Config::default() };
    let whole = run(&config, input, input.len());
    assert!(whole.is_ascii() && whole.ends_with(b"\r\n"));
    assert_eq!(run(&config, input, usize::from(step % 16) + 1), whole);
});
