"""Whether the last build's output is still exactly what a build would make now: the same bytes
in every input file, the same generator and options, no scheduled moment passed, and the output
folder as that build left it. Reads inputs and stats the output; writes only its record."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sources import scan_files

_RECORD = "last-output-"
INPUT_FOLDERS = ("content", "templates", "static")


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What the last successful build into one output folder was made from and left there."""

    inputs: str  # the hash of every input file, the generator and the options
    built_at: float  # its "now", in seconds since 1970
    valid_until: float | None  # when "now" reaches this, an article appears or leaves a list
    output: dict[str, tuple[int, int]]  # file -> (size, mtime in ns), as it was written
    result: dict[str, Any]  # the build's result (plain JSON values), returned again when nothing changed


InputStat = dict[str, tuple[int, int, int, int]]
"""Every input file -> (size, mtime ns, ctime ns, inode) when it was hashed: how a build tells,
cheaply and only within its own run, whether a file was saved while it was building."""


def input_hash(roots: Iterable[Path], files: Iterable[Path], salt: str) -> tuple[str, InputStat]:
    """Every file the build may read below `roots` (the walk the build itself makes) and the single `files`, by path and
    bytes: never by mtime, which a checkout resets. Also each file's stat as it was read."""
    digest = hashlib.sha256(salt.encode("utf-8"))
    stats: InputStat = {}
    for root in roots:
        real_root = os.fsencode(root.resolve())
        for path, is_link in _files(root):
            _add(digest, stats, real_root, path, is_link)
    for single in files:
        parent = os.fsencode(single.parent.resolve())
        _add(digest, stats, parent, os.fsencode(single), single.is_symlink())
    return digest.hexdigest(), stats


def inputs_changed(roots: Iterable[Path], files: Iterable[Path], stats: InputStat) -> bool:
    """Whether any input file appeared, went or was written since `input_hash` read it (a stat
    walk: a write or rename always moves a file's ctime)."""
    seen = 0
    for root in roots:
        for path, _ in _files(root):
            seen += 1
            if _stat(path) != stats.get(os.fsdecode(path)):
                return True
    for single in files:
        seen += 1
        if _stat(os.fsencode(single)) != stats.get(str(single)):
            return True
    return seen != len(stats)


def _files(root: Path) -> Iterator[tuple[bytes, bool]]:
    """The files a build may read below `root`'s input folders (the walk the build itself makes),
    each with whether it must be resolved before it is read."""
    for folder in INPUT_FOLDERS:
        yield from scan_files(root / folder)


def _stat(path: bytes) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)  # noqa: PTH116
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _add(digest: Any, stats: InputStat, real_root: bytes, path: bytes, is_link: bool) -> None:
    digest.update(path + b"\0")
    stats[os.fsdecode(path)] = _stat(path) or (-1, -1, -1, -1)
    if is_link:  # a link out of the site is never read; the build refuses it
        real = os.path.realpath(path)
        if not (real == real_root or real.startswith(real_root + b"/")):
            digest.update(b"outside:" + real)
            return
    try:
        with open(path, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    except OSError as exc:  # unreadable: the build will say so; the hash just differs
        digest.update(f"!{exc.errno}".encode())


def output_state(out: Path) -> dict[str, tuple[int, int]]:
    """Every file of the output folder with its size and mtime (a stat walk, no reading)."""
    found: dict[str, tuple[int, int]] = {}
    top = str(out)
    pending = [(top, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, prefix + entry.name + "/"))
            else:
                stat = entry.stat(follow_symlinks=False)
                found[prefix + entry.name] = (stat.st_size, stat.st_mtime_ns)
    return found


def record_path(cache_folder: Path, out: Path) -> Path:
    return cache_folder / (_RECORD + hashlib.sha256(os.fsencode(out)).hexdigest()[:16])


def read_record(path: Path) -> Record | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest, payload = raw[:32], raw[32:]
    if len(raw) < 32 or hashlib.sha256(payload).digest() != digest:
        return None
    try:  # JSON, never pickle: a cache restored in CI must not be able to run code
        data = json.loads(payload)
        output = {str(k): (int(v[0]), int(v[1])) for k, v in data["output"].items()}
        valid_until = data["valid_until"]
        return Record(
            inputs=str(data["inputs"]), built_at=float(data["built_at"]),
            valid_until=None if valid_until is None else float(valid_until), output=output, result=dict(data["result"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def write_record(path: Path, record: Record) -> None:
    payload = json.dumps(
        {"inputs": record.inputs, "built_at": record.built_at, "valid_until": record.valid_until,
         "output": record.output, "result": record.result}, sort_keys=True, ensure_ascii=False,
    ).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "wb") as handle:
        handle.write(hashlib.sha256(payload).digest() + payload)
    temporary.replace(path)


def forget(path: Path) -> None:
    """Before an output is replaced: a build killed half-way must never look up to date."""
    path.unlink(missing_ok=True)


def still_valid(record: Record | None, inputs: str, now: float, out: Path) -> bool:
    if record is None or record.inputs != inputs:
        return False
    if now < record.built_at or (record.valid_until is not None and now >= record.valid_until):
        return False
    return output_state(out) == record.output


ADDRESSES = "published-addresses.json"
"""In `CACHE/build/`: every address the last build published an article at (its page or an
alias), so that the next build can tell which ones disappeared. Kept across generator versions."""

Addresses = dict[str, tuple[str, str, str]]
"""Output file -> (the address, the article's file, its title)."""


def read_addresses(cache_folder: Path) -> Addresses | None:
    """The last build's published addresses; None when there is no (readable) record."""
    try:
        raw = (cache_folder / ADDRESSES).read_bytes()
    except OSError:
        return None
    digest, payload = raw[:32], raw[32:]
    if len(raw) < 32 or hashlib.sha256(payload).digest() != digest:
        return None
    try:
        data = json.loads(payload)
        return {str(k): (str(v[0]), str(v[1]), str(v[2])) for k, v in data.items()}
    except (ValueError, TypeError, AttributeError, IndexError):
        return None


def write_addresses(cache_folder: Path, addresses: Addresses) -> None:
    payload = json.dumps(addresses, sort_keys=True, ensure_ascii=False).encode("utf-8")
    cache_folder.mkdir(parents=True, exist_ok=True)
    path = cache_folder / ADDRESSES
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "wb") as handle:
        handle.write(hashlib.sha256(payload).digest() + payload)
    temporary.replace(path)
