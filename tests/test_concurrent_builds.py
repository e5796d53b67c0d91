"""Two builds of one output folder (or one photo cache) at once: the second waits its turn,
says so, and both leave a whole site; neither deletes the other's work."""

from __future__ import annotations

import fcntl
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sitekit import BUILD, make_jpeg, run_cli, tree_bytes, write_site

SITE = """\
-- content/articles/bai.md --
---
title: Bài viết thử
date: 2023-06-07 15:30
category: thoi-su
cover: anh.jpg
---

Nội dung bài viết.
"""
WAIT = 120  # seconds: an upper bound for a build of this tiny site, never a delay


def _site(root: Path) -> Path:
    write_site(root, SITE)
    make_jpeg(root / "content/articles/anh.jpg")
    return root


@contextmanager
def _held(lock: Path) -> Iterator[None]:
    """Hold the lock a build takes, as another build would."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"4242\n")
        yield
    finally:
        os.close(fd)


class _Build:
    """build.py running in the background, its stderr read line by line."""

    def __init__(self, site: Path) -> None:
        env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1790000000", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen([sys.executable, str(BUILD), "--site", str(site), "--jobs", "1"], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)
        self.lines.put(None)  # the build ended

    def line_with(self, text: str) -> str:
        while True:
            line = self.lines.get(timeout=WAIT)
            assert line is not None, f"the build ended without saying {text!r}:\n{''.join(self.stderr)}"
            if text in line:
                return line

    def finish(self) -> int:
        code = self.proc.wait(timeout=WAIT)
        self.proc.communicate(timeout=WAIT)
        return code


def test_a_second_build_of_one_output_waits_with_a_message_then_builds(tmp_path: Path) -> None:
    """Before, a second build removed the first one's staging folder (an output with only
    `pagefind/`, both exiting 0). Now, while the output's lock is held, it waits, saying so, and
    touches nothing; released, it builds the whole site."""
    site = _site(tmp_path / "site")
    reference = tmp_path / "ref"
    assert run_cli("--site", site, "--output", reference).code == 0
    with _held(site / ".public.lock"):
        build = _Build(site)
        line = build.line_with("đang chờ")
        assert "bản dựng khác (tiến trình 4242) ghi xong vào" in line and "public" in line
        assert sorted(p.name for p in site.iterdir()) == [".cache", ".public.lock", "content", "site_config.yaml"]
    assert build.finish() == 0, "".join(build.stderr)
    assert tree_bytes(site / "public") == tree_bytes(reference)
    names = sorted(p.name for p in site.iterdir())
    spares = [name for name in names if name.startswith(".public.spare-")]
    assert len(spares) == 1  # the full build's copy of its output, for the next patch (`writer.keep_copy`)
    assert [name for name in names if name not in spares] == [".cache", ".public.lock", "content", "public", "site_config.yaml"]


def test_a_build_waits_for_the_photo_cache_of_another(tmp_path: Path) -> None:
    """Two sites' builds sharing one cache: the second waits for the cache (the first one's prune
    would remove what it is about to link), then builds."""
    site = _site(tmp_path / "site")
    with _held(site / ".cache/.toasoan.lock"):
        build = _Build(site)
        assert "bộ nhớ đệm ảnh" in build.line_with("đang chờ")
        assert not (site / "public").exists()
    assert build.finish() == 0, "".join(build.stderr)
    assert (site / "public/2023/06/bai/index.html").is_file()


def test_two_builds_started_together_both_leave_the_whole_site(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    reference = tmp_path / "ref"
    assert run_cli("--site", site, "--output", reference).code == 0
    first, second = _Build(site), _Build(site)
    assert (first.finish(), second.finish()) == (0, 0), "".join(first.stderr + second.stderr)
    assert tree_bytes(site / "public") == tree_bytes(reference)
    assert not [p.name for p in site.iterdir() if "staging" in p.name or ".old-" in p.name]


def test_a_big_replaced_output_is_removed_in_the_background_and_a_leftover_by_the_next_build(tmp_path: Path) -> None:
    """Removing the previous output of a big site (~15,000 folders) took seconds of every build;
    now a detached process holding the old folder's lock removes it while the build returns. The
    new output is whole at once; the old folder goes; one left by a killed remover (no lock held)
    is removed by the next build."""
    site = _site(tmp_path / "site")
    reference = tmp_path / "ref"
    assert run_cli("--site", site, "--output", reference).code == 0
    env = {"TOASOAN_BACKGROUND_REMOVAL_MIN": "0", "SOURCE_DATE_EPOCH": "1790000000"}
    assert run_cli("--site", site, env=env).code == 0
    assert run_cli("--site", site, env=env).code == 0  # this one replaces an output
    assert tree_bytes(site / "public") == tree_bytes(reference)

    def leftovers() -> list[str]:
        return [p.name for p in site.iterdir() if "staging" in p.name or ".old-" in p.name]

    deadline = time.monotonic() + WAIT
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.05)  # polling for the evidence (the folder gone), bounded by WAIT
    assert not leftovers()
    stale = site / ".public.old-1-killed"
    (stale / "2023").mkdir(parents=True)
    (stale / "2023/index.html").write_text("cũ")
    article = site / "content/articles/bai.md"
    article.write_text(article.read_text() + "\nThêm một đoạn.\n")  # not a no-op build
    assert run_cli("--site", site, env=env).code == 0
    assert not stale.exists()
