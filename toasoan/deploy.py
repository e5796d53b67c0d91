"""What static hosts and CDNs need to serve the output well, added to the staging folder at the
end of a build: precompressed `.gz` copies of text files (kept in the build cache by the hash of
the original, so unchanged files are never compressed again) and `_headers` (Netlify /
Cloudflare Pages style): a year for content-addressed files, minutes for everything else.
Also the content-hashed names of CSS and JS files. See docs/DEPLOY.md."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import deflate

from .buildcache import find_entry, write_blob
from .workers import parallel_map

HEADERS = "_headers"
HASHED_SUFFIXES = (".css", ".js")
COMPRESSED_SUFFIXES = frozenset({".html", ".css", ".js", ".mjs", ".json", ".xml", ".svg", ".txt", ".csv", ".webmanifest"})
MIN_COMPRESS = 256  # bytes: smaller files gain nothing worth a second file
# libdeflate at level 9: smaller copies than zlib's level 9 in about 60 % of its time (a 10k-article
# site's pages: 0.20 against 0.35 ms a page, 27.3 % of the size either way); its output is fixed for
# a given version (pinned; the generator stamp names it).
GZIP_LEVEL = 9
GZIP = f"libdeflate-{GZIP_LEVEL}"
# Fewer files than this are compressed (or found in the cache) in the build's own process: a patch
# build has a handful, and starting worker processes from a process holding the site's model cost
# more than compressing them (~0.1 s).
WORKERS_MIN = 64
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
# Pagefind names these by their content; its entry files (pagefind.js, pagefind-entry.json...) it does not.
_PAGEFIND_HASHED = ("fragment", "index", "filter")


def hashed_name(path: str, data: bytes) -> str:
    """`css/site.css` -> `css/site.<12 hex of its SHA-256>.css`: a new version is a new URL."""
    folder, _, name = path.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:12]
    hashed = f"{stem}.{digest}.{suffix}" if dot and stem else f"{name}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


def immutable(path: str, hashed: frozenset[str]) -> bool:
    """Whether a published file is named by its content (so may be cached for a year)."""
    parts = path.split("/")
    if parts[0] == "anh" or path in hashed:
        return True
    if parts[0] == "pagefind" and len(parts) >= 3:
        return parts[-2] in _PAGEFIND_HASHED or parts[-1].endswith(".pf_meta")
    return False


def headers_file(paths: Iterable[str], is_immutable: Callable[[str], bool]) -> bytes:
    """`_headers` with one rule per folder whose files all share a lifetime, else per file, so no
    two rules ever match one URL (Netlify and Cloudflare join the values of all matching rules)."""
    tree: dict[str, object] = {}
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        if name.startswith(".") or path == HEADERS or path.endswith(".gz"):
            continue
        node = tree
        parts = path.split("/")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[parts[-1]] = path
    rules: list[tuple[str, str]] = []
    # Each folder's lifetimes worked out once, bottom up: asking every level again for its whole
    # subtree cost the search bundle's 10,000 files four times as many calls.
    lifetimes: dict[int, frozenset[str]] = {}

    def gather(node: dict[str, object]) -> frozenset[str]:
        found: set[str] = set()
        for child in node.values():
            if isinstance(child, str):
                found.add(IMMUTABLE if is_immutable(child) else SHORT)
            else:
                assert isinstance(child, dict)
                found |= gather(child)
        lifetimes[id(node)] = frozenset(found)
        return lifetimes[id(node)]

    gather(tree)

    def visit(node: dict[str, object], prefix: str) -> None:
        for name in sorted(node):
            child = node[name]
            if isinstance(child, str):
                value = IMMUTABLE if is_immutable(child) else SHORT
                if name == "index.html":
                    rules.append((f"/{prefix}", value))
                rules.append((f"/{prefix}{name}", value))
                continue
            assert isinstance(child, dict)
            found = lifetimes[id(child)]
            if len(found) == 1:
                (value,) = found
                rules.append((f"/{prefix}{name}/*", value))
            else:
                visit(child, f"{prefix}{name}/")

    visit(tree, "")
    text = "# Written by toasoan: how long browsers and CDNs may keep each file.\n"
    text += "".join(f"{url}\n  Cache-Control: {value}\n" for url, value in rules)
    return text.encode("utf-8")


def replace_folder_rules(headers: bytes, folder: str, paths: Iterable[str], is_immutable: Callable[[str], bool]) -> bytes | None:
    """`headers` (a `headers_file`) with the rules of the top-level `folder` made again from its
    files `paths`: what `headers_file` gives for the whole tree when nothing outside `folder`
    changed (the top level is always ruled entry by entry, so one entry's rules never depend on
    another's). None when `headers` has no rule for `folder` (then write it whole)."""
    head, *rules = headers.decode("utf-8").removesuffix("\n").split("\n/")
    prefix = f"{folder}/"
    inside = [i for i, rule in enumerate(rules) if rule.startswith(prefix)]
    if not inside or inside != list(range(inside[0], inside[-1] + 1)):
        return None
    _, *fresh = headers_file(paths, is_immutable).decode("utf-8").removesuffix("\n").split("\n/")
    if not fresh or not all(rule.startswith(prefix) for rule in fresh):
        return None
    return ("\n/".join([head, *rules[: inside[0]], *fresh, *rules[inside[-1] + 1 :]]) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True, kw_only=True)
class _GzipState:
    staging: Path
    folder: Path  # the build cache
    known: dict[str, str]  # gzip entries of the previous build: key -> blob hash


def _gzip_key(sha: str) -> str:
    return f"{GZIP}:{sha}"


def wants_gzip(path: str, size: int) -> bool:
    """Whether a published file gets a `.gz` copy: a text type, not hidden, not too small."""
    return _text_file(path) and size >= MIN_COMPRESS


def _text_file(path: str) -> bool:
    """A published file of a type `.gz` copies are made for (not hidden)."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")  # the suffix as Path.suffix has it, without a Path per file
    return not name.startswith(".") and 0 < dot < len(name) - 1 and name[dot:].lower() in COMPRESSED_SUFFIXES


def compress(data: bytes) -> bytes:
    """The `.gz` copy's bytes: mtime 0 and no file name in the header, so the same file always
    gives the same bytes."""
    return bytes(deflate.gzip_compress(data, GZIP_LEVEL))


@dataclass(frozen=True, slots=True)
class Compressed:
    """A file's `.gz` copy in the build cache."""

    key: str  # the cache key: the gzip settings and the original's SHA-256
    sha: str  # the blob's hash
    blob: str  # its file (a str: a Path sent back from a worker cost ~30 µs to unpickle)
    how: str  # "cached", "made" or "damaged" (see `find_entry`)
    size: int  # the blob's size in bytes (the copy's bytes were in hand: it is never stat'ed for it)


def compressed(folder: Path, known: Mapping[str, str], sha: str, data: bytes | Callable[[], bytes]) -> Compressed:
    """The `.gz` copy of the file whose SHA-256 is `sha`: from the cache when `known` (the
    previous build's entries) has it, else compressed into it from `data` (or what it reads)."""
    key = _gzip_key(sha)
    hit, how = find_entry(folder, known, key)
    if hit is not None:
        return Compressed(key, hit.sha, str(hit.path), how, len(hit.data))
    copy = compress(data if isinstance(data, bytes) else data())
    blob_sha, blob = write_blob(folder, copy)
    return Compressed(key, blob_sha, str(blob), how, len(copy))


def smaller(copy: Compressed, size: int) -> bool:
    """Whether the `.gz` copy is published beside its original of `size` bytes: only when smaller."""
    return copy.size < size


def link_copy(staging: Path, path: str, copy: Compressed, size: int) -> bool:
    """Put the `.gz` copy beside `path` when it is smaller than the original (`size`). Its size is
    the one its bytes had when compressed or verified (`Compressed.size`): no stat of the blob."""
    if not smaller(copy, size):
        return False
    target = f"{staging}/{path}.gz"
    try:
        os.link(copy.blob, target)  # the blob is immutable: a hard link will do
    except OSError:
        shutil.copyfile(copy.blob, target)
    return True


def _gzip_chunk(items: Sequence[tuple[str, str]], state: _GzipState) -> list[tuple[Compressed, int]]:
    results: list[tuple[Compressed, int]] = []
    for path, known_sha in items:
        source = state.staging / path
        data: bytes | None = None
        sha = known_sha
        if not sha:
            data = source.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
        size = source.stat().st_size if data is None else len(data)
        results.append((compressed(state.folder, state.known, sha, source.read_bytes if data is None else data), size))
    return results


def precompress(
    staging: Path, cache_folder: Path, known: dict[str, str], shas: dict[str, str], jobs: int,
    account: Callable[[str, str, str], None], paths: Sequence[str] | None = None, copies: list[str] | None = None,
) -> int:
    """Add `NAME.gz` beside every text file of `staging` that gzip makes smaller. `shas` gives
    the SHA-256 of files whose hash is already known (pages from the build cache): those are not
    even read when their compressed copy is cached. `account(key, sha, how)` is told of every
    entry used. Only the files `paths` names, when given. Returns the number of copies added; their
    output paths are added to `copies` when it is given (asking the staging folder for each of a
    patch build's 13,000 search files cost more than the compressing)."""
    items = []
    for rel in published(staging) if paths is None else paths:
        if _text_file(rel) and (staging / rel).stat().st_size >= MIN_COMPRESS:  # sizes asked of text files only
            items.append((rel, shas.get(rel, "")))
    added = 0
    state = _GzipState(staging=staging, folder=cache_folder, known=known)
    outcomes = parallel_map(_gzip_chunk, items, jobs if len(items) >= WORKERS_MIN else 1, state, None)
    for (path, _), (copy, size) in zip(items, outcomes, strict=True):
        account(copy.key, copy.sha, copy.how)
        if link_copy(staging, path, copy, size):
            added += 1
            if copies is not None:
                copies.append(f"{path}.gz")
    return added


def published(staging: Path) -> list[str]:
    """Every file of the staging folder, as output paths."""
    found = []
    for folder, _dirs, names in os.walk(staging):
        rel_folder = os.path.relpath(folder, staging)
        for name in names:
            found.append(name if rel_folder == "." else f"{rel_folder}/{name}".replace(os.sep, "/"))
    return sorted(found)
