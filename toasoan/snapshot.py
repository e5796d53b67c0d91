"""What the last build of one output folder was made of, kept beside its up-to-date record (which
holds every input file's hash) so that the next build can re-make only what an edit changed
(`patch.patch_build`): the checked model, the "Xem thêm" picks, the search records and the
keys of the pages that are not articles'.

A snapshot is written only after a build succeeded and its record was written, names the
inputs hash of that record, and is checksummed; it is unpickled allowing only the classes of
the model and its views (a restored CI cache must not be able to run code). Anything that does
not read back as the snapshot of the record at hand is ignored: the build is then a full one.

On disk it is a small head file (`last-output-<hash>.snapshot`: the inputs hash and the SHA-256
of each part) and its parts beside it (`...snapshot-<part>`): the model without its articles,
the articles and the search records in chunks of `CHUNK`, the source-path links, the page keys,
the articles' own findings, and the rest. A snapshot read back remembers its parts, and writing one made from it (a patch
changes one article, one link map, a few records) writes again only the parts that differ:
the others stay as they are on disk, the head names them again."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .buildcache import load_model
from .checked import checked_digest, collector_paused, read_checked, write_checked
from .errors import Diagnostic
from .images import Processed
from .model import Article, Site
from .search import Record
from .templates import Assets

_SUFFIX = ".snapshot"
_PART = "-"  # a part's file: the head's name, this, the part's name
CHUNK = 500  # articles or search records in one part (a body edit writes one of each again: ~0.4 MB at 10k)
# The classes a snapshot is made of; anything else in its bytes is refused, never called.
_MODULES = (
    "toasoan.snapshot", "toasoan.model", "toasoan.errors", "toasoan.config", "toasoan.images", "toasoan.search", "toasoan.templates",
)
@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    inputs: str  # the up-to-date record's inputs hash this snapshot belongs to
    site: Site  # the checked model, without the articles' Markdown or HTML
    related: tuple[tuple[int, ...], ...]  # each article's "Xem thêm" picks
    share_cards: dict[str, str]  # share card URLs by article source (the paper's under "")
    link_targets: frozenset[str]  # every address a body's link may name
    photos: dict[str, Processed]  # by site-relative source
    links: dict[str, dict[str, str]]  # source-path links: document -> {link: address}
    assets: Assets
    markdown_salt: str
    template_prints: dict[str, str]  # each template's fingerprint (`templates.template_fingerprints`)
    records: tuple[Record, ...]  # the search records, by URL
    covers: dict[str, str]  # article URL -> its cover's URL in search results
    # Every page but the articles' (lists, home, static pages...): URL -> its page cache key,
    # so that a patch re-makes only the pages an edited card reaches.
    page_keys: dict[str, str]
    # Each published article's findings that an edit to its file makes again (`pipeline.Findings`).
    findings: dict[str, tuple[Diagnostic, ...]]
    # As read back: each part's SHA-256 and value, so that `write` keeps the parts that did not
    # change (carried over by dataclasses.replace; never compared).
    parts: dict[str, tuple[bytes, Any]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Head:
    """The head file: which record a snapshot belongs to, and its parts."""

    inputs: str
    parts: tuple[tuple[str, bytes], ...]  # (part name, SHA-256 of its payload), in order


_REST = ("related", "share_cards", "link_targets", "photos", "assets", "markdown_salt", "template_prints", "covers")


def path_for(record_file: Path) -> Path:
    return record_file.with_name(record_file.name + _SUFFIX)


def read(path: Path, inputs: str) -> Snapshot | None:
    """The snapshot at `path` when it is whole and belongs to the record with `inputs`."""
    payload = read_checked(path)
    if payload is None:
        return None
    try:
        head = load_model(payload, _MODULES)
        if not isinstance(head, Head) or head.inputs != inputs:
            return None
        parts: dict[str, tuple[bytes, Any]] = {}
        with collector_paused():
            for name, digest in head.parts:
                part = read_checked(_part_path(path, name), digest)
                if part is None:
                    return None  # damaged, or a part of another snapshot (a write cut short)
                parts[name] = (digest, load_model(part, _MODULES))
            return _assemble(inputs, parts)
    except Exception:  # noqa: BLE001 (damaged or foreign bytes of any kind: a full build answers)
        return None


def _assemble(inputs: str, parts: dict[str, tuple[bytes, Any]]) -> Snapshot | None:
    values = {name: value for name, (_, value) in parts.items()}
    site, rest = values["site"], values["rest"]
    articles = tuple(a for name, chunk in values.items() if name.startswith("articles.") for a in chunk)
    records = tuple(r for name, chunk in values.items() if name.startswith("records.") for r in chunk)
    if not (isinstance(site, Site) and isinstance(rest, tuple) and len(rest) == len(_REST)):
        return None
    found = Snapshot(
        inputs=inputs, site=dataclasses.replace(site, articles=articles), records=records, links=values["links"],
        page_keys=values["page_keys"], findings=values["findings"], parts=parts, **dict(zip(_REST, rest, strict=True)),
    )
    if not all(isinstance(a, Article) for a in articles) or not all(isinstance(r, Record) for r in records):
        return None
    if not all(isinstance(d, Diagnostic) for own in found.findings.values() for d in own):
        return None
    return found


def _split(snapshot: Snapshot) -> Iterator[tuple[str, Any]]:
    """The parts of a snapshot, in the order they are read back."""
    yield "site", dataclasses.replace(snapshot.site, articles=())
    for name, values in (("articles", snapshot.site.articles), ("records", snapshot.records)):
        for start in range(0, len(values), CHUNK):
            yield f"{name}.{start // CHUNK}", values[start:start + CHUNK]
    yield "links", snapshot.links
    yield "page_keys", snapshot.page_keys
    yield "findings", snapshot.findings
    yield "rest", tuple(getattr(snapshot, name) for name in _REST)


def write(path: Path, snapshot: Snapshot) -> None:
    """The parts that differ from those `snapshot` was read with (all of them for a new one),
    then the head that names them all (a write cut short leaves a head whose parts do not match:
    read as no snapshot)."""
    names: list[tuple[str, bytes]] = []
    for name, value in _split(snapshot):
        known = snapshot.parts.get(name)
        if known is not None and (known[1] is value or known[1] == value) and _holds(_part_path(path, name), known[0]):
            names.append((name, known[0]))
            continue
        payload = pickle.dumps(value, protocol=5)
        write_checked(_part_path(path, name), payload)
        names.append((name, hashlib.sha256(payload).digest()))
    write_checked(path, pickle.dumps(Head(snapshot.inputs, tuple(names)), protocol=5))
    _remove_parts(path, {name for name, _ in names})


def _holds(part: Path, digest: bytes) -> bool:
    """Whether the part file on disk is still the one with `digest` (a snapshot read from
    elsewhere, or a part removed since, is written again)."""
    return checked_digest(part) == digest


def _part_path(path: Path, name: str) -> Path:
    return path.with_name(f"{path.name}{_PART}{name}")


def _remove_parts(path: Path, keep: set[str]) -> None:
    """Part files of `path` that its head does not name (fewer chunks than before, or none)."""
    prefix = f"{path.name}{_PART}"
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name[len(prefix):] not in keep:
            Path(entry.path).unlink(missing_ok=True)


def forget(path: Path) -> None:
    path.unlink(missing_ok=True)
    _remove_parts(path, set())
