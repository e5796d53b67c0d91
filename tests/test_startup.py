"""What a build costs before and after its work: the interpreter's start, the modules a patch
build loads, the bytecode it finds. A one-article patch is ~0.3 s of work at 10,000 articles, so
a library it never uses, or compiling toasoan's modules again, is a large part of it."""

from __future__ import annotations

import json
import shutil
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

Đoạn thứ hai kể về các gian hàng.
-- content/articles/bai-hai.md --
---
title: Giá lúa tăng nhẹ
date: 2026-09-02 09:00
category: kinh-te
---
Giá lúa tăng trong tuần.
"""
# Libraries only other kinds of builds need: photos (Pillow), audio (mutagen), Babel (an article
# page's date needs only the weekday's name, `dates._VI_WEEKDAYS`), a process pool (a patch makes
# its few pages in its own process).
NOT_FOR_A_BODY_PATCH = {"PIL", "mutagen", "babel", "multiprocessing"}


def test_the_checkout_keeps_its_bytecode_even_where_writing_it_is_turned_off(tmp_path: Path) -> None:
    """`build.py` compiles toasoan's modules once, as pip does for an installed package, not at
    every build (PYTHONDONTWRITEBYTECODE set in a CI image or a shell would cost every build that)."""
    copy = tmp_path / "checkout"
    shutil.copytree(REPO / "toasoan", copy / "toasoan", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(BUILD, copy / "build.py")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, str(copy / "build.py"), "--version"], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert list((copy / "toasoan/__pycache__").glob("cli.*.pyc"))


def _build(site: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1790000000", "LANG": "C.UTF-8", "TOASOAN_TIMINGS": "1"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(BUILD), "build", "--site", str(site), "--output", str(out), "--jobs", "2"],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    return proc, modules


def _stages(proc: subprocess.CompletedProcess[str]) -> list[str]:
    line = next(line for line in proc.stderr.splitlines() if line.startswith("timings "))
    return [stage for stage, _ in json.loads(line.removeprefix("timings "))]


def test_a_body_patch_loads_no_library_it_does_not_use(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", SITE)
    out = tmp_path / "public"
    first, modules = _build(site, out)
    assert first.returncode == 0, first.stderr[-2000:]
    article = site / "content/articles/bai-mot.md"
    article.write_text(article.read_text(encoding="utf-8").replace("các gian hàng", "các gian hàng đông vui"), encoding="utf-8")
    patched, modules = _build(site, out)
    assert patched.returncode == 0, patched.stderr[-2000:]
    assert "edited articles" in _stages(patched)  # a patch, not a full build
    assert {"jinja2", "markdown"} <= modules  # what it does use
    assert modules & NOT_FOR_A_BODY_PATCH == set()
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns(".cache", ".public*", "public"))
    rebuilt, _ = _build(clean, tmp_path / "clean-out")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean-out")


def _run_program(program: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1790000000", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=REPO, check=False)


def _build_py(*args: str | Path) -> str:
    """A program running build.py with `args` as `python3 build.py` does, holding an object whose
    finalizer says when the interpreter tears its modules down, and an exit hook of its own."""
    return f"""
import atexit, os, runpy, sys
class Teardown:
    def __del__(self):
        os.write(2, b"torn down\\n")
kept = Teardown()
atexit.register(lambda: os.write(2, b"exit hook\\n"))
sys.argv = [{str(BUILD)!r}, *{[str(a) for a in args]!r}]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_build_ends_without_the_interpreter_tearing_its_heap_down(tmp_path: Path) -> None:
    """Freeing a patch build's heap object by object at exit cost ~40 ms at 10,000 articles: the
    process ends once its exit hooks ran and what it printed is out, with the same exit code."""
    site = write_site(tmp_path / "site", SITE)
    built = _run_program(_build_py("build", "--site", site, "--output", tmp_path / "public"))
    assert built.returncode == 0, built.stderr
    assert "Đã dựng" in built.stdout  # printed, buffered, and out before the end
    assert "exit hook" in built.stderr
    assert "torn down" not in built.stderr
    again = _run_program(_build_py("build", "--site", site, "--output", tmp_path / "public", "--format", "json"))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["summary"]["up_to_date"] is True
    assert "torn down" not in again.stderr
    broken = site / "content/articles/bai-hai.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("category: kinh-te", "category: khong-co"), encoding="utf-8")
    failed = _run_program(_build_py("build", "--site", site, "--output", tmp_path / "public"))
    assert failed.returncode == 1
    assert "content/articles/bai-hai.md:" in failed.stderr and "Không dựng trang" in failed.stderr
    assert "exit hook" in failed.stderr and "torn down" not in failed.stderr


