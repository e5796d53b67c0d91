"""Photos: variants and srcset for every kind of use, metadata stripped, orientation applied,
bad photos reported at the line that uses them, and a warm rebuild that decodes nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PIL import ExifTags, Image, features
from sitekit import make_jpeg, run_cli, tree_bytes, write_site

from toasoan import images
from toasoan.pipeline import BuildOptions, build

SITE = """\
-- content/articles/2023/06/bai.md --
---
title: Bài có ảnh
date: 2023-06-07 15:30
category: thoi-su
cover: { src: /media/bia.jpg, caption: Ảnh bìa. }
gallery:
  - { src: /media/g1.jpg, caption: Ảnh một. }
  - { src: /media/g2.jpg, caption: Ảnh hai. }
---

BBK - Mở đầu.

![Ảnh trong bài.](/media/than.jpg)
"""
PAGE = "public/2023/06/bai/index.html"


def _site(site: Path, body: str = SITE) -> Path:
    write_site(site, body)
    for name, colour in (("bia", (200, 0, 0)), ("g1", (0, 150, 0)), ("g2", (0, 0, 200)), ("than", (90, 90, 90))):
        make_jpeg(site / f"content/media/{name}.jpg", (2000, 1333), colour)
    return site


def test_every_kind_of_photo_gets_variants_and_srcset(site: Path) -> None:
    _site(site)
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    html = (site / PAGE).read_text(encoding="utf-8")
    pictures = re.findall(r"<picture>.*?</picture>", html, re.S)
    assert len(pictures) == 4  # cover, body, two in the gallery
    for picture in pictures:
        for fmt in ("avif", "webp") if features.check("avif") else ("webp",):
            assert re.search(rf'<source type="image/{fmt}" srcset="/anh/\w+/480\.{fmt} 480w, /anh/\w+/960\.{fmt} 960w, /anh/\w+/1600\.{fmt} 1600w" sizes="[^"]+">', picture)
        assert re.search(r'<img src="/anh/\w+/480\.jpg" srcset="[^"]*1600\.jpg 1600w" sizes="[^"]+" width="1600" height="1066"', picture)
    assert 'fetchpriority="high"' in pictures[0] and "loading" not in pictures[0]  # the cover comes first
    assert all('loading="lazy"' in p for p in pictures[1:])
    for url in set(re.findall(r"/anh/\w+/\d+\.\w+", html)):
        assert (site / "public" / url.lstrip("/")).is_file(), url
    with Image.open(next((site / "public/anh").rglob("960.webp"))) as variant:
        assert variant.size == (960, 640)
    with Image.open(next((site / "public/anh").rglob("og.jpg"))) as og:
        assert og.size == (1200, 630)
    assert not (site / "public/media/bia.jpg").exists()
    assert '<a href="/anh/' in html and 'data-srcset="/anh/' in html  # the gallery's no-JS link and viewer set


def test_metadata_is_stripped_gps_never_leaks(site: Path) -> None:
    write_site(site, SITE.replace("gallery:\n  - { src: /media/g1.jpg, caption: Ảnh một. }\n  - { src: /media/g2.jpg, caption: Ảnh hai. }\n", ""))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "MayAnhBiMat"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (22.0, 8.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 50.0, 0.0)
    for name in ("bia", "than"):
        (site / "content/media").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (1000, 700), (120, 60, 30)).save(site / f"content/media/{name}.jpg", exif=exif, quality=85)
    with Image.open(site / "content/media/bia.jpg") as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo really has GPS
    assert run_cli("--site", site).code == 0
    published = [p for p in (site / "public").rglob("*") if p.suffix in {".jpg", ".webp", ".avif"}]
    assert published
    for path in published:
        data = path.read_bytes()
        assert b"MayAnhBiMat" not in data and b"Exif" not in data, path
        with Image.open(path) as image:
            assert not image.getexif(), path
            assert "icc_profile" not in image.info, path


def test_exif_orientation_is_applied(site: Path) -> None:
    write_site(site, SITE.replace("gallery:\n  - { src: /media/g1.jpg, caption: Ảnh một. }\n  - { src: /media/g2.jpg, caption: Ảnh hai. }\n", ""))
    stored = Image.new("RGB", (1200, 800), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 600, 800))  # left half red as stored
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # shown turned 90° clockwise: the red half ends on top
    (site / "content/media").mkdir(parents=True, exist_ok=True)
    stored.save(site / "content/media/bia.jpg", exif=exif, quality=90)
    make_jpeg(site / "content/media/than.jpg", (1000, 700))
    assert run_cli("--site", site).code == 0
    html = (site / PAGE).read_text(encoding="utf-8")
    cover = re.search(r'<img src="(/anh/\w+)/480\.jpg"[^>]* width="(\d+)" height="(\d+)"', html)
    assert cover is not None and (cover.group(2), cover.group(3)) == ("800", "1200")
    with Image.open(site / "public" / cover.group(1).lstrip("/") / "800.jpg") as shown:
        assert shown.size == (800, 1200)
        top, bottom = shown.getpixel((400, 100)), shown.getpixel((400, 1100))
    assert top[0] > 200 and top[2] < 60  # red on top
    assert bottom[2] > 200 and bottom[0] < 60


def _bad(site: Path, make: object) -> list[str]:
    _site(site)
    assert callable(make)
    make(site / "content/media/g2.jpg")
    run = run_cli("--site", site)
    assert run.code == 1, run.stderr
    assert not (site / "public").exists()
    return run.diagnostics


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("truncated", lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 3]), "hỏng"),
        ("not an image", lambda p: p.write_text("<html>không phải ảnh</html>"), "không phải là ảnh"),
        ("empty", lambda p: p.write_bytes(b""), "không phải là ảnh"),
        ("bomb", lambda p: Image.new("1", (12000, 10000)).save(p.with_suffix(".png")) or p.unlink() or p.with_suffix(".png").rename(p), "quá lớn"),
    ],
)
def test_bad_photos_are_errors_at_the_line_that_uses_them(site: Path, name: str, make: object, words: str) -> None:
    diagnostics = _bad(site, make)
    assert len(diagnostics) == 1, diagnostics
    assert diagnostics[0].startswith("content/articles/2023/06/bai.md:8: ảnh `/media/g2.jpg`: "), diagnostics
    assert words in diagnostics[0]


def test_a_small_photo_is_used_as_it_is_with_a_warning(site: Path) -> None:
    _site(site)
    make_jpeg(site / "content/media/than.jpg", (300, 200))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert run.diagnostics == ["content/articles/2023/06/bai.md:13: cảnh báo: ảnh `/media/than.jpg`: ảnh chỉ rộng 300 px, nhỏ hơn 480 px: dùng nguyên kích thước"]
    html = (site / PAGE).read_text(encoding="utf-8")
    assert re.search(r'<img src="/anh/\w+/300\.jpg" srcset="/anh/\w+/300\.jpg 300w"[^>]* width="300" height="200"', html)


def test_warm_rebuild_decodes_nothing_and_unused_entries_are_pruned(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(site)
    opened: list[Path] = []
    real_open = images._open
    monkeypatch.setattr(images, "_open", lambda path, settings: opened.append(path) or real_open(path, settings))
    options = BuildOptions(site_dir=site, jobs=1, environ={"SOURCE_DATE_EPOCH": "1790000000"})
    first = build(options)
    assert (first.photos_decoded, first.photos_cached) == (4, 0) and len(opened) == 4
    before = tree_bytes(site / "public")
    second = build(options)
    assert (second.photos_decoded, second.photos_cached) == (0, 4) and len(opened) == 4
    assert tree_bytes(site / "public") == before
    article = SITE.split("\n", 1)[1]  # without the `-- path --` header
    (site / "content/articles/2023/06/bai.md").write_text(article.replace("cover: { src: /media/bia.jpg, caption: Ảnh bìa. }\n", ""), encoding="utf-8")
    build(options)
    photo_entries = [p for p in (site / ".cache/anh").glob("*/*") if p.is_dir()]  # share cards (one file each) aside
    assert len(photo_entries) == 3


def test_cold_builds_give_identical_photo_bytes(site: Path, tmp_path: Path) -> None:
    _site(site)
    twin = tmp_path / "twin"
    shutil.copytree(site, twin)
    assert run_cli("--site", site, "--jobs", "1").code == 0
    assert run_cli("--site", twin, "--jobs", "2").code == 0
    assert tree_bytes(site / "public") == tree_bytes(twin / "public")
