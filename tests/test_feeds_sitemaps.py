"""RSS feeds, sitemaps (and the index past the URL limit), the Google News sitemap and robots.txt:
built from inline sites, parsed back with lxml, sitemaps validated against tests/schemas/*.xsd."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sitekit import make_jpeg, run_cli, write_site

from toasoan import feeds, pipeline, sitemaps
from toasoan import patch as patching
from toasoan.pipeline import BuildOptions, build

SCHEMAS = Path(__file__).resolve().parent / "schemas"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
DC = "{http://purl.org/dc/elements/1.1/}"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BASE = "https://thu.example.vn/"
EPOCH = "1790000000"  # run_cli's default: 2026-09-21 14:13:20 +07:00

SCRIPT_TITLE = 'Tin <script>alert(1)</script> & "trích dẫn"'
SCRIPT_SUMMARY = "Tóm tắt có <b>đậm</b> & <script>alert(2)</script> nhé"
SCRIPT_URL = BASE + "2026/09/tin-script-alert-1-script-trich-dan/"

SITE = f"""\
-- site_config.yaml --
title: Báo Thử Nghiệm
tagline: Tin tức thử nghiệm
description: Tin tức của tỉnh thử nghiệm
base_url: {BASE}
language: vi
timezone: Asia/Ho_Chi_Minh
permalink: /{{year}}/{{month}}/{{slug}}/
page_size: {{category: 2, tag: 2, official: 2, archive: 2, feed: 3}}
categories:
  thoi-su: {{name: Thời sự, description: Tin thời sự trong tỉnh}}
  kinh-te: {{name: Kinh tế}}
  van-hoa: {{name: Văn hóa}}
-- content/articles/2026/09/tin-script.md --
---
title: '{SCRIPT_TITLE}'
slug: tin-script-alert-1-script-trich-dan
date: 2026-09-20 10:00
category: thoi-su
tags: [an toàn]
author: Minh Anh
summary: '{SCRIPT_SUMMARY}'
cover: {{ src: /media/bia.jpg, caption: Ảnh bìa. }}
---

BBK - Nội dung bài có tiêu đề lạ.
-- content/articles/2026/09/gia-lua.md --
---
title: Giá lúa tăng mạnh
date: 2026-09-18 09:00
category: kinh-te
---

BBK - Giá lúa tăng trong tuần.

Đoạn thứ hai.
-- content/articles/2025/01/bai-cu.md --
---
title: Bài cũ được cập nhật
date: 2025-01-05 08:00
updated: 2025-02-01 09:30
category: thoi-su
author: Lê Hoa
---

BBK - Bài cũ.
-- content/articles/2024/06/bai-rat-cu.md --
---
title: Bài rất cũ
date: 2024-06-01 07:00
category: thoi-su
---

BBK - Bài rất cũ.
-- content/articles/2026/09/nhap.md --
---
title: Bản nháp chưa đăng
date: 2026-09-19 08:00
category: thoi-su
draft: true
---

BBK - Nháp.
-- content/articles/2026/09/tuong-lai.md --
---
title: Bài hẹn giờ đăng
date: 2026-09-25 08:00
category: kinh-te
---

BBK - Tương lai.
-- content/pages/gioi-thieu.md --
---
title: Giới thiệu
---

Trang giới thiệu.
"""

MY_FILES = ("rss.xml", "chuyen-muc/thoi-su/rss.xml", "chuyen-muc/kinh-te/rss.xml", "chuyen-muc/van-hoa/rss.xml",
            "sitemap.xml", "sitemap-news.xml", "robots.txt")


def _site(site: Path) -> Path:
    write_site(site, SITE)
    make_jpeg(site / "content/media/bia.jpg", (1600, 1000))
    return site


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of SITE, shared by the read-only tests; returns its output folder."""
    site = _site(tmp_path_factory.mktemp("feeds") / "site")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    return site / "public"


def _xml(path: Path) -> etree._Element:
    data = path.read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    data.decode("utf-8")  # strict UTF-8
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def _assert_valid(schema: etree.XMLSchema, root: etree._Element) -> None:
    assert schema.validate(root), schema.error_log


def _items(channel: etree._Element) -> list[etree._Element]:
    return channel.findall("item")


def _channel(path: Path) -> etree._Element:
    root = _xml(path)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel


def _text(parent: etree._Element, tag: str) -> str:
    found = parent.find(tag)
    assert found is not None, tag
    return found.text or ""


# RSS


