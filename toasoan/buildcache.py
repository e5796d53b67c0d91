"""The build cache: rendered Markdown and pages kept by a hash of exactly what made them, in
immutable content-addressed files that are verified before use; never writes into the output.

Layout under `CACHE/build/<stamp>/` (the stamp covers the generator's code and the versions of
the libraries that shape output, so another version never reads these entries):

    blobs/<2 hex>/<sha256>   an entry's bytes; its name is their hash (checked on every use)
    index                    checksummed JSON: {kind: {key: sha256}} of the last good full build
    index.more               checksummed JSON: the entries patch builds added since, and the
                             SHA-256 of the index they were added to (`BuildCache.add_to_index`)

Entries are created exclusively under their name, never opened again for writing (a damaged one
is replaced whole by a rename), so a hard link from the output to a blob can never be changed
through the cache; one cut short by a killed build fails its hash and is not used. The index is replaced only
after a build succeeded, so a build killed at any moment leaves the previous index whole; blobs
no index names are removed by `finish`. A patch build, which only adds entries, writes them to
the small file beside the index instead of the whole index again (~7 MB at 10,000 articles); an
index written whole removes that file, and one naming another index is ignored.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import operator
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import EnumMeta
from functools import cache
from pathlib import Path
from typing import Any

from .checked import read_checked, write_checked
from .installed import installed_version
from .writer import remove_folder

BUILD_DIR = "build"
_INDEX = "index"
_PROFILES = {False: _INDEX, True: "index-drafts"}  # with drafts or not -> its index file
_MORE = ".more"  # beside an index: the entries patch builds added to it
MORE_MAX = 4096  # entries the file beside an index may hold; past that the index is written whole
_LIBRARIES = ("Jinja2", "Markdown", "nh3", "Babel", "MarkupSafe", "pillow", "PyYAML", "python-frontmatter", "deflate")


@cache  # the code and the libraries of a running process do not change
def generator_stamp() -> str:
    """A hash of this package's code and the versions of the libraries that shape the output."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for name in _LIBRARIES:
        digest.update(f"{name}={installed_version(name) or '-'};".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def fingerprint(*parts: Any) -> str:
    """A stable hash of plain values (str, bytes, numbers, tuples, frozen dataclasses...).

    Pickled without its memo, so equal values give equal bytes whatever objects they share."""
    return _digest(parts, canonical_pickle)


def _digest(parts: tuple[Any, ...], pickled: Callable[[Any], bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            data = part
        elif isinstance(part, str):
            data = part.encode("utf-8")
        else:
            data = pickled(part)
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class Fingerprints:
    """`fingerprint` for many values that share parts (the same article card on a list page, the
    home page, a feed and the "Xem thêm" of other articles): a value of one of the `shared`
    types is hashed once and stands in every later hash as its digest. Equal values give equal
    digests whether or not they are the same object, so the keys stay canonical. One instance
    lives as long as the values it has seen (it keeps them, so their ids are never reused)."""

    def __init__(self, shared: tuple[type, ...]) -> None:
        self._shared = frozenset(shared)
        self._seen: dict[int, tuple[Any, bytes]] = {}

    def __call__(self, *parts: Any) -> str:
        return _digest(parts, self._pickled)

    def _pickled(self, value: Any) -> bytes:
        return canonical_pickle(value, self._shared, self._seen)


class _Sink:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)


_FIELDS: dict[type, Callable[[Any], Any] | None] = {}  # None: not a dataclass, pickled as it is


def _fields_getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    return lambda obj: tuple(getattr(obj, n) for n in names)


def _getter(kind: type) -> Callable[[Any], Any] | None:
    if not dataclasses.is_dataclass(kind):
        _FIELDS[kind] = None
        return None
    names = [f.name for f in dataclasses.fields(kind)]
    getter = operator.attrgetter(*names) if len(names) > 1 else _fields_getter(names)
    texts = getattr(kind, "CANONICAL_UTF8", ())
    if texts:
        getter = _utf8_getter(getter, frozenset(names.index(n) for n in texts))
    _FIELDS[kind] = getter
    return getter


def _utf8_getter(getter: Callable[[Any], Any], indexes: frozenset[int]) -> Callable[[Any], tuple[Any, ...]]:
    """A getter giving the long text fields at `indexes` as UTF-8 bytes. Pickle's own way of
    writing a non-ASCII str caches its UTF-8 form inside the str object for as long as that lives:
    an article's HTML hashed for its page key would carry a second copy of itself to the end of
    the build (~5.6 MB a thousand articles)."""
    return lambda obj: tuple(v.encode() if i in indexes else v for i, v in enumerate(getter(obj)))


def _shared_value(digest: bytes) -> None:
    """Stands, in a hash, for a value hashed before (never called: these bytes are never unpickled)."""


class _Canonical(pickle.Pickler):
    """A pickler for hashing only (its bytes are never unpickled): a dataclass is written as its
    class and the tuple of its fields, read in C, instead of through the Python-level
    `__getstate__` of slotted dataclasses (most of the time of a page key)."""

    shared: frozenset[type] = frozenset()
    seen: dict[int, tuple[Any, bytes]]

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        getter = _FIELDS[kind] if kind in _FIELDS else _getter(kind)
        if getter is None:
            return NotImplemented
        if kind in self.shared:
            known = self.seen.get(id(obj))
            if known is None:
                known = (obj, hashlib.sha256(canonical_pickle(obj)).digest())
                self.seen[id(obj)] = known
            return _shared_value, (known[1],)
        return kind, getter(obj)


def canonical_pickle(value: Any, shared: frozenset[type] = frozenset(), seen: dict[int, tuple[Any, bytes]] | None = None) -> bytes:
    """Bytes that stand for `value` in a hash: equal values, equal bytes. Values of the `shared`
    types stand as their digests, kept in `seen` (`Fingerprints`)."""
    sink = _Sink()
    pickler = _Canonical(sink, protocol=5)
    pickler.fast = True  # no memo: a shared object and two equal copies pickle the same
    pickler.shared = shared
    pickler.seen = {} if seen is None else seen
    pickler.dump(value)
    return b"".join(sink.parts)


@dataclass(slots=True)
class Hit:
    """What a lookup found: the verified bytes and the blob they live in."""

    data: bytes
    path: Path
    sha: str


@dataclass
class BuildCache:
    """One build's view of the cache: the previous index to read, the next one to write."""

    folder: Path
    previous: dict[str, dict[str, str]]
    notices: list[str] = field(default_factory=list)
    index: str = _INDEX  # this profile's index file ("index"; "index-drafts" for builds with drafts)
    used: dict[str, dict[str, str]] = field(default_factory=dict)
    # The SHA-256 of the index read and the entries added to it since (`add_to_index`); None
    # when there was no sound index to add to.
    added: tuple[bytes, dict[str, dict[str, str]]] | None = None

    def lookup(self, kind: str, key: str) -> Hit | None:
        """The entry for `key`, verified against its hash; None when missing or damaged."""
        hit, how = find_entry(self.folder, self.previous.get(kind, {}), key)
        self.account(kind, key, hit.sha if hit else None, how, f"bộ nhớ đệm hỏng ở một mục ({kind}): bỏ qua, dựng lại mục đó")
        return hit

    def record(self, kind: str, key: str, sha: str) -> None:
        self.used.setdefault(kind, {})[key] = sha

    def account(self, kind: str, key: str, sha: str | None, how: str, damaged: str) -> bool:
        """Take in how a worker had the entry for `key` (see `find_entry`): the entry it used or
        made is kept in the next index, damage gets the notice `damaged`. True when it was cached."""
        if how == "damaged":
            self.notices.append(damaged)
        if sha is not None:
            self.record(kind, key, sha)
        return how == "cached"

    def add_to_index(self, entries: dict[str, dict[str, str]]) -> bool:
        """For a build that only adds `entries` to the index it read (a patch build): they join
        those added since the index was written, in the file beside it, which names that index's
        SHA-256. False when the index must be written whole instead: none was read whole, or the
        file beside it would hold more than MORE_MAX entries."""
        if self.added is None:
            return False
        base, more = self.added
        merged = {kind: dict(known) for kind, known in more.items()}
        for kind, known in entries.items():
            merged.setdefault(kind, {}).update(known)
        if sum(len(known) for known in merged.values()) > MORE_MAX:
            return False
        payload = json.dumps({"index": base.hex(), "entries": merged}, sort_keys=True, separators=(",", ":"))
        write_checked(self.folder / (self.index + _MORE), payload.encode("utf-8"), sync=True)
        return True

    def finish(self) -> None:
        """After a successful build: write the new index, remove what it does not name."""
        write_index(self.folder, self.used, self.index)
        # The other profile's entries stay too: `serve` (drafts) and `build` on one site would
        # otherwise remove each other's whole cache, build after build.
        others = [read_index(self.folder, name)[0] for name in _PROFILES.values() if name != self.index]
        keep = {sha for index in [self.used, *others] for entries in index.values() for sha in entries.values()}
        blobs = self.folder / "blobs"
        if blobs.is_dir():
            for bucket in blobs.iterdir():
                for entry in bucket.iterdir():
                    if entry.name not in keep:
                        entry.unlink(missing_ok=True)
        parent = self.folder.parent
        for other in parent.iterdir():
            if other != self.folder and other.is_dir():
                # Another generator version's entries: tens of thousands of files whose removal
                # the build need not wait for.
                remove_folder(other, background=True)


def remove_blobs(folder: Path, shas: Iterable[str], written: dict[str, dict[str, str]], index: str) -> None:
    """After `written` was written as the index `index`: the blobs `shas` that neither it nor the
    other profile's index names, removed (what `BuildCache.finish` would remove of them, without
    listing every blob)."""
    others = [read_index(folder, name)[0] for name in _PROFILES.values() if name != index]
    keep = {sha for entries in [written, *others] for kind in entries.values() for sha in kind.values()}
    base = str(folder)
    for sha in shas:  # ~29,000 after a template patch at 10k: names as strings, not Paths (0.06 s against 0.2 s)
        if sha not in keep:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(_blob_name(base, sha))  # noqa: PTH108


def open_cache(cache_dir: Path, stamp: str, drafts: bool = False) -> BuildCache:
    """The build cache of this generator version, with the index of the last build of the same
    profile (with or without drafts)."""
    folder = cache_dir / BUILD_DIR / stamp
    index = _PROFILES[drafts]
    previous, notice, added = _read_index(folder, index)
    cache = BuildCache(folder=folder, previous=previous, index=index, added=added)
    if notice:
        cache.notices.append(notice)
    return cache


def find_entry(folder: Path, known: Mapping[str, str], key: str) -> tuple[Hit | None, str]:
    """`key` looked up in a previous index `known`: (its verified entry, "cached"); (None, "made")
    when the key is new; (None, "damaged") when its blob is missing or fails its hash."""
    sha = known.get(key)
    if sha is None:
        return None, "made"
    hit = read_blob(folder, sha)
    return (hit, "cached") if hit is not None else (None, "damaged")


def blob_path(folder: Path, sha: str) -> Path:
    return Path(_blob_name(folder, sha))


def _blob_name(folder: Path | str, sha: str) -> str:
    # Plain strings: three pathlib joins a blob cost ~30 µs, four blobs a page rendered.
    return f"{folder}/blobs/{sha[:2]}/{sha}"


def read_blob(folder: Path, sha: str) -> Hit | None:
    name = _blob_name(folder, sha)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != sha:
        return None
    return Hit(data=data, path=Path(name), sha=sha)


def write_blob(folder: Path, data: bytes) -> tuple[str, Path]:
    """Store `data` (once) and return its hash and file.

    A new blob is created under its own name, exclusively (`O_EXCL`): an existing file is never
    opened for writing, so a hard link to it in an output never sees a write. This costs one file
    creation and no rename (a rename cost ~20 µs of CPU and much more wall time a blob, two blobs
    a page). A blob cut short by a killed build fails its hash when read; an existing blob that
    fails it is replaced whole, by a temporary file renamed over it."""
    sha = hashlib.sha256(data).hexdigest()
    name = _blob_name(folder, sha)
    bucket = name.rpartition("/")[0]
    try:
        handle = _create(name, bucket)
    except FileExistsError:  # made before, or by another worker just now (same bytes)
        if read_blob(folder, sha) is not None:
            return sha, Path(name)
        temporary = f"{bucket}/.{sha}.tmp-{os.getpid()}"
        with open(temporary, "wb") as replacement:
            replacement.write(data)
        os.replace(temporary, name)  # noqa: PTH105 -- a damaged entry is replaced whole, never written through
        return sha, Path(name)
    with open(handle, "wb") as created:
        created.write(data)
    return sha, Path(name)


def _create(name: str, bucket: str) -> int:
    """A new file `name`, opened for writing; FileExistsError when there is one."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        return os.open(name, flags, 0o644)
    except FileNotFoundError:
        os.makedirs(bucket, exist_ok=True)  # noqa: PTH103
        return os.open(name, flags, 0o644)


def read_index(folder: Path, name: str = _INDEX) -> tuple[dict[str, dict[str, str]], str | None]:
    """The index `name` with the entries patch builds added to it; a notice when it is damaged."""
    index, notice, _ = _read_index(folder, name)
    return index, notice


def _read_index(
    folder: Path, name: str,
) -> tuple[dict[str, dict[str, str]], str | None, tuple[bytes, dict[str, dict[str, str]]] | None]:
    """`read_index`, and the index's SHA-256 with the entries added to it since (None when the
    index was not read whole)."""
    path = folder / name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, None, None
    except OSError:
        return {}, "không đọc được chỉ mục bộ nhớ đệm dựng trang: dựng lại từ đầu", None
    digest, payload = raw[:32], raw[32:]
    if len(raw) < 32 or hashlib.sha256(payload).digest() != digest:
        return {}, "chỉ mục bộ nhớ đệm dựng trang bị hỏng hoặc cắt cụt: bỏ qua, dựng lại từ đầu", None
    try:
        index = json.loads(payload)  # JSON, never pickle: a shared CI cache must not run code
    except ValueError:
        return {}, "chỉ mục bộ nhớ đệm dựng trang không đọc được: bỏ qua, dựng lại từ đầu", None
    if not _index_shaped(index):
        return {}, "chỉ mục bộ nhớ đệm dựng trang không đúng dạng: bỏ qua, dựng lại từ đầu", None
    more, notice = _read_more(folder / (name + _MORE), digest)
    for kind, entries in more.items():
        index.setdefault(kind, {}).update(entries)
    return index, notice, (digest, more)


def _index_shaped(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())


def _read_more(path: Path, index: bytes) -> tuple[dict[str, dict[str, str]], str | None]:
    """The entries added to the index whose SHA-256 is `index`: none when there is no file beside
    it or the file names another index (written whole since, by a build killed before it
    removed this file); a notice when the file is damaged (its entries are then not used)."""
    payload = read_checked(path)
    if payload is None:
        return {}, "chỉ mục bộ nhớ đệm dựng trang (phần thêm) bị hỏng hoặc cắt cụt: bỏ qua phần đó" if path.exists() else None
    try:
        data = json.loads(payload)
        entries = data["entries"]
        if not (isinstance(data["index"], str) and _index_shaped(entries)):
            raise ValueError(data["index"])
    except (ValueError, KeyError, TypeError):
        return {}, "chỉ mục bộ nhớ đệm dựng trang (phần thêm) không đúng dạng: bỏ qua phần đó"
    return (entries if data["index"] == index.hex() else {}), None


def write_index(folder: Path, index: dict[str, dict[str, str]], name: str = _INDEX) -> None:
    """The index written whole; the entries added beside the last one go (they are in it)."""
    write_checked(folder / name, json.dumps(index, sort_keys=True, separators=(",", ":")).encode("utf-8"), sync=True)
    (folder / (name + _MORE)).unlink(missing_ok=True)



# What a cached article may be made of: the model's own classes and the dates in it. Anything
# else in a blob (a restored CI cache can be written by others) is refused, never called.
_MODEL_MODULES = ("toasoan.model", "toasoan.errors")
_STDLIB = {("datetime", "datetime"), ("datetime", "date"), ("datetime", "timedelta"), ("datetime", "timezone"), ("zoneinfo", "ZoneInfo")}


class _ModelUnpickler(pickle.Unpickler):
    modules: tuple[str, ...] = _MODEL_MODULES

    def find_class(self, module: str, name: str) -> Any:
        if (module in self.modules and name[:1].isupper() and name.isidentifier()) or (module, name) in _STDLIB:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        if (module, name) == ("builtins", "getattr"):
            return self._getattr
        raise pickle.UnpicklingError(f"`{module}.{name}` has no place in a cache entry")

    def _getattr(self, owner: Any, name: str) -> Any:
        """The two `getattr` calls a model's pickle may hold, and nothing else: how a ZoneInfo
        pickles itself (`getattr(ZoneInfo, "_unpickle")`), and how some Python versions pickle an
        enum member (`getattr(Severity, "WARNING")`: Debian's 3.11.2 does, 3.11.7 calls the class
        with the value), for the enums of the allowed modules, by member name only."""
        from zoneinfo import ZoneInfo

        if owner is ZoneInfo and name == "_unpickle":
            return ZoneInfo._unpickle  # type: ignore[attr-defined]
        if isinstance(owner, EnumMeta) and owner.__module__ in self.modules and isinstance(name, str) and name in owner.__members__:
            return owner.__members__[name]
        raise pickle.UnpicklingError("getattr has no place in a cache entry")


def load_model(data: bytes, modules: tuple[str, ...] = _MODEL_MODULES) -> Any:
    """Unpickle a cached model value, allowing only the classes of `modules` (the model's by
    default) and dates."""
    unpickler = _ModelUnpickler(io.BytesIO(data))
    unpickler.modules = modules
    return unpickler.load()
