"""Print docs/interop.md from the reports run-peers.sh left in OUT.

usage: python3 interop_md.py OUT > docs/interop.md
"""
import json
import sys

PEERS = [
    ("auth0-mdl", "@auth0/mdl (npm)", "mdoc", "auth0_mdl.mjs"),
    ("pymdoccbor", "pymdoccbor (PyPI)", "mdoc", "pymdoccbor.sh"),
    ("sd-jwt-python", "sd-jwt (PyPI)", "SD-JWT VC", "sdjwt_py.py"),
    ("sd-jwt-npm", "@sd-jwt/sd-jwt-vc (npm)", "SD-JWT VC", "sdjwt_npm.mjs"),
]


def main() -> None:
    out = sys.argv[1]
    reports = {p: json.load(open(f"{out}/{p}/report.json")) for p, *_ in PEERS}
    w = sys.stdout.write
    w(HEAD)
    w("| peer | suite | cases | passed | false accepts | false rejects | adapter |\n")
    w("| --- | --- | --- | --- | --- | --- | --- |\n")
    for p, name, suite, adapter in PEERS:
        r = reports[p]
        fa = sum(1 for c in r["cases"] if c["grade"] == "fail" and c["expected"]["outcome"] == "reject")
        fr = sum(1 for c in r["cases"] if c["grade"] == "fail" and c["expected"]["outcome"] == "accept")
        w(f"| {name} | {suite} | {r['total']} | {r['passed']} | {fa} | {fr} | `tests/interop/conformance/{adapter}` |\n")
    w(MIDDLE)
    for p, name, _, _ in PEERS:
        r = reports[p]
        w(f"\n### {name}\n\n<!-- failing: {p} -->\n")
        for c in r["cases"]:
            if c["grade"] == "fail":
                kind = "false accept" if c["expected"]["outcome"] == "reject" else "false reject"
                w(f"- `{c['id']}` — {kind}: {c['description']}\n")
        w("<!-- end -->\n")


HEAD = """# Interop: the verifier suite against the peers

`kakunin conformance verifier` (docs/conformance.md) run against the verifier libraries the
project installs (`scripts/install-peers.sh`), each through a small adapter script in
`tests/interop/conformance/` that takes the placeholders and exits 0 accept / 1 reject.
`tests/conformance_verifier.rs` runs them in the test command and checks that each peer fails
exactly the cases listed below. Kakunin's own verifier passes every required case (the same
test).

Regenerate (after `bash scripts/install-peers.sh` and `cargo build`):

```sh
sh tests/interop/conformance/run-peers.sh /tmp/peers target/debug/kakunin
python3 tests/interop/conformance/interop_md.py /tmp/peers > docs/interop.md
```

"""

MIDDLE = """
What the adapters do on the peers' behalf, and what they cannot:

- The peers read the real clock: the cases are generated for now (`--at`). The Annex D vector
  is verified at 2021-01-01 and so fails against every peer on certificate expiry.
- pymdoccbor checks issuer data only (signature, chain, digests): it takes no transcript and
  no reader key, so every device-authentication fault is a false accept by construction.
- The SD-JWT libraries have no x5c chain validation: the adapters give them the key of the
  x5c leaf certificate, as an integrator without a chain validator would, so an untrusted,
  expired or wrong-profile issuer certificate is accepted. They read only the compact form,
  so the JWS JSON serialization case is a false reject of the adapter as much as the peer.
- `mdoc/fault/holder-extra-element-*` are accept cases: authentic data, and no interface passes the request.

## Failing cases per peer
"""

if __name__ == "__main__":
    main()
