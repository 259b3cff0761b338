//! DeviceResponse decoding and full verification against the Annex D trust setup.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = kakunin_fuzz::fixtures();
    let _ = kakunin_core::mdoc::DeviceResponse::from_bytes(data);
    let report = kakunin_verifier::Verifier::new(&f.iaca)
        .with_reader_key(&f.reader_key)
        .verify_device_response(data, &f.transcript, f.at);
    let _ = report.to_json();
});
