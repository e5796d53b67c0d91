"""Browser tests: the built sample portal served on 127.0.0.1, driven in Debian's Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from sitekit import REPO, run_cli, served

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample portal, built once and served like a static host would."""
    out = tmp_path_factory.mktemp("browser") / "public"
    run = run_cli("--site", REPO, "--output", out, env={"SOURCE_DATE_EPOCH": "1795000000"})
    assert run.code == 0, run.stderr
    with served(out) as address:
        yield address


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()
