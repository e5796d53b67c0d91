#!/usr/bin/env python3
"""What search costs on a built portal: the indexer's time and peak memory, and what a reader's
browser downloads for one fresh search.

    python bench/bench_search.py --site /tmp/corpus-10k --output /tmp/out-10k [--query "chuyen doi so"]
    python bench/bench_search.py --output /tmp/out-10k --transfer-only

Without --transfer-only it builds the site twice (whole processes, `build.py build`), each time
into an emptied output folder, so that neither build is a no-op (a build whose inputs and output
did not change does nothing at all): first with no search shard in the cache (its `search/`
folder removed: every shard is indexed; pages and the rest come from the build cache once a
first build made them), then with every shard in the cache. The indexer's own time and peak
memory come from the build's `search-stats` line on stderr (TOASOAN_SEARCH_STATS=1). The cost
of re-indexing one shard after an edit is `bench_build.py --scenarios body`'s.

The transfer is measured in Debian's Chromium (Playwright, executable_path=/usr/bin/chromium):
the output is served on 127.0.0.1 by `http.server` (sending a file's `.gz` copy, made by the
build, with Content-Encoding: gzip, as hosts with precompressed files do), /tim-kiem/ is opened in
a fresh browser context (empty cache), the query typed, and the bytes on the wire of every
response under /pagefind/ summed once the first results are shown (index chunks, fragments of the
results shown, the Pagefind scripts and WebAssembly; the bundle's index files are gzip-compressed
on disk already). `total_kb_if_host_sends_files_as_stored` is the same search from a host that
ignores the `.gz` copies.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class _Quiet(SimpleHTTPRequestHandler):
    """http.server, plus what a host with precompressed files does (nginx `gzip_static`,
    Netlify, Cloudflare Pages): a file's `.gz` copy, written by the build, is sent instead with
    `Content-Encoding: gzip` to a browser that accepts it."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        packed = path.with_name(path.name + ".gz")
        if "gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file() or not packed.is_file():
            return super().send_head()
        body = packed.open("rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(packed.stat().st_size))
        self.end_headers()
        return body


def transfer(out: Path, query: str) -> dict[str, Any]:
    """Bytes downloaded under /pagefind/ for one fresh search of `query`, by kind of file."""
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    sizes: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    hosted: dict[str, int] = defaultdict(int)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context()
            page = context.new_page()

            def on_response(response: Any) -> None:
                url = response.url
                if "/pagefind/" not in url:
                    return
                try:
                    body = response.body()
                except Exception:  # a response without a body (redirect, aborted)
                    return
                name = url.split("?", 1)[0].rsplit("/", 1)[-1]
                kind = name.rsplit(".", 1)[-1] if "." in name else name
                wire = response.request.sizes()["responseBodySize"]  # as sent (gzip or not)
                sizes[kind] += wire
                counts[kind] += 1
                # If the host sent everything as stored (no .gz copies used): the .pf_* and
                # .pagefind files are gzip already, the scripts, styles and JSON are not.
                hosted[kind] += len(body) if response.headers.get("content-encoding") == "gzip" else wire

            page.on("response", on_response)
            page.goto(base + "/tim-kiem/")
            page.locator(".pagefind-ui__search-input").wait_for()
            started = time.perf_counter()
            page.locator(".pagefind-ui__search-input").fill(query)
            page.locator(".pagefind-ui__result-link").first.wait_for(timeout=120_000)
            page.wait_for_load_state("networkidle")
            seconds = time.perf_counter() - started
            titles = page.locator(".pagefind-ui__result-link").all_inner_texts()[:5]
            message = page.locator(".pagefind-ui__message").inner_text()
            browser.close()
    finally:
        server.shutdown()
    return {
        "query": query, "total_kb": round(sum(sizes.values()) / 1024, 1),
        "total_kb_if_host_sends_files_as_stored": round(sum(hosted.values()) / 1024, 1), "seconds": round(seconds, 2),
        "by_kind_kb": {k: round(v / 1024, 1) for k, v in sorted(sizes.items())}, "files": dict(sorted(counts.items())),
        "message": message, "first_titles": titles,
    }


def _search_line(stderr: str) -> dict[str, Any]:
    for line in stderr.splitlines():
        if line.startswith("search-stats "):
            result: dict[str, Any] = json.loads(line.split(" ", 1)[1])
            return result
    return {}


def build(site: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, "TOASOAN_SEARCH_STATS": "1"}
    started = time.perf_counter()
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--site", str(site), "--output", str(out)],
                         capture_output=True, text=True, env=env, check=False)
    if run.returncode != 0:
        raise SystemExit(run.stderr)
    return {"wall": round(time.perf_counter() - started, 1), "search": _search_line(run.stderr)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--query", default="chuyen doi so")
    parser.add_argument("--transfer-only", action="store_true")
    args = parser.parse_args()
    if not args.transfer_only:
        if args.site is None:
            parser.error("--site is needed unless --transfer-only")
        cache = args.site / ".cache" / "search"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(args.output, ignore_errors=True)
        print("cold (no search cache):", json.dumps(build(args.site, args.output)))
        shutil.rmtree(args.output)
        print("every shard cached:", json.dumps(build(args.site, args.output)))
    print("transfer:", json.dumps(transfer(args.output, args.query), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
