"""The registry of officials: dated positions, the title held on a given day, checked entries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from toasoan.registry import load_officials

REGISTRY = """\
- id: hoang-minh-duc
  name: Hoàng Minh Đức
  positions:
    - { title: Chủ tịch UBND tỉnh, from: 2024-10-15 }
    - { title: Phó Chủ tịch UBND tỉnh, from: 2021-05-01, to: 2024-10-14 }
- id: bad-dates
  name: Ngày Sai
  positions:
    - { title: Giám đốc, from: 2024-01-01, to: 2023-01-01 }
- id: Sai Ma
  name: Mã Sai
- id: hoang-minh-duc
  name: Trùng Mã
"""


def test_positions_over_time_and_checks(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content/officials.yaml").write_text(REGISTRY, encoding="utf-8")
    officials, diags = load_officials(tmp_path)
    duc = officials["hoang-minh-duc"]
    assert duc.name == "Hoàng Minh Đức"
    assert [p.title for p in duc.positions] == ["Phó Chủ tịch UBND tỉnh", "Chủ tịch UBND tỉnh"]
    assert duc.position_on(dt.date(2024, 10, 14)) == "Phó Chủ tịch UBND tỉnh"
    assert duc.position_on(dt.date(2024, 10, 15)) == "Chủ tịch UBND tỉnh"
    assert duc.position_on(dt.date(2020, 1, 1)) is None
    assert duc.current is not None and duc.current.title == "Chủ tịch UBND tỉnh"
    lines = sorted((d.line, d.is_error) for d in diags)
    assert lines == [(9, True), (10, True), (12, True)]


def test_no_registry_means_no_officials(tmp_path: Path) -> None:
    assert load_officials(tmp_path) == ({}, [])


def test_key_written_twice_inside_an_entry_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    text = "- id: a\n  name: A\n  positions:\n    - title: Giám đốc\n      from: 2020-01-01\n      from: 2021-01-01\n"
    (tmp_path / "content/officials.yaml").write_text(text, encoding="utf-8")
    _, diags = load_officials(tmp_path)
    assert [str(d) for d in diags] == ["content/officials.yaml:6: khóa `from` được viết hai lần"]


def test_invisible_characters_in_a_name_are_stripped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    text = "- id: a\n  name: \"\u202eHoàng Minh Đức\"\n  positions:\n    - {title: \"Giám\u200b đốc\", from: 2020-01-01}\n"
    (tmp_path / "content/officials.yaml").write_text(text, encoding="utf-8")
    officials, diags = load_officials(tmp_path)
    assert officials["a"].name == "Hoàng Minh Đức"
    assert officials["a"].positions[0].title == "Giám đốc"
    assert [str(d).split(" có ")[0] for d in diags] == [
        "content/officials.yaml:2: cảnh báo: `name`", "content/officials.yaml:4: cảnh báo: `title`",
    ]
