"""The writer: staging beside the output, atomic swap, refusal of dangerous output folders."""

from __future__ import annotations

import ctypes.util
import fcntl
import os
import random
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from toasoan import writer
from toasoan.writer import (
    MARKER,
    Carried,
    OutputFile,
    OutputRefused,
    UnsafeOutput,
    check_output_dir,
    commit_output,
    hold_lock,
    output_lock,
    safe_output_path,
)


def _files(n: int) -> Iterator[OutputFile]:
    for i in range(n):
        yield OutputFile(f"a/{i}/index.html", data=f"trang {i}".encode())


def test_commit_then_replace(tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert commit_output(out, _files(3)) == 3
    assert (out / "a/2/index.html").read_text() == "trang 2"
    assert (out / MARKER).is_file()
    commit_output(out, _files(1))
    assert not (out / "a/2").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_failure_midway_leaves_previous_output_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "public"
    commit_output(out, _files(2))
    before = (out / "a/1/index.html").read_bytes()

    def broken() -> Iterator[OutputFile]:
        yield from _files(5)
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        commit_output(out, broken())
    assert (out / "a/1/index.html").read_bytes() == before
    assert not (out / "a/4").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_two_files_for_one_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeOutput, match="hai tệp cùng được ghi vào `x.html`"):
        commit_output(tmp_path / "out", [OutputFile("x.html", b"1"), OutputFile("x.html", b"2")])
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["../thoat.html", "a/../../thoat.html", "/tmp/thoat.html", "a//b.html", "./a.html", ""])
def test_a_path_leaving_the_output_folder_is_refused_before_anything_is_swapped(tmp_path: Path, path: str) -> None:
    """The last guard: whatever made the path, nothing lands outside the staging folder."""
    out = tmp_path / "deep" / "public"
    commit_output(out, _files(1))
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    with pytest.raises(UnsafeOutput, match="ngoài thư mục xuất"):
        commit_output(out, [*_files(2), OutputFile(path, data=b"evil")])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


def test_carried_files_are_hard_links_to_the_last_output(tmp_path: Path) -> None:
    """A patch build's unchanged files: linked folder by folder, the new files written beside."""
    out = tmp_path / "public"
    commit_output(out, [*_files(3), OutputFile("b/c/d.css", data=b"css")])
    last = tmp_path / "last"
    out.rename(last)
    carried = Carried(last, [("a/0", ["index.html"]), ("b/c", ["d.css"]), ("a/2", [])])
    assert commit_output(out, [OutputFile("a/1/index.html", data=b"moi")], carried=carried) == 3
    for path in ("a/0/index.html", "b/c/d.css"):
        assert (out / path).stat().st_ino == (last / path).stat().st_ino
    assert (out / "a/1/index.html").read_bytes() == b"moi"
    assert not (out / "a/2").exists()  # a folder with nothing carried is not made
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        [MARKER, "a/0/index.html", "a/1/index.html", "b/c/d.css"],
    )


@pytest.mark.parametrize("carried", [
    [("a/0", ["index.html"])], [("..", ["x"])], [("a/0", ["../../x"])], [("a//0", ["x"])], [("a/./0", ["x"])], [("/a", ["x"])],
    [("a/0", [".."])], [("a/0", [""])], [("a/0", ["x\x00"])], [("b", ["x"]), ("b", ["y"])],
])
def test_a_written_file_on_a_carried_one_or_an_unsafe_carried_name_is_refused(tmp_path: Path, carried: list[tuple[str, list[str]]]) -> None:
    """Writing over a carried file would write through the hard link into the last output."""
    out = tmp_path / "public"
    commit_output(out, _files(1))
    last = tmp_path / "last"
    out.rename(last)
    before = (last / "a/0/index.html").read_bytes()
    with pytest.raises(UnsafeOutput):
        commit_output(out, [OutputFile("a/0/index.html", data=b"evil")], carried=Carried(last, carried))
    assert (last / "a/0/index.html").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]


