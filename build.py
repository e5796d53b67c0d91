#!/usr/bin/env python3
"""Entry point: `python build.py [build|check|new|serve] ...` (see README.md)."""

import sys
from pathlib import Path

from toasoan.cli import main

if __name__ == "__main__":
    sys.exit(main(default_site=Path(__file__).resolve().parent))
