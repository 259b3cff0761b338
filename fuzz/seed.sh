#!/usr/bin/env bash
# Fill fuzz/corpus/<target>/ (git-ignored, libFuzzer's working corpus) with the committed seeds
# (corpus-seeds/<target>/*, small valid inputs from the Annex D and RFC 9901 vectors and the
# transport encoders) and the committed crash reproducers (regressions/<target>-<name>.hex or
# .bin), so every run starts from them. Re-running it is harmless. The seeds are regenerated
# with `cargo test -p kakunin-fuzz-replay -- --ignored write_seeds`, and `cargo test
# --workspace` replays all of them (fuzz-replay/tests/replay.rs).
set -euo pipefail
cd "$(dirname "$0")"
unhex() { # hex-file out-file (hex; whitespace ignored)
  python3 -c 'import sys; open(sys.argv[2], "wb").write(bytes.fromhex("".join(open(sys.argv[1]).read().split())))' "$1" "$2"
}
for d in corpus-seeds/*/; do
  t=$(basename "$d")
  mkdir -p "corpus/$t"
  cp "$d"* "corpus/$t/"
done
for t in $(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^kakunin-fuzz$'); do
  [ -d "corpus-seeds/$t" ] || { echo "seed.sh: no committed seeds for target '$t'" >&2; exit 1; }
done
for r in regressions/*.hex regressions/*.bin; do
  [ -e "$r" ] || continue
  name=$(basename "$r")
  t=${name%%-*}
  [ -d "corpus/$t" ] || { echo "seed.sh: no target '$t' for $r" >&2; exit 1; }
  case "$r" in
    *.hex) unhex "$r" "corpus/$t/regression-${name%.hex}" ;;
    *) cp "$r" "corpus/$t/regression-$name" ;;
  esac
done
