"""Link previews and structured data: Open Graph, Twitter card and schema.org JSON-LD on every
page, read back from built pages; nothing an editor writes can turn into a script."""

from __future__ import annotations

import json
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sitekit import REPO, make_jpeg, run_cli, write_site

from toasoan import images, structured

EPOCH = "1795000000"
SAMPLE_BASE = "https://baobackan.example.vn/"
INLINE_BASE = "https://thu.example.vn/"
HOSTILE = "Tin <script>alert(1)</script> </script><script>x()</script>"


class _Head(HTMLParser):
    """The parts of a page that previews read: meta tags, canonical, every <script>, the h1."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = defaultdict(list)
        self.canonical: str | None = None
        self.title = ""
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in: str | None = None
        self._text: list[str] = []
        self._attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a.get("name") or ""].append(a.get("content") or "")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        elif tag in {"script", "title"}:
            self._in, self._text, self._attrs = tag, [], a

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in == "script":
            self.scripts.append((self._attrs, "".join(self._text)))
        elif tag == self._in == "title":
            self.title = "".join(self._text)
        if tag == self._in:
            self._in = None

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, (key, values)
        return values[0]

    def json_ld(self) -> list[dict[str, Any]]:
        return [json.loads(text) for attrs, text in self.scripts if attrs.get("type") == "application/ld+json"]

    def ld(self, kind: str) -> dict[str, Any]:
        found = [d for d in self.json_ld() if d.get("@type") == kind]
        assert len(found) == 1, (kind, self.json_ld())
        return found[0]


def _read(path: Path) -> _Head:
    head = _Head()
    head.feed(path.read_text(encoding="utf-8"))
    head.close()
    return head


def _local(out: Path, url: str, base: str) -> Path:
    """The output file an absolute URL of the site points at."""
    assert url.startswith(base), url
    path = out / url[len(base) :]
    return path / "index.html" if url.endswith("/") else path


# -- the sample portal ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("previews") / "public"
    run = run_cli("--site", REPO, "--output", out, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert run.code == 0, run.stderr
    return out


GALLERY_ARTICLE = "2025/02/le-hoi-long-tong-ba-be-nam-2025-thu-hut-hang-nghin-du-khach/index.html"


def test_article_open_graph_and_twitter_card(sample: Path) -> None:
    head = _read(sample / GALLERY_ARTICLE)
    canonical = SAMPLE_BASE + GALLERY_ARTICLE.removesuffix("index.html")
    assert head.canonical == canonical
    assert head.one("og:type") == "article"
    assert head.one("og:url") == canonical
    assert head.one("og:title") == "Lễ hội Lồng tồng Ba Bể năm 2025 thu hút hàng nghìn du khách"
    assert head.one("og:site_name") == "Báo Bắc Kạn điện tử"
    assert head.one("og:locale") == "vi_VN"
    assert head.one("og:description") == head.one("description")
    assert head.one("og:description").startswith("Ngày 7/2 (mùng 10 tháng Giêng)")
    assert head.one("article:published_time") == "2025-02-07T16:00:00+07:00"
    assert "article:modified_time" not in head.meta  # never updated
    assert head.one("article:section") == "Văn hóa"
    assert head.meta["article:tag"] == ["lễ hội", "Ba Bể", "du lịch", "văn hóa dân tộc"]
    image = head.one("og:image")
    with Image.open(_local(sample, image, SAMPLE_BASE)) as crop:
        assert crop.size == (1200, 630)
    assert (head.one("og:image:width"), head.one("og:image:height")) == ("1200", "630")
    assert head.one("og:image:alt") == "Nghi lễ tế thần Nông tại Lễ hội Lồng tồng Ba Bể năm 2025."
    assert head.one("twitter:card") == "summary_large_image"
    assert head.one("twitter:title") == head.one("og:title")
    assert head.one("twitter:description") == head.one("og:description")
    assert head.one("twitter:image") == image
    assert head.one("twitter:image:alt") == head.one("og:image:alt")


def test_article_news_article_json_ld(sample: Path) -> None:
    head = _read(sample / GALLERY_ARTICLE)
    assert len(head.json_ld()) == 2
    news = head.ld("NewsArticle")
    assert news["@context"] == "https://schema.org"
    assert news["headline"] == head.one("og:title")
    assert news["description"].startswith("Ngày 7/2 (mùng 10 tháng Giêng)")
    assert news["datePublished"] == news["dateModified"] == "2025-02-07T16:00:00+07:00"
    assert news["inLanguage"] == "vi"
    assert news["mainEntityOfPage"] == {"@type": "WebPage", "@id": head.canonical}
    assert news["articleSection"] == "Văn hóa"
    assert news["keywords"] == ["lễ hội", "Ba Bể", "du lịch", "văn hóa dân tộc"]
    assert news["author"] == {"@type": "Person", "name": "Hoàng Yến"}
    # Several aspect ratios of the preview photo: the 1200×630 crop and the whole photo.
    assert news["image"][0] == head.one("og:image")
    sizes = []
    for url in news["image"]:
        with Image.open(_local(sample, url, SAMPLE_BASE)) as photo:
            sizes.append(photo.size)
    assert sizes[0] == (1200, 630)
    assert len(sizes) == 2 and sizes[1][0] >= 1200 and abs(sizes[1][0] / sizes[1][1] - 1200 / 630) > 0.1
    publisher = news["publisher"]
    assert publisher["@type"] == "NewsMediaOrganization"
    assert publisher["name"] == "Báo Bắc Kạn điện tử"
    logo = publisher["logo"]
    assert logo["@type"] == "ImageObject"
    assert logo["url"] == SAMPLE_BASE + "img/logo.png"
    with Image.open(_local(sample, logo["url"], SAMPLE_BASE)) as picture:
        assert picture.size == (logo["width"], logo["height"])


def test_article_breadcrumb_json_ld(sample: Path) -> None:
    head = _read(sample / GALLERY_ARTICLE)
    trail = head.ld("BreadcrumbList")["itemListElement"]
    assert [i["@type"] for i in trail] == ["ListItem"] * 3
    assert [i["position"] for i in trail] == [1, 2, 3]
    assert [i["name"] for i in trail] == ["Trang chủ", "Văn hóa", "Lễ hội Lồng tồng Ba Bể năm 2025 thu hút hàng nghìn du khách"]
    assert [i["item"] for i in trail] == [SAMPLE_BASE, SAMPLE_BASE + "chuyen-muc/van-hoa/", head.canonical]
    for item in trail:
        assert _local(sample, item["item"], SAMPLE_BASE).is_file()


def test_every_sample_article_has_sound_previews(sample: Path) -> None:
    articles = 0
    for path in sorted(sample.rglob("index.html")):
        head = _read(path)
        if head.meta.get("og:type") != ["article"]:
            continue
        articles += 1
        news = head.ld("NewsArticle")
        head.ld("BreadcrumbList")
        assert news["headline"] == head.one("og:title") == head.one("twitter:title")
        assert news["url"] == news["mainEntityOfPage"]["@id"] == head.one("og:url") == head.canonical
        assert news["datePublished"] == head.one("article:published_time")
        for key in ("datePublished", "dateModified"):
            assert news[key].endswith("+07:00"), (path, key)
        if "article:modified_time" in head.meta:
            assert news["dateModified"] == head.one("article:modified_time") > news["datePublished"]
        for url in news.get("image", []):
            assert _local(sample, url, SAMPLE_BASE).is_file(), url
        # Every article has a picture: its photo, else a share card drawn from its headline.
        assert news["image"][0] == head.one("og:image") == head.one("twitter:image")
        assert head.one("twitter:card") == "summary_large_image"
    assert articles == 26


def test_sample_has_an_updated_article(sample: Path) -> None:
    updated = [p for p in sorted(sample.rglob("index.html")) if "article:modified_time" in _read(p).meta]
    assert updated, "the sample portal should show article:modified_time somewhere"


def test_home_page_has_organization_and_search_box(sample: Path) -> None:
    head = _read(sample / "index.html")
    assert head.one("og:type") == "website"
    assert head.one("og:url") == SAMPLE_BASE
    assert head.one("og:title") == "Báo Bắc Kạn điện tử"
    assert head.one("twitter:card") == "summary_large_image"
    _assert_paper_card(sample, head)
    assert len(head.json_ld()) == 2
    org = head.ld("NewsMediaOrganization")
    assert org["name"] == "Báo Bắc Kạn điện tử"
    assert org["url"] == SAMPLE_BASE
    assert org["logo"]["url"] == SAMPLE_BASE + "img/logo.png"
    assert _local(sample, org["logo"]["url"], SAMPLE_BASE).is_file()
    site = head.ld("WebSite")
    assert site["url"] == SAMPLE_BASE
    assert site["publisher"] == {"@id": org["@id"]}
    action = site["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"] == SAMPLE_BASE + "tim-kiem/?q={search_term_string}"
    assert action["query-input"] == "required name=search_term_string"


@pytest.mark.parametrize("page", ["chuyen-muc/thoi-su/index.html", "gioi-thieu/index.html", "nhan-vat/index.html", "luu-tru/2025/index.html"])
def test_other_pages_are_websites(sample: Path, page: str) -> None:
    head = _read(sample / page)
    assert head.one("og:type") == "website"
    assert head.one("og:title") == head.title
    assert head.one("og:url") == head.canonical == SAMPLE_BASE + page.removesuffix("index.html")
    assert head.one("og:description") == head.one("description")
    assert head.one("og:site_name") == "Báo Bắc Kạn điện tử"
    assert "article:published_time" not in head.meta
    _assert_paper_card(sample, head)
    assert head.json_ld() == []


def _assert_paper_card(out: Path, head: _Head) -> None:
    """The paper's own share card: 1200×630, the same on the home page and every list page."""
    home = _read(out / "index.html")
    assert head.one("og:image") == home.one("og:image") == head.one("twitter:image")
    assert (head.one("og:image:width"), head.one("og:image:height")) == ("1200", "630")
    assert head.one("og:image:alt") == "Báo Bắc Kạn điện tử"
    with Image.open(_local(out, head.one("og:image"), SAMPLE_BASE)) as card:
        assert card.size == (1200, 630) and card.format == "PNG"


