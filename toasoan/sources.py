"""Reading editors' files safely: inside the site only, UTF-8 (BOM or not), LF, NFC."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from .text import nfc

_UTF16_32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")


class SourceError(Exception):
    """A file that cannot be read as site content; `line` is 0 when it concerns the whole file."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def inside(root: Path, path: Path) -> bool:
    """True when `path`, with every symlink followed, stays within `root`."""
    try:
        real = path.resolve(strict=False)
    except (OSError, RuntimeError):
        return False
    return real == root or real.is_relative_to(root)


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM, any line ends -> NFC text with LF line ends."""
    return decode_noting(data)[0]


def decode_noting(data: bytes) -> tuple[str, int]:
    """`decode`, and the 1-based line of the first character that was not in NFC (0: none)."""
    if data.startswith(_UTF16_32_BOMS):
        raise SourceError("tệp được lưu bằng UTF-16/UTF-32; hãy lưu lại bằng mã UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            "tệp không phải mã UTF-8 (có thể là Windows-1258 hoặc TCVN3); hãy lưu lại bằng UTF-8",
            line,
        ) from None
    if "\x00" in text:
        raise SourceError("tệp chứa ký tự NUL: không phải văn bản")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text, 0
    first = next(n for n, line in enumerate(text.split("\n"), 1) if not unicodedata.is_normalized("NFC", line))
    return nfc(text), first


def read_text(root: Path, path: Path) -> str:
    """Read a text file of the site rooted at `root` (resolved); refuse anything outside it."""
    return read_text_noting(root, path)[0]


def read_text_noting(root: Path, path: Path) -> tuple[str, int]:
    """`read_text`, and the 1-based line of the first character that was not in NFC (0: none)."""
    if not inside(root, path):
        raise SourceError("tệp trỏ ra ngoài thư mục trang (liên kết tượng trưng?): không đọc")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise SourceError("không tìm thấy tệp") from None
    except IsADirectoryError:
        raise SourceError("đây là thư mục, không phải tệp") from None
    except OSError as exc:
        raise SourceError(f"không đọc được tệp: {exc.strerror}") from None
    return decode_noting(data)


def scan_files(top: Path, prune: bytes | None = None) -> list[tuple[bytes, bool]]:
    """Every regular file below `top`, hidden names skipped, symlinked folders not followed: bytes
    paths in byte order (cheap enough for the no-op check on every build), each with whether it
    must be resolved before it is read (a symlink, or a file below a symlinked `top`). `prune`: a
    folder below `top` (as `top` joined with its path) whose files are left out, not listed."""
    if not top.is_dir():
        return []
    start = os.fsencode(top)
    linked = os.path.realpath(start) != os.path.abspath(start)  # noqa: PTH100
    found: list[tuple[bytes, bool]] = []
    pending = [start]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(b"."):
                continue
            if entry.is_dir():  # a symlinked folder is listed, but not followed
                if not entry.is_symlink() and entry.path != prune:
                    pending.append(entry.path)
            else:
                found.append((entry.path, linked or entry.is_symlink()))
    found.sort()
    return found


def walk_files(root: Path, top: Path, suffix: str | None = None) -> list[Path]:
    """Every regular file below `top` (`scan_files`), sorted as paths, with `suffix` if given."""
    end = os.fsencode(suffix) if suffix else b""
    found = [Path(os.fsdecode(path)) for path, _ in scan_files(top) if path.endswith(end)]
    found.sort()
    return found


def relative(root: Path, path: Path) -> str:
    """The path as editors see it: relative to the site, with `/`."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
