#!/usr/bin/env python3
"""How long `serve` takes from a save to the reloaded page in a browser.

    python bench/bench_serve.py                      # a copy of the sample portal
    python bench/bench_serve.py --site /tmp/corpus-10k [--rounds 5] [--template base.html]

Starts `build.py serve` on the site, waits for its first build, opens the newest published
article in Debian's Chromium (Playwright, executable_path=/usr/bin/chromium) and then, each
round, appends a new sentence to that article's Markdown file and prints:

- event: from the file's write to the server's Server-Sent Event announcing the new build
  (read by this script on its own `/__toasoan_events` stream);
- page: from the write to the reloaded page's DOMContentLoaded (the page reloads itself on
  that event; the time comes from the page's navigation timing, on the same clock);
- build: what `serve` printed for that rebuild.

With --template NAME, once the builds of those saves (patches of the last output) have written the last one, one more
round writes a visible marker into templates/NAME (a site without its own copy gets the
theme's, with the marker: a new override) and prints the same figures for the reloaded page that
shows it (made from memory with the new templates, see docs/ARCHITECTURE.md, `serve`), then how
long after the save the full build wrote it to the output folder. Last, every build serve
reported (with TOASOAN_TIMINGS set, each one's stage timings). The edited files get their
bytes back at the end. Without --site the sample portal (with its photo cache, if any) is copied
to a temporary folder first: the repository is never edited. Figures, not assertions: the
machine's load shows in them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from toasoan import urls  # noqa: E402
from toasoan.config import load_config  # noqa: E402
from toasoan.content import load_site  # noqa: E402
from toasoan.dates import now_from_env  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT = 1800.0  # seconds: a bound for the first build of a large site


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _newest_article(site: Path) -> tuple[Path, str]:
    """The newest published article's file and URL, found with toasoan's own reading."""
    config, _ = load_config(site)
    if config is None:
        raise SystemExit(f"{site}: site_config.yaml cannot be read")
    loaded, _ = load_site(site, config, now_from_env(dict(os.environ), config.tz))
    article = max(loaded.articles, key=lambda a: (a.date, a.source))
    return site / article.source, urls.article_url(config, article)


def _listen(port: int, events: queue.Queue[tuple[float, str]]) -> None:
    """Read the event stream; each message goes to `events` with the time it arrived."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", "/__toasoan_events", headers={"Host": f"127.0.0.1:{port}"})
    stream = conn.getresponse()
    while line := stream.fp.readline():
        if line.startswith(b"data: "):
            events.put((time.time(), json.loads(line[6:])["version"]))


def _version(port: int) -> str | None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/__toasoan_version", headers={"Host": f"127.0.0.1:{port}"})
        answer = conn.getresponse()
        text = answer.read().decode()
        conn.close()
        return text if answer.status == 200 else None
    except OSError:
        return None


def _rebuild_lines(log: Path) -> list[str]:
    return [line for line in log.read_text(encoding="utf-8").splitlines() if line.startswith(("Đã dựng", "Không dựng", "Đã đọc lại"))]


