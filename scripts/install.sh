#!/usr/bin/env bash
# Installs toasoan from this checkout into a virtual environment, .venv/ at the top level
# (Debian's own python3 is "externally managed": pip refuses to install into it). Makes the
# environment if it is missing, installing Debian's python3-venv first when `venv` cannot
# work without it. Then `.venv/bin/toasoan` is the command; nothing outside .venv/ is touched
# except that one Debian package.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "toasoan cần Python 3.11 trở lên; $PYTHON là $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    # Debian ships venv's pip bootstrap as its own package.
    package="python3-venv"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "$package" >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq "$package" >/dev/null; fi
  fi
  "$PYTHON" -m venv .venv
fi
# The pinned runtime versions (requirements.txt), then toasoan itself, editable: the checkout's
# code and top-level theme are what runs.
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
