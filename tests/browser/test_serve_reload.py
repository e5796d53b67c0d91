"""`serve` in a real browser: saving an article reloads the open page by itself (Server-Sent
Events, no polling), a broken save turns the page into the error list until it is fixed, and a
renamed article's open page follows it. The browser is never touched after the first `goto`."""

from __future__ import annotations

import fcntl
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sitekit import BUILD, REPO, write_site

ARTICLE = "content/articles/2023/06/lam-viec-voi-so-thong-tin.md"
URL = "/2023/06/lam-viec-voi-so-thong-tin/"  # the slug comes from the file name
HEAD = "---\ntitle: Làm việc với Sở Thông tin\ndate: 2023-06-07 15:30\ncategory: thoi-su\n---\n\n"
SITE = f"-- {ARTICLE} --\n{HEAD}Bản đầu tiên của bài.\n"
WAIT_MS = 30_000  # a bound on every wait; each ends as soon as the page shows its evidence


@dataclass
class Serving:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/__toasoan_version", headers={"Host": f"127.0.0.1:{port}"})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@pytest.fixture
def serving(site: Path, tmp_path: Path) -> Iterator[Serving]:
    write_site(site, SITE)
    with _serve(site, tmp_path) as served:
        yield served


@contextmanager
def _serve(site: Path, tmp_path: Path) -> Iterator[Serving]:
    port = _free_port()
    log = tmp_path / "serve.log"
    tmp = tmp_path / "tmp"  # serve's temporary folder, with the output and its build lock
    tmp.mkdir()
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, str(BUILD), "serve", "--site", str(site), "--port", str(port)],
            stderr=stderr, env={**os.environ, "SOURCE_DATE_EPOCH": "1790000000", "TMPDIR": str(tmp)},
        )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):  # bounded wait on the server's own answer
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        yield Serving(proc, f"http://127.0.0.1:{port}", log)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _save(site: Path, body: str) -> None:
    (site / ARTICLE).write_text(HEAD + body + "\n", encoding="utf-8")


def test_saving_an_article_reloads_the_open_page(browser: Any, serving: Serving, site: Path) -> None:
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    loads: list[str] = []
    page.on("load", lambda _: loads.append(page.url))
    page.goto(serving.url + URL)
    assert "Bản đầu tiên của bài." in page.inner_text("main")
    # No waiting for the event stream to open: the page knows the version it was served with,
    # so a build that finishes before the stream connects still reloads it.
    _save(site, "Bản thứ hai, vừa lưu.")
    page.wait_for_function("document.body.innerText.includes('Bản thứ hai, vừa lưu.')", timeout=WAIT_MS)
    # The new text shows before the reloaded document's load event arrives: wait for that event.
    page.wait_for_load_state("load", timeout=WAIT_MS)
    assert len(loads) >= 2  # reloaded by the page itself

    # A broken save turns the page into the error list (never the stale page); fixing it brings it back.
    (site / ARTICLE).write_text(HEAD.replace("title: Làm việc với Sở Thông tin", "title: ''") + "Hỏng.\n", encoding="utf-8")
    problems = page.locator("#toasoan-problems")
    problems.wait_for(state="visible", timeout=WAIT_MS)
    assert f"{ARTICLE}:2: " in problems.inner_text()
    assert "Bản thứ hai, vừa lưu." not in page.inner_text("body")
    _save(site, "Bản thứ ba, đã sửa lỗi.")
    page.wait_for_function("document.body.innerText.includes('Bản thứ ba, đã sửa lỗi.')", timeout=WAIT_MS)
    page.wait_for_load_state("load", timeout=WAIT_MS)
    assert page.locator("#toasoan-problems").count() == 0

    assert not [url for url in requested if "/__toasoan_version" in url]  # nothing polls
    assert len(loads) >= 3 and any(url.endswith("/__toasoan_events") for url in requested)
    assert errors == []
    page.close()


BUNDLE = "content/articles/2023/06/hoi-nghi/index.md"
FRONT = "---\ntitle: Hội nghị tổng kết năm\nslug: hoi-nghi\ndate: 2023-06-08 09:00\ncategory: thoi-su\n---\n\nNội dung hội nghị.\n"


