//! DeviceRequest decoding and readerAuth verification.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = kakunin_fuzz::fixtures();
    let _ = kakunin_core::mdoc::DeviceRequest::from_bytes(data);
    let report = kakunin_verifier::verify_device_request(data, &f.transcript, &f.reader_root, f.at);
    let _ = report.to_json();
});
