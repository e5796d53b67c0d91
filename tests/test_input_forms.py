"""Good but odd input is accepted; the command line and the output folder are guarded."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from sitekit import make_jpeg, run_cli, tree_bytes, write_anh_1_site, write_site

TITLE = "Phó Chủ tịch UBND tỉnh làm việc với Sở Thông tin và Truyền thông về chuyển đổi số"
TEXT = f"""\
---
title: "{TITLE}"
date: 2023-06-07 15:30
category: thoi-su
tags: [chuyển đổi số]
---

BBK - Chiều 07/6, đồng chí Phạm Duy Hưng có buổi làm việc với Sở Thông tin và Truyền thông.
"""


def page(site: Path, url: str) -> str:
    return (site / "public" / url.strip("/") / "index.html").read_text(encoding="utf-8")


def built_articles(site: Path) -> set[str]:
    """URLs of the article pages in public/ (those below a /YYYY/MM/ folder)."""
    return {"/" + p.parent.relative_to(site / "public").as_posix() + "/"
            for p in (site / "public").glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html")}


# --- encodings and keyboards -----------------------------------------------------------


ENCODINGS = {
    "bom": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "nfd": lambda text: unicodedata.normalize("NFD", text).encode("utf-8"),
    "bom-crlf-nfd": lambda text: b"\xef\xbb\xbf" + unicodedata.normalize("NFD", text).replace("\n", "\r\n").encode("utf-8"),
}


@pytest.mark.parametrize("form", ENCODINGS)
def test_odd_but_valid_files_publish_in_nfc(site: Path, form: str) -> None:
    """UTF-8 with a BOM, CRLF line ends or NFD letters publish, and the page is NFC throughout."""
    write_site(site, "")
    path = site / "content/articles/2023/06/bai.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(ENCODINGS[form](TEXT))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    [url] = built_articles(site)
    html = page(site, url)
    assert unicodedata.is_normalized("NFC", html)
    assert f"<h1>{TITLE}</h1>" in html
    assert "Chiều 07/6, đồng chí Phạm Duy Hưng" in html
    assert "\r" not in html and "\ufeff" not in html
    assert 'href="/chu-de/chuyen-doi-so/"' in html


# --- dates -----------------------------------------------------------------------------


def dated(value: str) -> str:
    return f"""\
-- content/articles/bai.md --
---
title: Bài có ngày
date: {value}
category: thoi-su
---

Nội dung.
"""


@pytest.mark.parametrize(
    ("value", "shown", "iso"),
    [
        ("2023-06-07 15:30", "Thứ Tư, 07/06/2023 15:30", "2023-06-07T15:30:00+07:00"),
        ('"07/06/2023 15:30"', "Thứ Tư, 07/06/2023 15:30", "2023-06-07T15:30:00+07:00"),
        ("07/06/2023 15:30", "Thứ Tư, 07/06/2023 15:30", "2023-06-07T15:30:00+07:00"),
        ("2023-06-07T15:30:00+07:00", "Thứ Tư, 07/06/2023 15:30", "2023-06-07T15:30:00+07:00"),
        ("2023-06-07", "Thứ Tư, 07/06/2023", "2023-06-07T00:00:00+07:00"),
        ("2023-06-07T08:30:00Z", "Thứ Tư, 07/06/2023 15:30", "2023-06-07T15:30:00+07:00"),
    ],
    ids=["iso-space", "day-first-quoted", "day-first", "iso-offset", "yaml-date", "utc-z"],
)
def test_every_date_form_is_read_in_site_time(site: Path, value: str, shown: str, iso: str) -> None:
    """Each accepted date form gives the same day (7 June 2023), shown in Asia/Ho_Chi_Minh time."""
    write_site(site, dated(value))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    html = page(site, "/2023/06/bai/")
    assert f'<time datetime="{iso}">{shown}' in html


def test_utc_date_near_midnight_is_filed_by_local_day(site: Path) -> None:
    """A UTC evening that is already the next day in Vietnam gets the local day in its URL and page."""
    write_site(site, dated("2023-06-30T20:00:00Z"))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert built_articles(site) == {"/2023/07/bai/"}
    assert "Thứ Bảy, 01/07/2023 03:00" in page(site, "/2023/07/bai/")


UNPUBLISHED = """\
-- content/articles/dang.md --
---
title: Bài đã đăng
date: 2023-06-07 15:30
category: thoi-su
---

Đã đăng.
-- content/articles/nhap.md --
---
title: Bản nháp
date: 2023-06-07 15:30
category: thoi-su
draft: true
---

Nháp.
-- content/articles/hen-gio.md --
---
title: Bài hẹn giờ
date: 2040-01-01 08:00
category: thoi-su
---

