//! VICAL tests on the real lists and on lists built here.

use super::*;
use crate::crypto::default_provider;
use crate::trust::TrustAnchors;

const AAMVA: &[u8] = include_bytes!("../../../../spec-vectors/data/vical/aamva-20240924.vical");

#[test]
fn parses_aamva() {
    let v = SignedVical::parse(AAMVA).unwrap();
    let c = v.unverified_contents();
    assert_eq!(c.provider(), "AAMVA");
    assert_eq!(c.entries().len(), 3);
    assert_eq!(v.x5chain().len(), 3);
    let _ = default_provider();
    let _ = TrustAnchors::default();
}