def _written(output: Path, url: str, marker: str) -> float:
    """Wait until serve's output folder holds the page at `url` showing `marker` (a build wrote
    it); the time it was seen."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        for page in output.glob("toasoan-serve-*/public/" + urls.output_file(url)):
            try:
                if marker in page.read_text(encoding="utf-8"):
                    return time.time()
            except OSError:
                pass  # swapped away at this moment
        if time.monotonic() > deadline:
            raise SystemExit(f"no build wrote {marker!r} to {url}")
        time.sleep(0.2)  # polling a file: the bench's own bound, not the server's


def _visible(template: str, marker: str) -> str:
    """`template` with a paragraph showing `marker`: in the content block of a template that
    extends another, else just before `</body>`."""
    tag = f'<p id="bench-template">{marker}</p>'
    if "{% extends" in template and "{% block content %}" in template:
        return template.replace("{% block content %}", "{% block content %}" + tag, 1)
    if "</body>" in template:
        return template.replace("</body>", tag + "</body>", 1)
    raise SystemExit("--template: the template has neither a content block nor </body> to show a marker in")


def _round(page: Any, events: queue.Queue[tuple[float, str]], path: Path, text: str, marker: str, log: Path) -> float:
    """Write `text` to `path`, wait for the event and for the page to reload itself into a page
    showing `marker`, print the figures; the time of the write."""
    while not events.empty():
        events.get_nowait()
    built = len(_rebuild_lines(log))
    origin = page.evaluate("performance.timeOrigin")
    wrote = time.time()
    path.write_text(text, encoding="utf-8")
    arrived, _ = events.get(timeout=TIMEOUT)
    page.wait_for_function(
        "([o, m]) => performance.timeOrigin !== o && performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd > 0"
        " && document.body.innerText.includes(m)",
        arg=[origin, marker], timeout=TIMEOUT * 1000,
    )
    loaded = page.evaluate(
        "performance.timeOrigin + performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
    ) / 1000
    lines = _rebuild_lines(log)[built:]
    print(
        f"  {path.name}: event {1000 * (arrived - wrote):7.0f} ms, page {1000 * (loaded - wrote):7.0f} ms"
        f"  ({'; '.join(lines) or 'no rebuild line yet'})",
        flush=True,
    )
    return wrote


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="the site to serve (default: a copy of the sample portal)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--template", default="", help="also time a save of templates/NAME")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        if args.site is None:
            site = Path(tmp) / "site"
            for name in ("content", "templates", "static", ".cache"):
                if (REPO / name).is_dir():
                    shutil.copytree(REPO / name, site / name)
            shutil.copy2(REPO / "site_config.yaml", site / "site_config.yaml")
        else:
            site = args.site.resolve()
        article, url = _newest_article(site)
        template = site / "templates" / args.template if args.template else None
        originals: dict[Path, bytes | None] = {article: article.read_bytes()}
        theme_source = ""
        if template is not None:
            # A site without its own copy of the template gets one (the theme's), removed at the end.
            originals[template] = template.read_bytes() if template.is_file() else None
            theme_source = (REPO / "templates" / args.template).read_text(encoding="utf-8")
        port, log = _free_port(), Path(tmp) / "serve.log"
        output = Path(tmp) / "serve-tmp"  # serve's temporary folder: its output, to see what the builds wrote
        output.mkdir()
        started = time.perf_counter()
        with open(log, "wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, str(REPO / "build.py"), "serve", "--site", str(site), "--port", str(port)],
                stderr=stderr, env={**os.environ, "TMPDIR": str(output)},
            )
        try:
            deadline = time.monotonic() + TIMEOUT
            while _version(port) is None:  # bounded wait on the server's own answer
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(log.read_text(encoding="utf-8"))
                time.sleep(0.2)
            print(f"{site}: first build and server up in {time.perf_counter() - started:.1f} s; {url}", flush=True)
            print(f"  {_rebuild_lines(log)[-1]}", flush=True)
            events: queue.Queue[tuple[float, str]] = queue.Queue()
            threading.Thread(target=_listen, args=(port, events), daemon=True).start()
            events.get(timeout=TIMEOUT)  # the stream is open: its first message is the current version
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}{url}")
                body = article.read_text(encoding="utf-8")
                print(f"article body saves ({args.rounds}):", flush=True)
                marker = ""
                for n in range(1, args.rounds + 1):
                    marker = f"Câu đo thời gian số {n} lúc {dt.datetime.now():%H%M%S%f}."
                    wrote = _round(page, events, article, f"{body.rstrip()}\n\n{marker}\n", marker, log)
                if template is not None:
                    if marker:  # the template round starts with no build running
                        print(f"  the builds that followed wrote the last save {_written(output, url, marker) - wrote:.1f} s after it", flush=True)
                    print("template save:", flush=True)
                    source = template.read_text(encoding="utf-8") if template.is_file() else theme_source
                    template.parent.mkdir(exist_ok=True)
                    marker = f"Mẫu trang đo lúc {dt.datetime.now():%H%M%S%f}."
                    wrote = _round(page, events, template, _visible(source, marker), marker, log)
                    print(f"  the build that followed wrote it {_written(output, url, marker) - wrote:.1f} s after the save", flush=True)
                browser.close()
            # Every build of this run as serve reported it (with TOASOAN_TIMINGS set, where its time went).
            print("serve's builds:", flush=True)
            for line in log.read_text(encoding="utf-8").splitlines():
                if line.startswith(("Đã dựng lại", "timings ")):
                    print(f"  {line}", flush=True)
        finally:
            for path, data in originals.items():
                if data is None:
                    path.unlink(missing_ok=True)
                    if not any(path.parent.iterdir()):
                        path.parent.rmdir()  # the folder made for it
                else:
                    path.write_bytes(data)
            proc.terminate()
            proc.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
