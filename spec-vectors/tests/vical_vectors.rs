#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The real VICALs (the same checks `kakunin vectors` prints): every check is present and
//! passes.

use kakunin_spec_vectors::vical;

#[test]
fn every_vical_check_passes() {
    let checks = vical::run_all();
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| format!("{}: {}", c.id, c.failure.as_deref().unwrap_or_default()))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for id in [
        "vical/aamva/parse",
        "vical/aamva/signature",
        "vical/aamva/signer-eku",
        "vical/aamva/values",
        "vical/aamva/flipped-byte",
        "vical/austroads/parse",
        "vical/austroads/signature",
        "vical/austroads/signer-eku",
        "vical/austroads/values",
        "vical/austroads/flipped-byte",
        "vical/aamva/root-in-x5chain",
        "vical/aamva/entry-0",
        "vical/aamva/ski-wrapped",
        "vical/austroads/entry-18-ski",
        "vical/austroads/entry-1",
        "vical/wrong-authority",
        "vical/aamva/stale",
    ] {
        assert!(checks.iter().any(|c| c.id == id), "missing {id}");
    }
    assert_eq!(checks.len(), 17);
}
