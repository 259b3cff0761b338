#!/bin/sh
# Kakunin's own verifier as a conformance target (docs/conformance.md): one command for both
# suites; the SD-JWT VC cases fill {presentation}, the mdoc cases {response}.
# usage: kakunin.sh {response} {transcript} {trust} {reader_key} {at} {presentation} {aud} {nonce}
# KAKUNIN names the binary (default: kakunin on PATH). Exit 0 valid, 1 invalid, as the CLI.
KAKUNIN=${KAKUNIN:-kakunin}
response=$1 transcript=$2 trust=$3 reader_key=$4 at=$5 presentation=$6 aud=$7 nonce=$8
if [ -n "$presentation" ]; then
  exec "$KAKUNIN" verify-sd-jwt "$presentation" --trust-anchor "$trust" --aud "$aud" --nonce "$nonce" --at "$at"
fi
if [ -n "$reader_key" ]; then
  exec "$KAKUNIN" verify-response --response "$response" --transcript "$transcript" \
    --trust-anchor "$trust" --reader-key "$reader_key" --at "$at"
fi
exec "$KAKUNIN" verify-response --response "$response" --transcript "$transcript" --trust-anchor "$trust" --at "$at"