def test_site_feed_has_the_rss_required_elements_and_latest_published_articles(built: Path) -> None:
    channel = _channel(built / "rss.xml")
    assert _text(channel, "title") == "Báo Thử Nghiệm"
    assert _text(channel, "link") == BASE
    assert _text(channel, "description") == "Tin tức của tỉnh thử nghiệm"
    assert _text(channel, "language") == "vi"
    self_link = channel.find("{http://www.w3.org/2005/Atom}link")
    assert self_link is not None and self_link.get("href") == BASE + "rss.xml" and self_link.get("rel") == "self"
    items = _items(channel)
    # page_size.feed is 3: the three newest published articles, newest first; no draft, no future one.
    assert [_text(i, "title") for i in items] == [SCRIPT_TITLE, "Giá lúa tăng mạnh", "Bài cũ được cập nhật"]
    for item in items:
        link = _text(item, "link")
        assert link.startswith(BASE) and link.endswith("/")
        guid = item.find("guid")
        assert guid is not None and guid.text == link and guid.get("isPermaLink") == "true"
        assert _text(item, "description")
    # The channel's date is the newest item's, not the clock.
    assert _text(channel, "lastBuildDate") == "Sun, 20 Sep 2026 10:00:00 +0700"


def test_feed_dates_are_rfc822_in_vietnam_time(built: Path) -> None:
    channel = _channel(built / "rss.xml")
    dates = [parsedate_to_datetime(_text(i, "pubDate")) for i in _items(channel)]
    assert dates == [
        dt.datetime(2026, 9, 20, 10, 0, tzinfo=TZ),
        dt.datetime(2026, 9, 18, 9, 0, tzinfo=TZ),
        dt.datetime(2025, 1, 5, 8, 0, tzinfo=TZ),
    ]
    for item in _items(channel):
        assert _text(item, "pubDate").endswith(" +0700")
    assert parsedate_to_datetime(_text(channel, "lastBuildDate")).utcoffset() == dt.timedelta(hours=7)


def test_editor_markup_in_title_and_summary_reaches_the_reader_as_text(built: Path) -> None:
    raw = (built / "rss.xml").read_bytes()
    assert b"<script" not in raw
    assert b"<b>" not in raw
    item = _items(_channel(built / "rss.xml"))[0]
    assert _text(item, "title") == SCRIPT_TITLE
    # A description is HTML to a feed reader: the summary is escaped once more, so that the
    # reader's HTML parser shows it as the text the editor wrote.
    description = _text(item, "description")
    assert "<" not in description
    assert html.unescape(description) == SCRIPT_SUMMARY
    assert etree.fromstring(raw).xpath("//item/title/text()")[0] == SCRIPT_TITLE
    for name in MY_FILES:
        assert b"<script" not in (built / name).read_bytes(), name


def test_feed_items_carry_category_author_summary_and_cover_enclosure(built: Path) -> None:
    first, second, third = _items(_channel(built / "rss.xml"))
    assert _text(first, "category") == "Thời sự"
    assert _text(first, f"{DC}creator") == "Minh Anh"
    enclosure = first.find("enclosure")
    assert enclosure is not None and enclosure.get("type") == "image/jpeg"
    url = enclosure.get("url") or ""
    assert url.startswith(BASE + "anh/") and url.endswith("/og.jpg")
    published = built / url.removeprefix(BASE)
    assert int(enclosure.get("length") or 0) == published.stat().st_size > 0
    # No author, no summary in front matter: no creator, the sapo as description, no photo.
    assert _text(second, "category") == "Kinh tế"
    assert second.find(f"{DC}creator") is None
    assert _text(second, "description") == "BBK - Giá lúa tăng trong tuần."
    assert second.find("enclosure") is None
    assert _text(third, f"{DC}creator") == "Lê Hoa"


def test_category_feeds_hold_only_their_category(built: Path) -> None:
    thoi_su = _channel(built / "chuyen-muc/thoi-su/rss.xml")
    assert _text(thoi_su, "title") == "Thời sự - Báo Thử Nghiệm"
    assert _text(thoi_su, "link") == BASE + "chuyen-muc/thoi-su/"
    assert _text(thoi_su, "description") == "Tin thời sự trong tỉnh"
    assert [_text(i, "title") for i in _items(thoi_su)] == [SCRIPT_TITLE, "Bài cũ được cập nhật", "Bài rất cũ"]
    assert {_text(i, "category") for i in _items(thoi_su)} == {"Thời sự"}
    kinh_te = _channel(built / "chuyen-muc/kinh-te/rss.xml")
    assert [_text(i, "title") for i in _items(kinh_te)] == ["Giá lúa tăng mạnh"]  # the future one is not there
    assert _text(kinh_te, "description") == "Kinh tế - Báo Thử Nghiệm"
    empty = _channel(built / "chuyen-muc/van-hoa/rss.xml")
    assert _items(empty) == []
    assert _text(empty, "title") and _text(empty, "link") and _text(empty, "description")
    assert empty.find("lastBuildDate") is None


