"""Installed distributions' versions, read from their metadata folders on `sys.path`; imports
nothing heavy (`importlib.metadata` and the `email` parser it loads cost every build ~10 ms)."""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from pathlib import Path

_SEPARATORS = re.compile(r"[-_.]+")


def _normalized(name: str) -> str:
    """A distribution's name as `importlib.metadata` compares them: `Jinja2`, `jinja2` → `jinja2`,
    `python-frontmatter`, `python_frontmatter` → `python_frontmatter`."""
    return _SEPARATORS.sub("_", name).lower()


@cache  # what is installed does not change under a running process
def _metadata_files() -> dict[str, Path]:
    """Each distribution's metadata file, the first found along `sys.path` as `importlib.metadata`
    finds it: `NAME-VERSION.dist-info/METADATA`, `NAME-VERSION.egg-info/PKG-INFO` or an
    `.egg-info` file itself."""
    found: dict[str, Path] = {}
    for entry in sys.path:
        folder = Path(entry or ".")
        try:
            with os.scandir(folder) as listing:
                names = sorted(item.name for item in listing)
        except OSError:  # gone, not a folder (a zip file)
            continue
        for name in names:
            stem, _, suffix = name.lower().rpartition(".")
            if suffix == "dist-info":
                path = folder / name / "METADATA"
            elif suffix == "egg-info":
                path = folder / name
                path = path / "PKG-INFO" if path.is_dir() else path
            else:
                continue
            found.setdefault(_normalized(stem.partition("-")[0]), path)
    return found


@cache
def installed_version(name: str) -> str | None:
    """The `Version:` of the installed distribution `name` (`importlib.metadata.version`'s
    answer), or None when it is not installed or its metadata cannot be read."""
    path = _metadata_files().get(_normalized(name))
    if path is None:
        return None
    try:
        with path.open(encoding="utf-8", errors="replace") as stream:
            for line in stream:
                if not line.strip():
                    break  # the headers end at the first blank line; the description follows
                if line.startswith("Version:"):
                    return line.removeprefix("Version:").strip()
    except OSError:
        return None
    return None
