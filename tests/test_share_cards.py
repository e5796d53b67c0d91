"""Share cards: every page of a built site carries a complete link preview (Open Graph, Twitter
card, the article's JSON-LD image); an article without any photo gets a 1200×630 card drawn from
its headline, category and the paper's name, deterministic and cached under what it draws."""

from __future__ import annotations

import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from sitekit import make_jpeg, tree_bytes, write_site

from toasoan import sharecard
from toasoan.pipeline import BuildOptions, BuildResult, build

BASE = "https://thu.example.vn/"
ENV = {"SOURCE_DATE_EPOCH": "1790000000"}
SITE = """\
-- content/articles/2023/06/khong-anh.md --
---
title: Phó Chủ tịch UBND tỉnh làm việc với Sở Thông tin và Truyền thông về chuyển đổi số
date: 2023-06-07 15:30
category: thoi-su
---

BBK - Bài không có ảnh nào.
-- content/articles/2023/06/co-anh.md --
---
title: Bài có ảnh bìa
date: 2023-06-08 15:30
category: kinh-te
cover: { src: /media/bia.jpg, caption: Ảnh bìa. }
---

BBK - Bài có ảnh.
-- content/articles/2023/05/bai-khac.md --
---
title: Một bài khác cũng không có ảnh
date: 2023-05-08 15:30
category: kinh-te
tags: [nông nghiệp]
---

BBK - Nội dung.
-- content/pages/gioi-thieu.md --
---
title: Giới thiệu
---

Về tòa soạn.
"""


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.ld: list[dict[str, object]] = []
        self._script = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        key = a.get("property") or a.get("name")
        if tag == "meta" and key:
            self.meta.setdefault(key, []).append(a.get("content") or "")
        if tag == "script" and a.get("type") == "application/ld+json":
            self._script, self._text = True, []

    def handle_data(self, data: str) -> None:
        if self._script:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script:
            self.ld.append(json.loads("".join(self._text)))
            self._script = False


def _head(path: Path) -> _Meta:
    parser = _Meta()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _build(site: Path) -> BuildResult:
    return build(BuildOptions(site_dir=site, environ=ENV))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = write_site(tmp_path / "site", SITE)
    make_jpeg(root / "content/media/bia.jpg", (1600, 1000))
    return root


def _card_of(site: Path, rel: str) -> str:
    return _head(site / "public" / rel).meta["og:image"][0]


def _built_card_entry(site: Path) -> tuple[str, str, Path]:
    """After a build: the share card of the article without a photo (its address), its key and
    its entry in the photo cache."""
    _build(site)
    card = _card_of(site, "2023/06/khong-anh/index.html")
    key = card.rsplit("/", 1)[1].removesuffix(".png")
    (cached,) = (site / ".cache/anh").glob(f"*/{key}.png")
    return card, key, cached


def _drop_cover_photo(site: Path) -> None:
    """The article with a cover photo loses it: the next build draws it a share card."""
    (site / "content/articles/2023/06/co-anh.md").write_text(
        "---\ntitle: Bài có ảnh bìa\ndate: 2023-06-08 15:30\ncategory: kinh-te\n---\n\nKhông còn ảnh.\n", encoding="utf-8",
    )


