"""Reading editors' files: encodings, line ends, NFC, and nothing from outside the site."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from toasoan.sources import SourceError, decode, inside, read_text, walk_files


def test_decode_bom_crlf_nfd() -> None:
    raw = "\ufeff" + unicodedata.normalize("NFD", "Tiếng Việt\r\ndòng hai\rba")
    assert decode(raw.encode("utf-8")) == "Tiếng Việt\ndòng hai\nba"


def test_decode_refuses_other_encodings_with_a_line() -> None:
    with pytest.raises(SourceError) as caught:
        decode(b"dong mot\ndong hai: Vi\xd2t")  # Windows-1258 bytes on line 2
    assert caught.value.line == 2
    with pytest.raises(SourceError, match="UTF-16"):
        decode("Việt".encode("utf-16"))
    with pytest.raises(SourceError, match="NUL"):
        decode(b"a\x00b")


def test_nothing_outside_the_site_is_read(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("bí mật")
    link = site / "link.md"
    link.symlink_to(secret)
    assert not inside(site, link)
    with pytest.raises(SourceError, match="ngoài"):
        read_text(site, link)
    with pytest.raises(SourceError, match="ngoài"):
        read_text(site, site / ".." / "secret.txt")


def test_walk_is_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in ("b/2.md", "a/1.md", ".git/x.md", "a/.hidden.md", "c.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in walk_files(tmp_path, tmp_path, ".md")] == ["a/1.md", "b/2.md"]
