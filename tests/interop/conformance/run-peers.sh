#!/bin/sh
# Run the verifier suite against each peer (installed by scripts/install-peers.sh) and leave
# the reports in OUT/<peer>/ (docs/interop.md). usage: run-peers.sh OUT [KAKUNIN]
# The peers read the real clock, so the cases are made for now (--at).
set -u
out=${1:?usage: run-peers.sh OUT [KAKUNIN]}
kakunin=${2:-kakunin}
here=$(cd "$(dirname "$0")" && pwd)
venv=$(cd "$here/.." && pwd)/.venv/bin/python
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run() { # peer suite cmd
  "$kakunin" conformance verifier --suite "$2" --at "$now" --jobs 2 --target-cmd "$3" --report "$out/$1" | tail -n 2 | head -n 1
}
run auth0-mdl mdoc "node $here/auth0_mdl.mjs {response} {transcript} {trust} {reader_key}"
run pymdoccbor mdoc "sh $here/pymdoccbor.sh {response} {trust}"
run sd-jwt-python sd-jwt "$venv $here/sdjwt_py.py {presentation} {aud} {nonce}"
run sd-jwt-npm sd-jwt "node $here/sdjwt_npm.mjs {presentation} {aud} {nonce}"
