"""`serve`: the preview server answers, rebuilds once per save, shows the errors in place of every
page while the content has errors, shows drafts marked as such, follows renamed articles, answers
only to its own host name, and leaves nothing behind when stopped."""

from __future__ import annotations

import fcntl
import gc
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sitekit import BUILD, REPO, run_cli, tree_bytes, write_site

from toasoan import patch as patching
from toasoan import pipeline, urls
from toasoan import serve as serve_module
from toasoan.pipeline import BuildOptions, Warm, build

SITE = """\
-- content/pages/gioi-thieu.md --
---
title: Giới thiệu
---

Bản đầu tiên.
"""
PAGE = "content/pages/gioi-thieu.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def _ask(port: int, path: str, method: str = "GET", host: str | None = None) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers={"Host": host or f"127.0.0.1:{port}"})
        response = conn.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


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


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    tmp: Path

    def get(self, path: str) -> Answer:
        return _ask(self.port, path)

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=20)


def _start(site: Path, tmp_path: Path, port: int | None = None, env: dict[str, str] | None = None) -> Server:
    """Run `build.py serve` with its own TMPDIR and its stderr in a file the test can read."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    log = tmp_path / "serve.log"
    port = port or _free_port()
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, str(BUILD), "serve", "--site", str(site), "--port", str(port)],
            stderr=stderr, env={**os.environ, "TMPDIR": str(tmp), **(env or {})},
        )
    return Server(proc, port, log, tmp)


def _answering(server: Server) -> None:
    _wait_for(lambda: server.proc.poll() is None and server.get("/__toasoan_version").status == 200)


@pytest.fixture
def running(site: Path, tmp_path: Path) -> Iterator[Server]:
    write_site(site, SITE)
    server = _start(site, tmp_path)
    try:
        _answering(server)
        yield server
    finally:
        server.stop()


def test_serve_rebuilds_on_save_and_keeps_last_good_build(running: Server, site: Path) -> None:
    page = running.get("/gioi-thieu/")
    assert page.status == 200 and "Bản đầu tiên." in page.text
    assert "new EventSource('/__toasoan_events')" in page.text  # the reload script is injected
    assert "/__toasoan_version" not in page.text  # and it does not poll
    assert running.get("/khong-co/").status == 404
    version = running.get("/__toasoan_version").text
    (site / PAGE).write_text("---\ntitle: Giới thiệu\n---\n\nBản thứ hai.\n", encoding="utf-8")
    _wait_for(lambda: "Bản thứ hai." in running.get("/gioi-thieu/").text)
    _wait_for(lambda: running.get("/__toasoan_version").text != version)  # bumped just after the swap
    changed = running.get("/__toasoan_version").text
    time.sleep(1)  # reading files during the rebuild must not trigger another one
    assert running.get("/__toasoan_version").text == changed
    (site / PAGE).write_text("---\ntitle: ''\n---\n\nHỏng.\n", encoding="utf-8")
    _wait_for(lambda: "thay cho mọi trang" in running.stderr())
    assert f"{PAGE}:2: " in running.stderr()


def test_while_the_content_has_errors_every_page_is_the_error_page(running: Server, site: Path) -> None:
    first = running.get("/gioi-thieu/").text
    assert "Bản đầu tiên." in first
    found = re.search(r'href="(/css/site\.[0-9a-f]+\.css)"', first)
    assert found is not None
    css_url = found.group(1)  # the style sheet's content-hashed name
    css = running.get(css_url)
    assert css.status == 200
    (site / PAGE).write_text("---\ntitle: ''\n---\n\nHỏng.\n", encoding="utf-8")
    _wait_for(lambda: running.get("/gioi-thieu/").status == 500)
    for path in ("/gioi-thieu/", "/", "/khong-co/", "/gioi-thieu/index.html"):
        page = running.get(path)
        assert page.status == 500 and page.headers["content-type"] == "text/html; charset=utf-8", path
        assert "Không dựng được trang" in page.text and f"{PAGE}:2: " in page.text, path
        assert "Bản đầu tiên." not in page.text  # never the stale page
        assert "new EventSource('/__toasoan_events')" in page.text  # it comes back by itself
    assert running.get(css_url).body == css.body  # the last build's files are still served
    (site / PAGE).write_text("---\ntitle: Giới thiệu\n---\n\nĐã sửa.\n", encoding="utf-8")
    _wait_for(lambda: running.get("/gioi-thieu/").status == 200)
    assert "Đã sửa." in running.get("/gioi-thieu/").text and running.get("/").status == 200


def test_a_failed_first_build_shows_the_errors_until_a_save_fixes_them(site: Path, tmp_path: Path) -> None:
    write_site(site, SITE.replace("title: Giới thiệu", "title: ''"))
    server = _start(site, tmp_path)
    try:
        _wait_for(lambda: server.proc.poll() is None and server.get("/gioi-thieu/").status == 500)
        page = server.get("/gioi-thieu/")
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "Không dựng được trang" in page.text and f"{PAGE}:2: " in page.text
        assert "/__toasoan_events" in page.text  # it reloads itself once a save fixes the error
        version = server.get("/__toasoan_version").text
        write_site(site, SITE)
        _wait_for(lambda: "Bản đầu tiên." in server.get("/gioi-thieu/").text)
        assert server.get("/gioi-thieu/").status == 200
        _wait_for(lambda: server.get("/__toasoan_version").text != version)
    finally:
        server.stop()
    assert "Traceback" not in server.stderr()


def test_a_file_system_error_while_rebuilding_is_reported_and_the_last_build_kept(site: Path, tmp_path: Path) -> None:
    write_site(site, SITE)
    server = _start(site, tmp_path)
    try:
        _answering(server)
        assert "Bản đầu tiên." in server.get("/gioi-thieu/").text
        # The output's lock file becomes a folder: the next build cannot open it (EISDIR).
        lock = next(server.tmp.glob("toasoan-serve-*/.public.lock"))
        lock.unlink()
        lock.mkdir()
        (site / PAGE).write_text((site / PAGE).read_text(encoding="utf-8").replace("đầu tiên", "thứ hai"), encoding="utf-8")
        _wait_for(lambda: "lỗi hệ thống tệp" in server.stderr())
        assert server.proc.poll() is None
        failed = server.get("/gioi-thieu/")
        assert failed.status == 500 and "lỗi hệ thống tệp" in failed.text
        assert "Traceback" not in server.stderr()
        lock.rmdir()  # put right, the next save builds again
        (site / PAGE).write_text((site / PAGE).read_text(encoding="utf-8") + "\nThêm.\n", encoding="utf-8")
        _wait_for(lambda: "Bản thứ hai." in server.get("/gioi-thieu/").text)
    finally:
        server.stop()


def test_an_unexpected_error_while_rebuilding_is_one_line_and_the_last_build_kept(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(options: BuildOptions, **_: object) -> None:
        raise RuntimeError("hỏng\nở dòng thứ hai")

    monkeypatch.setattr(serve_module, "build", broken)
    state = serve_module._State()
    state.built = True
    serve_module._rebuild(BuildOptions(site_dir=tmp_path, output=tmp_path / "out"), state, Warm())
    err = capsys.readouterr().err
    assert "lỗi không mong đợi" in err and "RuntimeError: hỏng ở dòng thứ hai" in err
    assert "Traceback" not in err
    # The last good build's files stay; the open pages reload into the error page.
    assert state.built and state.version == 1
    assert "RuntimeError: hỏng ở dòng thứ hai" in state.problems[0]


def test_sigterm_removes_the_temporary_folder(running: Server) -> None:
    assert [p.name for p in running.tmp.iterdir()][0].startswith("toasoan-serve-")
    running.proc.send_signal(signal.SIGTERM)
    assert running.proc.wait(timeout=20) == 0
    assert list(running.tmp.iterdir()) == []
    assert "Traceback" not in running.stderr()


def test_a_port_in_use_is_reported_as_such(site: Path, tmp_path: Path) -> None:
    write_site(site, SITE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = _start(site, tmp_path, port=taken.getsockname()[1])
        code = server.proc.wait(timeout=30)
    assert code == 2
    assert f"cổng {server.port} đang được dùng: chọn cổng khác bằng --port" in server.stderr()
    assert "hệ thống tệp" not in server.stderr()
    assert list(server.tmp.iterdir()) == []


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "localhost", ""])
def test_other_host_names_get_nothing(running: Server, host: str) -> None:
    for method in ("GET", "HEAD"):
        answer = _ask(running.port, "/gioi-thieu/", method, host=host.format(port=running.port) or " ")
        assert answer.status == 421 and answer.body == b"" and answer.headers["content-length"] == "0"
    assert _ask(running.port, "/__toasoan_version", host="evil.example").status == 421


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_own_host_names_are_answered(running: Server, host: str) -> None:
    assert "Bản đầu tiên." in _ask(running.port, "/gioi-thieu/", host=host.format(port=running.port)).text


@pytest.mark.parametrize("path", ["/gioi-thieu/", "/khong-co/", "/__toasoan_version", "/css/", "/favicon.svg", "/khong-co.css"])
def test_head_and_get_agree(running: Server, path: str) -> None:
    get, head = running.get(path), _ask(running.port, path, "HEAD")
    assert head.status == get.status
    assert head.body == b""
    for name in ("content-type", "content-length"):
        assert head.headers.get(name) == get.headers.get(name), name
    assert int(get.headers["content-length"]) == len(get.body)


def test_a_port_out_of_range_is_a_usage_error(site: Path) -> None:
    write_site(site, SITE)
    run = run_cli("serve", "--site", site, "--port", "70000")
    assert run.code == 2 and "cần một số cổng từ 1 đến 65535" in run.stderr
    assert "Traceback" not in run.stderr


class Events:
    """An open `/__toasoan_events` stream, read one event at a time."""

    def __init__(self, port: int, host: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.conn.request("GET", "/__toasoan_events", headers={"Host": host or f"127.0.0.1:{port}"})
        self.response = self.conn.getresponse()

    def next(self) -> dict[str, object]:
        """The next `data:` event (comments skipped); the socket timeout bounds the wait."""
        while True:
            line = self.response.fp.readline()
            if not line:
                raise EOFError("the stream ended")
            if line.startswith(b"data: "):
                assert self.response.fp.readline() == b"\n"
                message = json.loads(line[len(b"data: "):])
                assert isinstance(message, dict)
                return message

    def close(self) -> None:
        self.conn.close()


def test_a_finished_build_is_pushed_to_the_open_pages(running: Server, site: Path) -> None:
    events = Events(running.port)
    try:
        assert events.response.status == 200
        assert events.response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
        first = events.next()  # at once: the version the pages were served with
        assert first == {"version": running.get("/__toasoan_version").text, "problems": []}
        assert f'var v="{first["version"]}"' in running.get("/gioi-thieu/").text
        (site / PAGE).write_text("---\ntitle: Giới thiệu\n---\n\nBản thứ hai.\n", encoding="utf-8")
        second = events.next()
        assert second["version"] != first["version"] and second["problems"] == []
        assert "Bản thứ hai." in running.get("/gioi-thieu/").text  # pushed once the new build is served
        # A failed rebuild: a new version (the pages reload into the error page), its problems pushed.
        (site / PAGE).write_text("---\ntitle: ''\n---\n\nHỏng.\n", encoding="utf-8")
        third = events.next()
        assert third["version"] != second["version"]
        problems = third["problems"]
        assert isinstance(problems, list) and any(p.startswith(f"{PAGE}:2: ") for p in problems)
        (site / PAGE).write_text("---\ntitle: Giới thiệu\n---\n\nBản thứ ba.\n", encoding="utf-8")
        fourth = events.next()
        assert fourth["version"] not in (second["version"], third["version"]) and fourth["problems"] == []
    finally:
        events.close()


def test_the_event_stream_answers_only_its_own_host_and_head_sends_its_headers(running: Server) -> None:
    assert _ask(running.port, "/__toasoan_events", host="evil.example").status == 421
    assert _ask(running.port, "/__toasoan_events", "HEAD", host="evil.example").status == 421
    head = _ask(running.port, "/__toasoan_events", "HEAD")
    events = Events(running.port)
    try:
        assert head.status == events.response.status == 200
        assert head.body == b""
        for name in ("content-type", "cache-control", "content-length"):
            assert head.headers.get(name) == events.response.getheader(name), name
    finally:
        events.close()


def test_sigterm_stops_promptly_with_open_event_streams(running: Server) -> None:
    streams = [Events(running.port) for _ in range(3)]
    try:
        for stream in streams:
            stream.next()
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=20) == 0
        for stream in streams:
            with pytest.raises((EOFError, ConnectionError)):
                stream.next()  # the server ended the stream
    finally:
        for stream in streams:
            stream.close()
    assert list(running.tmp.iterdir()) == []
    assert "Traceback" not in running.stderr()


ARTICLE_SITE = """\
-- content/articles/bai.md --
---
title: Bài để xem trước
date: 2023-06-07 15:30
category: thoi-su
summary: Sapo của bài để xem trước.
---

