#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! `kakunin jpki read`: the error paths that need no card (the real-card run is the virtual
//! card's test, through pcscd and vpcd).

use std::process::Command;

fn kakunin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn no_such_reader_is_a_typed_failure() {
    let out = kakunin(&[
        "jpki",
        "read",
        "--pcsc-reader",
        "No Such Reader 7f3e",
        "--pin-file",
        "/nonexistent",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if cfg!(feature = "pcsc") {
        // pcscd up: no reader of that name; pcscd down or no readers: a PC/SC error.
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("PC/SC"), "{stderr}");
    } else {
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("no PC/SC support"), "{stderr}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn there_is_no_pin_flag() {
    let out = kakunin(&["jpki", "read", "--pcsc-reader", "x", "--pin", "ABC123"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("ABC123 "));
}
