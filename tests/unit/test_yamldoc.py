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


def test_duplicate_keys_at_any_depth_are_found_at_the_repeat() -> None:
    text = "a:\n  x: 1\n  y: 2\n  x: 3\nl:\n  - {p: 1, p: 2}\n"
    assert load_yaml(text, first_line=2).duplicate_keys() == [("x", 5), ("p", 7)]


def test_a_key_overriding_a_merged_one_is_not_a_repeat() -> None:
    text = "base: &b {k: 1, j: 1}\nm: {<<: *b, k: 2}\nn: *b\n"
    doc = load_yaml(text)
    assert doc.duplicate_keys() == []
    assert doc.data["m"] == {"k": 2, "j": 1}


def test_syntax_error_has_its_line() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml("a: 1\nb: [c\nd: e\n", first_line=2)
    assert caught.value.line >= 3
    assert "YAML" in caught.value.message


def test_yaml_quirks_are_kept_for_the_checker() -> None:
    doc = load_yaml("d: 2023-06-07\nflag: no\nn: 0123\n")
    assert str(doc.data["d"]) == "2023-06-07"
    assert doc.data["flag"] is False
