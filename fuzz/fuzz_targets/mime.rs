//! Fuzzes the delivery-time parse of untrusted mail: `parse` never panics, the
//! byte ranges it records stay inside the message, every section it can name is
//! retrievable, and the summary survives the store's postcard round trip.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &[u8]| {
    let summary = tresor_message::parse(raw);
    assert_eq!(summary.size, raw.len() as u64);
    for part in summary.root.walk() {
        assert!(part.header.0 <= part.header.1 && part.header.1 as usize <= raw.len());
        assert!(part.body.0 <= part.body.1 && part.body.1 as usize <= raw.len());
        let _ = tresor_message::decoded_part(raw, part);
    }
    let _ = tresor_message::text_for_search(raw, &summary).count();
    let bytes = postcard::to_stdvec(&summary).expect("serializes");
    let back: tresor_message::MessageSummary = postcard::from_bytes(&bytes).expect("round-trips");
    assert_eq!(back.size, summary.size);
});
