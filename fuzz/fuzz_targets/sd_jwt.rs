//! SD-JWT presentation parsing and verification (RFC 9901), with and without Key Binding, in
//! compact and JWS JSON serialization.
#![no_main]
use kakunin_core::crypto::{default_provider, Curve};
use kakunin_core::sdjwt::{
    verify_json_presentation, verify_presentation, Disclosure, Jws, JsonSdJwt, KbRequirements,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let c = default_provider();
    let key = kakunin_core::crypto::hazmat::private_key_from_scalar(Curve::P256, &[7u8; 32]).expect("scalar");
    let public = c.public_key(&key).expect("public key");
    let f = kakunin_fuzz::fixtures();
    let kb = KbRequirements {
        required: true,
        aud: "aud",
        nonce: "nonce",
        max_age: time::Duration::minutes(5),
        max_skew: time::Duration::minutes(1),
    };
    let _ = verify_presentation(c, text, &public, Some(&kb), f.at);
    let _ = verify_presentation(c, text, &public, None, f.at);
    let _ = verify_json_presentation(c, text, &public, Some(&kb), f.at);
    let _ = JsonSdJwt::parse(text);
    let _ = Jws::parse(text);
    let _ = Disclosure::parse(text);
});
