"""`serve`: build into a temporary folder, serve it on localhost, rebuild on save, reload the browser.

Each page served carries a small script that listens to `/__toasoan_events` (Server-Sent
Events): the server pushes the build version when a build finishes, and the page reloads when
it differs from the version the page was served with (no polling). A failed rebuild is pushed
too: while the content has errors every page is an error page listing them (`path:line:
message`), never a stale page, and the save that fixes them brings the pages back by themselves.

A save that changes only an article's body is shown at once: a thread beside the builds makes
that article's page from the last good build's plan kept in memory (`preview`), serves it from
memory and pushes the new version; the build that follows writes the same page. A template save
is shown at once too: once the templates compile, the open pages reload and each page asked for
is made on demand from the kept plan with the new templates, until the build that follows ends.

The builds are the CLI's: after saves of article bodies or cards, a patch of the last output
(`patch.patch_build`) from the snapshot, plan and templates kept in memory (`pipeline.Warm`), in
seconds at 10,000 articles; else a full build. A build starts once the quick pages of the saves
it follows are made and an open page told of them reloaded (`_pages_first`, at most a second).

A file is looked at only once its save is whole: an editor saving in place (truncate, then
write) makes no page cut half-way, neither quick nor built (`_Changes`, `_writes_done`).

Drafts and scheduled articles are shown, marked on their pages. An address a good build of this
run published for a source file that now lives elsewhere (its slug or date edited) redirects
there, so an open page follows its renamed article. Only requests addressed to this server's own host name are
answered: a page on another site cannot read the drafts through DNS rebinding."""

from __future__ import annotations

import errno
import gc
import html
import json
import os
import secrets
import select
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import HTTPServer, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

try:
    from watchdog.observers.inotify import InotifyObserver
except (ImportError, OSError):  # not Linux
    InotifyObserver = None  # type: ignore[assignment,misc]

from .errors import BuildFailed
from .pipeline import THEME_DIR, BuildOptions, Warm, _Plan, build
from .preview import PlanPages, Templates, load_templates, preview_article
from .writer import OutputRefused

DEBOUNCE = 0.05  # after the first change, wait this long for the rest of a save's writes
# A file being written is acted on when it is closed (inotify's close-write, on Linux), or after
# this long without a write to it (a writer that keeps it open, a file linked in). Watchers that
# tell no closes (other systems) wait QUIET after the file's last write instead.
WRITE_WAIT = 5.0
QUIET = 0.1
EXIT_OK, EXIT_USAGE = 0, 2
VERSION_PATH = "/__toasoan_version"  # the version as plain text, for scripts; pages listen to EVENTS_PATH
EVENTS_PATH = "/__toasoan_events"
KEEPALIVE = 15.0  # seconds between comments on an idle event stream (a closed tab is noticed then)
# A build waits at most this long for the quick pages of the saves it follows, and for the open
# pages told of them to reload, before it takes the interpreter (`_pages_first`).
RELOAD_WAIT = 1.0
# The page's version is written in; the first event after (re)connecting already tells whether a
# build finished meanwhile. A hidden tab closes its stream (a browser opens only ~6 connections
# to one host: many tabs must not starve the page loads) and reopens it when shown again.
# A failed rebuild is a new version too: every open page reloads into the error page.
_RELOAD_SCRIPT = (
    "<script>(function(){var v=__VERSION__,es=null;"
    "function listen(){es=new EventSource('" + EVENTS_PATH + "');es.onmessage=function(e){var m=JSON.parse(e.data);"
    "if(m.version!==v){es.close();location.reload()}}}"
    "document.addEventListener('visibilitychange',function(){if(document.hidden){if(es){es.close();es=null}}"
    "else if(!es){listen()}});if(!document.hidden){listen()}})()</script>"
)
_HTML = "text/html; charset=utf-8"
_CHANGES = {"created", "modified", "deleted", "moved", "closed"}
_FOLDERS = ("content", "templates", "static")
_WATCHED = (*_FOLDERS, "site_config.yaml")
_LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


