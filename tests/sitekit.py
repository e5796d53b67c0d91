"""Test helpers: declare a whole small site inline, build it, read the output back."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build.py"

MINIMAL_CONFIG = """\
title: Báo Thử Nghiệm
tagline: Tin tức thử nghiệm
base_url: https://thu.example.vn/
language: vi
timezone: Asia/Ho_Chi_Minh
permalink: /{year}/{month}/{slug}/
page_size: {category: 2, tag: 2, official: 2, archive: 2}
categories:
  thoi-su: {name: Thời sự, description: Tin thời sự}
  kinh-te: {name: Kinh tế}
menus:
  main:
    - {title: Trang chủ, url: /}
    - {title: Thời sự, category: thoi-su}
"""


def write_site(root: Path, spec: str, *, config: bool = True) -> Path:
    """Write files declared as `-- path --` headers followed by their text (dedented).

    `site_config.yaml` is added with MINIMAL_CONFIG unless the spec declares one."""
    root.mkdir(parents=True, exist_ok=True)
    spec = textwrap.dedent(spec)
    current: str | None = None
    lines: list[str] = []
    files: dict[str, str] = {}
    for line in spec.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("-- ") and stripped.endswith(" --"):
            if current is not None:
                files[current] = "".join(lines)
            current, lines = stripped[3:-3].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        files[current] = "".join(lines)
    if config and "site_config.yaml" not in files:
        files["site_config.yaml"] = MINIMAL_CONFIG
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    return root


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def diagnostics(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if ": " in line and not line.startswith("Không dựng")]


def run_cli(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run `python build.py ...` as an editor would, in a separate process."""
    base_env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1790000000", "LANG": "C.UTF-8"}
    proc = subprocess.run(
        [sys.executable, str(BUILD), *map(str, args)],
        capture_output=True, text=True, env={**base_env, **(env or {})}, cwd=cwd or REPO, check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below `root` by relative path (to compare whole builds)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def make_jpeg(path: Path, size: tuple[int, int] = (640, 427), color: tuple[int, int, int] = (200, 30, 30)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, "JPEG", quality=80)
    return path


ANH_1_SITE = """\
    -- content/articles/2023/06/anh-1/index.md --
    ---
    title: Bài có thư viện ảnh
    date: 2023-06-07 15:30
    category: thoi-su
    summary: Tóm tắt.
    gallery:
      - { src: a.jpg, caption: Ảnh thứ nhất. }
      - { src: b.jpg, caption: Ảnh thứ hai. }
    ---

    ## Ảnh 1

    <p id="anh-1">Đoạn tự đặt mã.</p>

    <div id="thu_vien_anh">Khối tự đặt mã.</div>
    """


def write_anh_1_site(site: Path) -> Path:
    """An article with a gallery whose body has a `## Ảnh 1` heading and raw `id="anh-1"`."""
    write_site(site, ANH_1_SITE)
    make_jpeg(site / "content/articles/2023/06/anh-1/a.jpg")
    make_jpeg(site / "content/articles/2023/06/anh-1/b.jpg", color=(30, 30, 200))
    return site


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """`folder` served on 127.0.0.1 as a static host would serve it; yields its address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
