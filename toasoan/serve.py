"""`serve`: build into a temporary folder, serve it on localhost, rebuild on save, reload the browser.

Every build failure is reported and the last good build stays served (until there is one, an
error page lists the problems). Only requests addressed to this server's own host name are
answered: a page on another site cannot read the drafts through DNS rebinding."""

from __future__ import annotations

import errno
import html
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import HTTPServer, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .errors import BuildFailed
from .pipeline import BuildOptions, build
from .writer import OutputRefused

DEBOUNCE = 0.1
EXIT_OK, EXIT_USAGE = 0, 2
VERSION_PATH = "/__toasoan_version"
_RELOAD_SCRIPT = (
    b"<script>(function(){var v=null;setInterval(function(){fetch('/__toasoan_version').then(function(r){return r.text()})"
    b".then(function(t){if(v===null){v=t}else if(t!==v){location.reload()}}).catch(function(){})},700)})()</script>"
)
_HTML = "text/html; charset=utf-8"
_CHANGES = {"created", "modified", "deleted", "moved", "closed"}
_WATCHED = ("content", "templates", "static", "site_config.yaml")
_LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


class _State:
    def __init__(self) -> None:
        self.version = 0
        self.lock = threading.Lock()
        self.dirty = threading.Event()
        self.built = False  # the output folder holds a good build
        self.problems: tuple[str, ...] = ()  # the last failure, shown while nothing was built


class _Changes(FileSystemEventHandler):
    def __init__(self, site: Path, output: Path, state: _State) -> None:
        self.site = site
        self.output = output
        self.state = state

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES:
            return  # reads (opened, closed without writing) happen on every build
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            if self.output in path.parents or any(part.startswith(".") for part in path.parts[-1:]):
                continue
            rel = path.relative_to(self.site).parts if path.is_relative_to(self.site) else ()
            if rel and rel[0] in _WATCHED:
                self.state.dirty.set()


def _with_reload(page: bytes) -> bytes:
    return page.replace(b"</body>", _RELOAD_SCRIPT + b"</body>", 1)


def _error_page(problems: tuple[str, ...]) -> bytes:
    listing = html.escape("\n".join(problems))
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Không dựng được trang</title></head>'
        "<body><h1>Không dựng được trang</h1><p>Sửa các lỗi dưới đây rồi lưu tệp: trang này sẽ tự tải lại.</p>"
        f"<pre>{listing}</pre></body></html>"
    ).encode()


def _allowed_hosts(port: int) -> frozenset[str]:
    names = {f"{name}:{port}" for name in _LOCAL_NAMES}
    return frozenset(names | set(_LOCAL_NAMES) if port == 80 else names)


def _handler(output: Path, state: _State) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(output), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return

        def do_GET(self) -> None:
            self._answer(with_body=True)

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

        def _send(self, status: int, content_type: str | None, body: bytes, with_body: bool) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def _host_allowed(self) -> bool:
            host = (self.headers.get("Host") or "").strip().lower()
            port = self.server.server_port if isinstance(self.server, HTTPServer) else 0
            return host in _allowed_hosts(port)

        def _answer(self, with_body: bool) -> None:
            # HEAD goes through here too, so it sends what GET would, without the body.
            if not self._host_allowed():
                self.close_connection = True
                self._send(HTTPStatus.MISDIRECTED_REQUEST, None, b"", with_body)
                return
            if self.path == VERSION_PATH:
                self._send(200, "text/plain", str(state.version).encode(), with_body)
                return
            if not state.built:
                self._send(500, _HTML, _with_reload(_error_page(state.problems)), with_body)
                return
            translated = Path(self.translate_path(self.path))
            if translated.is_dir() and (translated / "index.html").is_file():
                translated = translated / "index.html"
            page = _read(translated) if translated.suffix == ".html" else None
            if page is not None:
                self._send(200, _HTML, _with_reload(page), with_body)
            elif translated.is_file() or (translated.is_dir() and self.path.split("?")[0][-1:] != "/"):
                super().do_GET() if with_body else super().do_HEAD()  # a file, or the redirect to `dir/`
            else:
                missing = _read(output / "404.html")
                if missing is None:
                    self.send_error(404)  # sends the same headers for HEAD, without the body
                else:
                    self._send(404, _HTML, _with_reload(missing), with_body)

    return Handler


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # missing, a folder, or swapped away by a rebuild at this very moment
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            return  # the browser went away (a reload, a closed tab)
        print(f"build.py: lỗi khi trả lời trình duyệt: {_one_line(exc)}", file=sys.stderr)


