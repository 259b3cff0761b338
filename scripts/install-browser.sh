#!/usr/bin/env bash
# Install what the till page's browser test (tests/till_browser.rs, tests/browser/till.mjs)
# runs against:
#  - Debian's Chromium (/usr/bin/chromium) and the Noto CJK fonts (so the Japanese reason
#    text renders in the screenshots instead of boxes), from Debian's packages;
#  - playwright-core from npm, pinned in tests/browser/package-lock.json. playwright-core
#    downloads no browser; it drives /usr/bin/chromium (`npx playwright install` is never run).
# Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# (grep without -q reads all of fc-list's output: no SIGPIPE under pipefail)
fc-list : family 2>/dev/null | grep -i 'Noto Sans CJK' >/dev/null || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: need ${need_apt[*]} (Debian packages); run as root on Debian or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

cd tests/browser
want=$(node -p 'require("./package.json").dependencies["playwright-core"]')
have=$(node -p 'try { require("./node_modules/playwright-core/package.json").version } catch { "" }')
if [ "$have" != "$want" ]; then
  # playwright-core has no install script and no optional platform packages: `npm ci` is
  # exact to the committed lock.
  npm ci --no-audit --no-fund --loglevel=error
fi
