"""Whether the last build's output is still exactly what a build would make now: the same bytes
in every input file, the same generator and options, no scheduled moment passed, and the output
folder as that build left it. Reads inputs and stats the output; writes only its record."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checked import checked_digest, collector_paused, read_checked, write_checked
from .sources import scan_files
from .writer import Spare, safe_output_path

_RECORD = "last-output-"
INPUT_FOLDERS = ("content", "templates", "static")


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What the last successful build into one output folder was made from and left there."""

    inputs: str  # the hash of every input file, the generator and the options
    built_at: float  # its "now", in seconds since 1970
    valid_until: float | None  # when "now" reaches this, an article appears or leaves a list
    output: OutputState  # every output file as it was written
    result: dict[str, Any]  # the build's result (plain JSON values), returned again when nothing changed
    hashed: Hashed | None = None  # each input file's digest, for the next build's hash
    # As read back or written: each part's SHA-256 and value (`write_record` writes again only
    # the parts that changed; carried over by dataclasses.replace, never compared).
    parts: dict[str, tuple[bytes, Any]] = dataclasses.field(default_factory=dict, compare=False, repr=False)


FileEntry = tuple[int, int, int, int, str]
"""An input file's (size, mtime ns, ctime ns, inode) before it was read, and the SHA-256 of what
was read ("" when it must be read again every time: a symlink, an unreadable file)."""

RACY_SECONDS = 2.0
"""A file changed this close to (or after) the moment it was hashed may be changed again within
the file system's timestamp resolution without its stat changing: its digest is never reused."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hashed:
    """Every input file's stat and digest, and when hashing them began (wall clock)."""

    at: float
    files: dict[str, FileEntry]


def input_hash(roots: Iterable[Path], files: Iterable[Path], salt: str, known: Hashed | None = None) -> tuple[str, Hashed]:
    """Every file the build may read below `roots` (the walk the build itself makes) and the single
    `files`, by path and bytes, never by mtime alone (a checkout resets it). A file's digest from
    `known` (the last record) is taken again only when its size, mtime, ctime and inode are all
    unchanged and neither time is within RACY_SECONDS of `known.at`: a write or a rename always
    moves ctime, and ctime cannot be set from user space."""
    at = time.time()
    digest = hashlib.sha256(salt.encode("utf-8"))
    entries: dict[str, FileEntry] = {}
    reusable = known.files if known is not None else {}
    racy = int((known.at - RACY_SECONDS) * 1e9) if known is not None else 0
    for root in roots:
        real_root = os.fsencode(root.resolve())
        for path, is_link in _files(root):
            _add(digest, entries, reusable, racy, real_root, path, is_link)
    for single in files:
        parent = os.fsencode(single.parent.resolve())
        _add(digest, entries, reusable, racy, parent, os.fsencode(single), single.is_symlink())
    return digest.hexdigest(), Hashed(at=at, files=entries)


SAVED_MEANWHILE = "+saved-while-building"
"""Ends the `inputs` of a record whose build saw an input saved while it ran: no hash equals it."""


def as_built(
    roots: Iterable[Path], files: Iterable[Path], inputs: str, hashed: Hashed, unread: Path | None = None, read: Iterable[str] = (),
) -> tuple[str, Hashed]:
    """What the record of a build that just ended may say of its inputs (`input_hash` read them
    before it began): `inputs` and `hashed` themselves when no file was saved, came or went
    since (a stat walk). Else the build may have read a file saved meanwhile before, after or
    half-way through that save. Each such file keeps the stat taken before it was hashed but
    loses its digest, so the next build reads it again and counts it as changed (a patch makes
    its pages again from it as it is then); and the inputs hash is marked so that it equals none
    a build makes (never up to date, not even when the file is saved back as it was). A file
    that came or went changes the set of files: the next build is a full one.

    `unread`: a folder below which the build read no file but those of `read` (a body patch reads
    the articles it patches and no other article: its model is the snapshot's). Its other files
    are neither listed nor stated (~10,000 articles at 10k): saved or not meanwhile, none of them
    reached the output, which keeps what the record's digests say (each is the last build's,
    unless the file is one the patch read); one saved since, whatever its bytes, has another stat
    for the next build, which reads it again; one that came or went changes the next build's set
    of files."""
    moved, came_or_went = _moved(roots, files, hashed, unread, read)
    if not moved and not came_or_went:
        return inputs, hashed
    entries = {name: (*entry[:4], "") if name in moved else entry for name, entry in hashed.files.items()}
    return inputs + SAVED_MEANWHILE, Hashed(at=hashed.at, files=entries)


