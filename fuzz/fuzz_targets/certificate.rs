//! Certificate input parsing and path validation under every profile.
#![no_main]
use kakunin_core::trust::{parse_certificate_input, validate_chain, CertProfile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = kakunin_fuzz::fixtures();
    let _ = parse_certificate_input(data);
    for profile in [CertProfile::DocumentSigner, CertProfile::ReaderAuth] {
        let _ = validate_chain(&[data], &f.iaca, profile, f.at);
    }
    let _ = kakunin_core::trust::TrustAnchors::from_der_certs([data]);
});
