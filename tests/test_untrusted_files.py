"""Files editors drop in are judged by their content, not their names: photos are published only
as processed variants (whatever they are called), audio only when browsers play it, and the media
library publishes only an allow-list of safe types (never HTML, SVG or scripts)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sitekit import run_cli, write_site

ARTICLE = "content/articles/2023/06/bai/index.md"
PAGE = "public/2023/06/bai/index.html"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x10meta" + bytes(200)


def _gps_jpeg(path: Path, size: tuple[int, int] = (1000, 700)) -> Path:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "MayAnhBiMat"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (22.0, 8.0, 30.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (120, 60, 30)).save(path, "JPEG", exif=exif, quality=85)
    return path


def _wav(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(16000))
    return path


def _article(site: Path, front: str, body: str = "BBK - Mở đầu.\n") -> None:
    write_site(site, f"-- {ARTICLE} --\n---\ntitle: Bài thử\ndate: 2023-06-07 15:30\ncategory: thoi-su\n{front}\n---\n\n{body}")


def _leaks(public: Path) -> list[str]:
    return [p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file() and b"MayAnhBiMat" in p.read_bytes()]


def test_renamed_phone_jpegs_are_processed_and_their_originals_never_published(site: Path) -> None:
    _article(site, "cover: { src: anh.jfif, caption: Bìa. }\ngallery:\n  - { src: ANH2.JPE, caption: Hai. }",
             "BBK - Mở đầu.\n\n![Ảnh.](/media/dien-thoai.JFIF)\n")
    folder = site / ARTICLE.rsplit("/", 1)[0]
    _gps_jpeg(folder / "anh.jfif")
    _gps_jpeg(folder / "ANH2.JPE", (900, 600))
    _gps_jpeg(site / "content/media/dien-thoai.JFIF", (800, 600))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    public = site / "public"
    assert _leaks(public) == []
    assert not [p for p in public.rglob("*") if p.suffix.lower() in {".jfif", ".jpe"}]
    html = (site / PAGE).read_text(encoding="utf-8")
    assert html.count("<picture>") == 3  # each of the three was processed into variants


def test_a_heic_photo_is_an_error_at_its_line_saying_to_export_jpeg(site: Path) -> None:
    _article(site, "cover: { src: anh.heic, caption: Bìa. }")
    (site / ARTICLE.rsplit("/", 1)[0] / "anh.heic").write_bytes(HEIC)
    run = run_cli("--site", site)
    assert run.code == 1
    assert len(run.diagnostics) == 1, run.diagnostics
    message = run.diagnostics[0]
    assert message.startswith(f"{ARTICLE}:5: ảnh `anh.heic`: ảnh HEIC/HEIF"), message
    assert "JPEG" in message


def test_the_media_library_publishes_only_safe_types_whose_content_matches(site: Path) -> None:
    _article(site, "cover: { src: /media/bia.jpg, caption: Bìa. }")
    media = site / "content/media"
    _gps_jpeg(media / "bia.jpg")
    _gps_jpeg(media / "khong-dung.jpg")  # an unused photo named as one: quietly not published
    _gps_jpeg(media / "dien-thoai.jfif")
    _gps_jpeg(media / "bao-cao-that-ra-la-anh.docx")
    (media / "anh.heic").write_bytes(HEIC)
    (media / "evil.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    (media / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', encoding="utf-8")
    (media / "app.js").write_text("alert(1)", encoding="utf-8")
    (media / "gia.pdf").write_text("<html><script>alert(1)</script></html>", encoding="utf-8")
    (media / "van-ban.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
    (media / "ghi-chu.txt").write_text("Lịch tiếp dân tháng 6.\n", encoding="utf-8")
    _wav(media / "doc-bai.wav")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    published = sorted(p.name for p in (site / "public/media").iterdir())
    assert published == ["doc-bai.wav", "ghi-chu.txt", "van-ban.pdf"]
    assert _leaks(site / "public") == []
    refused = {d.split(":", 1)[0] for d in run.diagnostics if "không đăng tệp này" in d}
    assert refused == {f"content/media/{n}" for n in ("dien-thoai.jfif", "bao-cao-that-ra-la-anh.docx", "anh.heic", "evil.html", "logo.svg", "app.js", "gia.pdf")}
    assert any("logo.svg" in d and "SVG" in d for d in run.diagnostics)
    assert any("anh.heic" in d and "JPEG" in d for d in run.diagnostics)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("evil.html", b"<html><script>alert(1)</script></html>", "không phải `.html`"),
        ("doc-bai.mp3", None, "ảnh JPEG"),  # a photo renamed .mp3
        ("gia.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"<script>alert(1)</script>" * 40, "hỏng"),
        ("/media/logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "không phải `.svg`"),
    ],
    ids=["html", "photo-named-mp3", "id3-then-html", "library-svg"],
)
def test_audio_must_be_a_type_browsers_play(site: Path, name: str, data: bytes | None, words: str) -> None:
    _article(site, f"audio: {name}")
    target = site / "content/media" / name.removeprefix("/media/") if name.startswith("/media/") else site / ARTICLE.rsplit("/", 1)[0] / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if data is None:
        _gps_jpeg(target)
    else:
        target.write_bytes(data)
    run = run_cli("--site", site)
    assert run.code == 1
    message = next(d for d in run.diagnostics if d.startswith(ARTICLE))
    assert message.startswith(f"{ARTICLE}:5: `audio` `{name}`: "), message
    assert words in message, message
    assert not (site / "public").exists()


def test_playable_audio_beside_an_article_is_published(site: Path) -> None:
    _article(site, "audio: doc-bai.wav")
    _wav(site / ARTICLE.rsplit("/", 1)[0] / "doc-bai.wav")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert (site / "public/2023/06/bai/doc-bai.wav").is_file()
    assert 'src="/2023/06/bai/doc-bai.wav"' in (site / PAGE).read_text(encoding="utf-8")