def as_read(inputs: str, hashed: Hashed, root: Path, sources: Iterable[str]) -> str:
    """`inputs` marked as `as_built` marks it when the build made a page from a file (`sources`,
    relative to the site `root`) that `hashed` does not hold: one created after the inputs were
    hashed and gone again before `as_built`'s walk, which no stat walk sees. Its page is in the
    output; unmarked, the record would call that output up to date with the file gone."""
    if inputs.endswith(SAVED_MEANWHILE):
        return inputs
    prefix = f"{root}/"
    known = {name[len(prefix):] for name in hashed.files if name.startswith(prefix)}
    return inputs if all(source in known for source in sources) else inputs + SAVED_MEANWHILE


def _moved(
    roots: Iterable[Path], files: Iterable[Path], hashed: Hashed, unread: Path | None = None, read: Iterable[str] = (),
) -> tuple[set[str], bool]:
    """The files of `hashed` whose stat moved since, and whether a file came or went (a stat walk:
    a write or rename always moves a file's ctime). Below `unread`, only the files `read`."""
    stats = hashed.files
    moved: set[str] = set()
    seen = 0
    came = False
    expected = len(stats)
    singles = [(os.fsencode(single), str(single)) for single in files]
    prune = os.fsencode(unread) if unread is not None else None
    if unread is not None:
        below = f"{unread}/"
        expected -= sum(1 for name in stats if name.startswith(below))
        asked = sorted({name for name in read if name.startswith(below)})
        expected += sum(1 for name in asked if name in stats)
        singles += [(os.fsencode(name), name) for name in asked]
    walked = ((path, os.fsdecode(path)) for root in roots for path, _ in _files(root, prune))
    for path, name in (*walked, *singles):
        entry = stats.get(name)
        if entry is None:
            came = True
            continue
        seen += 1
        if _stat(path) != entry[:4]:
            moved.add(name)
    return moved, came or seen != expected


def _files(root: Path, prune: bytes | None = None) -> Iterator[tuple[bytes, bool]]:
    """The files a build may read below `root`'s input folders (the walk the build itself makes),
    each with whether it must be resolved before it is read; none below the folder `prune`."""
    for folder in INPUT_FOLDERS:
        yield from scan_files(root / folder, prune)


def _stat(path: bytes) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)  # noqa: PTH116
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


_MISSING = (-1, -1, -1, -1)


def _add(
    digest: Any, entries: dict[str, FileEntry], reusable: dict[str, FileEntry], racy: int, real_root: bytes, path: bytes, is_link: bool,
) -> None:
    digest.update(path + b"\0")
    name = os.fsdecode(path)
    stat = _stat(path)  # before reading: a write after it moves the stat the next build sees
    if is_link:  # a link out of the site is never read; the build refuses it
        entries[name] = (*(stat or _MISSING), "")
        real = os.path.realpath(path)
        if not (real == real_root or real.startswith(real_root + b"/")):
            digest.update(b"outside:" + real)
            return
    elif stat is not None:
        known = reusable.get(name)
        if known is not None and known[4] and known[:4] == stat and max(stat[1], stat[2]) < racy:
            entries[name] = known
            digest.update(bytes.fromhex(known[4]))
            return
    try:
        with open(path, "rb") as handle:
            file_digest = hashlib.file_digest(handle, "sha256").digest()
    except OSError as exc:  # unreadable: the build will say so; the hash just differs
        entries[name] = (*(stat or _MISSING), "")
        digest.update(f"!{exc.errno}".encode())
        return
    digest.update(file_digest)
    if not is_link:
        entries[name] = (*(stat or _MISSING), file_digest.hex())


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputState:
    """The output folder as a build left it: every folder (relative to it, "" for itself) with its
    files' names, in the order they are checked, and one SHA-256 over every folder's (mtime ns,
    ctime ns, inode) and every file's (size, mtime ns, inode) in that order. Names and one digest,
    not a number per stat: the record is read on every build, and JSON of 50,000 lists of numbers
    cost more to parse than the stats themselves."""

    folders: list[tuple[str, list[str]]]
    stats: str
    # The stats themselves (`array("q")` bytes, whose SHA-256 is `stats`), when this process has
    # them: the next patch works out its own state from them (`patched_state`) instead of a walk.
    # Kept beside the record's JSON (`write_record`, `read_values`), never in it.
    values: bytes | None = dataclasses.field(default=None, compare=False)  # their digest is `stats`


