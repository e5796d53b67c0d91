"""Files of the cache that are read back only when whole: the SHA-256 of the payload, then the
payload, written under a temporary name and renamed into place (a reader sees the old file or
the new one, never half of one; a truncated or altered file reads as missing)."""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def read_checked(path: Path, expected: bytes | None = None) -> bytes | None:
    """The payload of a file `write_checked` wrote; None when missing, unreadable or damaged, or
    when its SHA-256 is not `expected` (given: another write's file)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    digest, payload = raw[:32], raw[32:]
    if len(raw) < 32 or (expected is not None and digest != expected) or hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def checked_digest(path: Path) -> bytes | None:
    """The SHA-256 a `write_checked` file names for its payload (not verified), None if unreadable."""
    try:
        with path.open("rb") as handle:
            return handle.read(32)
    except OSError:
        return None


def write_checked(path: Path, payload: bytes, *, sync: bool = False) -> bytes:
    """`payload` with its checksum at `path` (its folder made if needed); with `sync`, on disk
    before it is renamed into place. Returns the checksum (the payload's SHA-256)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    digest = hashlib.sha256(payload).digest()
    with open(temporary, "wb") as handle:
        handle.write(digest + payload)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())
    temporary.replace(path)
    return digest


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a large value is read back (a snapshot's ~40,000
    model objects and their tuples, a record's ~25,000 lists), which is kept whole: each batch of
    new containers started a collection, and two or three full ones walked all of it again
    (~30 % of a snapshot's unpickling). Then what was read joins the oldest generation at once
    (`freeze` then `unfreeze` moves every tracked object there without walking any) instead of
    being walked by the next young collection; not when something is frozen already (`serve`
    keeps its plan off the collector so: `unfreeze` would give it back)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