def test_every_page_has_a_complete_link_preview(site: Path) -> None:
    _build(site)
    pages = sorted((site / "public").rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        head = _head(page)
        for key in ("og:title", "og:type", "og:url", "og:image", "og:image:width", "og:image:height", "og:image:alt", "twitter:card", "twitter:image"):
            assert len(head.meta.get(key, [])) == 1, (page, key)
        assert head.meta["twitter:card"] == ["summary_large_image"], page
        image = head.meta["og:image"][0]
        assert image.startswith(BASE) and head.meta["twitter:image"] == [image], page
        with Image.open(site / "public" / image[len(BASE) :]) as picture:
            size = picture.size
        assert size == (int(head.meta["og:image:width"][0]), int(head.meta["og:image:height"][0])), page
        for data in head.ld:
            if data.get("@type") == "NewsArticle":
                assert isinstance(data.get("image"), list) and data["image"][0] == image, page


def test_an_article_without_a_photo_gets_a_card_of_its_own(site: Path) -> None:
    _build(site)
    own = _card_of(site, "2023/06/khong-anh/index.html")
    other = _card_of(site, "2023/05/bai-khac/index.html")
    paper = _card_of(site, "index.html")
    photo = _card_of(site, "2023/06/co-anh/index.html")
    assert len({own, other, paper, photo}) == 4
    assert re.fullmatch(re.escape(BASE) + r"anh/chia-se/[0-9a-f]{24}\.png", own)
    with Image.open(site / "public" / own[len(BASE) :]) as card:
        assert card.format == "PNG" and card.size == (1200, 630)
        assert card.convert("RGB").getpixel((600, 20)) == pytest.approx(sharecard.RED, abs=8)  # the band of the paper's name
    # The list pages and static pages carry the paper's own card.
    for rel in ("chuyen-muc/kinh-te/index.html", "gioi-thieu/index.html", "luu-tru/index.html", "404.html"):
        assert _card_of(site, rel) == paper, rel


def test_cards_are_keyed_by_what_they_draw_and_a_warm_build_draws_nothing(site: Path) -> None:
    first = _build(site)
    assert first.cards_drawn == 3  # two articles without photos, and the paper's own
    card = _card_of(site, "2023/06/khong-anh/index.html")
    article = site / "content/articles/2023/06/khong-anh.md"
    article.write_text(article.read_text(encoding="utf-8").replace("Bài không có ảnh nào.", "Nội dung đã sửa."), encoding="utf-8")
    body_edit = _build(site)
    assert body_edit.cards_drawn == 0
    assert _card_of(site, "2023/06/khong-anh/index.html") == card
    article.write_text(article.read_text(encoding="utf-8").replace("về chuyển đổi số", "về chuyển đổi số năm 2024"), encoding="utf-8")
    title_edit = _build(site)
    assert title_edit.cards_drawn == 1
    new_card = _card_of(site, "2023/06/khong-anh/index.html")
    assert new_card != card
    key = card.rsplit("/", 1)[1].removesuffix(".png")
    assert not list((site / ".cache/anh").glob(f"*/{key}")), "the old card's cache entry is pruned"
    config = site / "site_config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("Thời sự, description", "Thời sự - Chính trị, description"), encoding="utf-8")
    renamed = _build(site)
    assert renamed.cards_drawn == 1  # only the card showing that category's name
    assert _card_of(site, "2023/06/khong-anh/index.html") != new_card


def test_cards_are_deterministic_and_a_cold_build_equals_a_warm_one(site: Path, tmp_path: Path) -> None:
    _build(site)
    article = site / "content/articles/2023/05/bai-khac.md"
    article.write_text(article.read_text(encoding="utf-8").replace("cũng không có ảnh", "vẫn không có ảnh"), encoding="utf-8")
    _build(site)
    clean = tmp_path / "sach"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns(".cache", "public"))
    _build(clean)
    assert tree_bytes(site / "public") == tree_bytes(clean / "public")


def test_a_damaged_card_in_the_cache_is_drawn_again(site: Path) -> None:
    card, _, cached = _built_card_entry(site)
    good = cached.read_bytes()
    cached.unlink()  # the published file is a hard link to the entry: damage a copy in its place
    cached.write_bytes(good[:100])
    _drop_cover_photo(site)
    result = _build(site)
    assert result.cards_drawn == 2  # the damaged one and the article that lost its photo
    assert any("ảnh chia sẻ" in d.message for d in result.warnings), result.warnings
    published = site / "public" / card[len(BASE) :]
    assert published.read_bytes() == good


def _good_card() -> bytes:
    return sharecard.card_bytes(sharecard.Card(headline="Tiêu đề thử", kicker="Kinh tế", paper="Báo thử", host="example.vn"))


def _flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[: len(d) // 2],  # cut short inside a chunk
        lambda d: d[:-12],  # cut short between chunks: no IEND
        lambda d: d[:8],  # the signature alone
        lambda d: b"",
        lambda d: _flipped(d, len(d) // 2),  # one bit of the picture
        lambda d: _flipped(d, 20),  # one bit of the header
        lambda d: d + b"\0",  # something after the end
        lambda d: b"GIF89a" + d[6:],  # not a PNG
        lambda d: sharecard._PNG_SIGNATURE + sharecard._chunk(b"IHDR", bytes(13)) + sharecard._chunk(b"IEND", b""),  # a PNG of another size
    ],
)
def test_a_card_entry_that_is_not_whole_is_found_damaged(tmp_path: Path, damage: object) -> None:
    good = _good_card()
    assert sharecard.png_problem(good) is None
    key = "0" * 24
    (tmp_path / sharecard.card_file(key)).write_bytes(damage(good))  # type: ignore[operator]
    found = sharecard.read_card(tmp_path, key)
    assert isinstance(found, str), found
    assert sharecard.read_card(tmp_path, "1" * 24) is None  # no entry: nothing to report


def test_a_card_entry_is_one_read_only_file_and_a_killed_writers_leftover_is_ignored_and_pruned(site: Path) -> None:
    card, key, cached = _built_card_entry(site)
    assert cached.is_file() and cached.stat().st_mode & 0o222 == 0
    assert not list((site / ".cache/anh").glob(f"*/{key}"))  # no folder besides
    # A build killed while writing a card leaves its temporary file only, never a partial entry.
    leftover = cached.parent / f".{key}.png.tmp-99999"
    good = cached.read_bytes()
    leftover.write_bytes(good[:50])
    cached.unlink()
    _drop_cover_photo(site)
    result = _build(site)
    assert result.cards_drawn == 2  # the one removed and the article that lost its photo
    assert not [d for d in result.warnings if "ảnh chia sẻ" in d.message]
    assert (site / "public" / card[len(BASE) :]).read_bytes() == good
    assert cached.read_bytes() == good and not leftover.exists()  # drawn again; the leftover pruned


