#!/usr/bin/env bash
# Write the Annex D vectors into per-target seed corpora (fuzz/corpus is not committed).
set -euo pipefail
cd "$(dirname "$0")"
data=../spec-vectors/data/annex-d
seed() { # target file...
  local target=$1; shift
  mkdir -p "corpus/$target"
  for f in "$@"; do
    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read().strip()))' "$data/$f.hex" > "corpus/$target/$f"
  done
}
seed cbor_decode device_response device_request session_transcript_bytes device_engagement_qr mobile_security_object_bytes
seed device_response device_response
seed device_request device_request
seed structures device_engagement_qr device_engagement_nfc device_engagement_bytes_nfc session_transcript session_transcript_bytes \
  session_establishment session_data session_termination mobile_security_object_bytes issuer_auth device_auth e_device_key_bytes
seed certificate ds_cert.der iaca_cert.der reader_cert.der reader_root_cert.der
for r in regressions/*.bin; do
  [ -e "$r" ] || continue
  t=$(basename "$r" | cut -d- -f1)
  mkdir -p "corpus/$t" && cp "$r" "corpus/$t/"
done
