#!/usr/bin/env bash
# Times Kakunin and @auth0/mdl (npm) verifying the same ISO 18013-5 Annex D DeviceResponse
# (every check: issuer chain and signature, digests, validity, DeviceMac) on this machine, in
# one run, and prints both figures and the ratio. Goal: Kakunin at least 10x faster.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-300}

if [ ! -d bench/auth0-mdl/node_modules/@auth0/mdl ]; then
  (cd bench/auth0-mdl && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
cargo build --release -q -p kakunin-verifier --example verify_timing

# Alternate the two three times and keep each one's best, so a noisy moment hurts neither.
best_k=""; best_a=""
for round in 1 2 3; do
  k=$(cargo run --release -q -p kakunin-verifier --example verify_timing -- --iterations $((iterations * 10)))
  a=$(node bench/auth0-mdl/verify-annexd.mjs --iterations "$iterations")
  echo "round $round: $k"
  echo "round $round: $a"
  best_k=$(printf '%s\n%s\n' "$best_k" "$k" | python3 -c 'import sys,json; r=[json.loads(l) for l in sys.stdin if l.strip()]; print(json.dumps(min(r,key=lambda x:x["ns_per_op"])))')
  best_a=$(printf '%s\n%s\n' "$best_a" "$a" | python3 -c 'import sys,json; r=[json.loads(l) for l in sys.stdin if l.strip()]; print(json.dumps(min(r,key=lambda x:x["ns_per_op"])))')
done

python3 - "$best_k" "$best_a" <<'PY'
import json, sys
k, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = a["ns_per_op"] / k["ns_per_op"]
print()
print(f"{'library':<22}{'verify Annex D response':>26}")
print(f"{'kakunin ' + k['version']:<22}{k['ns_per_op'] / 1000:>23.1f} us")
print(f"{'@auth0/mdl ' + a['version']:<22}{a['ns_per_op'] / 1000:>23.1f} us")
print(f"ratio (@auth0/mdl / kakunin): {ratio:.1f}x   goal >= 10x: {'met' if ratio >= 10 else 'NOT met'}")
PY