def test_unpublished_articles_are_in_no_feed_or_sitemap(built: Path) -> None:
    for name in MY_FILES:
        text = (built / name).read_text(encoding="utf-8")
        assert "nhap" not in text and "Bản nháp" not in text, name
        assert "hen-gio" not in text and "hẹn giờ" not in text, name


# Sitemaps


def test_sitemap_lists_every_page_and_validates(built: Path) -> None:
    root = _xml(built / "sitemap.xml")
    assert root.tag == f"{SM}urlset"
    _assert_valid(_schema("sitemap.xsd"), root)
    locs = [u.findtext(f"{SM}loc") for u in root.iter(f"{SM}url")]
    assert len(locs) == len(set(locs))
    pages = {BASE + p.parent.relative_to(built).as_posix() + "/" for p in built.rglob("index.html")}
    pages = {p.replace(BASE + "./", BASE) for p in pages}
    assert set(locs) == pages
    assert BASE + "404.html" not in locs
    assert locs[0] == BASE


def test_sitemap_lastmod_is_the_articles_w3c_date(built: Path) -> None:
    root = _xml(built / "sitemap.xml")
    lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root.iter(f"{SM}url")}
    assert lastmod[SCRIPT_URL] == "2026-09-20T10:00:00+07:00"
    assert lastmod[BASE + "2025/01/bai-cu/"] == "2025-02-01T09:30:00+07:00"  # `updated` wins
    # A list page: the newest of its articles (category pages hold 2 each).
    assert lastmod[BASE + "chuyen-muc/thoi-su/"] == "2026-09-20T10:00:00+07:00"
    assert lastmod[BASE + "chuyen-muc/thoi-su/trang-2/"] == "2024-06-01T07:00:00+07:00"
    assert lastmod[BASE + "luu-tru/2025/"] == "2025-02-01T09:30:00+07:00"
    assert lastmod[BASE + "gioi-thieu/"] is None  # a static page has no date
    for value in lastmod.values():
        if value is not None:
            assert dt.datetime.fromisoformat(value).utcoffset() == dt.timedelta(hours=7)


def test_news_sitemap_has_the_last_two_days_and_validates(built: Path) -> None:
    root = _xml(built / "sitemap-news.xml")
    assert root.tag == f"{SM}urlset"
    _assert_valid(_schema("sitemap-news.xsd"), root)
    urls = root.findall(f"{SM}url")
    # One day before "now": in. Three days before: out. Draft and future: out.
    assert [u.findtext(f"{SM}loc") for u in urls] == [SCRIPT_URL]
    news = urls[0].find(f"{NEWS}news")
    assert news is not None
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Báo Thử Nghiệm"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "vi"
    assert news.findtext(f"{NEWS}publication_date") == "2026-09-20T10:00:00+07:00"
    assert news.findtext(f"{NEWS}title") == SCRIPT_TITLE


def test_news_window_follows_source_date_epoch(site: Path) -> None:
    _site(site)
    # "Now" = 2026-09-19 12:00 +07:00: the article of the 18th is within two days, that of the 20th is future.
    epoch = str(int(dt.datetime(2026, 9, 19, 12, 0, tzinfo=TZ).timestamp()))
    assert run_cli("--site", site, env={"SOURCE_DATE_EPOCH": epoch}).code == 0
    root = _xml(site / "public/sitemap-news.xml")
    assert [u.findtext(f"{SM}loc") for u in root.iter(f"{SM}url")] == [BASE + "2026/09/gia-lua/"]
    # Long after every article: still written, still valid, with no <url>.
    assert run_cli("--site", site, env={"SOURCE_DATE_EPOCH": "1900000000"}).code == 0
    root = _xml(site / "public/sitemap-news.xml")
    assert root.findall(f"{SM}url") == []
    _assert_valid(_schema("sitemap-news.xsd"), root)


