"""`serve`: the preview server answers, rebuilds once per save, and keeps the last good build on errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sitekit import BUILD, write_site

SITE = """\
-- content/pages/gioi-thieu.md --
---
title: Giới thiệu
---

Bản đầu tiên.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_for(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def server(site: Path) -> Iterator[str]:
    write_site(site, SITE)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(BUILD), "serve", "--site", str(site), "--port", str(port)], stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _get(base + "/__toasoan_version")[0] == 200)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_rebuilds_on_save_and_keeps_last_good_build(server: str, site: Path) -> None:
    status, page = _get(server + "/gioi-thieu/")
    assert status == 200 and "Bản đầu tiên." in page
    assert "/__toasoan_version" in page  # the reload script is injected
    assert _get(server + "/khong-co/")[0] == 404
    version = _get(server + "/__toasoan_version")[1]
    (site / "content/pages/gioi-thieu.md").write_text("---\ntitle: Giới thiệu\n---\n\nBản thứ hai.\n", encoding="utf-8")
    _wait_for(lambda: "Bản thứ hai." in _get(server + "/gioi-thieu/")[1])
    changed = _get(server + "/__toasoan_version")[1]
    assert changed != version
    time.sleep(1)  # reading files during the rebuild must not trigger another one
    assert _get(server + "/__toasoan_version")[1] == changed
    (site / "content/pages/gioi-thieu.md").write_text("---\ntitle: ''\n---\n\nHỏng.\n", encoding="utf-8")
    time.sleep(1.5)
    assert "Bản thứ hai." in _get(server + "/gioi-thieu/")[1]