Đoạn thứ nhất.
"""


def test_a_body_save_is_shown_at_once_from_memory_then_by_the_full_build(site: Path, tmp_path: Path) -> None:
    """A save that changes only an article's body is answered from memory (the quick page) as
    soon as it is made; the full build that follows writes the same page."""
    write_site(site, ARTICLE_SITE)
    server = _start(site, tmp_path)
    try:
        _answering(server)
        url = "/2023/06/bai/"
        _wait_for(lambda: "Đoạn thứ nhất." in server.get(url).text)
        article = site / "content/articles/bai.md"
        article.write_text(article.read_text(encoding="utf-8") + "\nĐoạn viết thêm khi xem trước.\n", encoding="utf-8")
        _wait_for(lambda: "Đoạn viết thêm khi xem trước." in server.get(url).text)
        _wait_for(lambda: "Đã dựng nhanh /2023/06/bai/" in server.stderr())
        _wait_for(lambda: server.stderr().count("Đã dựng lại") >= 2)  # the full build followed
        served = server.get(url + "index.html").text
        built = next(server.tmp.glob("toasoan-serve-*/public/2023/06/bai/index.html")).read_text(encoding="utf-8")
        assert "Đoạn viết thêm khi xem trước." in built
        assert served.split("<script>(function(){var v=")[0] == built.split("</body>")[0]
    finally:
        server.stop()


@contextmanager
def _full_builds_held(server: Server) -> Iterator[None]:
    """Hold the output's build lock: a full build started meanwhile waits for it, so what the
    server answers until then is made without any full build."""
    lock = next(server.tmp.glob("toasoan-serve-*/.public.lock"))  # left by the first build
    with open(lock, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def _without_reload(served: bytes) -> bytes:
    """The page as written, without the reload script `serve` adds before `</body>`."""
    return re.sub(rb"<script>\(function\(\)\{var v=.*?</script>(?=</body>)", b"", served, count=1, flags=re.S)


def _full_builds(server: Server) -> int:
    return server.stderr().count("Đã dựng lại")


MARK = '<p id="mau-moi">Mẫu trang mới</p>'
TEMPLATE_SITE = ARTICLE_SITE + """\
-- content/articles/bai-hai.md --
---
title: Bài thứ hai
date: 2023-06-08 09:00
category: kinh-te
summary: Sapo bài thứ hai.
---