# -- inline sites ---------------------------------------------------------------------------

SITE = f"""\
-- content/articles/2023/06/doc-hai.md --
---
title: "{HOSTILE}"
summary: "{HOSTILE}"
author: "</script><script>y()</script>"
date: 2023-06-07 15:30
category: thoi-su
tags: [an toàn]
gallery:
  - {{ src: /media/g1.jpg, caption: "</script>Ảnh một" }}
---

BBK - Nội dung. <script>evil()</script>
-- content/articles/2023/05/khong-anh.md --
---
title: Bài không có ảnh
date: 2023-05-02T01:30:00Z
updated: 2023-05-03 09:00
category: kinh-te
---

BBK - Bài không ảnh, không tác giả.
-- content/articles/2023/04/anh-trong-bai.md --
---
title: Bài chỉ có ảnh trong bài
date: 2023-04-01 10:00
category: thoi-su
---

BBK - Mở đầu.

![Ảnh trong bài.](/media/than.jpg)
"""


@pytest.fixture
def inline(site: Path) -> Path:
    write_site(site, SITE)
    make_jpeg(site / "content/media/g1.jpg", (2000, 1333), (0, 150, 0))
    make_jpeg(site / "content/media/than.jpg", (1600, 1200), (90, 90, 90))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    return site / "public"