class _State:
    def __init__(self) -> None:
        self.version = 0
        # Versions of two runs of `serve` never look alike: a page left open reloads on a restart.
        self.run = secrets.token_hex(4)
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)  # notified on a new version, problems, or stop
        self.dirty = threading.Event()
        # Files written to and not yet closed (or quiet): path -> when it was last written to
        # (monotonic). Nothing is made from them until then (`_Changes`).
        self.writing: dict[Path, float] = {}
        self.stopping = False
        self.built = False  # the output folder holds a good build
        self.problems: tuple[str, ...] = ()  # the last failure: every page is the error page until fixed
        # Where each source file was published by the last good build, and which source every
        # address of this run's good builds came from: a renamed article's old address redirects.
        self.addresses: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.plan: _Plan | None = None  # the last good build's, for quick pages
        self.pages: PlanPages | None = None  # its pages by address
        # Every save under what `serve` watches has a number; `plan_seen` is the last one before
        # the plan's build began (that build read them all).
        self.saves = 0
        self.plan_seen = 0
        # Articles saved since (quick pages are made from them), and quick pages: URL -> (the
        # save's number, the page, the article), served until a full build that started after
        # that save ends.
        self.saved: list[Path] = []
        self.quick: dict[str, tuple[int, bytes, Path]] = {}
        # Template saves: the last one not yet read by the quick thread, then the templates it
        # read (None: one does not compile, so nothing is quick until the full build reports it),
        # kept until a full build that started after that save ends; pages made with them on
        # demand, by address.
        self.template_saved = 0
        self.templates: tuple[int, Templates | None] | None = None
        self.rendered: dict[str, bytes] = {}
        self.generation = 0  # moves whenever `rendered` is emptied: a page made before is not kept
        # The last save whose reach the quick pages cannot tell (a static file, the config, an
        # article edit beyond its body...), and the last article save not yet looked at: the
        # kept plan's other pages are made again only while neither came after `plan_seen`.
        self.unsure = 0
        self.articles_pending = 0
        self.wake_quick = threading.Event()
        self.quick_busy = False  # the quick thread is making pages for saves it took
        # Since the last new version: event streams sent it (their pages reload), and streams
        # opened with it (a page reloaded and listening again). A build waits for a page's reload.
        self.told = 0
        self.reopened = 0

    def bump(self) -> None:
        """(Lock held.) A new version: the open pages are told and reload."""
        self.version += 1
        self.told = self.reopened = 0
        self.changed.notify_all()

    def streamed(self, message: bytes, first: bool) -> None:
        """An event stream sent `message`: the first of a stream just opened (a page listening
        again), or a new version (its page reloads)."""
        with self.changed:
            if message == self.message():
                if first:
                    self.reopened += 1
                else:
                    self.told += 1
                self.changed.notify_all()

    def reloaded(self) -> bool:
        """(Lock held.) No open page was told of the current version, or one reloaded into it
        (not every one: a script's stream, like bench/bench_serve.py's, never reloads)."""
        return self.told == 0 or self.reopened > 0

    def label(self) -> str:
        """The version a page is served with and that the event stream announces."""
        return f"{self.run}.{self.version}"

    def message(self) -> bytes:
        """The current event: the version, and the failure the pages show (for scripts)."""
        return json.dumps({"version": self.label(), "problems": list(self.problems)}, ensure_ascii=False).encode()

    def update(
        self, *, built: bool | None = None, problems: tuple[str, ...] = (), bump: bool,
        addresses: tuple[tuple[str, str], ...] = (),
    ) -> None:
        with self.changed:
            if built is not None:
                self.built = built
            if addresses:
                self.addresses = dict(addresses)
                self.sources.update((url, source) for source, url in addresses)
            self.problems = problems
            if bump:
                self.bump()
            self.changed.notify_all()

    def moved_to(self, path: str) -> str | None:
        """The address a page asked for at `path` lives at now, when a good build of this run
        published it at `path` and the last one elsewhere (its slug or date was edited)."""
        path = _address(path)
        with self.lock:
            for candidate in (path, path + "/"):
                source = self.sources.get(candidate)
                url = self.addresses.get(source) if source else None
                if url is not None and url != candidate:
                    return url
        return None

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()
        self.wake_quick.set()