Nội dung bài thứ hai.
"""


def _serve_with_own_base(site: Path, tmp_path: Path, env: dict[str, str] | None = None) -> tuple[Server, Path, str]:
    """`serve` on a site with its own copy of the theme's base.html."""
    write_site(site, TEMPLATE_SITE)
    base = site / "templates/base.html"
    base.parent.mkdir()
    original = (REPO / "templates/base.html").read_text(encoding="utf-8")
    base.write_text(original, encoding="utf-8")
    server = _start(site, tmp_path, env=env)
    _answering(server)
    return server, base, original


def test_a_template_save_is_shown_at_once_from_memory_then_by_the_full_build(site: Path, tmp_path: Path) -> None:
    """With the full build held back, a template save already changes every page (and the 404
    answer), made on demand from the kept plan; a body saved after it is shown with the new
    template too; each of these pages is byte for byte what the full build then writes."""
    server, base, original = _serve_with_own_base(site, tmp_path)
    try:
        addresses = ["/", "/2023/06/bai/", "/2023/06/bai-hai/", "/chuyen-muc/thoi-su/", "/404.html"]
        for url in addresses:
            answer = server.get(url)
            assert answer.status == 200 and MARK not in answer.text, url
        version = server.get("/__toasoan_version").text
        article = site / "content/articles/bai.md"
        with _full_builds_held(server):
            base.write_text(original.replace("</main>", "</main>" + MARK, 1), encoding="utf-8")
            _wait_for(lambda: MARK in server.get("/").text)
            assert server.get("/__toasoan_version").text != version  # the open pages were told
            quick = {url: server.get(url) for url in addresses}
            missing = server.get("/khong-co/")
            article.write_text(article.read_text(encoding="utf-8") + "\nĐoạn viết sau khi đổi mẫu.\n", encoding="utf-8")
            _wait_for(lambda: "Đoạn viết sau khi đổi mẫu." in server.get("/2023/06/bai/").text)
            quick["/2023/06/bai/"] = server.get("/2023/06/bai/index.html")
            assert _full_builds(server) == 1  # all of it without a full build
            assert "Đã đọc lại mẫu trang" in server.stderr()
        assert missing.status == 404 and MARK in missing.text
        out = next(server.tmp.glob("toasoan-serve-*/public"))
        _wait_for(lambda: "Đoạn viết sau khi đổi mẫu." in (out / "2023/06/bai/index.html").read_text(encoding="utf-8"))
        for url, answer in quick.items():
            assert answer.status == 200 and MARK in answer.text, url
            assert _without_reload(answer.body) == (out / urls.output_file(url)).read_bytes(), url
        assert _without_reload(missing.body) == (out / "404.html").read_bytes()
    finally:
        server.stop()


