//! Certificate input parsing (DER, PEM, hex), trust-anchor construction, and path validation
//! under every profile (DS and JWS signer under the Annex D IACA, reader auth under its root).
#![no_main]
use kakunin_core::trust::{parse_certificate_input, validate_chain, CertProfile, TrustAnchors};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = kakunin_fuzz::fixtures();
    let c = kakunin_core::crypto::default_provider();
    let _ = validate_chain(c, &[data], &f.iaca, CertProfile::DocumentSigner, f.at);
    let _ = validate_chain(c, &[data], &f.iaca, CertProfile::JwsSigner, f.at);
    let _ = validate_chain(c, &[data], &f.reader_root, CertProfile::ReaderAuth, f.at);
    if let Ok(der) = parse_certificate_input(data) {
        if der != data {
            let _ = validate_chain(c, &[&der], &f.iaca, CertProfile::DocumentSigner, f.at);
        }
    }
    let _ = TrustAnchors::from_der_certs([data]);
});