class _Changes(FileSystemEventHandler):
    """Numbers each save under what `serve` watches (`_number`). A file written in place (an
    editor truncates it, then writes it, maybe in several writes) is a save only once it is
    whole: when it is closed (`closes`: the watcher reports closes after writing, Linux's
    inotify), else after WRITE_WAIT without a write (QUIET without closes). Until then nothing
    reads it: no quick page, no build (`_writes_done`)."""

    def __init__(
        self, site: Path, output: Path, state: _State, watch: Callable[[Path], None], *, theme: Path | None = None,
        closes: bool = True,
    ) -> None:
        self.site = site
        self.output = output
        self.state = state
        self.watch = watch  # starts watching a folder of the site made after `serve` started
        self.theme = theme  # a theme folder outside the site: its templates/ and static/ are watched too
        self.wait = WRITE_WAIT if closes else QUIET

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind not in _CHANGES or (event.is_directory and kind == "modified"):
            return  # reads (opened, closed without writing) happen on every build; a folder's entries have their own events
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            if self.output in path.parents or any(part.startswith(".") for part in path.parts[-1:]):
                continue
            rel = self._relative(path)
            if len(rel) == 1 and rel[0] in _FOLDERS and event.is_directory and kind in ("created", "moved"):
                self.watch(path)
            if rel and rel[0] in _WATCHED:
                source = raw == event.src_path
                if kind in ("created", "modified") and not event.is_directory:
                    self._writing(path, rel, source)  # a save once it is whole
                else:
                    with self.state.lock:
                        self.state.writing.pop(path, None)
                    self._number(path, rel, source)

    def _relative(self, path: Path) -> tuple[str, ...]:
        """`path`'s parts below the site, or below the theme for its templates and static files."""
        if self.theme is not None and path.is_relative_to(self.theme):
            rel = path.relative_to(self.theme).parts
            if rel[:1] in (("templates",), ("static",)):
                return rel
        return path.relative_to(self.site).parts if path.is_relative_to(self.site) else ()

    def _writing(self, path: Path, rel: tuple[str, ...], source: bool) -> None:
        with self.state.lock:
            first = path not in self.state.writing
            self.state.writing[path] = time.monotonic()
        if first:
            self._check_later(path, rel, source, self.wait)

    def _check_later(self, path: Path, rel: tuple[str, ...], source: bool, delay: float) -> None:
        timer = threading.Timer(delay, self._overdue, (path, rel, source))
        timer.daemon = True
        timer.start()

    def _overdue(self, path: Path, rel: tuple[str, ...], source: bool) -> None:
        """No close came: the file is taken as saved once nothing was written to it for `wait`."""
        with self.state.lock:
            last = self.state.writing.get(path)
            if last is None or self.state.stopping:
                return  # closed (and numbered) meanwhile
            left = last + self.wait - time.monotonic()
            if left <= 0:
                del self.state.writing[path]
        if left > 0:
            self._check_later(path, rel, source, left)
        else:
            self._number(path, rel, source)

    def _number(self, path: Path, rel: tuple[str, ...], source: bool) -> None:
        """Number the save and say what it may reach: a template (every page: made again on
        demand), an article (its body alone: its quick page), anything else (only the full build
        can tell)."""
        state = self.state
        with state.changed:
            state.saves += 1
            state.changed.notify_all()  # a build may wait for the files being written (`_writes_done`)
            if rel[0] == "templates":
                state.template_saved = state.saves
            elif rel[:2] == ("content", "articles") and path.suffix == ".md" and source:
                state.saved.append(path)
                state.articles_pending = state.saves
            else:
                state.unsure = state.saves
                state.dirty.set()
                return
        state.dirty.set()
        state.wake_quick.set()


def _watch(observer: Any, site: Path, output: Path, state: _State, theme: Path | None = None) -> None:
    """Watch only what a build reads: `content/`, `templates/` and `static/` with all below them,
    and the site folder itself (`site_config.yaml`, and those folders when made later), and a
    theme's `templates/` and `static/` outside the site. Not the cache or an output inside the
    site: a build writes tens of thousands of files there, which overflowed the kernel's event
    queue (inotify) and lost the editor's next save."""
    watched: set[Path] = set()

    def watch(folder: Path) -> None:
        if folder not in watched and folder.is_dir():
            watched.add(folder)
            observer.schedule(handler, str(folder), recursive=True)

    theme = theme.resolve() if theme is not None else None
    outside = theme if theme is not None and theme != site.resolve() else None
    closes = InotifyObserver is not None and isinstance(observer, InotifyObserver)
    handler = _Changes(site, output, state, watch, theme=outside, closes=closes)
    observer.schedule(handler, str(site), recursive=False)
    for name in _FOLDERS:
        watch(site / name)
    if outside is not None:
        for name in ("templates", "static"):
            watch(outside / name)