Hẹn giờ.
"""


def test_drafts_and_future_articles_wait(site: Path) -> None:
    """A draft and a 2040 article are not published, and are with `--drafts`."""
    write_site(site, UNPUBLISHED)
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert built_articles(site) == {"/2023/06/dang/"}
    home = (site / "public/index.html").read_text(encoding="utf-8")
    assert "Bản nháp" not in home and "Bài hẹn giờ" not in home
    run = run_cli("--site", site, "--drafts")
    assert run.code == 0, run.stderr
    assert built_articles(site) == {"/2023/06/dang/", "/2023/06/nhap/", "/2040/01/hen-gio/"}


# --- article bundles and `new` ---------------------------------------------------------


def test_article_bundle_publishes_variants_of_its_photo(site: Path) -> None:
    """`bai/index.md` with `anh.jpg` beside it: the photo is published as variants (cover and body)."""
    write_site(site, """\
        -- content/articles/2023/06/bai/index.md --
        ---
        title: Bài có ảnh riêng
        date: 2023-06-07 15:30
        category: thoi-su
        cover: { src: anh.jpg, caption: Ảnh bìa. }
        ---

        Mở đầu.

        ![Ảnh trong bài.](anh.jpg)
        """)
    make_jpeg(site / "content/articles/2023/06/bai/anh.jpg")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert not list((site / "public").rglob("anh.jpg"))  # the original (with its metadata) is not published
    html = (site / "public/2023/06/bai/index.html").read_text(encoding="utf-8")
    fallback = re.findall(r'<img src="(/anh/\w+/480\.jpg)"', html)
    assert len(fallback) == 2 and fallback[0] == fallback[1]
    assert (site / "public" / fallback[0].lstrip("/")).is_file()
    assert "<figcaption>Ảnh trong bài.</figcaption>" in html


def test_new_scaffolds_an_article_that_builds(site: Path) -> None:
    """`new "Tiêu đề có dấu Đường"` writes content/articles/2026/09/tieu-de-co-dau-duong.md, which builds."""
    write_site(site, "")
    run = run_cli("new", "Tiêu đề có dấu Đường", "--site", site)
    assert run.code == 0, run.stderr
    created = site / "content/articles/2026/09/tieu-de-co-dau-duong.md"
    assert created.is_file()
    text = created.read_text(encoding="utf-8")
    assert 'title: "Tiêu đề có dấu Đường"' in text
    assert "date: 2026-09-21" in text
    assert "draft: true" in text
    assert run_cli("--site", site).code == 0
    assert built_articles(site) == set()
    created.write_text(text.replace("draft: true", "draft: false"), encoding="utf-8")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert built_articles(site) == {"/2026/09/tieu-de-co-dau-duong/"}
    assert "<h1>Tiêu đề có dấu Đường</h1>" in page(site, "/2026/09/tieu-de-co-dau-duong/")


# --- the output folder -----------------------------------------------------------------


def test_failed_build_leaves_previous_output_untouched(site: Path) -> None:
    """Build, break an article, build again: exit 1 and public/ is byte-for-byte as before."""
    write_site(site, UNPUBLISHED)
    assert run_cli("--site", site).code == 0
    before = tree_bytes(site / "public")
    entries = sorted(p.name for p in site.iterdir())
    broken = site / "content/articles/dang.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("thoi-su", "thoi_su"), encoding="utf-8")
    run = run_cli("--site", site)
    assert run.code == 1
    assert "content/articles/dang.md:4: " in run.stderr
    assert tree_bytes(site / "public") == before
    assert sorted(p.name for p in site.iterdir()) == entries


@pytest.mark.parametrize("where", ["site", "content", "parent", "root"])
def test_output_that_would_destroy_sources_is_refused(site: Path, where: str) -> None:
    """`--output` is refused (exit 2) for the site itself, content/, a parent of the site and `/`."""
    write_site(site, UNPUBLISHED)
    before = tree_bytes(site)
    output = {"site": site, "content": site / "content", "parent": site.parent, "root": Path("/")}[where]
    run = run_cli("--site", site, "--output", output)
    assert run.code == 2, run.stderr
    assert run.stderr.strip()
    assert tree_bytes(site) == before


def test_output_into_a_foreign_folder_is_refused(site: Path, tmp_path: Path) -> None:
    """A non-empty folder not made by toasoan is refused (exit 2) and its files are left alone."""
    write_site(site, UNPUBLISHED)
    foreign = tmp_path / "tai-lieu"
    (foreign / "con").mkdir(parents=True)
    (foreign / "bao-cao.docx").write_bytes(b"quan trong")
    (foreign / "con" / "ghi-chu.txt").write_text("giữ lại", encoding="utf-8")
    before = tree_bytes(foreign)
    run = run_cli("--site", site, "--output", foreign)
    assert run.code == 2, run.stderr
    assert tree_bytes(foreign) == before


def test_output_elsewhere_is_accepted_and_rebuilt(site: Path, tmp_path: Path) -> None:
    """An empty or previously built `--output` folder is used (the guard is not too strict)."""
    write_site(site, UNPUBLISHED)
    out = tmp_path / "xuat"
    out.mkdir()
    assert run_cli("--site", site, "--output", out).code == 0
    assert run_cli("--site", site, "--output", out).code == 0
    assert (out / "2023/06/dang/index.html").is_file()
    assert not (site / "public").exists()


@pytest.mark.parametrize(
    "args",
    [["--jobs", "0"], ["--jobs", "hai"], ["--khong-co"], ["build", "--port", "80"], ["check", "--output", "x"]],
    ids=["jobs-0", "jobs-word", "unknown-option", "option-of-serve", "output-for-check"],
)
def test_bad_command_line_exits_2(site: Path, args: list[str]) -> None:
    """A bad command line exits 2 with a message, and builds nothing."""
    write_site(site, UNPUBLISHED)
    run = run_cli(*args, "--site", site)
    assert run.code == 2, run.stderr
    assert run.stderr.strip()
    assert "Traceback" not in run.stderr
    assert not (site / "public").exists()


def test_missing_site_folder_exits_2(tmp_path: Path) -> None:
    """`--site` pointing at a folder without site_config.yaml exits 2."""
    run = run_cli("--site", tmp_path / "khong-co")
    assert run.code == 2
    assert "site_config.yaml" in run.stderr


# --- raw HTML in articles --------------------------------------------------------------


def test_raw_html_is_made_safe_and_text_kept(site: Path) -> None:
    """<script>, onclick=, javascript: links and <iframe> are removed; the editor's text stays."""
    write_site(site, """\
        -- content/articles/bai.md --
        ---
        title: Bài có HTML
        date: 2023-06-07 15:30
        category: thoi-su
        summary: Tóm tắt.
        ---

        Đoạn một <script>alert("xss1")</script> còn nguyên.

        <script>document.cookie</script>

        <p onclick="steal()">Đoạn bấm được.</p>

        Xem <a href="javascript:alert('xss2')">liên kết lạ</a> và <a href="JaVaScRiPt:alert('xss3')">nữa</a>.

        <iframe src="https://evil.example/"></iframe>

        <img src="/x.png" onerror="alert('xss4')">

        Đoạn cuối.
        """)
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    html = page(site, "/2023/06/bai/")
    for bad in ("xss1", "xss2", "xss3", "xss4", "document.cookie", "onclick", "onerror", "steal()",
                "javascript:", "JaVaScRiPt:", "<iframe", "evil.example"):
        assert bad not in html, bad
    for kept in ("Đoạn một", "còn nguyên.", "Đoạn bấm được.", "liên kết lạ", "nữa", "Đoạn cuối."):
        assert kept in html, kept