def test_a_template_that_does_not_compile_gets_no_quick_page_and_the_full_build_s_errors_follow(site: Path, tmp_path: Path) -> None:
    server, base, original = _serve_with_own_base(site, tmp_path)
    try:
        with _full_builds_held(server):
            base.write_text(original.replace("</main>", "</main>" + MARK, 1), encoding="utf-8")
            _wait_for(lambda: MARK in server.get("/").text)
            base.write_text(original.replace("</main>", "</main>{% if %}", 1), encoding="utf-8")
            _wait_for(lambda: "Mẫu trang vừa lưu có lỗi" in server.stderr())
            # Neither the broken template nor the one before it: the last full build's page.
            page = server.get("/")
            assert page.status == 200 and MARK not in page.text and "toasoan-problems" not in page.text
            assert _full_builds(server) == 1
        _wait_for(lambda: server.get("/").status == 500)
        assert "templates/base.html:" in server.get("/").text and "toasoan-problems" in server.get("/").text
    finally:
        server.stop()


def test_a_template_save_after_another_kind_of_save_waits_for_the_full_build(site: Path, tmp_path: Path) -> None:
    """A config edit reaches pages the kept plan does not know: the template save that follows
    is read, but the pages wait for the full build (which shows both)."""
    server, base, original = _serve_with_own_base(site, tmp_path)
    try:
        config = site / "site_config.yaml"
        with _full_builds_held(server):
            config.write_text(config.read_text(encoding="utf-8").replace("Báo Thử Nghiệm", "Báo Đã Đổi Tên"), encoding="utf-8")
            base.write_text(original.replace("</main>", "</main>" + MARK, 1), encoding="utf-8")
            _wait_for(lambda: "Đã đọc lại mẫu trang" in server.stderr())
            page = server.get("/")
            assert MARK not in page.text and "Báo Thử Nghiệm" in page.text
            assert _full_builds(server) == 1
        _wait_for(lambda: MARK in server.get("/").text)
        assert "Báo Đã Đổi Tên" in server.get("/").text
    finally:
        server.stop()


DRAFTS = """\
-- content/articles/2026/12/hen-gio.md --
---
title: Bài hẹn giờ
slug: hen-gio
date: 2026-12-05 09:00
category: thoi-su
---

Đăng sau.
-- content/articles/2026/01/ban-nhap.md --
---
title: Bài nháp
slug: ban-nhap
date: 2026-01-05 09:00
category: thoi-su
draft: true
---

Chưa xong.
-- content/articles/2026/01/da-dang.md --
---
title: Bài đã đăng
slug: da-dang
date: 2026-01-04 09:00
category: thoi-su
---

Đã đăng.
"""
NOW = {"SOURCE_DATE_EPOCH": "1780000000"}  # 2026-05-28: the December article is scheduled


def test_serve_shows_drafts_and_scheduled_articles_marked_and_a_build_never_does(site: Path, tmp_path: Path) -> None:
    write_site(site, DRAFTS)
    server = _start(site, tmp_path, env=NOW)
    try:
        _answering(server)
        draft, scheduled = server.get("/2026/01/ban-nhap/"), server.get("/2026/12/hen-gio/")
        assert draft.status == 200 and '<p class="unpublished" role="note">Bản nháp</p>' in draft.text
        assert scheduled.status == 200 and '<p class="unpublished" role="note">Hẹn giờ đăng 05/12/2026 09:00</p>' in scheduled.text
        published = server.get("/2026/01/da-dang/")
        assert published.status == 200 and 'class="unpublished"' not in published.text
    finally:
        server.stop()
    # The real build, sharing the build cache the preview filled: no draft, no mark anywhere.
    run = run_cli("--site", site, env=NOW)
    assert run.code == 0, run.stderr
    out = site / "public"
    assert not (out / "2026/01/ban-nhap").exists() and not (out / "2026/12/hen-gio").exists()
    pages = [p.read_text(encoding="utf-8") for p in out.rglob("*.html")]
    assert pages and not [p for p in pages if "Bản nháp" in p or "Hẹn giờ đăng" in p or 'class="unpublished"' in p]
    # `build --drafts` is a review copy, never the paper: it marks them too.
    review = tmp_path / "review"
    run = run_cli("--site", site, "--output", review, "--drafts", env=NOW)
    assert run.code == 0, run.stderr
    assert "Bản nháp" in (review / "2026/01/ban-nhap/index.html").read_text(encoding="utf-8")
    assert 'class="unpublished"' not in (review / "2026/01/da-dang/index.html").read_text(encoding="utf-8")