def test_a_bad_command_line_still_exits_as_python_does(tmp_path: Path) -> None:
    """argparse's exit (2) and anything raised are not ours to shorten: the normal exit."""
    usage = _run_program(_build_py("build", "--jobs", "0"))
    assert usage.returncode == 2
    assert "lỗi" in usage.stderr and "torn down" in usage.stderr


def test_a_thread_still_running_is_waited_for() -> None:
    """With a thread that is not a daemon still running, the process exits as Python does: the
    thread ends, its output is out, and the code is the one asked for."""
    program = """
import threading
from toasoan.cli import leave
go = threading.Event()
def late():
    go.wait()
    print("thread done")
threading.Thread(target=late).start()
go.set()
leave(3)
"""
    run = _run_program(program)
    assert run.returncode == 3, run.stderr
    assert run.stdout == "thread done\n"


def _compiling_build(checkout: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`checkout/build.py` with `args`, saying on stderr each template Jinja compiles."""
    program = f"""
import os, runpy, sys
import jinja2
compile = jinja2.Environment.compile
def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
    os.write(2, f"compiled {{name}}\\n".encode())
    return compile(self, source, name, filename, raw, defer_init)
jinja2.Environment.compile = counted
sys.argv = [{str(checkout / "build.py")!r}, *{[str(a) for a in args]!r}]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
    env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1790000000", "LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=checkout, check=False)


def _compiled(proc: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.removeprefix("compiled ") for line in proc.stderr.splitlines() if line.startswith("compiled ")}


def test_the_default_themes_templates_are_compiled_once_beside_the_packages_bytecode(tmp_path: Path) -> None:
    """Compiling an article page's templates cost each build ~25-40 ms. The default theme's
    compiled templates are kept in the package's own `__pycache__/` (never in the build cache,
    which CI restores and which must not supply code); a site's own templates are compiled in
    every process; a damaged entry is compiled again; the pages are the same bytes either way."""
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO / "toasoan", checkout / "toasoan", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("templates", "static"):
        shutil.copytree(REPO / folder, checkout / folder)
    shutil.copy(BUILD, checkout / "build.py")
    site = write_site(tmp_path / "site", SITE)
    first = _compiling_build(checkout, "build", "--site", site, "--output", tmp_path / "first", "--jobs", "1")
    assert first.returncode == 0, first.stderr[-2000:]
    assert {"article.html", "base.html", "macros.html", "home.html"} <= _compiled(first)
    [folder] = (checkout / "toasoan/__pycache__").glob("templates-*")
    kept = sorted(folder.iterdir())
    assert len(kept) == len(list((checkout / "templates").glob("*.html")))

    second = _compiling_build(checkout, "build", "--site", site, "--output", tmp_path / "second", "--jobs", "1")
    assert second.returncode == 0, second.stderr[-2000:]
    assert _compiled(second) == set()
    assert tree_bytes(tmp_path / "second") == tree_bytes(tmp_path / "first")

    for entry in kept:
        entry.write_bytes(entry.read_bytes()[:40])  # cut short
    (site / "templates").mkdir()
    (site / "templates/page.html").write_text((REPO / "templates/page.html").read_text(encoding="utf-8"), encoding="utf-8")
    third = _compiling_build(checkout, "build", "--site", site, "--output", tmp_path / "third", "--jobs", "1")
    assert third.returncode == 0, third.stderr[-2000:]
    assert {"article.html", "base.html", "page.html"} <= _compiled(third)
    assert tree_bytes(tmp_path / "third") == tree_bytes(tmp_path / "first")
    assert sorted(folder.iterdir()) == kept  # the site's page.html is not kept there
    fourth = _compiling_build(checkout, "build", "--site", site, "--output", tmp_path / "fourth", "--jobs", "1")
    assert _compiled(fourth) == {"page.html"}