def _with_reload(page: bytes, version: str) -> bytes:
    script = _RELOAD_SCRIPT.replace("__VERSION__", json.dumps(version)).encode()
    if b"</body>" not in page:  # a template without it (or caught half-written): the page still reloads
        return page + script
    return page.replace(b"</body>", script + b"</body>", 1)


def _error_page(problems: tuple[str, ...]) -> bytes:
    """Shown in place of every page while the content has errors: each `path:line: message`."""
    listing = html.escape("\n".join(problems))
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Không dựng được trang</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="margin:0;padding:1rem 1.5rem;font:16px/1.5 system-ui,sans-serif;background:#fff5f5;color:#600">'
        "<h1>Không dựng được trang</h1><p>Sửa các lỗi dưới đây rồi lưu tệp: trang này sẽ tự tải lại.</p>"
        '<pre id="toasoan-problems" role="alert" style="white-space:pre-wrap;font:14px/1.5 monospace;'
        f'border-left:4px solid #c00;padding:.5rem 1rem;background:#fff">{listing}</pre></body></html>'
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
                self._send(200, "text/plain", state.label().encode(), with_body)
                return
            if self.path == EVENTS_PATH:
                self._events(with_body)
                return
            # The version is read before the page: a page swapped in just after shows the old
            # version and reloads once more, never the other way round (a missed reload).
            with state.lock:
                version, built, problems = state.label(), state.built, state.problems
            translated = Path(self.translate_path(self.path))
            if translated.is_dir() and (translated / "index.html").is_file():
                translated = translated / "index.html"
            if problems or not built:
                # Every page is the error list, never a stale page; the last good build's other
                # files (style sheets, photos) are still served.
                if built and translated.is_file() and translated.suffix != ".html":
                    super().do_GET() if with_body else super().do_HEAD()
                else:
                    self._send(500, _HTML, _with_reload(_error_page(problems), version), with_body)
                return
            quick = _quick_page(state, self.path)
            if quick is not None:
                self._send(200, _HTML, _with_reload(quick, version), with_body)
                return
            page = _read(translated) if translated.suffix == ".html" else None
            if page is not None:
                self._send(200, _HTML, _with_reload(page, version), with_body)
            elif translated.is_file() or (translated.is_dir() and self.path.split("?")[0][-1:] != "/"):
                super().do_GET() if with_body else super().do_HEAD()  # a file, or the redirect to `dir/`
            elif (moved := state.moved_to(self.path)) is not None:
                self.send_response(HTTPStatus.FOUND)  # a renamed article: the open page follows it
                self.send_header("Location", moved)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                missing = _quick_page(state, "/404.html") or _read(output / "404.html")
                if missing is None:
                    self.send_error(404)  # sends the same headers for HEAD, without the body
                else:
                    self._send(404, _HTML, _with_reload(missing, version), with_body)

        def _events(self, with_body: bool) -> None:
            """Server-Sent Events: the current message at once, then each new one, until the
            browser goes away or the server stops. Each stream has its own (daemon) thread."""
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not with_body:
                return
            sent = b""
            while True:
                with state.changed:
                    if state.message() == sent and not state.stopping:
                        state.changed.wait(KEEPALIVE)
                    if state.stopping:
                        return
                    message = state.message()
                if _peer_closed(self.connection):
                    return  # a closed or hidden tab: not told, and no reload to wait for
                # A comment when nothing changed: it finds out that a closed tab's socket is gone.
                chunk = b": \n\n" if message == sent else b"data: " + message + b"\n\n"
                self.wfile.write(chunk)
                self.wfile.flush()
                if message != sent:
                    state.streamed(message, first=not sent)
                sent = message

    return Handler


def _peer_closed(connection: socket.socket) -> bool:
    """Whether the browser closed this event stream (it never sends anything on it)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    """What moves when a file is written: its size, mtime, ctime and inode."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


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


def _address(request: str) -> str:
    """The page address a request names: `/a/b/index.html` and `/a/b/` are one page."""
    path = urllib.parse.unquote(request.split("?", 1)[0].split("#", 1)[0])
    return path[: -len("index.html")] if path.endswith("/index.html") else path