def test_a_renamed_article_s_old_address_redirects_to_its_new_one(site: Path, tmp_path: Path) -> None:
    write_site(site, DRAFTS)
    server = _start(site, tmp_path, env=NOW)
    try:
        _answering(server)
        assert server.get("/2026/01/da-dang/").status == 200
        article = site / "content/articles/2026/01/da-dang.md"
        version = server.get("/__toasoan_version").text
        article.write_text(article.read_text(encoding="utf-8").replace("slug: da-dang", "slug: bai-da-dang"), encoding="utf-8")
        # The version changes once the new build is served and its addresses known.
        _wait_for(lambda: server.get("/__toasoan_version").text != version)
        assert server.get("/2026/01/bai-da-dang/").status == 200
        for old in ("/2026/01/da-dang/", "/2026/01/da-dang", "/2026/01/da-dang/index.html"):
            moved = server.get(old)
            assert moved.status == 302 and moved.headers["location"] == "/2026/01/bai-da-dang/", old
        assert server.get("/2026/01/khong-co/").status == 404  # an address nothing was ever published at
        # Renamed back: the newer address now redirects to the first one.
        version = server.get("/__toasoan_version").text
        article.write_text(article.read_text(encoding="utf-8").replace("slug: bai-da-dang", "slug: da-dang"), encoding="utf-8")
        _wait_for(lambda: server.get("/__toasoan_version").text != version)
        assert server.get("/2026/01/da-dang/").status == 200
        assert server.get("/2026/01/bai-da-dang/").headers["location"] == "/2026/01/da-dang/"
    finally:
        server.stop()


def test_a_theme_folder_made_while_serving_is_watched(running: Server, site: Path) -> None:
    """`serve` watches content/, templates/ and static/ (not the cache, whose writes overflowed
    the kernel's event queue on a big site): a templates/ folder made later is watched too."""
    assert not (site / "templates").exists()
    assert "Bản đầu tiên." in running.get("/gioi-thieu/").text
    (site / "templates").mkdir()
    template = site / "templates/page.html"
    template.write_text('{% extends "base.html" %}{% block content %}<p>Mẫu riêng một</p>{% endblock %}\n', encoding="utf-8")
    _wait_for(lambda: "Mẫu riêng một" in running.get("/gioi-thieu/").text)
    template.write_text('{% extends "base.html" %}{% block content %}<p>Mẫu riêng hai</p>{% endblock %}\n', encoding="utf-8")
    _wait_for(lambda: "Mẫu riêng hai" in running.get("/gioi-thieu/").text)


def test_a_page_without_a_body_end_still_gets_the_reload_script() -> None:
    """A template may leave out `</body>` (or be read half-written just after a save): the page
    must still reload when the next version comes, or the open tab stays stuck on it."""
    assert serve_module._with_reload(b"<p>x</p>", "run.1") == b"<p>x</p>" + serve_module._RELOAD_SCRIPT.replace("__VERSION__", '"run.1"').encode()
    assert serve_module._with_reload(b"<body>x</body></body>", "v").count(b"<script>") == 1


def _clean_drafts_build(site: Path, work: Path, env: dict[str, str]) -> dict[str, bytes]:
    """What a clean build of the site as it is now writes, with drafts as `serve` builds."""
    copy = work / "sach"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache"))
    build(BuildOptions(site_dir=copy, output=copy / "public", drafts=True, environ=env))
    return tree_bytes(copy / "public")


