#!/usr/bin/env bash
# Write the Annex D vectors (and the committed crash reproducers) into per-target seed corpora.
# fuzz/corpus is git-ignored, so CI runs this before fuzzing; re-running it is harmless.
set -euo pipefail
cd "$(dirname "$0")"
data=../spec-vectors/data/annex-d
unhex() { # hex-file out-file (one-line lowercase hex; whitespace ignored)
  python3 -c 'import sys; open(sys.argv[2], "wb").write(bytes.fromhex("".join(open(sys.argv[1]).read().split())))' "$1" "$2"
}
seed() { # target annex-d-name...
  local target=$1; shift
  mkdir -p "corpus/$target"
  for f in "$@"; do
    unhex "$data/$f.hex" "corpus/$target/annex-d-$f"
  done
}
seed cbor_decode device_response device_request session_transcript_bytes device_engagement_qr \
  mobile_security_object_bytes issuer_auth device_auth session_establishment session_data \
  e_device_key_bytes items_request_bytes issuer_signed_item_09_driving_privileges
seed device_response device_response
seed device_request device_request
seed device_engagement device_engagement_qr device_engagement_nfc device_engagement_bytes_nfc
seed session_messages session_establishment session_data session_termination
seed mso mobile_security_object_bytes
seed cose issuer_auth reader_auth device_auth e_device_key_bytes e_reader_key_bytes
seed transcript session_transcript session_transcript_bytes
seed certificate ds_cert.der iaca_cert.der reader_cert.der reader_root_cert.der
# The RFC 9901 examples (compact SD-JWTs and SD-JWT+KBs) seed the SD-JWT target.
mkdir -p corpus/sd_jwt
for f in ../spec-vectors/data/rfc9901/*.txt; do
  tr -d '\n' < "$f" > "corpus/sd_jwt/rfc9901-$(basename "$f" .txt)"
done
# Committed reproducers, regressions/<target>-<name>.hex (or raw .bin), replay first.
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