def _templates_in_use(state: _State) -> Templates | None:
    """(Lock held.) The templates saved since the plan's build began, while every page of the plan
    can be made with them: they compiled, every other save since was an article's body seen to
    change alone, and the bodies' photo macro is the plan's."""
    if state.templates is None or state.pages is None:
        return None
    number, templates = state.templates
    if templates is None or number <= state.plan_seen or max(state.unsure, state.articles_pending) > state.plan_seen:
        return None
    return templates if state.pages.renders_with(templates) else None


def _quick_page(state: _State, request: str) -> bytes | None:
    """The quick page for this address, if any: an article's made since the last full build, or
    any page of the kept plan, made on first request with the templates saved since."""
    url = _address(request)
    with state.lock:
        found = state.quick.get(url)
        if found is not None:
            return found[1]
        templates, pages = _templates_in_use(state), state.pages
        if templates is None or pages is None:
            return None
        page = state.rendered.get(url)
        generation = state.generation
    if page is None:
        page = pages.render(url, templates)  # outside the lock: other requests go on meanwhile
        if page is not None:
            with state.lock:
                if state.generation == generation:
                    state.rendered[url] = page
    return page


def _quick_pages(options: BuildOptions, state: _State) -> None:
    """Runs beside the full builds. Each saved article whose body alone changed gets its page made
    at once from the last good build's plan (`preview.preview_article`); a template save gets the
    templates read and compiled (`preview.load_templates`), the article pages already made again
    with them, and every other page made when asked for (`_quick_page`). The open pages are told,
    long before the full build that follows ends."""
    while True:
        state.wake_quick.wait()
        with state.lock:
            settle = state.template_saved > 0
        if settle:
            time.sleep(DEBOUNCE)  # the rest of the save's writes: a template read half-written shows an empty page
        with state.lock:
            if state.stopping:
                return
            state.wake_quick.clear()
            saved, state.saved = state.saved, []
            template_saved, state.template_saved = state.template_saved, 0
            state.quick_busy = True
            number, plan, seen, current = state.saves, state.plan, state.plan_seen, state.templates
            # After a template save, the articles' quick pages are made again with the new templates.
            redo = {path: n for n, _, path in state.quick.values()} if template_saved else {}
        if plan is None or not state.built or state.problems:
            with state.changed:
                state.quick_busy = False
                state.changed.notify_all()
            continue  # nothing quick is served: the build that follows answers
        started = time.perf_counter()
        if template_saved:
            try:
                current = (template_saved, load_templates(plan.root, options.theme_dir))
            except Exception:  # noqa: BLE001 - an unreadable template: the full build reports it
                current = (template_saved, None)
            if current[1] is not None:
                print(f"Đã đọc lại mẫu trang trong {time.perf_counter() - started:.3f} giây (dựng lại theo sau)", file=sys.stderr)
            else:
                print("Mẫu trang vừa lưu có lỗi: chờ bản dựng đầy đủ báo lỗi", file=sys.stderr)
        saved_since = current is not None and current[0] > seen
        templates = current[1] if current is not None and saved_since else None
        broken = saved_since and templates is None  # nothing quick until the full build reports it
        numbers = {**redo, **dict.fromkeys(saved, number)}
        made: dict[Path, tuple[str, bytes] | None] = {}
        # Being written (looked at again once that save is whole: its close brings it back), or
        # written to while it was read (looked at again at once).
        later: set[Path] = set()
        again: list[Path] = []
        for path in [] if broken else numbers:
            started = time.perf_counter()
            before = _identity(path)
            with state.lock:
                if path in state.writing:
                    later.add(path)
                    continue
            try:
                quick = preview_article(plan, path, options.drafts, templates.env if templates else None)
            except Exception:  # noqa: BLE001 - the full build that follows reports what went wrong
                quick = None
            if before is not None and _identity(path) != before:
                later.add(path)
                again.append(path)
                continue
            made[path] = quick
            if quick is not None:
                print(f"Đã dựng nhanh {quick[0]} trong {time.perf_counter() - started:.3f} giây (dựng lại theo sau)", file=sys.stderr)
        with state.changed:
            if state.plan is not plan:
                # A build ended meanwhile: what it may not have read is looked at again over it.
                if number > state.plan_seen:
                    state.template_saved = max(state.template_saved, template_saved)
                    state.saved[:0] = saved
                    state.wake_quick.set()
                state.quick_busy = False
                state.changed.notify_all()
                continue
            bump = False
            if template_saved:
                state.templates = current
                state.rendered = {}
                state.generation += 1
                bump = _templates_in_use(state) is not None
                if broken:
                    state.quick = {}  # made with the templates before: nothing quick until the full build
            for path, saved_as in numbers.items():
                if path in later or path in state.writing:
                    continue  # the page of its last whole save stays until the next one is made
                # A page made for an earlier save of this file is not the truth any more.
                for url in [url for url, entry in state.quick.items() if entry[2] == path]:
                    del state.quick[url]
                page = made.get(path)
                if page is None:
                    state.unsure = max(state.unsure, number)  # only the full build can tell what it reaches
                    continue
                state.quick[page[0]] = (saved_as, page[1], path)
                bump = True
            if state.articles_pending <= number:
                state.articles_pending = 0
            if again:
                state.saved.extend(again)
                state.articles_pending = max(state.articles_pending, number)  # not looked at yet
                state.wake_quick.set()
            if bump:
                state.bump()
            state.quick_busy = False
            state.changed.notify_all()  # a build may be waiting for these pages (`_pages_first`)