def test_saves_patch_the_output_as_a_clean_build_writes_it_and_quick_pages_follow(site: Path, tmp_path: Path) -> None:
    """After a save of an article's body, then of its title, `serve` patches the last output
    (from the snapshot it keeps in memory) instead of building everything again: each time the
    output it wrote is a clean build's, byte for byte. The plan it keeps follows the patches: a
    template save then makes every page again from it (the new title on the lists), and a body
    saved next is shown at once; all are the pages the next build writes."""
    env = {"SOURCE_DATE_EPOCH": "1790000000"}
    server, base, original = _serve_with_own_base(site, tmp_path, env)
    try:
        out = next(server.tmp.glob("toasoan-serve-*/public"))
        page = out / "2023/06/bai/index.html"
        article = site / "content/articles/bai.md"

        def saved(old: str, new: str, builds: int) -> None:
            article.write_text(article.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
            _wait_for(lambda: new.rsplit(": ", maxsplit=1)[-1] in page.read_text(encoding="utf-8"))  # the written output
            _wait_for(lambda: _full_builds(server) >= builds)  # and the server's word that it is done

        saved("Đoạn thứ nhất.", "Đoạn thứ nhất, đã sửa.", 2)
        saved("title: Bài để xem trước", "title: Bài đã đổi tên", 3)
        assert server.stderr().count("(vá bản trước:") == 2
        assert tree_bytes(out) == _clean_drafts_build(site, tmp_path, env)

        with _full_builds_held(server):
            base.write_text(original.replace("</main>", "</main>" + MARK, 1), encoding="utf-8")
            _wait_for(lambda: MARK in server.get("/").text)
            quick = {url: server.get(url) for url in ("/", "/chuyen-muc/thoi-su/")}
            article.write_text(article.read_text(encoding="utf-8") + "\nĐoạn viết sau khi vá.\n", encoding="utf-8")
            _wait_for(lambda: "Đoạn viết sau khi vá." in server.get("/2023/06/bai/").text)
            quick["/2023/06/bai/"] = server.get("/2023/06/bai/index.html")
            assert _full_builds(server) == 3  # all of it without another build
        assert "Bài đã đổi tên" in quick["/"].text and "Đoạn viết sau khi vá." in quick["/2023/06/bai/"].text
        _wait_for(lambda: MARK in page.read_text(encoding="utf-8") and "Đoạn viết sau khi vá." in page.read_text(encoding="utf-8"))
        _wait_for(lambda: _full_builds(server) >= 4)
        for url, answer in quick.items():
            assert answer.status == 200 and MARK in answer.text, url
            assert _without_reload(answer.body) == (out / urls.output_file(url)).read_bytes(), url
        assert tree_bytes(out) == _clean_drafts_build(site, tmp_path, env)
    finally:
        server.stop()


def test_a_build_waits_for_the_quick_pages_and_a_page_s_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build (which holds the interpreter for long stretches) starts once the quick thread has
    made the pages of the saves it follows and an open page told of them has reloaded; with no
    page open, or nothing quick pending, at once."""
    state = serve_module._State()
    serve_module._pages_first(state, wait=3600)  # nothing pending: returns at once

    def waiting() -> threading.Thread:
        thread = threading.Thread(target=serve_module._pages_first, args=(state, 3600), daemon=True)
        thread.start()
        thread.join(0.2)
        assert thread.is_alive()  # still waiting (it can only return early by a fault)
        return thread

    with state.lock:
        state.quick_busy = True
    thread = waiting()
    with state.changed:
        state.quick_busy = False
        state.bump()  # the quick page made: the open pages are told
    state.streamed(state.message(), first=False)  # a page was sent the new version: it reloads
    thread.join(0.2)
    assert thread.is_alive()  # not before that page reloaded
    state.streamed(state.message(), first=True)  # that page, reloaded, listens again
    thread.join(10)
    assert not thread.is_alive()
    with state.changed:
        state.bump()
    serve_module._pages_first(state, wait=3600)  # no page was told of this version: at once


def test_what_a_build_leaves_is_kept_off_the_collector_until_a_full_build_replaces_it() -> None:
    """After a build the objects alive (the plan, the snapshot) are frozen: a patch's collections
    do not walk them. A full build, which replaces the plan, collects the cycles among them."""

    class Node:
        loop: Node | None = None

    node = Node()
    node.loop = node  # a cycle, as a template environment holds
    gone = weakref.ref(node)
    try:
        serve_module._keep_off_collector(full=False)
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert gone() is not None  # frozen: left alone by the collector
        serve_module._keep_off_collector(full=True)
        assert gone() is None
    finally:
        gc.unfreeze()


def _pages_at_each_version(server: Server, url: str, seen: list[str], stop: threading.Event) -> threading.Thread:
    """A page left open: at each version pushed, `url` is asked again and its text kept in `seen`."""

    def follow() -> None:
        events = Events(server.port)
        try:
            while not stop.is_set():
                events.next()
                seen.append(server.get(url).text)
        except (OSError, EOFError, http.client.HTTPException):
            pass
        finally:
            events.close()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    return thread


def test_an_article_saved_in_place_is_shown_only_once_its_save_is_whole(site: Path, tmp_path: Path) -> None:
    """Editors' tools often save in place: truncate the file, then write it, maybe in several
    writes. Until the file is closed nothing is made from it: no page cut in the middle of its
    body (nor an error the cut would make), neither quick nor built; then the whole save is shown,
    and the output is a clean build's."""
    env = {"SOURCE_DATE_EPOCH": "1790000000"}
    write_site(site, TEMPLATE_SITE)
    server = _start(site, tmp_path, env=env)
    seen: list[str] = []
    stop = threading.Event()
    try:
        _answering(server)
        url = "/2023/06/bai/"
        _wait_for(lambda: "Đoạn thứ nhất." in server.get(url).text)
        follower = _pages_at_each_version(server, url, seen, stop)
        article, other = site / "content/articles/bai.md", site / "content/articles/bai-hai.md"
        whole = article.read_text(encoding="utf-8") + "\nĐoạn mới, viết một nửa rồi mới xong.\n"
        cut = whole.index("một nửa")
        with open(article, "w", encoding="utf-8") as saving:
            saving.write(whole[:cut])
            saving.flush()  # the first half is in the file; the editor is still writing
            # Another article saved whole meanwhile: once its quick page is served, the watcher has
            # passed the half-written file's events too (they came first).
            other.write_text(other.read_text(encoding="utf-8").replace("Nội dung bài thứ hai.", "Nội dung bài thứ hai, đã sửa."), encoding="utf-8")
            _wait_for(lambda: "bài thứ hai, đã sửa." in server.get("/2023/06/bai-hai/").text)
            assert "Đã dựng nhanh /2023/06/bai-hai/" in server.stderr()  # a quick page: no build came between
            page = server.get(url)
            assert page.status == 200 and "Đoạn thứ nhất." in page.text
            assert "Đoạn mới" not in page.text  # not the half-written save
            saving.write(whole[cut:])
        _wait_for(lambda: "một nửa rồi mới xong." in server.get(url).text)
        out = next(server.tmp.glob("toasoan-serve-*/public"))
        _wait_for(lambda: "một nửa rồi mới xong." in (out / "2023/06/bai/index.html").read_text(encoding="utf-8"))
        _wait_for(lambda: "bài thứ hai, đã sửa." in (out / "2023/06/bai-hai/index.html").read_text(encoding="utf-8"))
        stop.set()
        assert [text for text in seen if "Đoạn mới" in text and "rồi mới xong." not in text] == []
        assert not [text for text in seen if "toasoan-problems" in text]
        assert tree_bytes(out) == _clean_drafts_build(site, tmp_path, env)
        server.stop()
        follower.join(10)
    finally:
        stop.set()
        server.stop()


def test_a_file_written_is_a_save_once_closed_or_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher's events for one file written in place: its writes are no save (nothing
    reads it), its close is; without a close (a writer that keeps it open, or a watcher that
    tells no closes) it is a save once nothing was written to it for a while."""
    from watchdog.events import FileClosedEvent, FileDeletedEvent, FileModifiedEvent

    site = tmp_path / "site"
    article = site / "content/articles/bai.md"
    article.parent.mkdir(parents=True)
    article.write_text("x", encoding="utf-8")
    state = serve_module._State()
    changes = serve_module._Changes(site, tmp_path / "out", state, lambda folder: None)
    changes.dispatch(FileModifiedEvent(str(article)))
    changes.dispatch(FileModifiedEvent(str(article)))
    assert state.saves == 0 and not state.dirty.is_set() and article in state.writing
    changes.dispatch(FileClosedEvent(str(article)))
    assert state.saves == 1 and state.saved == [article] and state.dirty.is_set() and not state.writing
    changes.dispatch(FileModifiedEvent(str(article)))
    changes.dispatch(FileDeletedEvent(str(article)))  # gone before its close: a save at once
    assert state.saves == 2 and not state.writing

    monkeypatch.setattr(serve_module, "WRITE_WAIT", 0.2)
    for closes in (True, False):
        state = serve_module._State()
        changes = serve_module._Changes(site, tmp_path / "out", state, lambda folder: None, closes=closes)
        changes.dispatch(FileModifiedEvent(str(article)))
        assert state.saves == 0
        _wait_for(lambda state=state: state.saves == 1)  # QUIET, or WRITE_WAIT without the close
        assert state.saved == [article] and not state.writing


def test_a_build_waits_for_the_files_being_written(tmp_path: Path) -> None:
    """A build does not start while a watched file is half-written: it waits for the close."""
    from watchdog.events import FileClosedEvent, FileModifiedEvent

    site = tmp_path / "site"
    article = site / "content/articles/bai.md"
    state = serve_module._State()
    changes = serve_module._Changes(site, tmp_path / "out", state, lambda folder: None)
    serve_module._writes_done(state, wait=3600)  # nothing being written: at once
    changes.dispatch(FileModifiedEvent(str(article)))
    waiting = threading.Thread(target=serve_module._writes_done, args=(state, 3600), daemon=True)
    waiting.start()
    waiting.join(0.2)
    assert waiting.is_alive()  # still waiting (it can only return early by a fault)
    changes.dispatch(FileClosedEvent(str(article)))
    waiting.join(10)
    assert not waiting.is_alive()


def test_a_failed_build_overtaken_by_a_save_shows_no_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A build that read a file saved (or being written) meanwhile may have read it half-written:
    its errors are not pushed to the open pages; the build that follows tells."""
    from toasoan.errors import BuildFailed, error

    state = serve_module._State()
    state.built = True

    def failing(options: BuildOptions, **_: object) -> None:
        with state.lock:
            state.saves += 1  # a save while it built
        raise BuildFailed([error("content/articles/bai.md", 1, "hỏng")])

    monkeypatch.setattr(serve_module, "build", failing)
    serve_module._rebuild(BuildOptions(site_dir=tmp_path, output=tmp_path / "out"), state, Warm())
    assert state.problems == () and state.version == 0
    with state.lock:
        state.writing[tmp_path / "bai.md"] = 0.0  # being written when it ended
    monkeypatch.setattr(serve_module, "build", lambda options, **_: (_ for _ in ()).throw(BuildFailed([error("a.md", 1, "hỏng")])))
    serve_module._rebuild(BuildOptions(site_dir=tmp_path, output=tmp_path / "out"), state, Warm())
    assert state.problems == () and state.version == 0
    with state.lock:
        state.writing.clear()
    serve_module._rebuild(BuildOptions(site_dir=tmp_path, output=tmp_path / "out"), state, Warm())
    assert state.problems and state.version == 1  # nothing came meanwhile: the errors are shown


