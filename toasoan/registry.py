"""content/officials.yaml -> officials by id with dated positions; reads that one file only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .dates import DateError, parse_day
from .errors import Diagnostic, error, warning
from .model import Official, Position
from .schema import OFFICIAL, Checked, check, scalar_text
from .sources import SourceError, read_text
from .text import nfc, strip_invisible
from .yamldoc import YamlDoc, YamlError, load_yaml

OFFICIALS_FILE = "content/officials.yaml"


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
    diags = [error(OFFICIALS_FILE, line, f"khóa `{key}` được viết hai lần", code="duplicate-key") for key, line in doc.duplicate_keys()]
    officials: dict[str, Official] = {}
    for i, entry in enumerate(doc.data):
        line = doc.line(i)
        if not isinstance(entry, dict):
            diags.append(error(OFFICIALS_FILE, line, "mỗi nhân vật là một bảng `{id, name, positions}`", code="wrong-type"))
            continue
        checked = check(OFFICIAL, doc, OFFICIALS_FILE, data=entry, at=(i,), repeats=False)
        diags += checked.diagnostics
        if not (checked.ok(i, "id") and checked.ok(i, "name")):
            continue
        ident = scalar_text(entry["id"]).strip()
        name, note = strip_invisible(nfc(scalar_text(entry["name"])))
        name = name.strip()
        if note is not None:
            diags.append(warning(OFFICIALS_FILE, doc.line(i, "name"), f"`name` {note}"))
        if ident in officials:
            diags.append(error(OFFICIALS_FILE, doc.line(i, "id"), f"`id` `{ident}` đã dùng cho một nhân vật khác"))
            continue
        positions = _read_positions(entry.get("positions"), doc, i, diags, checked)
        officials[ident] = Official(id=ident, name=name, positions=positions)
    return officials, diags


def _read_positions(raw: Any, doc: YamlDoc, i: int, diags: list[Diagnostic], checked: Checked) -> tuple[Position, ...]:
    """The positions `schema` let through (a table with `title` and `from`), dates read here."""
    if raw is None or not checked.ok(i, "positions"):
        return ()
    found = []
    for j, item in enumerate(raw):
        line = doc.line(i, "positions", j)
        where = (i, "positions", j)
        if not all(checked.ok(*where, *key) for key in ((), ("title",), ("from",), ("to",))):
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
        title, note = strip_invisible(nfc(scalar_text(item["title"])))
        if note is not None:
            diags.append(warning(OFFICIALS_FILE, line, f"`title` {note}"))
        found.append(Position(title=title.strip(), start=start, end=end))
    return tuple(sorted(found, key=lambda p: p.start))
