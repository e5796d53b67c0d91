"""What the last build of one output folder was made of, kept beside its up-to-date record so
that the next build can re-make only what an edit changed (`pipeline._patch`): every input
file's hash, and the checked model, pages' contexts and search records that build made.

A snapshot is written only after a build succeeded and its record was written, names the
inputs hash of that record, and is checksummed; it is unpickled allowing only the classes of
the model and its views (a restored CI cache must not be able to run code). Anything that does
not read back as the snapshot of the record at hand is ignored: the build is then a full one."""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .buildcache import load_model
from .images import Processed
from .model import Site
from .search import Record
from .sources import scan_files
from .templates import Assets
from .uptodate import INPUT_FOLDERS, InputStat

_SUFFIX = ".snapshot"
# The classes a snapshot is made of; anything else in its bytes is refused, never called.
_MODULES = (
    "toasoan.snapshot", "toasoan.model", "toasoan.errors", "toasoan.config", "toasoan.images", "toasoan.search", "toasoan.templates",
)
# A file written this close (seconds) before it was read may have been written again within the
# same timestamp tick, with an equal stat: its hash is not kept. Linux stamps files from a clock
# that ticks every few milliseconds; file systems that keep whole seconds (no nanoseconds) may
# round to two.
_RACY = 0.05
_RACY_COARSE = 2.0

FileState = tuple[int, int, int, int, str]
"""An input file's (size, mtime ns, ctime ns, inode) when it was hashed, and its SHA-256."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    inputs: str  # the up-to-date record's inputs hash this snapshot belongs to
    files: dict[str, FileState]  # every input file by its path (as the input walk names it); "": hash not kept
    site: Site  # the checked model, without the articles' Markdown or HTML
    related: tuple[tuple[int, ...], ...]  # each article's "Xem thêm" picks
    share_cards: dict[str, str]  # share card URLs by article source (the paper's under "")
    link_targets: frozenset[str]  # every address a body's link may name
    photos: dict[str, Processed]  # by site-relative source
    links: dict[str, dict[str, str]]  # source-path links: document -> {link: address}
    assets: Assets
    markdown_salt: str
    records: tuple[Record, ...]  # the search records, by URL
    covers: dict[str, str]  # article URL -> its cover's URL in search results


def path_for(record_file: Path) -> Path:
    return record_file.with_name(record_file.name + _SUFFIX)


def hash_files(stats: InputStat, since: float) -> dict[str, FileState] | None:
    """Every input file's state for a snapshot of a build that read them from `since` (seconds
    since 1970); None when one was written since (its stat moved): a snapshot must hold exactly
    what the build read."""
    found: dict[str, FileState] = {}
    for name, stat in stats.items():
        if _stat(name) != stat:
            return None
        digest = _sha(name) if _settled(stat, since) else ""
        if digest is None:
            return None
        found[name] = (*stat, digest)
    return found


def changed_files(snapshot: Snapshot, roots: Iterable[Path], singles: Iterable[Path]) -> tuple[list[str], dict[str, FileState]] | None:
    """The input files whose bytes differ from the snapshot's, and every file's state now;
    None when a file appeared or went (the model's shape may change: a full build answers).
    A file is read again only when its stat moved or its hash was not kept (a write or rename
    always moves ctime, which user code cannot set)."""
    since = time.time()
    names = [os.fsdecode(path) for root in roots for folder in INPUT_FOLDERS for path, _ in scan_files(root / folder)]
    names += [str(single) for single in singles]
    if len(names) != len(snapshot.files) or any(name not in snapshot.files for name in names):
        return None
    changed = []
    states: dict[str, FileState] = {}
    for name in names:
        known = snapshot.files[name]
        stat = _stat(name)
        if stat is None:
            return None
        if stat == known[:4] and known[4]:
            states[name] = known
            continue
        digest = _sha(name)
        if digest is None:
            return None
        states[name] = (*stat, digest if _settled(stat, since) else "")
        if digest != known[4]:
            changed.append(name)
    return changed, states


def _settled(stat: tuple[int, int, int, int], since: float) -> bool:
    """Whether a file read from `since` on was last written well before: one written within the
    same timestamp tick as it was read could change again with an equal stat ("racy"), so its
    hash is not kept and it is read again next time."""
    window = _RACY_COARSE if stat[2] % 1_000_000_000 == 0 else _RACY
    return stat[2] < (since - window) * 1e9


def _stat(name: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(name)  # noqa: PTH116 (str paths: ~10,000 files a build)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _sha(name: str) -> str | None:
    try:
        with open(name, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def read(path: Path, inputs: str) -> Snapshot | None:
    """The snapshot at `path` when it is whole and belongs to the record with `inputs`."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest, payload = raw[:32], raw[32:]
    if len(raw) < 32 or hashlib.sha256(payload).digest() != digest:
        return None
    try:
        found = load_model(payload, _MODULES)
    except Exception:  # noqa: BLE001 (damaged or foreign bytes of any kind: a full build answers)
        return None
    if not isinstance(found, Snapshot) or found.inputs != inputs:
        return None
    return found


def write(path: Path, snapshot: Snapshot) -> None:
    payload = pickle.dumps(snapshot, protocol=5)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "wb") as handle:
        handle.write(hashlib.sha256(payload).digest() + payload)
    temporary.replace(path)


def forget(path: Path) -> None:
    path.unlink(missing_ok=True)
