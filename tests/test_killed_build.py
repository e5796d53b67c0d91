"""A build killed with SIGKILL at any moment leaves the output either as it was or as the whole
new build (never half of one), and leaves a cache the next build uses to make exactly the bytes
of a clean build."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sitekit import BUILD, tree_bytes
from test_incremental import Site, _build, _clean_build

# When to kill, each chosen by what the build has visibly done (any moment must be safe): told
# the site, and what it was at the start (cache entries, the output folder's inode).
Evidence = Callable[[Path, tuple[int, int]], bool]


def _blobs(site: Path) -> int:
    return sum(1 for _ in (site / ".cache/build").rglob("blobs/*/*"))


def _staging(site: Path) -> list[Path]:
    return sorted(site.glob(".public.staging-*"))


def _start(site: Path) -> tuple[int, int]:
    return _blobs(site), (site / "public").stat().st_ino


KILL_POINTS: list[tuple[str, Evidence]] = [
    ("at once", lambda site, start: True),
    ("first new cache entry", lambda site, start: _blobs(site) > start[0]),
    ("staging folder made", lambda site, start: bool(_staging(site))),
    ("a page staged", lambda site, start: any((s / "index.html").exists() for s in _staging(site))),
    ("search index staged", lambda site, start: any((s / "pagefind").exists() for s in _staging(site))),
    ("many new cache entries", lambda site, start: _blobs(site) > start[0] + 40),
    ("output swapped in", lambda site, start: (site / "public").stat().st_ino != start[1]),
]


def _kill_when(site: Path, now: int, jobs: int, evidence: Evidence) -> bool:
    """Start a build and SIGKILL it (and its workers) once `evidence` holds; False when it
    ended first."""
    start = _start(site)
    env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": str(now), "LANG": "C.UTF-8"}
    proc = subprocess.Popen(
        [sys.executable, str(BUILD), "build", "--site", str(site), "--jobs", str(jobs)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    try:
        while proc.poll() is None and time.monotonic() < deadline and not evidence(site, start):
            time.sleep(0.002)  # polling for the evidence, not waiting for time to pass
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the build and its workers
        proc.wait(timeout=30)
    return proc.returncode == -signal.SIGKILL


def test_a_killed_build_leaves_the_old_output_or_the_new_one_and_a_usable_cache(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(10))  # its template edit is not macros.html, which makes all Markdown again
    for _ in range(25):
        site.add()
    public = site.root / "public"
    _build(site.root, public, site.now)  # a warm cache and a published output
    edits = [site.config, site.edit, site.template, site.add, site.edit, site.config, site.edit]
    for (name, evidence), edit, jobs in zip(KILL_POINTS, edits, [1, 2, 1, 2, 1, 2, 1], strict=True):
        before = tree_bytes(public)
        edit()
        killed = _kill_when(site.root, site.now, jobs, evidence)
        after = tree_bytes(public)
        if after != before:  # killed after the swap, or not killed: the whole new build
            clean = _clean_build(site.root, tmp_path, site.now)
            assert after == clean, f"killed at {name} (killed={killed}): the output is neither the old nor the new build"
    result = _build(site.root, public, site.now)
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    # The cache the killed builds left is still used (the config edits changed every page).
    assert result.articles_cached > 0 and result.markdown_cached > 0
    assert not _staging(site.root)  # their staging folders are gone
    stray = [p.name for p in (site.root / ".cache/build").rglob("*") if ".tmp-" in p.name]
    assert not stray, stray


@pytest.mark.parametrize("edit", ["body", "title"])
def test_a_killed_patch_build_leaves_the_old_output_or_the_new_one(tmp_path: Path, edit: str) -> None:
    """The same for a build that patches the last output (article bodies edited, or titles: the
    lists, feeds and "Xem thêm" that show them are patched too)."""
    site = Site(tmp_path / "site", random.Random(10))
    for _ in range(25):
        site.add()
    public = site.root / "public"
    _build(site.root, public, site.now)
    published = [p for p in site.articles() if "draft" not in p.read_text(encoding="utf-8")]
    points = [p for p in KILL_POINTS if p[0] in ("at once", "staging folder made", "a page staged", "search index staged", "output swapped in")]
    for n, ((name, evidence), path) in enumerate(zip(points, published, strict=False)):
        before = tree_bytes(public)
        if edit == "title":
            site._edit_front(path, "title", f"Tiêu đề đã sửa lần {n}")
        else:
            head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
            path.write_text(f"{head}\n---\n{body.replace('Đoạn thứ hai', f'Đoạn thứ hai (sửa {n})', 1)}", encoding="utf-8")
        killed = _kill_when(site.root, site.now, 1, evidence)
        after = tree_bytes(public)
        if after != before:
            assert after == _clean_build(site.root, tmp_path, site.now), f"killed at {name} (killed={killed}): neither old nor new"
    _build(site.root, public, site.now)
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    assert not _staging(site.root)