def test_a_theme_outside_the_site_is_watched(site: Path, tmp_path: Path) -> None:
    """The theme a site uses may live outside it (the installed package's, or a source checkout's
    when the site is elsewhere): a save of its templates is shown at once too, then built."""
    write_site(site, TEMPLATE_SITE)
    theme = tmp_path / "theme"
    for name in ("templates", "static"):
        shutil.copytree(REPO / name, theme / name)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    log = tmp_path / "serve.log"
    port = _free_port()
    code = f"import sys; from pathlib import Path; from toasoan.serve import serve; sys.exit(serve(Path({str(site)!r}), {port}, theme_dir=Path({str(theme)!r})))"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", code], stderr=stderr, cwd=REPO, env={**os.environ, "TMPDIR": str(tmp)})
    server = Server(proc, port, log, tmp)
    try:
        _answering(server)
        assert MARK not in server.get("/2023/06/bai/").text
        base = theme / "templates/base.html"
        base.write_text(base.read_text(encoding="utf-8").replace("</main>", "</main>" + MARK, 1), encoding="utf-8")
        _wait_for(lambda: MARK in server.get("/2023/06/bai/").text)
        assert "Đã đọc lại mẫu trang" in server.stderr()  # shown from memory first
        out = next(server.tmp.glob("toasoan-serve-*/public"))
        _wait_for(lambda: MARK in (out / "2023/06/bai/index.html").read_text(encoding="utf-8"))  # then built
    finally:
        server.stop()


def test_stopping_removes_the_up_to_date_record_of_its_temporary_output(running: Server, site: Path) -> None:
    """Each run of `serve` builds into a new temporary folder: the up-to-date record (and any
    snapshot) its builds kept in the site's cache for that folder is no use once it stops."""
    (site / PAGE).write_text("---\ntitle: Giới thiệu\n---\n\nBản thứ hai.\n", encoding="utf-8")
    _wait_for(lambda: "Bản thứ hai." in running.get("/gioi-thieu/").text)
    kept = site / ".cache/build"
    _wait_for(lambda: any(kept.glob("*/last-output-*")))
    running.proc.send_signal(signal.SIGTERM)
    assert running.proc.wait(timeout=20) == 0
    assert [p.name for p in kept.glob("*/*") if p.name.startswith("last-output-")] == []
    assert list(running.tmp.iterdir()) == []


