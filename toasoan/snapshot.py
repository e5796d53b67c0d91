"""What the last build of one output folder was made of, kept beside its up-to-date record (which
holds every input file's hash) so that the next build can re-make only what an edit changed
(`pipeline._patch`): the checked model, the "Xem thêm" picks, the search records and the
keys of the pages that are not articles'.

A snapshot is written only after a build succeeded and its record was written, names the
inputs hash of that record, and is checksummed; it is unpickled allowing only the classes of
the model and its views (a restored CI cache must not be able to run code). Anything that does
not read back as the snapshot of the record at hand is ignored: the build is then a full one."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

from .buildcache import load_model
from .checked import read_checked, write_checked
from .images import Processed
from .model import Site
from .search import Record
from .templates import Assets

_SUFFIX = ".snapshot"
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
    records: tuple[Record, ...]  # the search records, by URL
    covers: dict[str, str]  # article URL -> its cover's URL in search results
    # Every page but the articles' (lists, home, static pages...): URL -> its page cache key,
    # so that a patch re-makes only the pages an edited card reaches.
    page_keys: dict[str, str]


def path_for(record_file: Path) -> Path:
    return record_file.with_name(record_file.name + _SUFFIX)


def read(path: Path, inputs: str) -> Snapshot | None:
    """The snapshot at `path` when it is whole and belongs to the record with `inputs`."""
    payload = read_checked(path)
    if payload is None:
        return None
    try:
        found = load_model(payload, _MODULES)
    except Exception:  # noqa: BLE001 (damaged or foreign bytes of any kind: a full build answers)
        return None
    if not isinstance(found, Snapshot) or found.inputs != inputs:
        return None
    return found


def write(path: Path, snapshot: Snapshot) -> None:
    write_checked(path, pickle.dumps(snapshot, protocol=5))


def forget(path: Path) -> None:
    path.unlink(missing_ok=True)
