#!/usr/bin/env python3
"""Entry point: `python3 build.py [build|check|new|serve|init] ...`: the installed `toasoan`
command with this checkout as the default site (see README.md)."""

import sys
from pathlib import Path

# This checkout's modules keep their compiled bytecode (`toasoan/__pycache__/`, ignored by git) as
# an installed package's do (pip compiles them when it installs), even where
# PYTHONDONTWRITEBYTECODE is set: compiling toasoan's modules again cost every build ~0.15 s,
# a good part of a one-article patch.
sys.dont_write_bytecode = False

from toasoan.cli import leave, main  # noqa: E402 (after the bytecode setting, which it obeys)

if __name__ == "__main__":
    leave(main(default_site=Path(__file__).resolve().parent))