def _article(out: Path, month: str) -> Path:
    (page,) = (out / "2023" / month).glob("*/index.html")
    return page


def test_editor_text_never_becomes_a_script(inline: Path) -> None:
    page = _article(inline, "06")
    head = _read(page)
    kinds = [(a.get("type"), a.get("src")) for a, _ in head.scripts]
    gallery = "/" + next((inline / "js").glob("gallery.*.js")).relative_to(inline).as_posix()  # content-hashed name
    assert sorted(kinds, key=str) == [("application/ld+json", None), ("application/ld+json", None), (None, gallery)]
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert html.count("</script>") == 3
    news = head.ld("NewsArticle")
    assert news["headline"] == HOSTILE
    assert news["description"] == HOSTILE
    assert news["author"] == {"@type": "Person", "name": "</script><script>y()</script>"}
    assert head.ld("BreadcrumbList")["itemListElement"][-1]["name"] == HOSTILE
    assert head.one("og:title") == HOSTILE
    assert head.one("og:image:alt") == "</script>Ảnh một"
    for attrs, text in head.scripts:
        assert "<" not in text and ">" not in text, attrs


def test_gallery_photo_is_the_preview_when_there_is_no_cover(inline: Path) -> None:
    head = _read(_article(inline, "06"))
    news = head.ld("NewsArticle")
    assert news["image"][0] == head.one("og:image")
    with Image.open(_local(inline, news["image"][0], INLINE_BASE)) as crop:
        assert crop.size == (1200, 630)
    with Image.open(_local(inline, news["image"][1], INLINE_BASE)) as photo:
        assert photo.size == (1600, 1066)


