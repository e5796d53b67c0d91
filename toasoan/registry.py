"""content/officials.yaml -> officials by id with dated positions; reads that one file only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .dates import DateError, parse_day
from .errors import Diagnostic, error, warning
from .model import Official, Position
from .sources import SourceError, read_text
from .text import did_you_mean, nfc, strip_invisible
from .yamldoc import YamlError, load_yaml

OFFICIALS_FILE = "content/officials.yaml"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_OFFICIAL_KEYS = {"id", "name", "positions"}
_POSITION_KEYS = {"title", "from", "to"}


def load_officials(root: Path) -> tuple[dict[str, Official], list[Diagnostic]]:
    """Read the registry of officials; a site without one simply has none."""
    root = root.resolve()
    path = root / OFFICIALS_FILE
    if not path.exists() and not path.is_symlink():
        return {}, []
    try:
        doc = load_yaml(read_text(root, path))
    except SourceError as exc:
        return {}, [error(OFFICIALS_FILE, exc.line, exc.message)]
    except YamlError as exc:
        return {}, [error(OFFICIALS_FILE, exc.line, exc.message)]
    if doc.data is None:
        return {}, []
    if not isinstance(doc.data, list):
        return {}, [error(OFFICIALS_FILE, 1, "danh sách nhân vật phải là một danh sách `- id: ...`")]
    diags = [error(OFFICIALS_FILE, line, f"khóa `{key}` được viết hai lần") for key, line in doc.duplicate_keys()]
    officials: dict[str, Official] = {}
    for i, entry in enumerate(doc.data):
        line = doc.line(i)
        if not isinstance(entry, dict):
            diags.append(error(OFFICIALS_FILE, line, "mỗi nhân vật cần `id`, `name` và `positions`"))
            continue
        for key in entry:
            if key not in _OFFICIAL_KEYS:
                hint = did_you_mean(str(key), _OFFICIAL_KEYS)
                diags.append(warning(OFFICIALS_FILE, doc.line(i, key), f"khóa không dùng đến `{key}`{hint}"))
        ident = str(entry.get("id") or "").strip()
        name, note = strip_invisible(nfc(str(entry.get("name") or "")))
        name = name.strip()
        if note is not None:
            diags.append(warning(OFFICIALS_FILE, doc.line(i, "name"), f"`name` {note}"))
        if not _ID.match(ident):
            diags.append(error(OFFICIALS_FILE, doc.line(i, "id"), f"`id` phải là chữ thường không dấu nối bằng `-`, ví dụ `pham-duy-hung` (đang là `{ident}`)"))
            continue
        if ident in officials:
            diags.append(error(OFFICIALS_FILE, doc.line(i, "id"), f"`id` `{ident}` đã dùng cho một nhân vật khác"))
            continue
        if not name:
            diags.append(error(OFFICIALS_FILE, doc.line(i, "name"), f"nhân vật `{ident}` thiếu `name`"))
            continue
        positions = _read_positions(entry.get("positions"), doc, i, diags)
        officials[ident] = Official(id=ident, name=name, positions=positions)
    return officials, diags


def _read_positions(raw: Any, doc: Any, i: int, diags: list[Diagnostic]) -> tuple[Position, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        diags.append(error(OFFICIALS_FILE, doc.line(i, "positions"), "`positions` phải là danh sách `{title, from, to}`"))
        return ()
    found = []
    for j, item in enumerate(raw):
        line = doc.line(i, "positions", j)
        if not isinstance(item, dict) or not item.get("title"):
            diags.append(error(OFFICIALS_FILE, line, "mỗi chức vụ cần `title` và `from`"))
            continue
        for key in item:
            if key not in _POSITION_KEYS:
                diags.append(warning(OFFICIALS_FILE, line, f"khóa không dùng đến `{key}`{did_you_mean(str(key), _POSITION_KEYS)}"))
        if item.get("from") is None:
            diags.append(error(OFFICIALS_FILE, line, "chức vụ thiếu ngày bắt đầu `from`"))
            continue
        try:
            start = parse_day(item["from"])
        except DateError as exc:
            diags.append(error(OFFICIALS_FILE, doc.line(i, "positions", j, "from"), f"`from`: {exc}"))
            continue
        try:
            end = parse_day(item["to"]) if item.get("to") is not None else None
        except DateError as exc:
            diags.append(error(OFFICIALS_FILE, doc.line(i, "positions", j, "to"), f"`to`: {exc}"))
            continue
        if end is not None and end < start:
            diags.append(error(OFFICIALS_FILE, line, "`to` đứng trước `from`"))
            continue
        title, note = strip_invisible(nfc(str(item["title"])))
        if note is not None:
            diags.append(warning(OFFICIALS_FILE, line, f"`title` {note}"))
        found.append(Position(title=title.strip(), start=start, end=end))
    return tuple(sorted(found, key=lambda p: p.start))