def test_the_open_page_follows_title_edits_errors_and_renames(browser: Any, serving: Serving, site: Path) -> None:
    (site / BUNDLE).parent.mkdir(parents=True)
    (site / BUNDLE).write_text(FRONT, encoding="utf-8")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    address = serving.url + "/2023/06/hoi-nghi/"
    page.goto(address)  # a 404 until the build that adds the article; the page reloads by itself
    page.wait_for_function("document.querySelector('h1') && document.querySelector('h1').innerText === 'Hội nghị tổng kết năm'", timeout=WAIT_MS)

    # A corrected headline: the same address shows it.
    (site / BUNDLE).write_text(FRONT.replace("Hội nghị tổng kết năm", "Hội nghị tổng kết năm 2023"), encoding="utf-8")
    page.wait_for_function("document.querySelector('h1').innerText === 'Hội nghị tổng kết năm 2023'", timeout=WAIT_MS)
    assert page.url == address

    # Broken front matter: the error page at its line; fixed: the article again, same address.
    (site / BUNDLE).write_text(FRONT.replace("date: 2023-06-08 09:00", "date: [2023"), encoding="utf-8")
    page.locator("#toasoan-problems").wait_for(state="visible", timeout=WAIT_MS)
    assert page.locator("#toasoan-problems").inner_text().startswith(f"{BUNDLE}:")
    assert "Nội dung hội nghị." not in page.inner_text("body")
    (site / BUNDLE).write_text(FRONT.replace("Nội dung hội nghị.", "Nội dung đã sửa."), encoding="utf-8")
    page.wait_for_function("document.body.innerText.includes('Nội dung đã sửa.')", timeout=WAIT_MS)
    assert page.url == address and page.locator("#toasoan-problems").count() == 0

    # A new slug moves the article: the open page follows it to its new address.
    (site / BUNDLE).write_text(FRONT.replace("slug: hoi-nghi", "slug: hoi-nghi-tong-ket"), encoding="utf-8")
    page.wait_for_url(serving.url + "/2023/06/hoi-nghi-tong-ket/", timeout=WAIT_MS)
    page.wait_for_function("document.body.innerText.includes('Nội dung hội nghị.')", timeout=WAIT_MS)
    assert errors == []
    page.close()


MARK = "Mẫu trang mới đã lưu"


def test_a_template_save_reloads_the_open_page_before_the_full_build(browser: Any, site: Path, tmp_path: Path) -> None:
    """The site's own base.html is saved while the full build is held back (its output lock is
    taken here): the open page reloads into the new template at once, made from memory; once the
    full build is let through it reloads again into the same page."""
    write_site(site, SITE)
    base = site / "templates/base.html"
    base.parent.mkdir()
    original = (REPO / "templates/base.html").read_text(encoding="utf-8")
    base.write_text(original, encoding="utf-8")
    with _serve(site, tmp_path) as serving:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(serving.url + URL)
        assert MARK not in page.inner_text("body")
        lock = next((tmp_path / "tmp").glob("toasoan-serve-*/.public.lock"))
        with open(lock, "rb") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            try:
                base.write_text(original.replace("</main>", f'</main><p id="mau-moi">{MARK}</p>', 1), encoding="utf-8")
                page.wait_for_function("document.getElementById('mau-moi') !== null", timeout=WAIT_MS)
                assert "Bản đầu tiên của bài." in page.inner_text("main")
                assert serving.log.read_text(encoding="utf-8").count("Đã dựng lại") == 1  # no full build yet
                quick = page.evaluate("performance.timeOrigin")
            finally:
                fcntl.flock(held, fcntl.LOCK_UN)
        # The full build's version reloads the page once more: the same template, now from disk.
        deadline = time.monotonic() + WAIT_MS / 1000
        while serving.log.read_text(encoding="utf-8").count("Đã dựng lại") < 2:  # bounded wait on the server's word
            assert time.monotonic() < deadline
            time.sleep(0.1)
        page.wait_for_function(
            "o => performance.timeOrigin !== o && document.getElementById('mau-moi') !== null", arg=quick, timeout=WAIT_MS,
        )
        assert page.inner_text("#mau-moi") == MARK and errors == []
        page.close()
