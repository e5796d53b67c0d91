"""`serve`: build into a temporary folder, serve it on localhost, rebuild on save, reload the browser."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .errors import BuildFailed
from .pipeline import BuildOptions, build

DEBOUNCE = 0.1
_RELOAD_SCRIPT = (
    b"<script>(function(){var v=null;setInterval(function(){fetch('/__toasoan_version').then(function(r){return r.text()})"
    b".then(function(t){if(v===null){v=t}else if(t!==v){location.reload()}}).catch(function(){})},700)})()</script>"
)
_CHANGES = {"created", "modified", "deleted", "moved", "closed"}
_WATCHED = ("content", "templates", "static", "site_config.yaml")


class _State:
    def __init__(self) -> None:
        self.version = 0
        self.lock = threading.Lock()
        self.dirty = threading.Event()


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


def _handler(output: Path, state: _State) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(output), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/__toasoan_version":
                self._send(200, "text/plain", str(state.version).encode())
                return
            translated = Path(self.translate_path(self.path))
            if translated.is_dir():
                translated = translated / "index.html"
            if translated.suffix == ".html" and translated.is_file():
                body = translated.read_bytes().replace(b"</body>", _RELOAD_SCRIPT + b"</body>", 1)
                self._send(200, "text/html; charset=utf-8", body)
            elif not translated.exists() and (output / "404.html").is_file():
                self._send(404, "text/html; charset=utf-8", (output / "404.html").read_bytes())
            else:
                super().do_GET()

    return Handler


def _rebuild(options: BuildOptions, state: _State) -> None:
    started = time.perf_counter()
    try:
        result = build(options)
    except BuildFailed as exc:
        for diag in exc.diagnostics:
            print(diag, file=sys.stderr)
        print("Lỗi: giữ nguyên bản dựng trước.", file=sys.stderr)
        return
    for diag in result.warnings:
        print(diag, file=sys.stderr)
    with state.lock:
        state.version += 1
    print(f"Đã dựng lại {result.pages} trang trong {time.perf_counter() - started:.2f} giây", file=sys.stderr)


def serve(site: Path, port: int, drafts: bool) -> int:
    """Preview the site at http://127.0.0.1:PORT/ until Ctrl+C."""
    with tempfile.TemporaryDirectory(prefix="toasoan-serve-") as tmp:
        output = Path(tmp) / "public"
        # One process only: never fork workers from a process that runs watchdog's threads.
        options = BuildOptions(site_dir=site, output=output, drafts=drafts, jobs=1, environ=dict(os.environ))
        state = _State()
        _rebuild(options, state)
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(output, state))
        observer = Observer()
        observer.schedule(_Changes(site, output, state), str(site), recursive=True)
        observer.start()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(f"Xem trước tại http://127.0.0.1:{port}/ (Ctrl+C để dừng)", file=sys.stderr)
        try:
            while True:
                state.dirty.wait()
                time.sleep(DEBOUNCE)
                state.dirty.clear()
                _rebuild(options, state)
        except KeyboardInterrupt:
            pass
        finally:
            observer.stop()
            observer.join()
            server.shutdown()
    return 0