def _build_in_process(site: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Build in this process (so module constants can be patched); returns feed_files' arguments."""
    seen: dict[str, Any] = {}
    real = pipeline.feed_files

    def spy(site: Any, photos: Any, now: dt.datetime) -> Any:
        seen.update(site=site, photos=photos, now=now)
        return real(site, photos, now)

    monkeypatch.setattr(pipeline, "feed_files", spy)
    monkeypatch.setattr(patching, "feed_files", spy)
    build(BuildOptions(site_dir=site, output=out, environ={"SOURCE_DATE_EPOCH": EPOCH}))
    return seen


def test_past_the_url_limit_sitemap_becomes_an_index(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(site)
    _build_in_process(site, tmp_path / "whole", monkeypatch)
    whole = [u.findtext(f"{SM}loc") for u in _xml(tmp_path / "whole/sitemap.xml").iter(f"{SM}url")]
    monkeypatch.setattr(sitemaps, "MAX_URLS", 4)
    monkeypatch.setattr(sitemaps, "NEWS_LIMIT", 0)
    out = tmp_path / "split"
    _build_in_process(site, out, monkeypatch)
    index = _xml(out / "sitemap.xml")
    assert index.tag == f"{SM}sitemapindex"
    schema = _schema("sitemap.xsd")
    _assert_valid(schema, index)
    parts = [s.findtext(f"{SM}loc") for s in index.iter(f"{SM}sitemap")]
    assert parts == [f"{BASE}sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    assert len(parts) == -(-len(whole) // 4)
    split: list[str | None] = []
    for number, part in enumerate(parts, start=1):
        root = _xml(out / f"sitemap-{number}.xml")
        assert root.tag == f"{SM}urlset"
        _assert_valid(schema, root)
        locs = [u.findtext(f"{SM}loc") for u in root.iter(f"{SM}url")]
        assert 1 <= len(locs) <= 4, part
        split += locs
    assert split == whole
    # The index's lastmod of the first part is the newest lastmod inside it.
    first = index.find(f"{SM}sitemap")
    assert first is not None
    inside = [u.findtext(f"{SM}lastmod") for u in _xml(out / "sitemap-1.xml").iter(f"{SM}url")]
    assert first.findtext(f"{SM}lastmod") == max(v for v in inside if v)
    assert not (tmp_path / "whole/sitemap-1.xml").exists()
    # The News sitemap's cap applies (patched to 0 here): still written and valid.
    news = _xml(out / "sitemap-news.xml")
    assert news.findall(f"{SM}url") == []
    _assert_valid(_schema("sitemap-news.xsd"), news)


def test_enclosure_falls_back_to_the_largest_jpeg_and_is_left_out_without_a_photo(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _site(site)
    seen = _build_in_process(site, tmp_path / "out", monkeypatch)
    source = "content/media/bia.jpg"
    processed = seen["photos"][source]

    def enclosure(photos: Any) -> etree._Element | None:
        data = next(f.data for f in feeds.feed_files(seen["site"], photos, seen["now"]) if f.path == "rss.xml")
        assert data is not None
        return etree.fromstring(data).find("channel/item/enclosure")

    found = enclosure(seen["photos"])
    assert found is not None and (found.get("url") or "").endswith("/og.jpg")
    # No og crop: the widest JPEG variant, with its size.
    no_og = dataclasses.replace(processed, og=None)
    found = enclosure({source: no_og})
    widest = max(processed.of("jpeg"), key=lambda v: v.width)
    assert found is not None and (found.get("url") or "").endswith(f"/{processed.key}/{widest.file}")
    assert found.get("length") == str((Path(processed.folder) / widest.file).stat().st_size)
    # The photo was not processed, or its file cannot be read: no enclosure, the item stays.
    assert enclosure({}) is None
    assert enclosure({source: dataclasses.replace(processed, folder=str(tmp_path / "gone"))}) is None


# robots.txt and determinism


def test_robots_txt_allows_all_and_points_at_both_sitemaps(built: Path) -> None:
    assert (built / "robots.txt").read_text(encoding="utf-8") == (
        "User-agent: *\n"
        "Allow: /\n"
        "\n"
        f"Sitemap: {BASE}sitemap.xml\n"
        f"Sitemap: {BASE}sitemap-news.xml\n"
    )


def test_feeds_and_sitemaps_are_byte_identical_across_builds_and_clock(site: Path, tmp_path: Path) -> None:
    _site(site)
    assert run_cli("--site", site, "--output", tmp_path / "a", "--jobs", "1").code == 0
    assert run_cli("--site", site, "--output", tmp_path / "b", "--jobs", "3").code == 0
    # A minute later nothing new is published: the feeds and sitemaps must not change either.
    later = str(int(EPOCH) + 60)
    assert run_cli("--site", site, "--output", tmp_path / "c", env={"SOURCE_DATE_EPOCH": later}).code == 0
    for name in MY_FILES:
        first = (tmp_path / "a" / name).read_bytes()
        assert first == (tmp_path / "b" / name).read_bytes() == (tmp_path / "c" / name).read_bytes(), name


# The schemas themselves: they must reject what the protocols forbid, or validating proves nothing.


@pytest.mark.parametrize(
    ("schema", "body", "ok"),
    [
        ("sitemap.xsd", "<url><loc>https://a.vn/</loc><lastmod>2026-09-20T10:00:00+07:00</lastmod></url>", True),
        ("sitemap.xsd", "<url><loc>https://a.vn/</loc><lastmod>2026-09-20</lastmod><changefreq>daily</changefreq><priority>0.5</priority></url>", True),
        ("sitemap.xsd", "<url><loc>https://a.vn/</loc><lastmod>2026-09-20T10:00:00</lastmod></url>", False),  # a time without a zone
        ("sitemap.xsd", "<url><loc>/relative/</loc></url>", False),
        ("sitemap.xsd", "<url><lastmod>2026-09-20</lastmod></url>", False),
        ("sitemap.xsd", "<url><loc>https://a.vn/</loc><priority>1.5</priority></url>", False),
        ("sitemap.xsd", "<url><loc>https://a.vn/</loc></url><url><loc>https://a.vn/</loc></url>", False),
        ("sitemap.xsd", "<url><loc>https://a.vn/</loc><bad/></url>", False),
        ("sitemap-news.xsd", "<url><loc>https://a.vn/x/</loc>" + "<news:news><news:publication><news:name>B</news:name><news:language>vi</news:language>"
         "</news:publication><news:publication_date>2026-09-20T10:00:00+07:00</news:publication_date><news:title>T</news:title></news:news></url>", True),
        ("sitemap-news.xsd", "<url><loc>https://a.vn/x/</loc>" + "<news:news><news:publication><news:name>B</news:name><news:language>vi</news:language>"
         "</news:publication><news:publication_date>2026-09-20T10:00:00+07:00</news:publication_date></news:news></url>", False),
        ("sitemap-news.xsd", "<url><loc>https://a.vn/x/</loc>" + "<news:news><news:publication><news:name>B</news:name><news:language>Tiếng Việt</news:language>"
         "</news:publication><news:publication_date>2026-09-20T10:00:00+07:00</news:publication_date><news:title>T</news:title></news:news></url>", False),
    ],
)
def test_schemas_reject_what_the_protocols_forbid(schema: str, body: str, ok: bool) -> None:
    doc = etree.fromstring(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{body}</urlset>'
    )
    assert _schema(schema).validate(doc) is ok


def test_index_schema_rejects_an_empty_index() -> None:
    doc = etree.fromstring('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>')
    assert not _schema("sitemap.xsd").validate(doc)


def test_the_urlset_written_as_text_is_the_element_trees_bytes() -> None:
    """`sitemaps._urlset` writes text, not a tree: the same bytes as `xmlout.xml_bytes` over the
    tree of the same entries (escaped `&`, `<`, `>`; characters XML cannot carry dropped; an
    element left empty by them; pages without lastmod; no entry at all)."""
    import xml.etree.ElementTree as ET

    from toasoan.xmlout import text_element, xml_bytes

    when = dt.datetime(2026, 9, 21, 14, 13, tzinfo=TZ)
    entries = [
        sitemaps._Entry(f"{BASE}", None), sitemaps._Entry(f"{BASE}chu-de/a&b/?x=<1>", when),
        sitemaps._Entry(f"{BASE}tin/Đổi-số/", when.replace(tzinfo=dt.UTC)), sitemaps._Entry("\x01\x02", when), sitemaps._Entry("a\x0bb", None),
    ]
    for chosen in (entries, entries[:1], []):
        tree = ET.Element("urlset", {"xmlns": sitemaps.SITEMAP_NS})
        for entry in chosen:
            url = ET.SubElement(tree, "url")
            text_element(url, "loc", entry.loc)
            if entry.lastmod is not None:
                text_element(url, "lastmod", entry.lastmod.isoformat())
        assert sitemaps._urlset(chosen) == xml_bytes(tree), chosen