def test_stale_staging_from_a_killed_build_is_cleaned(tmp_path: Path) -> None:
    stale = tmp_path / ".public.staging-999999"
    stale.mkdir()
    (stale / "half.html").write_text("x")
    commit_output(tmp_path / "public", _files(1))
    assert not stale.exists()


def test_the_staging_folder_of_a_build_still_running_is_left_alone(tmp_path: Path) -> None:
    """A staging folder whose owner holds its lock belongs to a live build: only one whose owner
    is gone is removed (before, every `.public.staging-*` was removed, the other build's too)."""
    live = tmp_path / ".public.staging-4242-abc"
    live.mkdir()
    (live / "index.html").write_text("đang dựng")
    fd = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        commit_output(tmp_path / "public", _files(1))
        assert (live / "index.html").read_text() == "đang dựng"
    finally:
        os.close(fd)
    commit_output(tmp_path / "public", _files(1))
    assert not live.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_a_held_lock_makes_the_second_holder_wait_and_says_so(tmp_path: Path) -> None:
    lock = output_lock(tmp_path / "public")
    assert lock == tmp_path / ".public.lock"
    told: list[str] = []
    asked = threading.Event()
    acquired = threading.Event()

    def second() -> None:
        def waiting(message: str) -> None:
            told.append(message)
            asked.set()

        with hold_lock(lock, "ghi xong vào `public`", waiting):
            acquired.set()

    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"777\n")
        thread = threading.Thread(target=second)
        thread.start()
        assert asked.wait(30), "the second holder never said it waits"
        assert not acquired.is_set()
    finally:
        os.close(fd)
    thread.join(30)
    assert acquired.is_set()
    assert told == ["đang chờ bản dựng khác (tiến trình 777) ghi xong vào `public`..."]
    assert lock.read_text() == f"{os.getpid()}\n"  # the holder's pid, for the next one's message


@pytest.mark.parametrize("target", [".", "content", "content/articles", "..", "/", "templates", "static"])
def test_dangerous_outputs_are_refused(tmp_path: Path, target: str) -> None:
    site = tmp_path / "site"
    (site / "content/articles").mkdir(parents=True)
    output = Path(target) if target == "/" else site / target
    with pytest.raises(OutputRefused):
        check_output_dir(site, output)


def test_a_foreign_folder_is_not_replaced(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thu.txt").write_text("quan trọng")
    with pytest.raises(OutputRefused):
        check_output_dir(site, foreign)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_output_dir(site, empty) == empty.resolve()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_swap_finds_renameat2_without_running_a_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ctypes.util.find_library` runs `ldconfig -p` in a child process: once per build that
    swapped. The C library is in this process already."""

    def refused(name: str) -> str:
        raise AssertionError(f"find_library({name!r}) starts ldconfig")

    monkeypatch.setattr(ctypes.util, "find_library", refused)
    writer._renameat2.cache_clear()
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "x").write_bytes(b"a")
    assert writer._exchange(first, second)
    assert (second / "x").read_bytes() == b"a" and not (first / "x").exists()


def test_the_carried_folders_joined_check_refuses_exactly_what_each_folders_check_refuses() -> None:
    """A patch's ~15,000 carried folders (~50,000 names at 10k) are checked joined, at C speed:
    it must refuse exactly the folders and names `safe_output_path`, one folder at a time, does."""
    rng = random.Random(5)
    pieces = ["a", "b", ".", "/", "\n", "\x00", "..", "x.y"]

    def text(most: int) -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, most)))

    def one_by_one(folders: list[tuple[str, list[str]]]) -> bool:
        seen: set[str] = set()
        for folder, names in folders:
            if (folder and not safe_output_path(folder)) or folder in seen:
                return False
            if not all(name not in ("", ".", "..") and "/" not in name and "\x00" not in name for name in names):
                return False
            seen.add(folder)
        return True

    for _ in range(20000):
        folders = [(text(4) if rng.random() < 0.8 else "", [text(3) for _ in range(rng.randint(0, 3))]) for _ in range(rng.randint(1, 3))]
        try:
            writer._check_carried(folders)
            joined = True
        except UnsafeOutput:
            joined = False
        assert joined == one_by_one(folders), folders
