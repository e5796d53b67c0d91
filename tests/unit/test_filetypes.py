"""filetypes.sniff: what a file is from its first bytes, whatever it is called."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from toasoan.filetypes import LIBRARY_TYPES, PHOTO_KINDS, audio_problem, library_check, sniff


def _saved(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "AVIF"])
def test_photos_written_by_pillow_are_photos(fmt: str) -> None:
    assert sniff(_saved(fmt)) in PHOTO_KINDS


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "avif"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", "raw"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isommp42", "mp4"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41", "mp4"),
        (b"\xff\xf3\x60\xc4\x00\x00", "mp3"),
        (b"\xff\xf1\x50\x80\x02\x1f", "aac"),
        (b"\xff\xe8\x60\xc4", None),  # reserved MPEG version: not audio
        (b"BMW Hanoi, 12 xe\n", "text"),  # starts like a BMP, is not one
        (b"  <svg xmlns='http://www.w3.org/2000/svg'/>", "markup"),
        (b"\xef\xbb\xbf<!doctype html>", "markup"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm", "webm"),
        (b"", None),
    ],
)
def test_sniff(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_library_never_publishes_markup_or_photos(tmp_path: Path) -> None:
    assert not {".html", ".htm", ".svg", ".js", ".xml", ".xhtml", ".jpg", ".jfif", ".heic"} & set(LIBRARY_TYPES)
    renamed = tmp_path / "bao-cao.pdf"
    renamed.write_bytes(_saved("JPEG"))
    check = library_check(renamed)
    assert not check.publish and check.photo


def test_audio_suffix_and_content_must_agree(tmp_path: Path) -> None:
    mp3 = tmp_path / "that.m4a"
    mp3.write_bytes(b"\xff\xf3\x60\xc4" + bytes(4000))
    problem = audio_problem(mp3)
    assert problem is not None and "âm thanh MP3" in problem
