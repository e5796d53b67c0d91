"""Commit a built site: write into a staging folder beside the output, then swap it in atomically."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

MARKER = ".toasoan-output"
MARKER_TEXT = b"Built by toasoan. This whole folder is replaced on every build.\n"
_STAGING = ".staging-"
_OLD = ".old-"
_RENAME_EXCHANGE = 2


class OutputRefused(Exception):
    """The output folder cannot be used; nothing was written or deleted."""


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the output: bytes to write, or a site file to copy as it is."""

    path: str
    data: bytes | None = None
    copy_from: Path | None = None
    link: bool = False  # the source is immutable (a cache entry): a hard link will do


def check_output_dir(site_dir: Path, output: Path) -> Path:
    """Refuse an output folder whose replacement could destroy anything but a previous build."""
    site = site_dir.resolve()
    out = output.resolve() if output.is_absolute() else (Path.cwd() / output).resolve()
    if out == Path(out.anchor):
        raise OutputRefused(f"không thể dùng `{output}` làm thư mục xuất: đó là thư mục gốc")
    if out == site or site.is_relative_to(out):
        raise OutputRefused(f"không thể dùng `{output}` làm thư mục xuất: nó chứa cả trang nguồn")
    for protected in ("content", "templates", "static", ".git"):
        if out == site / protected or out.is_relative_to(site / protected):
            raise OutputRefused(f"không thể dùng `{output}` làm thư mục xuất: nó nằm trong `{protected}/`")
    if out.exists():
        if not out.is_dir() or out.is_symlink():
            raise OutputRefused(f"`{output}` đã có và không phải thư mục")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise OutputRefused(
                f"`{output}` đã có dữ liệu không do toasoan tạo ra: chọn thư mục khác hoặc xóa nó trước"
            )
    return out


def commit_output(out: Path, files: Iterable[OutputFile], finalize: Callable[[Path], None] | None = None) -> int:
    """Write every file into a fresh staging folder, let `finalize` add to it (the search index
    is made from the written pages), then swap it with `out`. Returns the count of files written.

    A failure at any point removes the staging folder and leaves `out` exactly as it was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    staging = out.parent / f".{out.name}{_STAGING}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        count = _write_all(staging, files)
        if finalize is not None:
            finalize(staging)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def _write_all(staging: Path, files: Iterable[OutputFile]) -> int:
    written: set[str] = set()
    made_dirs: set[Path] = {staging}
    for item in [OutputFile(MARKER, data=MARKER_TEXT), *files]:
        if item.path in written:
            raise ValueError(f"two outputs claim one path: {item.path}")
        written.add(item.path)
        target = staging / item.path
        if target.parent not in made_dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(target.parent)
        if item.copy_from is not None and item.link:
            try:
                os.link(item.copy_from, target)
            except OSError:  # another file system, or links not allowed
                shutil.copyfile(item.copy_from, target)
        elif item.copy_from is not None:
            shutil.copyfile(item.copy_from, target)
        else:
            target.write_bytes(item.data or b"")
    return len(written) - 1


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = out.parent / f".{out.name}{_OLD}{os.getpid()}"
    out.rename(old)
    try:
        staging.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _remove_stale(out: Path) -> None:
    """Staging or old folders left by a build that was killed are removed (they are ours)."""
    prefix = f".{out.name}"
    for entry in out.parent.iterdir():
        name = entry.name
        if name.startswith(prefix) and (name[len(prefix):].startswith((_STAGING, _OLD))) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