def test_body_cannot_take_the_gallery_deep_link_ids(site: Path) -> None:
    """Every id in the page is unique, and `#anh-1` is the gallery's first photo."""
    run = run_cli("--site", write_anh_1_site(site))
    assert run.code == 0, run.stderr
    html = page(site, "/2023/06/anh-1/")
    ids = re.findall(r'\sid="([^"]*)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert re.search(r'<figure id="anh-1">\s*<a href="[^"]*" data-viewer', html)
    assert '<h2 id="anh-1-2">Ảnh 1</h2>' in html
    assert "Đoạn tự đặt mã." in html and "Khối tự đặt mã." in html


def test_external_links_get_noopener(site: Path) -> None:
    """Links to other sites get rel="noopener"; links inside the site are left as they are."""
    write_site(site, """\
        -- content/articles/bai.md --
        ---
        title: Bài có liên kết
        date: 2023-06-07 15:30
        category: thoi-su
        summary: Tóm tắt.
        ---

        Theo [Báo Điện tử](https://baodientu.example.vn/tin/1), [bản cũ](http://cu.example.vn/)
        và <a href="https://html.example.vn/">một liên kết HTML</a>; xem thêm [giới thiệu](/gioi-thieu/).
        -- content/pages/gioi-thieu.md --
        ---
        title: Giới thiệu
        ---

        Trang giới thiệu.
        """)
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    html = page(site, "/2023/06/bai/")
    anchors = {m.group(2): m.group(0) for m in re.finditer(r'<a\b[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', html)}
    for text in ("Báo Điện tử", "bản cũ", "một liên kết HTML"):
        assert re.search(r'\brel="[^"]*\bnoopener\b', anchors[text]), anchors[text]
    assert "noopener" not in anchors["giới thiệu"]


# --- Markdown that only looks like a photo ----------------------------------------------


def test_image_syntax_inside_code_is_text(site: Path) -> None:
    """`![chú thích](ten-anh.jpg)` in a code block or inline code is shown as text, not checked as a photo."""
    write_site(site, """\
        -- content/articles/bai.md --
        ---
        title: Hướng dẫn chèn ảnh
        date: 2023-06-07 15:30
        category: thoi-su
        ---

        Cách chèn ảnh vào bài:

            ![chú thích](ten-anh.jpg)

        Hoặc viết `![chú thích](anh-khac.jpg)` trong dòng.
        """)
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert "ten-anh.jpg" in page(site, "/2023/06/bai/")
