#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine: Debian's Chromium (the
# browser tests drive /usr/bin/chromium through Playwright; no browser is ever downloaded) and
# rsync (the CI files' publish step is run against a local folder), then toasoan and the pinned
# Python packages into .venv/ (scripts/install.sh). Run the tests with `.venv/bin/python -m pytest`.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-noto-core)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq "${missing[@]}" >/dev/null; fi
fi
bash scripts/install.sh
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
