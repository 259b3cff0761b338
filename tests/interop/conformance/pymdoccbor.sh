#!/bin/sh
# pymdoccbor (PyPI) as a conformance target for the mdoc suite (docs/interop.md), through
# tests/interop/pymdoc_verify.py: issuer signature, chain to {trust}, element digests; it does
# not check device authentication and takes no transcript.
# usage: pymdoccbor.sh {response} {trust}
here=$(cd "$(dirname "$0")/.." && pwd)
exec "$here/.venv/bin/python" "$here/pymdoc_verify.py" "$1" "$2"
