#!/usr/bin/env python3
"""Entry point: `python3 build.py [build|check|new|serve|init] ...`: the installed `toasoan`
command with this checkout as the default site (see README.md)."""

import sys
from pathlib import Path

from toasoan.cli import main

if __name__ == "__main__":
    sys.exit(main(default_site=Path(__file__).resolve().parent))
