//! Shared fixtures for the fuzz targets: the Annex D transcript, trust anchors and keys.

use kakunin_core::crypto::{Curve, EcPrivateKey};
use kakunin_core::trust::TrustAnchors;
use std::sync::OnceLock;

macro_rules! annex {
    ($name:literal) => {
        include_str!(concat!("../../spec-vectors/data/annex-d/", $name, ".hex"))
    };
}

fn hex_bytes(s: &str) -> Vec<u8> {
    hex::decode(s.trim()).expect("Annex D hex")
}

pub struct Fixtures {
    pub transcript: Vec<u8>,
    pub iaca: TrustAnchors,
    pub reader_root: TrustAnchors,
    pub reader_key: EcPrivateKey,
    pub at: time::OffsetDateTime,
}

pub fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| Fixtures {
        transcript: hex_bytes(annex!("session_transcript_bytes")),
        iaca: TrustAnchors::from_der_certs([hex_bytes(annex!("iaca_cert.der"))]).expect("IACA"),
        reader_root: TrustAnchors::from_der_certs([hex_bytes(annex!("reader_root_cert.der"))])
            .expect("root"),
        reader_key: kakunin_core::crypto::hazmat::private_key_from_scalar(
            Curve::P256,
            &hex_bytes(annex!("e_reader_key_priv_d")),
        )
        .expect("key"),
        at: time::macros::datetime!(2021-01-01 00:00:00 UTC),
    })
}
