#!/usr/bin/env bash
# Install and start what the tests run against:
#  - pcscd with vsmartcard's vpcd driver and libpcsclite-dev (NFC over a real PC/SC stack,
#    tests/nfc_pcsc.rs), from Debian's packages; pcscd is started if it is not running;
#  - OpenSC (its jpki driver, pkcs15-tool, pkcs11-tool and the PKCS#11 module), the independent
#    check of the virtual My Number card (tests/jpki_opensc.rs), from Debian's `opensc`;
#  - @auth0/mdl and @sd-jwt/sd-jwt-vc from npm (pinned in tests/interop/package-lock.json), and
#    pymdoccbor and sd-jwt from PyPI (pinned in tests/interop/requirements.txt, into
#    tests/interop/.venv).
# Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v pcscd >/dev/null 2>&1 || need_apt+=(pcscd)
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || need_apt+=(vsmartcard-vpcd)
pkg-config --exists libpcsclite 2>/dev/null || need_apt+=(libpcsclite-dev pkg-config)
command -v pkcs15-tool >/dev/null 2>&1 || need_apt+=(opensc)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-peers: need ${need_apt[*]} (Debian packages); run as root on Debian or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! pgrep -x pcscd >/dev/null 2>&1; then
  mkdir -p /run/pcscd
  pcscd
  sleep 1
fi

cd tests/interop
if [ ! -d node_modules/@auth0/mdl ] || [ ! -d node_modules/@sd-jwt/sd-jwt-vc ]; then
  # `npm ci` trips over an npm 11 lockfile bug with optional platform packages
  # (cbor-extract); `npm install` still follows the committed lock.
  npm install --no-audit --no-fund --loglevel=error
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("pymdoccbor") != "1.4.0" or m.version("sd-jwt") != "0.10.4")' 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
(cd ../.. && bash scripts/install-postgres.sh)
(cd ../.. && bash scripts/install-browser.sh)