def _one_line(exc: BaseException | None) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def _rebuild(options: BuildOptions, state: _State) -> None:
    started = time.perf_counter()
    try:
        result = build(options, waiting=lambda message: print(f"build.py: {message}", file=sys.stderr, flush=True))
    except BuildFailed as exc:
        errors = sum(d.is_error for d in exc.diagnostics)
        _failed(state, [str(d) for d in exc.diagnostics], f"Không dựng trang: {errors} lỗi.")
        return
    except OutputRefused as exc:
        _failed(state, [f"build.py: lỗi: {exc}"], "Không dựng trang.")
        return
    except OSError as exc:
        _failed(state, [f"build.py: lỗi hệ thống tệp: {exc}"], "Không dựng trang.")
        return
    except Exception as exc:  # a bug in toasoan must not stop the preview
        _failed(state, [f"build.py: lỗi không mong đợi khi dựng trang ({_one_line(exc)})"], "Không dựng trang.")
        return
    for diag in result.warnings:
        print(diag, file=sys.stderr)
    with state.lock:
        state.built, state.problems = True, ()
        state.version += 1
    print(f"Đã dựng lại {result.pages} trang trong {time.perf_counter() - started:.2f} giây", file=sys.stderr)


def _failed(state: _State, lines: list[str], summary: str) -> None:
    for line in lines:
        print(line, file=sys.stderr)
    if state.built:
        print(f"{summary} Vẫn giữ nguyên bản dựng trước.", file=sys.stderr)
        return
    print(f"{summary} Chưa có bản dựng nào: trình duyệt hiện danh sách lỗi cho đến khi sửa xong.", file=sys.stderr)
    with state.lock:
        state.problems = (*lines, summary)
        state.version += 1  # the error page reloads to show the new problems


class _Stopped(BaseException):
    """SIGTERM or SIGHUP: stop as Ctrl+C does, so the temporary folder is removed. A
    BaseException, like KeyboardInterrupt, so that no `except Exception` in a build swallows it."""


@contextmanager
def _stop_on_signals() -> Iterator[Callable[[], None]]:
    """Turn SIGTERM and SIGHUP into `_Stopped` until the returned function is called (the
    cleanup has begun and must not be interrupted)."""
    stopping = False

    def cleaning_up() -> None:
        nonlocal stopping
        stopping = True

    if threading.current_thread() is not threading.main_thread():
        yield cleaning_up
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        if not stopping:
            cleaning_up()
            raise _Stopped

    names = (signal.SIGTERM, signal.SIGHUP)
    previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}
    for name in names:
        previous[name] = signal.signal(name, stop)
    try:
        yield cleaning_up
    finally:
        for name, handler in previous.items():
            signal.signal(name, handler)


def _bind(port: int, handler: type[SimpleHTTPRequestHandler]) -> _Server | None:
    try:
        return _Server(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"build.py: lỗi: cổng {port} đang được dùng: chọn cổng khác bằng --port", file=sys.stderr)
        elif exc.errno == errno.EACCES:
            print(f"build.py: lỗi: không được phép mở cổng {port}: chọn cổng khác bằng --port", file=sys.stderr)
        else:
            print(f"build.py: lỗi: không mở được cổng {port} ({exc.strerror}): chọn cổng khác bằng --port", file=sys.stderr)
        return None


def serve(site: Path, port: int, drafts: bool) -> int:
    """Preview the site at http://127.0.0.1:PORT/ until Ctrl+C or SIGTERM."""
    with _stop_on_signals() as cleaning_up, tempfile.TemporaryDirectory(prefix="toasoan-serve-") as tmp:
        output = Path(tmp) / "public"
        # One process only: never fork workers from a process that runs watchdog's threads.
        options = BuildOptions(site_dir=site, output=output, drafts=drafts, jobs=1, environ=dict(os.environ))
        state = _State()
        server = _bind(port, _handler(output, state))
        if server is None:
            return EXIT_USAGE
        observer = Observer()
        serving: threading.Thread | None = None
        try:
            # Watch before the first build, so a save made while it runs is not missed.
            observer.schedule(_Changes(site, output, state), str(site), recursive=True)
            observer.start()
            _rebuild(options, state)
            serving = threading.Thread(target=server.serve_forever, daemon=True)
            serving.start()
            print(f"Xem trước tại http://127.0.0.1:{server.server_port}/ (Ctrl+C để dừng)", file=sys.stderr)
            while True:
                state.dirty.wait()
                time.sleep(DEBOUNCE)
                state.dirty.clear()
                _rebuild(options, state)
        except (KeyboardInterrupt, _Stopped):
            pass
        finally:
            cleaning_up()
            if observer.is_alive():
                observer.stop()
                observer.join()
            if serving is not None:
                server.shutdown()  # waits for serve_forever, so only once it was started
            server.server_close()
    return EXIT_OK