def output_state(out: Path) -> OutputState:
    """Every folder and file of the output folder (a stat walk, no reading)."""
    base = str(out)
    values: list[int] = []
    folders: list[tuple[str, list[str]]] = []
    top = os.lstat(base)
    pending: list[tuple[str, str, os.stat_result]] = [(base, "", top)]
    while pending:
        path, rel, st = pending.pop()
        values += (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        names: list[str] = []
        try:
            entries = sorted(os.scandir(path), key=lambda entry: entry.name)
        except OSError:
            entries = []
        for entry in entries:
            found = entry.stat(follow_symlinks=False)
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, f"{rel}/{entry.name}" if rel else entry.name, found))
            else:
                names.append(entry.name)
                values += (found.st_size, found.st_mtime_ns, found.st_ino)
        folders.append((rel, names))
    raw = array("q", values).tobytes()
    return OutputState(folders=folders, stats=_stats_digest(raw), values=raw)


Stat = tuple[int, int, int]
"""A folder's (mtime ns, ctime ns, inode) or a file's (size, mtime ns, inode), as `OutputState` keeps them."""


def _layout(state: OutputState) -> tuple[array[int], dict[str, int]] | None:
    """The state's stats and, by folder, where its own three numbers start (its files' follow);
    None when it holds no stats, or not as many as its names."""
    if state.values is None:
        return None
    values = array("q")
    values.frombytes(state.values)
    starts: dict[str, int] = {}
    at = 0
    for rel, names in state.folders:
        starts[rel] = at
        at += 3 + 3 * len(names)
    return (values, starts) if at == len(values) else None


def folder_stats(state: OutputState) -> tuple[list[str], array[int]] | None:
    """Every folder of the state but the top one, and their stats (three numbers each)."""
    layout = _layout(state)
    if layout is None:
        return None
    values, starts = layout
    folders = [rel for rel, _ in state.folders if rel]
    found = array("q")
    for rel in folders:
        at = starts[rel]
        found.extend(values[at:at + 3])
    return folders, found


