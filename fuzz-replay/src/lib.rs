//! Nothing to link: this crate exists for its test, `tests/replay.rs`, which compiles the fuzz
//! targets' bodies (`fuzz/src/lib.rs`, outside the workspace) and runs every committed seed
//! (`fuzz/corpus-seeds/<target>/*`) and crash reproducer (`fuzz/regressions/<target>-*`)
//! through them, so a fixed crash stays fixed without nightly Rust or cargo-fuzz.
