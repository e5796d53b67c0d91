"""A build with nothing to do: `build.py` answers from the last build's record without importing
any stage's library, and still notices an output file written in place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sitekit import BUILD, REPO, tree_bytes, write_site

SITE = """\
-- content/articles/bai-mot.md --
---
title: Khai mạc hội chợ nông sản
date: 2026-09-01 08:00
category: thoi-su
---
Hội chợ mở cửa từ sáng nay tại **trung tâm tỉnh**.
-- content/articles/bai-hai.md --
---
title: Giá lúa tăng nhẹ
date: 2026-09-02 09:00
category: kinh-te
---
Giá lúa tăng trong tuần.
"""
# What the stages bring in; none of it is needed to tell that nothing changed.
STAGE_LIBRARIES = {"jinja2", "markdown", "PIL", "babel", "cbor2", "nh3", "frontmatter", "mutagen", "pygments", "slugify"}
# Nor reading libraries' versions (the generator stamp: `installed`, not importlib.metadata's
# machinery and the email parser it loads), nor ctypes (the swap's renameat2: a no-op swaps nothing).
NOT_FOR_A_NOOP = {"importlib.metadata", "email.parser", "email.message", "ctypes"}


def _build(site: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`build.py build` in its own process, and every module it imported (`-X importtime`)."""
    env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1790000000", "LANG": "C.UTF-8"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(BUILD), "build", "--site", str(site), "--output", str(out), "--jobs", "1"],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    return proc, modules


def _top(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_nothing_changed_imports_no_stage_library_and_a_written_output_is_still_noticed(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SITE)
    out = tmp_path / "public"
    first, modules = _build(site, out)
    assert first.returncode == 0, first.stderr[-2000:]
    assert {"jinja2", "markdown", "PIL"} <= _top(modules)  # a real build does need them
    built = tree_bytes(out)

    again, modules = _build(site, out)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Không có gì thay đổi" in again.stdout
    assert _top(modules) & STAGE_LIBRARIES == set()
    assert modules & NOT_FOR_A_NOOP == set()
    assert "toasoan.pipeline" not in modules

    page = next(p for p in sorted(out.rglob("index.html")) if p.parent != out)
    data = page.read_bytes()
    page.write_bytes(data.replace(b"<", b"(", 1))  # same size, written in place
    repaired, modules = _build(site, out)
    assert repaired.returncode == 0, repaired.stderr[-2000:]
    assert "Không có gì thay đổi" not in repaired.stdout
    assert "toasoan.pipeline" in modules
    assert tree_bytes(out) == built