def _pages_first(state: _State, wait: float | None = None) -> None:
    """Before a build: let the quick pages of the saves it follows be made and an open page told
    of them reload (`_State.reloaded`), for at most RELOAD_WAIT. A build holds the interpreter
    for long stretches (a record's JSON, the stat of every output file), and a reload served
    meanwhile waited for them: up to a second at 10,000 articles, against the ~0.1 s of a quick
    page's reload."""
    _wait_while(state, lambda: bool(state.saved or state.template_saved or state.quick_busy or not state.reloaded()), RELOAD_WAIT if wait is None else wait)


def _writes_done(state: _State, wait: float | None = None) -> None:
    """Before a build: let the files being written be closed (`_Changes`), so the build does not
    read one half-written; for at most WRITE_WAIT (after which `_Changes` takes them as saved)."""
    _wait_while(state, lambda: bool(state.writing), WRITE_WAIT if wait is None else wait)


def _wait_while(state: _State, busy: Callable[[], bool], wait: float) -> None:
    """Wait on `state.changed` while `busy()` holds and serve is not stopping, for at most `wait` seconds."""
    deadline = time.monotonic() + wait
    with state.changed:
        while not state.stopping and busy():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            state.changed.wait(left)


def _rebuild(options: BuildOptions, state: _State, warm: Warm) -> None:
    """Build again: a patch of the last output when the saves are article bodies or cards (the
    snapshot and the templates kept in `warm`), else a full build."""
    started = time.perf_counter()
    with state.lock:
        seen = state.saves  # saves this build may not have read are the ones after this number
    try:
        result = build(options, waiting=lambda message: print(f"build.py: {message}", file=sys.stderr, flush=True), warm=warm)
    except BuildFailed as exc:
        if _overtaken(state, seen):
            return
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
    _keep_off_collector(full=not (result.patched or result.up_to_date))
    plan = warm.plan  # a full build's, or the last one as the patch left it (the same when up to date)
    pages = PlanPages(plan) if plan is not None and plan is not state.plan else None
    with state.lock:
        if pages is not None:
            state.plan, state.pages = plan, pages
        state.plan_seen = seen
        state.quick = {url: entry for url, entry in state.quick.items() if entry[0] > seen}
        if state.templates is not None and state.templates[0] <= seen:
            state.templates = None  # this build read them
        state.rendered = {}
        state.generation += 1
    state.update(built=True, problems=(), bump=True, addresses=result.addresses)
    made = f" ({result.pages - result.pages_cached} trang làm mới)" if not result.up_to_date else ""
    if result.patched:
        made = f" (vá bản trước: {result.pages - result.pages_cached} trang làm mới)"
    print(f"Đã dựng lại {result.pages} trang{made} trong {time.perf_counter() - started:.2f} giây", file=sys.stderr)
    if os.environ.get("TOASOAN_TIMINGS"):  # where the time went, as `build` prints it (for bench/)
        print("timings " + json.dumps([[stage, round(seconds, 3)] for stage, seconds in result.timings]), file=sys.stderr)


