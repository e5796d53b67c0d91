#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine: Debian's Chromium (the
# browser tests drive /usr/bin/chromium through Playwright; no browser is ever downloaded)
# and the pinned Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-noto-core >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-noto-core >/dev/null; fi
fi
python3 -m pip install -r requirements-dev.txt
