"""The code is ruff-clean and mypy --strict clean (run as part of the test suite)."""

from __future__ import annotations

import subprocess
import sys

from sitekit import REPO


def test_ruff() -> None:
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "toasoan", "tests", "bench", "build.py"], cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_strict() -> None:
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
