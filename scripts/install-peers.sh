#!/usr/bin/env bash
# Install the peer libraries the interop tests run against (tests/interop/): @auth0/mdl from
# npm (pinned in package-lock.json) and pymdoccbor from PyPI (pinned in requirements.txt,
# into tests/interop/.venv so no system Python is touched). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../tests/interop"
if [ ! -d node_modules/@auth0/mdl ]; then
  # `npm ci` trips over an npm 11 lockfile bug with optional platform packages
  # (cbor-extract); `npm install` still follows the committed lock.
  npm install --no-audit --no-fund --loglevel=error
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("pymdoccbor") != "1.4.0")' 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
