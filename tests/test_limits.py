"""Sane limits per file (`limits:` in site_config.yaml): refused at the offending line, not built."""

from __future__ import annotations

from pathlib import Path

import pytest
from sitekit import MINIMAL_CONFIG, make_jpeg, run_cli, write_site
from test_errors import ARTICLE, GOOD_FRONT, article, assert_refused, line_of

SMALL_LIMITS = "limits: {tags: 3, officials: 2, gallery: 2, title_length: 40, body_kb: 2, line_length: 300}\n"


def small_limits_site(site: Path, spec: str) -> Path:
    return write_site(site, "-- site_config.yaml --\n" + MINIMAL_CONFIG + SMALL_LIMITS + spec)


def test_a_hundred_thousand_tags_are_refused_at_the_tags_line(site: Path) -> None:
    """Default limits: 100,000 tags (once 100,124 pages, 137 s, 1 GB) is one error, no page."""
    tags = "tags:\n" + "".join(f"  - từ khóa {i}\n" for i in range(100_000))
    write_site(site, article(*GOOD_FRONT, tags.rstrip("\n")))
    line = assert_refused(run_cli("--site", site), site, ARTICLE, 5, "`tags`", "100000", "30", "limits.tags")
    assert "site_config.yaml" in line


def test_each_count_limit_is_configurable_and_reported_at_its_field(site: Path) -> None:
    photos = "".join(f"  - {{src: a{i}.jpg, caption: Ảnh {i}}}\n" for i in range(3))
    small_limits_site(site, article(
        *GOOD_FRONT, "tags: [một, hai, ba, bốn]", "officials: [Ông A, Bà B, Ông C]", "gallery:\n" + photos.rstrip("\n"),
    ))
    for i in range(3):
        make_jpeg(site / f"content/articles/a{i}.jpg")
    run = run_cli("--site", site)
    assert_refused(run, site, ARTICLE, line_of(site, ARTICLE, "tags:"), "`tags` có 4 mục", "3", "limits.tags")
    assert_refused(run, site, ARTICLE, line_of(site, ARTICLE, "officials:"), "`officials` có 3 mục", "limits.officials")
    assert_refused(run, site, ARTICLE, line_of(site, ARTICLE, "gallery:"), "`gallery` có 3 mục", "limits.gallery")


def test_at_the_limit_is_fine(site: Path) -> None:
    small_limits_site(site, article(*GOOD_FRONT, "tags: [một, hai, ba]", "officials: [Ông A, Bà B]"))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert (site / "public/chu-de/ba/index.html").is_file()


def test_title_too_long(site: Path) -> None:
    small_limits_site(site, article("title: " + "Tiêu đề rất dài " * 5, "date: 2023-06-07 15:30", "category: thoi-su"))
    assert_refused(run_cli("--site", site), site, ARTICLE, 2, "`title` dài", "40", "limits.title_length")


def test_body_too_big_is_refused_at_the_line_that_passes_the_limit(site: Path) -> None:
    # The body starts with the blank line 6 (1 byte), then 100-byte lines from line 7:
    # byte 2049 of the body is on line 7 + 20.
    body = "\n".join(["x" * 99] * 30)
    small_limits_site(site, article(*GOOD_FRONT, body=body))
    assert_refused(run_cli("--site", site), site, ARTICLE, 27, "dài 3 KB", "2 KB", "limits.body_kb")


def test_every_line_too_long_is_reported_at_its_line(site: Path) -> None:
    long_line = "Chữ " * 100
    body = f"Đoạn mở đầu.\n\n{long_line}\n\nĐoạn giữa.\n\n{long_line}"
    small_limits_site(site, article(*GOOD_FRONT, body=body))
    run = run_cli("--site", site)
    assert_refused(run, site, ARTICLE, 9, "dòng dài 400 ký tự", "300", "limits.line_length")
    assert_refused(run, site, ARTICLE, 13, "dòng dài 400 ký tự")


def test_static_pages_have_the_same_size_limits(site: Path) -> None:
    page = "content/pages/gioi-thieu.md"
    small_limits_site(site, f"-- {page} --\n---\ntitle: Giới thiệu\n---\n\n{'x' * 301}\n" + article(*GOOD_FRONT))
    assert_refused(run_cli("--site", site), site, page, 5, "limits.line_length")


def test_brackets_markdown_would_read_for_minutes_are_refused_at_their_paragraph(site: Path) -> None:
    """`[` × 10,000 took Python-Markdown 14–28 s; now it is an error before rendering."""
    body = "Đoạn mở đầu.\n\nDòng trước.\n" + "[" * 10_000 + "\n\nĐoạn cuối."
    write_site(site, article(*GOOD_FRONT, body=body))
    assert_refused(run_cli("--site", site, "--jobs", "1"), site, ARTICLE, line_of(site, ARTICLE, "Dòng trước"), "`[`", "\\[")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_markdown_over_its_time_limit_is_an_error_at_that_document(site: Path, jobs: str) -> None:
    """Twenty thousand empty list items make Python-Markdown run for minutes (no bracket to
    see beforehand): `limits.markdown_seconds` stops it at that document, in the main process
    (one job) as in a worker (two), and the other documents are still checked."""
    other = "content/articles/khac.md"
    write_site(site, (
        "-- site_config.yaml --\n" + MINIMAL_CONFIG + "limits: {markdown_seconds: 1}\n"
        + article(*GOOD_FRONT, body="Mở đầu.\n" + "\n- " * 20_000)
        + f"-- {other} --\n---\ntitle: Bài khác\ndate: 2023-06-08 10:00\ncategory: thoi-su\n---\n\n"
        + "Xem [trang không có](/khong-co/).\n\nMột đoạn có `[` " + "[" * 3000 + "\n"
    ))
    run = run_cli("--site", site, "--jobs", jobs)
    assert_refused(run, site, ARTICLE, 6, "quá 1 giây", "limits.markdown_seconds")
    assert_refused(run, site, other, 9, "`[`")