def test_body_photo_is_the_preview_when_it_is_the_only_one(inline: Path) -> None:
    head = _read(_article(inline, "04"))
    assert head.one("og:image:alt") == "Ảnh trong bài."
    assert head.one("twitter:card") == "summary_large_image"
    with Image.open(_local(inline, head.one("og:image"), INLINE_BASE)) as crop:
        assert crop.size == (1200, 630)
    assert head.ld("NewsArticle")["image"][0] == head.one("og:image")


def test_article_without_photo_or_author(inline: Path) -> None:
    head = _read(_article(inline, "05"))
    # No photo: a share card drawn from the headline (tests/test_share_cards.py looks at it).
    assert head.one("twitter:card") == "summary_large_image"
    assert head.one("og:image:alt") == "Bài không có ảnh"
    with Image.open(_local(inline, head.one("og:image"), INLINE_BASE)) as card:
        assert card.size == (1200, 630)
    assert "article:tag" not in head.meta
    # A UTC time in the front matter is shown in the site's zone.
    assert head.one("article:published_time") == "2023-05-02T08:30:00+07:00"
    assert head.one("article:modified_time") == "2023-05-03T09:00:00+07:00"
    news = head.ld("NewsArticle")
    assert news["image"] == [head.one("og:image")] and "keywords" not in news
    assert news["datePublished"] == "2023-05-02T08:30:00+07:00"
    assert news["dateModified"] == "2023-05-03T09:00:00+07:00"
    assert news["author"]["@type"] == "NewsMediaOrganization"
    assert news["author"]["name"] == news["publisher"]["name"] == "Báo Thử Nghiệm"
    assert news["articleSection"] == "Kinh tế"
    assert [i["item"] for i in head.ld("BreadcrumbList")["itemListElement"]] == [
        INLINE_BASE, INLINE_BASE + "chuyen-muc/kinh-te/", head.canonical,
    ]


# -- the serializer -------------------------------------------------------------------------


def test_json_ld_escapes_what_could_end_the_script() -> None:
    data = {"b": "</script><!-- & -->", "a": "Bắc Kạn"}
    markup = structured.json_ld(data)
    assert markup.startswith('<script type="application/ld+json">') and markup.endswith("</script>")
    body = markup.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert not set(body) & set("<>&")
    assert "Bắc Kạn" in body  # not \\u-escaped: ensure_ascii=False
    assert body.index('"a"') < body.index('"b"')  # sorted keys
    assert json.loads(body) == data
    assert str(structured.json_ld([data, data])).count("<script") == 2


def test_og_size_matches_the_crop_the_photo_stage_makes() -> None:
    assert (structured.OG_WIDTH, structured.OG_HEIGHT) == images.OG_SIZE