def test_a_card_kept_as_a_folder_by_an_older_toasoan_is_written_as_one_file_at_the_same_address(site: Path) -> None:
    card, key, cached = _built_card_entry(site)
    good = cached.read_bytes()
    old = cached.parent / key
    old.mkdir()
    cached.rename(old / "og.png")
    (old / "meta.json").write_text("{}", encoding="utf-8")
    _drop_cover_photo(site)
    result = _build(site)
    assert not [d for d in result.warnings if "ảnh chia sẻ" in d.message]
    assert _card_of(site, "2023/06/khong-anh/index.html") == card
    assert cached.read_bytes() == good and not old.exists()


def test_long_headlines_wrap_inside_the_card_at_spaces() -> None:
    face = sharecard._face(sharecard.HEADLINE_SIZES[0])
    width = sharecard.WIDTH - 2 * sharecard.MARGIN
    headline = "Hội nghị tổng kết công tác xây dựng Đảng và hệ thống chính trị năm 2024, triển khai nhiệm vụ trọng tâm năm 2025 của tỉnh Bắc Kạn"
    lines = sharecard.wrap(face, headline, width)
    assert len(lines) > 2
    assert " ".join(lines) == headline  # every word kept, in order, broken only at spaces
    assert all(face.width(line) <= width for line in lines)
    long_word = "https://baobackan.example.vn/" + "a" * 80
    broken = sharecard.wrap(face, long_word, width)
    assert "".join(broken) == long_word and len(broken) > 1
    assert all(face.width(line) <= width for line in broken)


def test_a_headline_too_long_for_the_card_ends_in_an_ellipsis_at_a_word() -> None:
    headline = " ".join(["Nghị quyết về phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu số"] * 5)
    face, lines = sharecard.headline_lines(headline)
    assert face.size == sharecard.HEADLINE_SIZES[-1]
    assert lines[-1].endswith(" …")
    words = headline.split()
    shown = " ".join(lines)[: -len(" …")].split()
    assert shown == words[: len(shown)]  # whole words only
    assert all(face.width(line) <= sharecard.WIDTH - 2 * sharecard.MARGIN for line in lines)
    short_face, short = sharecard.headline_lines("Mưa lớn")
    assert short == ["Mưa lớn"] and short_face.size == sharecard.HEADLINE_SIZES[0]


VIETNAMESE = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)


def test_the_bundled_font_draws_every_vietnamese_letter() -> None:
    face = sharecard._face(40)
    missing = face.mask("\ue000")  # a private-use code point: the font's "no glyph" box
    assert sharecard.FONT.with_name("NotoSans-LICENSE.txt").is_file()
    for letter in VIETNAMESE + VIETNAMESE.upper():
        drawn = face.mask(letter)
        assert drawn is not None, letter
        if missing is not None:
            assert drawn[0].tobytes() != missing[0].tobytes(), f"{letter!r} is drawn as a missing glyph"


def test_the_same_card_gives_the_same_bytes() -> None:
    card = sharecard.Card(headline="Đường về bản Đôn", kicker="Văn hóa", paper="Báo Thử", host="thu.example.vn")
    first = sharecard.card_bytes(card)
    sharecard._face.cache_clear()  # a fresh process: nothing remembered
    assert sharecard.card_bytes(card) == first
    with Image.open(io.BytesIO(first)) as picture:
        assert picture.size == (1200, 630)
    other = sharecard.Card(headline="Đường về bản Đôn", kicker="Văn hóa", paper="Báo Khác", host="thu.example.vn")
    assert other.key() != card.key() and sharecard.card_bytes(other) != first


def test_the_spliced_png_holds_exactly_the_drawn_card() -> None:
    # card_bytes writes the PNG itself, splicing rows without text compressed once per process;
    # whatever the headline's length or letters, it must decode to the drawn picture, pixel for pixel.
    headlines = ["Mưa lớn", "Đường về bản Đôn", "Ông Ấy gặp ỵ", " ".join(["Nghị quyết về phát triển kinh tế - xã hội vùng đồng bào"] * 4)]
    for number, headline in enumerate(headlines):
        card = sharecard.Card(headline=headline, kicker="Thời sự", paper=f"Báo Thử {number}", host="thu.example.vn")
        drawn = sharecard.draw_card(card)
        for _ in range(2):  # the second time from the kept rows without text
            with Image.open(io.BytesIO(sharecard.card_bytes(card))) as picture:
                picture.load()
                assert picture.format == "PNG" and picture.mode == "P" and picture.size == (1200, 630)
                assert picture.tobytes() == drawn.tobytes(), headline
                assert picture.convert("RGB").tobytes() == drawn.convert("RGB").tobytes(), headline