def patched_state(
    out: Path, last: OutputState, carried: Iterable[tuple[str, Sequence[str]]], made: Iterable[str],
    still: dict[str, Stat] | None = None, moved: Iterable[str] = (),
) -> OutputState | None:
    """The output folder's state after a patch, from `last` (the state of the output it replaced,
    with its stats) and what the patch knows: `carried` files (by folder) are hard links to the
    last output's and keep its size, mtime and inode; the `made` files are stated. A folder whose
    files are all carried and none made keeps its names and its files' stats as they were (one
    slice, no work per file). Every folder is stated, but for those `still` gives (a recycled
    spare's folders, checked when it was claimed) when no file of `moved` (the files the patch
    removed from it or linked into it) nor of `made` is in or below them. None when `last` has no
    stats."""
    layout = _layout(last)
    if layout is None:
        return None
    values, starts = layout
    lstat = os.lstat
    base = str(out)
    kept = dict(carried)
    made_in: dict[str, list[str]] = {}
    for path in made:
        folder, _, name = path.rpartition("/")
        made_in.setdefault(folder, []).append(name)
    # Every folder whose entries the patch may have changed: stated again.
    touched = {""}
    for path in (*moved, *(f"{f}/" for f in made_in)):
        folder = path.rpartition("/")[0]
        while folder not in touched:
            touched.add(folder)
            folder = folder.rpartition("/")[0]
    last_names = dict(last.folders)
    names_of: dict[str, list[str]] = {}
    for rel, names in last.folders:
        mine = kept.get(rel, ())
        if rel in made_in or len(mine) != len(names):
            names_of[rel] = sorted({*mine, *made_in.get(rel, ())})
        else:
            names_of[rel] = names  # every file carried: the same names, the same stats
    for rel, new in made_in.items():
        if rel not in names_of:
            names_of[rel] = sorted(new)
    needed = {rel for rel, names in names_of.items() if names}
    for rel in list(needed):
        while rel:
            rel = rel.rpartition("/")[0]
            if rel in needed:
                break
            needed.add(rel)  # a folder of folders only
    needed.add("")
    found = array("q")
    folders: list[tuple[str, list[str]]] = []
    for rel in [r for r, _ in last.folders if r in needed] + sorted(r for r in needed if r not in starts):
        known = still.get(rel) if still is not None and rel not in touched else None
        if known is None:
            st = lstat(f"{base}/{rel}" if rel else base)
            known = (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        found.extend(known)
        names = names_of.get(rel, [])
        at = starts.get(rel)
        if at is not None and rel not in made_in and len(kept.get(rel, ())) == len(last_names[rel]):
            found.extend(values[at + 3:at + 3 + 3 * len(names)])
        else:
            index = {} if at is None else {name: at + 3 + 3 * i for i, name in enumerate(last_names[rel])}
            prefix = f"{base}/{rel}/" if rel else f"{base}/"
            linked = set(kept.get(rel, ()))
            for name in names:
                if name in linked:
                    i = index[name]
                    found.extend(values[i:i + 3])
                else:
                    st = lstat(prefix + name)
                    found.extend((st.st_size, st.st_mtime_ns, st.st_ino))
        folders.append((rel, names))
    raw = found.tobytes()
    return OutputState(folders=folders, stats=_stats_digest(raw), values=raw)


def output_unchanged(out: Path, recorded: OutputState) -> bool:
    """Whether the output folder still holds exactly what `recorded` says, without listing it: a
    file added, removed or renamed moves its folder's mtime and ctime (and ctime cannot be set
    from user space), a file written moves its own mtime (and a file replaced, its inode). One
    lstat per folder and per file, in the recorded order; listing every folder again cost more."""
    base = str(out)
    lstat = os.lstat
    values: list[int] = []
    try:
        for rel, names in recorded.folders:
            folder = f"{base}/{rel}" if rel else base
            st = lstat(folder)
            values += (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            prefix = folder + "/"
            for name in names:
                st = lstat(prefix + name)
                values += (st.st_size, st.st_mtime_ns, st.st_ino)
    except (OSError, TypeError, ValueError):  # gone, or a record of another shape
        return False
    return _stats_digest(array("q", values).tobytes()) == recorded.stats


def _stats_digest(raw: bytes) -> str:
    """The digest an `OutputState` keeps of its stats (`array("q")` bytes)."""
    return hashlib.sha256(raw).hexdigest()


def record_path(cache_folder: Path, out: Path) -> Path:
    return cache_folder / (_RECORD + hashlib.sha256(os.fsencode(out)).hexdigest()[:16])


def _values_path(record_file: Path) -> Path:
    return record_file.with_name(record_file.name + ".values")


def read_values(record_file: Path, state: OutputState) -> OutputState:
    """`state` with its stats (`OutputState.values`) read from beside its record when they are
    there and are exactly the stats its digest was taken over; else `state` as it is."""
    if state.values is not None:
        return state
    payload = read_checked(_values_path(record_file))
    if payload is None:
        return state
    try:
        raw = zlib.decompress(payload)
    except zlib.error:
        return state
    return dataclasses.replace(state, values=raw) if _stats_digest(raw) == state.stats else state


KeptRecords = dict[Path, tuple[tuple[int, int, int], Record]]
"""Records a long-lived process wrote (`pipeline.Warm`), by file, with that file's (inode, size,
mtime ns) then: read back from memory while the file is still that one, instead of parsing its
JSON again (~0.5 s at 10,000 articles, in one call that holds the interpreter)."""


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


HASHED_CHUNK = 1000
"""Input files in one part of a record (a body edit writes one of them again)."""
FOLDERS_CHUNK = 1000
"""Output folders (with their files' names) in one part of a record (a body edit changes the
search shard's few folders, whose files are named by their content)."""

_PART = ".part-"  # a record's part file: the record's name, this, the part's name


def _part_path(record_file: Path, name: str) -> Path:
    return record_file.with_name(f"{record_file.name}{_PART}{name}")


def _record_parts(record: Record) -> Iterator[tuple[str, Any]]:
    """The parts of a record besides its head: the output's folders and their files' names in
    chunks of FOLDERS_CHUNK (in the recorded order), and the input files' stats and digests in
    chunks of HASHED_CHUNK by name (a patch changes few: its parts are written again only when
    they differ from those read)."""
    folders = record.output.folders
    for start in range(0, len(folders), FOLDERS_CHUNK):
        yield f"folders.{start // FOLDERS_CHUNK}", folders[start:start + FOLDERS_CHUNK]
    files = record.hashed.files if record.hashed is not None else {}
    names = sorted(files)
    for start in range(0, len(names), HASHED_CHUNK):
        yield f"hashed.{start // HASHED_CHUNK}", {name: files[name] for name in names[start:start + HASHED_CHUNK]}


def read_record(path: Path, kept: KeptRecords | None = None) -> Record | None:
    """The record at `path` when its head and every part it names are whole; else None."""
    if kept is not None and path in kept:
        identity, record = kept[path]
        if _identity(path) == identity:
            return record
        del kept[path]
    payload = read_checked(path)
    if payload is None:
        return None
    with collector_paused():
        return _parse_record(path, payload)


def _parse_record(path: Path, payload: bytes) -> Record | None:
    try:  # JSON, never pickle: a cache restored in CI must not be able to run code
        data = json.loads(payload)
        parts: dict[str, tuple[bytes, Any]] = {}
        files: dict[str, FileEntry] = {}
        folders: list[tuple[str, list[str]]] = []
        for name, hexdigest in data["parts"]:
            kind, _, number = name.partition(".") if isinstance(name, str) else ("", "", "")
            if kind not in ("folders", "hashed") or not number.isdigit():
                return None  # a part this code never writes
            digest = bytes.fromhex(hexdigest)
            raw = read_checked(_part_path(path, name), digest)
            if raw is None:
                return None  # damaged, or a part of another record (a write cut short)
            value = json.loads(raw)
            # The names are checked as they are used: a wrong shape only compares unequal.
            if kind == "folders":
                chunk_folders = [(str(rel), names) for rel, names in value]
                folders += chunk_folders
                parts[name] = (digest, chunk_folders)
            else:
                chunk = {str(k): (int(v[0]), int(v[1]), int(v[2]), int(v[3]), str(v[4])) for k, v in value.items()}
                files.update(chunk)
                parts[name] = (digest, chunk)
        if not folders:
            return None  # every output has its own folder at least
        valid_until = data["valid_until"]
        return Record(
            inputs=str(data["inputs"]), built_at=float(data["built_at"]),
            valid_until=None if valid_until is None else float(valid_until),
            output=OutputState(folders=folders, stats=str(data["output"]["stats"])), result=dict(data["result"]),
            hashed=Hashed(at=float(data["hashed_at"]), files=files), parts=parts,
        )
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def write_record(path: Path, record: Record, kept: KeptRecords | None = None) -> None:
    """The record: its output's stats (when known) in a file beside it, written first (a stats
    file of another record reads as missing: its digest is not that record's); then its parts
    that differ from those it was read with (all of them for a new record), then the head that
    names them all (a write cut short leaves a head whose parts do not match: no record)."""
    if record.output.values is not None:
        write_checked(_values_path(path), zlib.compress(record.output.values, 1))
    else:
        _values_path(path).unlink(missing_ok=True)
    parts: dict[str, tuple[bytes, Any]] = {}
    for name, value in _record_parts(record):
        known = record.parts.get(name)
        if known is not None and (known[1] is value or known[1] == value) and checked_digest(_part_path(path, name)) == known[0]:
            parts[name] = known
            continue
        # ASCII: a file name that is not UTF-8 (kept as surrogates) survives as an escape.
        parts[name] = (write_checked(_part_path(path, name), json.dumps(value, sort_keys=True).encode("ascii")), value)
    payload = json.dumps(
        {"inputs": record.inputs, "built_at": record.built_at, "valid_until": record.valid_until,
         "output": {"stats": record.output.stats}, "hashed_at": record.hashed.at if record.hashed else 0.0,
         "parts": [[name, digest.hex()] for name, (digest, _) in parts.items()], "result": record.result}, sort_keys=True,
    ).encode("ascii")
    write_checked(path, payload)
    _remove_parts(path, set(parts))
    if kept is not None:
        identity = _identity(path)
        if identity is not None:
            kept[path] = (identity, dataclasses.replace(record, parts=parts))


def _remove_parts(path: Path, keep: set[str]) -> None:
    """Part files of the record at `path` that its head does not name (fewer chunks than before)."""
    prefix = f"{path.name}{_PART}"
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name[len(prefix):] not in keep:
            Path(entry.path).unlink(missing_ok=True)


def forget(path: Path) -> None:
    """Before an output is replaced: a build killed half-way must never look up to date."""
    path.unlink(missing_ok=True)


def remove(path: Path) -> None:
    """The record and everything kept beside it (its output's stats, its spare's record), for an
    output that is gone for good (serve's temporary folder)."""
    for file in (path, _values_path(path), _spare_path(path)):
        file.unlink(missing_ok=True)
    _remove_parts(path, set())


def _spare_path(record_file: Path) -> Path:
    return record_file.with_name(record_file.name + ".spare")


def write_spare(record_file: Path, spare: Spare) -> None:
    """Beside the record: the spare the last build kept of the output it replaced (`writer.Spare`):
    its path, stats, folders and differing files as JSON, then a NUL (never in JSON's bytes), then
    its folders' stats as `array("q")` bytes (hex in the JSON took most of the time to write and
    read: ~15,000 folders at 10k); zlib, checksummed."""
    head = json.dumps({
        "path": os.fsdecode(spare.path), "top": list(spare.top), "folders": list(spare.folders), "differ": sorted(spare.differ),
    }).encode("ascii")
    write_checked(_spare_path(record_file), zlib.compress(head + b"\0" + array("q", spare.values).tobytes(), 1))


def take_spare(record_file: Path) -> Spare | None:
    """The spare the last build kept, its record removed first (a spare without one is removed by
    the next build: a build killed while it changes the spare must not find it again); None when
    there is none or its record is damaged."""
    path = _spare_path(record_file)
    payload = read_checked(path)
    path.unlink(missing_ok=True)
    if payload is None:
        return None
    try:
        head, nul, raw = zlib.decompress(payload).partition(b"\0")
        data = json.loads(head)
        values = array("q")
        values.frombytes(raw)
        top = tuple(int(v) for v in data["top"])
        differ = frozenset(str(p) for p in data["differ"])
        # Each file the next patch unlinks from the spare: a plain relative path (a record made
        # by hand, or restored from elsewhere, must not name a file outside the spare).
        if not nul or len(top) != 3 or not all(safe_output_path(p) for p in differ):
            return None
        return Spare(
            path=Path(str(data["path"])), top=(top[0], top[1], top[2]), folders=[str(f) for f in data["folders"]], values=values,
            differ=differ,
        )
    except (ValueError, KeyError, TypeError, zlib.error):
        return None


def forget_spare(record_file: Path) -> None:
    """Before a build that will not use the spare: its folder is removed as a stale one."""
    _spare_path(record_file).unlink(missing_ok=True)


def still_valid(record: Record | None, inputs: str, now: float, out: Path) -> bool:
    if record is None or record.inputs != inputs:
        return False
    if now < record.built_at or (record.valid_until is not None and now >= record.valid_until):
        return False
    return output_unchanged(out, record.output)


ADDRESSES = "published-addresses.json"
"""In `CACHE/build/`: every address the last build published an article at (its page or an
alias), so that the next build can tell which ones disappeared. Kept across generator versions."""

Addresses = dict[str, tuple[str, str, str]]
"""Output file -> (the address, the article's file, its title)."""


def read_addresses(cache_folder: Path) -> Addresses | None:
    """The last build's published addresses; None when there is no (readable) record."""
    payload = read_checked(cache_folder / ADDRESSES)
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        return {str(k): (str(v[0]), str(v[1]), str(v[2])) for k, v in data.items()}
    except (ValueError, TypeError, AttributeError, IndexError):
        return None


def write_addresses(cache_folder: Path, addresses: Addresses) -> None:
    write_checked(cache_folder / ADDRESSES, json.dumps(addresses, sort_keys=True, ensure_ascii=False).encode("utf-8"))
