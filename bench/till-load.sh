#!/usr/bin/env bash
# Load benchmark of the till's API (verifier-server/benches/load.rs): verifications per
# second, p50 and p99 on loopback, then p99 at half that rate, then the same load against a
# small Node server verifying with @auth0/mdl (tests/interop/auth0_server.mjs), in one run.
# Goal: >= 5,000 verifications/s on a 2-core machine, p99 <= 5 ms at half that rate, >= 20x
# the @auth0/mdl server. Bounded: each run stops after KAKUNIN_LOAD_SECONDS (5) or
# KAKUNIN_LOAD_MAX (200000) requests. The load average before and after is printed: on a
# shared machine, other work lowers the figures. It ends with one summary block of the issue's
# numbers (rate, p50, p99, p99 at half rate, @auth0/mdl rate, ratio, server CPU per
# verification, the load generator's CPU per request beside the earlier generator's).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d tests/interop/node_modules/@auth0/mdl ]; then
  (cd tests/interop && npm install --no-audit --no-fund --loglevel=error)
fi
export KAKUNIN_LOAD_CLIENTS=${KAKUNIN_LOAD_CLIENTS:-8,16,32}
cargo bench -q -p kakunin-verifier-server --bench load
