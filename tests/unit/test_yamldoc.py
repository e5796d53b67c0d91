"""YAML with the line of every key."""

from __future__ import annotations

import pytest

from toasoan.yamldoc import YamlError, load_yaml


def test_lines_of_keys_and_items() -> None:
    doc = load_yaml("title: a\ndate: 2023-06-07 15:30\nofficials:\n  - x\n  - {name: b}\n", first_line=2)
    assert doc.data["date"] == "2023-06-07 15:30"
    assert doc.line("title") == 2
    assert doc.line("officials", 1) == 6
    assert doc.line("missing") == 2


def test_duplicate_keys_are_found() -> None:
    assert load_yaml("a: 1\nb: 2\na: 3\n").duplicate_keys() == [("a", 3)]


def test_syntax_error_has_its_line() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml("a: 1\nb: [c\nd: e\n", first_line=2)
    assert caught.value.line >= 3
    assert "YAML" in caught.value.message


def test_yaml_quirks_are_kept_for_the_checker() -> None:
    doc = load_yaml("d: 2023-06-07\nflag: no\nn: 0123\n")
    assert str(doc.data["d"]) == "2023-06-07"
    assert doc.data["flag"] is False