def _overtaken(state: _State, seen: int) -> bool:
    """A failed build during which a file was saved, or is being written, may have read it
    half-written: its errors are not shown (the next build, which follows at once, tells)."""
    with state.lock:
        overtaken = state.saves > seen or bool(state.writing)
    if overtaken:
        print("Bản dựng không thành nhưng tệp đã được lưu lại trong lúc dựng: dựng lại", file=sys.stderr)
    return overtaken


def _keep_off_collector(full: bool) -> None:
    """Freeze what the build leaves (the plan, the snapshot, the cache's index: millions of
    objects that live until the next builds): the cyclic garbage collector no longer walks them.
    A patch allocates enough to start two or three full collections, which walked all of them,
    0.5-0.7 s each at 10,000 articles, holding the interpreter while a page reloaded. Frozen
    objects are still freed by their reference counts; the cycles among them (a replaced plan's
    template environment) are collected after each full build, which replaces the plan: before
    the new version is pushed, so no page waits for it."""
    if full:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def _failed(state: _State, lines: list[str], summary: str) -> None:
    with state.lock:
        state.quick = {}  # the problems are what the open pages show now
        state.rendered = {}
        state.generation += 1
    for line in lines:
        print(line, file=sys.stderr)
    print(f"{summary} Trình duyệt hiện danh sách lỗi thay cho mọi trang cho đến khi sửa xong.", file=sys.stderr)
    # Open pages reload into the error page (and an open error page into the new list).
    state.update(problems=(*lines, summary), bump=True)


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


def _observer() -> Any:
    """watchdog's observer; on Linux one that tells a file moved in from outside the watched
    folders (an editor's atomic save through /tmp) as a move, not as a file just created (which
    `_Changes` would wait on for a close that never comes)."""
    if InotifyObserver is not None and Observer is InotifyObserver:
        return InotifyObserver(generate_full_events=True)
    return Observer()


def serve(site: Path, port: int, drafts: bool = True, theme_dir: Path | None = None) -> int:
    """Preview the site at http://127.0.0.1:PORT/ until Ctrl+C or SIGTERM. Drafts and scheduled
    articles are shown, each marked as such on its page. `theme_dir`: the theme (default: the
    installed one); its templates and static files are watched too when it is not the site."""
    with _stop_on_signals() as cleaning_up, tempfile.TemporaryDirectory(prefix="toasoan-serve-") as tmp:
        output = Path(tmp) / "public"
        # One process only: never fork workers from a process that runs watchdog's threads (a
        # lock another thread holds at the fork stays held in the child). A save's patch makes
        # its few pages in this process anyway; a full build leaves the other core to the browser.
        options = BuildOptions(
            site_dir=site, output=output, drafts=drafts, jobs=1, environ=dict(os.environ), theme_dir=theme_dir or THEME_DIR,
        )
        # The output goes with the temporary folder: its snapshot is kept in memory only.
        warm = Warm(persist=False)
        state = _State()
        server = _bind(port, _handler(output, state))
        if server is None:
            return EXIT_USAGE
        observer = _observer()
        serving: threading.Thread | None = None
        try:
            # Watch before the first build, so a save made while it runs is not missed.
            _watch(observer, site, output, state, options.theme_dir)
            observer.start()
            threading.Thread(target=_quick_pages, args=(options, state), daemon=True).start()
            _rebuild(options, state, warm)
            serving = threading.Thread(target=server.serve_forever, daemon=True)
            serving.start()
            print(f"Xem trước tại http://127.0.0.1:{server.server_port}/ (Ctrl+C để dừng)", file=sys.stderr)
            while True:
                state.dirty.wait()
                time.sleep(DEBOUNCE)
                _writes_done(state)
                state.dirty.clear()
                _pages_first(state)
                _rebuild(options, state, warm)
        except (KeyboardInterrupt, _Stopped):
            pass
        finally:
            cleaning_up()
            state.stop()  # ends the open event streams
            if observer.is_alive():
                observer.stop()
                observer.join()
            if serving is not None:
                server.shutdown()  # waits for serve_forever, so only once it was started
            server.server_close()
            warm.remove_records()  # they name the temporary output, removed just below
    return EXIT_OK