SAVES_SITE = ARTICLE_SITE + """\
-- content/articles/bai-hai.md --
---
title: Bài thứ hai
date: 2023-06-08 09:00
category: kinh-te
summary: Sapo bài thứ hai.
---

Nội dung bài thứ hai.
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("persist", [True, False], ids=["cli", "serve"])
def test_a_save_while_a_full_build_reads_the_site_leaves_a_patch_for_the_next_build(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, persist: bool,
) -> None:
    """A build hashes its inputs, then reads them. An article saved in between is read by the
    build as saved, and its record still names the file as hashed: the next build reads that
    file again and patches the output, even when it was saved back as it was hashed (a
    record taken as it stood would call the output up to date, showing the other save)."""
    env = {"SOURCE_DATE_EPOCH": "1790000000"}
    write_site(site, SAVES_SITE)
    article = site / "content/articles/bai.md"
    warm = Warm(persist=persist)
    options = BuildOptions(site_dir=site, output=tmp_path / "public", drafts=True, environ=env)
    original = pipeline.load_site

    def saved_first(*args: object, **kwargs: object) -> object:
        _edit(article, "Đoạn thứ nhất.", "Đoạn lưu trong lúc dựng.")  # after the inputs were hashed
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "load_site", saved_first)
    first = build(options, warm=warm)
    monkeypatch.setattr(pipeline, "load_site", original)
    assert not first.patched
    page = tmp_path / "public/2023/06/bai/index.html"
    assert "Đoạn lưu trong lúc dựng." in page.read_text(encoding="utf-8")
    _edit(article, "Đoạn lưu trong lúc dựng.", "Đoạn thứ nhất.")  # back as it was hashed
    second = build(options, warm=warm)
    assert second.patched and not second.up_to_date
    assert "Đoạn thứ nhất." in page.read_text(encoding="utf-8")
    assert tree_bytes(tmp_path / "public") == _clean_drafts_build(site, tmp_path, env)
    assert build(options, warm=warm).up_to_date  # and then the record stands again


@pytest.mark.parametrize("persist", [True, False], ids=["cli", "serve"])
def test_an_article_that_came_and_went_while_a_build_read_the_site_is_not_kept(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, persist: bool,
) -> None:
    """An article written after the inputs were hashed and removed before the build's end (an
    editor's new file deleted again) is read and published by the build, and no stat walk
    after it sees it: the record must not call that output up to date, and the next build
    gives the clean build's output, without the article's page."""
    env = {"SOURCE_DATE_EPOCH": "1790000000"}
    write_site(site, SAVES_SITE)
    ghost = site / "content/articles/bai-ma.md"
    warm = Warm(persist=persist)
    options = BuildOptions(site_dir=site, output=tmp_path / "public", drafts=True, environ=env)
    original = pipeline.load_site

    def came_and_went(*args: object, **kwargs: object) -> object:
        ghost.write_text(
            "---\ntitle: Bài chỉ có trong lúc dựng\ndate: 2023-06-09 08:00\ncategory: thoi-su\nsummary: Sapo.\n---\n\nNội dung.\n",
            encoding="utf-8",
        )
        try:
            return original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            ghost.unlink()

    monkeypatch.setattr(pipeline, "load_site", came_and_went)
    build(options, warm=warm)
    monkeypatch.setattr(pipeline, "load_site", original)
    assert (tmp_path / "public/2023/06/bai-ma/index.html").is_file()  # it was read and published
    second = build(options, warm=warm)
    assert not second.up_to_date
    assert not (tmp_path / "public/2023/06/bai-ma/index.html").exists()
    assert tree_bytes(tmp_path / "public") == _clean_drafts_build(site, tmp_path, env)
    assert build(options, warm=warm).up_to_date  # and then the record stands again


@pytest.mark.parametrize("persist", [True, False], ids=["cli", "serve"])
def test_a_save_while_a_patch_runs_leaves_a_patch_for_the_next_build(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, persist: bool,
) -> None:
    """`serve` patches after a save; another article saved while that patch runs is patched
    in by the build that follows, which writes what a clean build writes."""
    env = {"SOURCE_DATE_EPOCH": "1790000000"}
    write_site(site, SAVES_SITE)
    first, second = site / "content/articles/bai.md", site / "content/articles/bai-hai.md"
    warm = Warm(persist=persist)
    options = BuildOptions(site_dir=site, output=tmp_path / "public", drafts=True, environ=env)
    assert not build(options, warm=warm).patched
    original = patching._edited_articles

    def saved_meanwhile(*args: Any, **kwargs: Any) -> Any:
        made = original(*args, **kwargs)
        _edit(second, "Nội dung bài thứ hai.", "Nội dung lưu trong lúc vá.")
        return made

    monkeypatch.setattr(patching, "_edited_articles", saved_meanwhile)
    _edit(first, "Đoạn thứ nhất.", "Đoạn đã sửa.")
    assert build(options, warm=warm).patched
    monkeypatch.setattr(patching, "_edited_articles", original)
    assert "Nội dung bài thứ hai." in (tmp_path / "public/2023/06/bai-hai/index.html").read_text(encoding="utf-8")
    assert build(options, warm=warm).patched
    assert "Nội dung lưu trong lúc vá." in (tmp_path / "public/2023/06/bai-hai/index.html").read_text(encoding="utf-8")
    assert tree_bytes(tmp_path / "public") == _clean_drafts_build(site, tmp_path, env)


def test_a_quick_page_read_while_its_file_was_written_again_is_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick thread reads a saved article; when the file is written to while it reads (a new
    save beginning), that page is dropped and the file read again, never served half-way."""
    article = tmp_path / "site/content/articles/bai.md"
    article.parent.mkdir(parents=True)
    article.write_text("bản một", encoding="utf-8")
    reads: list[str] = []

    def preview(plan: object, path: Path, drafts: bool, env: object = None) -> tuple[str, bytes]:
        reads.append(path.read_text(encoding="utf-8"))
        if len(reads) == 1:
            path.write_text("bản hai, dài hơn", encoding="utf-8")  # saved again while it was read
        return "/bai/", reads[-1].encode()

    monkeypatch.setattr(serve_module, "preview_article", preview)
    state = serve_module._State()
    state.plan, state.built = object(), True  # type: ignore[assignment]
    with state.lock:
        state.saves = state.articles_pending = 1
        state.saved.append(article)
    state.wake_quick.set()
    quick = threading.Thread(target=serve_module._quick_pages, args=(BuildOptions(site_dir=tmp_path / "site"), state), daemon=True)
    quick.start()
    try:
        _wait_for(lambda: "/bai/" in state.quick)
        assert state.quick["/bai/"][1] == "bản hai, dài hơn".encode() and reads == ["bản một", "bản hai, dài hơn"]
    finally:
        state.stop()
        quick.join(10)
