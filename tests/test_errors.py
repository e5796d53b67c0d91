"""Broken content: exit 1, every error as `path:line: message` with the exact line, nothing written."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sitekit import BUILD, Run, make_jpeg, run_cli, write_site

ARTICLE = "content/articles/bai.md"

OFFICIALS = """\
-- content/officials.yaml --
- id: pham-duy-hung
  name: Phạm Duy Hưng
  positions:
    - { title: Phó Chủ tịch UBND tỉnh, from: 2023-01-01 }
"""


def article(*front: str, body: str = "Nội dung bài viết.") -> str:
    """One article file (`content/articles/bai.md`) with the given front-matter lines."""
    lines = "\n".join(front)
    return f"-- {ARTICLE} --\n---\n{lines}\n---\n\n{body}\n"


GOOD_FRONT = ("title: Bài viết thử", "date: 2023-06-07 15:30", "category: thoi-su")


def line_of(site: Path, rel: str, needle: str) -> int:
    """1-based line of the first line of `rel` (as written on disk) that contains `needle`."""
    text = (site / rel).read_bytes().decode("utf-8")
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def error_lines(run: Run, rel: str, line: int | None = None) -> list[str]:
    """The stderr lines that report a problem in `rel` (at `line` when given)."""
    prefix = f"{rel}:{line}: " if line is not None else f"{rel}:"
    return [text for text in run.stderr.splitlines() if text.startswith(prefix)]


def assert_refused(run: Run, site: Path, rel: str, line: int, *words: str) -> str:
    """Exit 1, an error at exactly `rel:line: ` mentioning every word, no traceback, no public/."""
    assert run.code == 1, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    found = error_lines(run, rel, line)
    assert found, f"no line starting with {rel}:{line}: in\n{run.stderr}"
    for word in words:
        assert any(word in text for text in found), f"{word!r} not in {found}"
    assert not (site / "public").exists()
    return found[0]


def run_watching(*args: str | Path, watch: Path, log: Path) -> tuple[Run, list[str]]:
    """Run build.py like `run_cli`, recording every attempt to open the file `watch` (audit hook)."""
    program = f"""
import os, runpy, sys
WATCH, LOG = {str(watch.resolve())!r}, {str(log)!r}
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if path != LOG and os.path.realpath(path) == WATCH:
            with open(LOG, "a", encoding="utf-8") as out:
                out.write(path + "\\n")
sys.addaudithook(hook)
sys.argv = [{str(BUILD)!r}, *{[str(a) for a in args]!r}]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
    env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1790000000", "LANG": "C.UTF-8"}
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env,
                          cwd=BUILD.parent, check=False)
    opened = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return Run(proc.returncode, proc.stdout, proc.stderr), opened


# --- front matter values ---------------------------------------------------------------


def test_missing_title(site: Path) -> None:
    """An article without `title` is refused at the front matter's first line."""
    write_site(site, article("date: 2023-06-07 15:30", "category: thoi-su"))
    assert_refused(run_cli("--site", site), site, ARTICLE, 1, "title")


def test_empty_title(site: Path) -> None:
    """`title: ""` is refused at the line of the `title` key."""
    write_site(site, article("category: thoi-su", 'title: ""', "date: 2023-06-07 15:30"))
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "title:"), "title")


def test_bad_date_string(site: Path) -> None:
    """A date that is not a date is refused at the `date` line, with an example of the right form."""
    write_site(site, article("title: Bài viết", "category: thoi-su", "date: chiều thứ Tư"))
    message = assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "date:"), "chiều thứ Tư")
    assert "2023-06-07 15:30" in message


def test_impossible_date_with_time(site: Path) -> None:
    """`2023-02-30 10:00` (no 30 February) is refused at the `date` line."""
    write_site(site, article("title: Bài viết", "date: 2023-02-30 10:00", "category: thoi-su"))
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "date:"), "2023-02-30")


def test_impossible_bare_date(site: Path) -> None:
    """A bare YAML date `2023-02-30` is refused at its line, not a traceback."""
    write_site(site, article("title: Bài viết", "date: 2023-02-30", "category: thoi-su"))
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "date:"), "2023-02-30")


def test_unknown_category_suggests_closest(site: Path) -> None:
    """`category: thoi_su` is refused at its line and the message suggests `thoi-su`."""
    write_site(site, article("title: Bài viết", "date: 2023-06-07 15:30", "category: thoi_su"))
    message = assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "category:"), "thoi_su")
    assert "`thoi-su`" in message


def test_unknown_official_suggests_closest(site: Path) -> None:
    """An official id not in officials.yaml is refused at its list item, suggesting the closest id."""
    write_site(site, OFFICIALS + article(*GOOD_FRONT, "officials:", "  - Nguyễn Văn A", "  - pham-duy-hug"))
    message = assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "pham-duy-hug"), "pham-duy-hug")
    assert "`pham-duy-hung`" in message


# --- photos ----------------------------------------------------------------------------


def test_missing_cover_photo(site: Path) -> None:
    """A cover that is not beside the article is refused at the `cover` line, naming the file."""
    write_site(site, article(*GOOD_FRONT, "cover: { src: quang-canh.jpg, caption: Quang cảnh. }"))
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "cover:"), "quang-canh.jpg")


def test_missing_image_in_body(site: Path) -> None:
    """A body photo that does not exist is refused at the line of its Markdown."""
    body = "Đoạn mở đầu.\n\nĐoạn hai.\n\n![Quang cảnh buổi làm việc.](/media/2023/06/khong-co.jpg)\n\nĐoạn cuối."
    write_site(site, article(*GOOD_FRONT, body=body))
    line = line_of(site, ARTICLE, "![Quang cảnh")
    assert_refused(run_cli("--site", site), site, ARTICLE, line, "khong-co.jpg")


def test_photo_path_with_dot_dot_is_refused(site: Path) -> None:
    """`../` in a photo path is refused even when the file it names exists in the site."""
    rel = "content/articles/2023/bai.md"
    write_site(site, article(*GOOD_FRONT, "cover: ../anh.jpg").replace(ARTICLE, rel))
    make_jpeg(site / "content/articles/anh.jpg")
    assert_refused(run_cli("--site", site), site, rel, line_of(site, rel, "cover:"), "../anh.jpg")


def test_absolute_path_cover_is_refused(site: Path) -> None:
    """`cover: /etc/passwd` is refused at its line (only `/media/...` may start with `/`)."""
    write_site(site, article(*GOOD_FRONT, "cover: /etc/passwd"))
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "cover:"), "/etc/passwd")


def test_symlinked_photo_outside_the_site_is_refused_and_never_read(site: Path, tmp_path: Path) -> None:
    """A photo beside the article that links outside the site is refused and never opened."""
    secret = make_jpeg(tmp_path / "outside" / "secret.jpg")
    write_site(site, article(*GOOD_FRONT, "cover: { src: anh.jpg, caption: Ảnh. }"))
    (site / "content/articles/anh.jpg").symlink_to(secret)
    line = line_of(site, ARTICLE, "cover:")
    run, opened = run_watching("check", "--site", site, watch=secret, log=tmp_path / "opened.log")
    assert_refused(run, site, ARTICLE, line, "anh.jpg")
    assert opened == []
    run, opened = run_watching("--site", site, watch=secret, log=tmp_path / "opened-build.log")
    assert_refused(run, site, ARTICLE, line, "anh.jpg")
    assert opened == []


# --- files that cannot be read as articles ----------------------------------------------


def test_symlinked_article_outside_the_site_is_refused(site: Path, tmp_path: Path) -> None:
    """An article file that is a link to a file outside the site is refused and never read."""
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: Bài ngoài\ndate: 2023-06-07 15:30\ncategory: thoi-su\n---\n\nBí mật.\n", encoding="utf-8")
    write_site(site, article(*GOOD_FRONT))
    link = "content/articles/ngoai.md"
    (site / link).symlink_to(outside)
    run, opened = run_watching("check", "--site", site, watch=outside, log=tmp_path / "opened.log")
    assert run.code == 1 and "Traceback" not in run.stderr, run.stderr
    assert error_lines(run, link), run.stderr
    assert opened == []
    run = run_cli("--site", site)
    assert run.code == 1 and error_lines(run, link), run.stderr
    assert not (site / "public").exists()


def test_two_articles_with_one_url(site: Path) -> None:
    """Two articles that get the same URL are refused, the message naming both files."""
    second = article("title: Bài khác", "slug: bai", "date: 2023-06-20 08:00", "category: kinh-te")
    write_site(site, article(*GOOD_FRONT) + second.replace(ARTICLE, "content/articles/bai-2.md"))
    run = run_cli("--site", site)
    assert run.code == 1, run.stderr
    found = [text for text in run.diagnostics if "content/articles/bai.md" in text and "content/articles/bai-2.md" in text and "cảnh báo" not in text]
    assert len(found) == 1, run.stderr
    assert found[0].split(": ", 1)[0] in {f"{ARTICLE}:1", "content/articles/bai-2.md:1",
                                          f"{ARTICLE}:{line_of(site, ARTICLE, 'title:')}"}
    assert not (site / "public").exists()


def test_windows_1258_file_is_refused_clearly(site: Path) -> None:
    """A file saved in Windows-1258 is refused, naming the file, the line and the fix (UTF-8)."""
    write_site(site, article(*GOOD_FRONT))
    text = "---\ntitle: Tin m\u01a1\u0301i\ndate: 2023-06-07 15:30\ncategory: thoi-su\n---\n\nN\u00f4\u0323i dung.\n"
    (site / "content/articles/cu.md").write_bytes(text.encode("cp1258"))
    run = run_cli("--site", site)
    assert_refused(run, site, "content/articles/cu.md", 2, "UTF-8")


def test_latin1_file_is_refused_clearly(site: Path) -> None:
    """A latin-1 file is refused at the line of its first non-UTF-8 byte."""
    write_site(site, article(*GOOD_FRONT))
    text = "---\ntitle: Bai viet\ndate: 2023-06-07 15:30\ncategory: thoi-su\nauthor: José Café\n---\n\nx\n"
    (site / "content/articles/latin.md").write_bytes(text.encode("latin-1"))
    assert_refused(run_cli("--site", site), site, "content/articles/latin.md", 5, "UTF-8")


def test_utf16_file_is_refused_clearly(site: Path) -> None:
    """A UTF-16 file is refused with a message naming the file and the fix (UTF-8)."""
    write_site(site, article(*GOOD_FRONT))
    (site / "content/articles/u16.md").write_bytes("---\ntitle: Bài\ndate: 2023-06-07 15:30\ncategory: thoi-su\n---\n\nx\n".encode("utf-16"))
    run = run_cli("--site", site)
    assert run.code == 1 and "Traceback" not in run.stderr, run.stderr
    found = error_lines(run, "content/articles/u16.md")
    assert found and "UTF-8" in found[0], run.stderr
    assert not (site / "public").exists()


def _utf16_article(site: Path, tmp_path: Path) -> str:
    rel = "content/articles/u16.md"
    (site / rel).write_bytes("---\ntitle: Bài\ndate: 2023-06-07 15:30\ncategory: thoi-su\n---\n\nx\n".encode("utf-16"))
    return rel


def _symlinked_article(site: Path, tmp_path: Path) -> str:
    rel = "content/articles/ngoai.md"
    (tmp_path / "ngoai.md").write_text("---\ntitle: Bài\n---\n", encoding="utf-8")
    (site / rel).symlink_to(tmp_path / "ngoai.md")
    return rel


@pytest.mark.parametrize("make", [_utf16_article, _symlinked_article], ids=["utf16", "symlink"])
def test_whole_file_errors_still_have_a_line(site: Path, tmp_path: Path, make: Callable[[Path, Path], str]) -> None:
    """Errors about a whole file are printed as `path:1: message` like every other error."""
    write_site(site, article(*GOOD_FRONT))
    rel = make(site, tmp_path)
    assert_refused(run_cli("--site", site), site, rel, 1)


# --- YAML ------------------------------------------------------------------------------


def test_yaml_syntax_error_in_front_matter(site: Path) -> None:
    """A YAML syntax error is refused at the line where it stands."""
    write_site(site, article("title: Bài viết", "summary: Sáng nay: họp", "date: 2023-06-07 15:30", "category: thoi-su"))
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "summary:"), "YAML")


def test_lines_stay_exact_after_a_blank_line_in_front_matter(site: Path) -> None:
    """A blank line right after the opening `---` does not shift the reported lines."""
    write_site(site, article("", "title: Bài viết", "date: 2023-06-07 15:30", "category: thoi_su"))
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "category:"), "thoi_su")


def test_nested_front_matter_key_written_twice(site: Path) -> None:
    """`cover: {src: a, src: b}` is refused at the second `src`, like a repeated top-level key."""
    write_site(site, article(*GOOD_FRONT, "cover:", "  src: a.jpg", "  src: b.jpg"))
    make_jpeg(site / "content/articles/a.jpg")
    make_jpeg(site / "content/articles/b.jpg")
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "src: b.jpg"), "`src`", "hai lần")


def test_front_matter_not_closed(site: Path) -> None:
    """Front matter opened by `---` and never closed is refused at line 1."""
    write_site(site, f"-- {ARTICLE} --\n---\ntitle: Bài viết\ndate: 2023-06-07 15:30\ncategory: thoi-su\n\nNội dung.\n")
    assert_refused(run_cli("--site", site), site, ARTICLE, 1, "---")


def test_site_config_wrong_type(site: Path) -> None:
    """`page_size: {category: many}` in site_config.yaml is refused at its line."""
    config = (
        "-- site_config.yaml --\n"
        "title: Báo Thử Nghiệm\n"
        "base_url: https://thu.example.vn/\n"
        "categories:\n"
        "  thoi-su: {name: Thời sự}\n"
        "page_size: {category: many}\n"
    )
    write_site(site, config + article(*GOOD_FRONT))
    assert_refused(run_cli("--site", site), site, "site_config.yaml", 5, "many")


def test_site_config_wrong_type_block_style(site: Path) -> None:
    """A wrong type under a block-style mapping is reported at the nested key's line."""
    config = (
        "-- site_config.yaml --\n"
        "title: Báo Thử Nghiệm\n"
        "base_url: https://thu.example.vn/\n"
        "page_size:\n"
        "  tag: 10\n"
        "  category: many\n"
        "categories:\n"
        "  thoi-su: {name: Thời sự}\n"
    )
    write_site(site, config + article(*GOOD_FRONT))
    assert_refused(run_cli("check", "--site", site), site, "site_config.yaml", 5, "many")


def test_officials_bad_date(site: Path) -> None:
    """A position date in officials.yaml that is not a date is refused at its line."""
    registry = (
        "-- content/officials.yaml --\n"
        "- id: pham-duy-hung\n"
        "  name: Phạm Duy Hưng\n"
        "  positions:\n"
        "    - { title: Giám đốc Sở, from: 2019-01-01, to: 2022-12-31 }\n"
        "    - { title: Phó Chủ tịch UBND tỉnh, from: đầu năm 2023 }\n"
    )
    write_site(site, registry + article(*GOOD_FRONT))
    assert_refused(run_cli("--site", site), site, "content/officials.yaml", 5, "đầu năm 2023")


def test_officials_bad_date_block_style_points_at_the_key(site: Path) -> None:
    """In a block-style position, a bad `from` is reported at the `from:` line."""
    registry = (
        "-- content/officials.yaml --\n"
        "- id: pham-duy-hung\n"
        "  name: Phạm Duy Hưng\n"
        "  positions:\n"
        "    - title: Phó Chủ tịch UBND tỉnh\n"
        "      from: đầu năm 2023\n"
    )
    write_site(site, registry + article(*GOOD_FRONT))
    assert_refused(run_cli("--site", site), site, "content/officials.yaml", 5, "đầu năm 2023")


def test_officials_impossible_bare_date(site: Path) -> None:
    """`from: 2023-02-30` in officials.yaml is an error at its line, not a traceback."""
    registry = (
        "-- content/officials.yaml --\n"
        "- id: pham-duy-hung\n"
        "  name: Phạm Duy Hưng\n"
        "  positions:\n"
        "    - { title: Phó Chủ tịch UBND tỉnh, from: 2023-02-30 }\n"
    )
    write_site(site, registry + article(*GOOD_FRONT))
    assert_refused(run_cli("--site", site), site, "content/officials.yaml", 4, "2023-02-30")


# --- warnings --------------------------------------------------------------------------


def warning_line(run: Run, rel: str, line: int) -> str:
    found = [text for text in error_lines(run, rel, line) if "cảnh báo" in text]
    assert found, f"no warning at {rel}:{line}: in\n{run.stderr}"
    return found[0]


def test_unknown_front_matter_key_is_a_warning_with_a_suggestion(site: Path) -> None:
    """`offcials:` builds (exit 0) with a warning at its line suggesting `officials`."""
    write_site(site, article(*GOOD_FRONT, "offcials: [Nguyễn Văn A]"))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert "`officials`" in warning_line(run, ARTICLE, line_of(site, ARTICLE, "offcials:"))
    assert (site / "public/index.html").is_file()


def test_invisible_characters_are_stripped_with_a_warning_at_their_line(site: Path) -> None:
    """A bidi override in a title and a zero-width space in a tag are removed (warning at each
    line): the headline reads forwards and the look-alike tags are one tag with one page."""
    other = "content/articles/khac.md"
    write_site(site, article(
        "title: Tỉnh \u202eđẩy mạnh chuyển đổi số", "date: 2023-06-07 15:30", "category: thoi-su",
        "tags: [chuyển\u200b đổi số, chuyển đổi số]",
    ) + f"-- {other} --\n---\ntitle: Bài khác\ndate: 2023-06-08\ncategory: thoi-su\ntags: [chuyển đổi số]\n---\n\nNội dung.\n")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert "U+202E" in warning_line(run, ARTICLE, line_of(site, ARTICLE, "title:"))
    assert "U+200B" in warning_line(run, ARTICLE, line_of(site, ARTICLE, "tags:"))
    assert error_lines(run, other) == []
    tag_pages = sorted(p.parent.name for p in (site / "public/chu-de").glob("*/index.html"))
    assert tag_pages == ["chuyen-doi-so"]
    published = [p.read_text(encoding="utf-8") for p in (site / "public").rglob("*") if p.suffix in {".html", ".xml", ".json"}]
    assert not any(ch in text for text in published for ch in "\u202e\u200b")
    assert any("<h1>Tỉnh đẩy mạnh chuyển đổi số</h1>" in text for text in published)


def test_gallery_photo_without_caption_is_a_warning(site: Path) -> None:
    """A gallery photo without a caption builds with a warning at the photo's line."""
    gallery = ("gallery:", "  - { src: /media/a.jpg, caption: Có chú thích. }", "  - src: /media/b.jpg")
    write_site(site, article(*GOOD_FRONT, *gallery))
    make_jpeg(site / "content/media/a.jpg")
    make_jpeg(site / "content/media/b.jpg")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert "b.jpg" in warning_line(run, ARTICLE, line_of(site, ARTICLE, "b.jpg"))
    assert not error_lines(run, ARTICLE, line_of(site, ARTICLE, "a.jpg"))


def test_unknown_site_config_key_is_a_warning(site: Path) -> None:
    """An unknown top-level key in site_config.yaml builds with a warning at its line."""
    config = (
        "-- site_config.yaml --\n"
        "title: Báo Thử Nghiệm\n"
        "base_url: https://thu.example.vn/\n"
        "page_sizes: {category: 10}\n"
        "categories:\n"
        "  thoi-su: {name: Thời sự}\n"
    )
    write_site(site, config + article(*GOOD_FRONT))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert "`page_size`" in warning_line(run, "site_config.yaml", 3)


# --- many errors, one run --------------------------------------------------------------


BROKEN = """\
-- content/articles/a.md --
---
title: Bài A
date: 2023-06-07 15:30
category: thoi_su
---

A.
-- content/articles/b.md --
---
title: Bài B
date: ngày mai
category: thoi-su
cover: khong-co.jpg
---

B.
-- content/articles/c.md --
---
date: 2023-06-07 15:30
category: thoi-su
---

C.
-- content/articles/d.md --
---
title: Bài tốt
date: 2023-06-07 15:30
category: thoi-su
---

D.
"""


def test_all_errors_of_all_files_in_one_run(site: Path) -> None:
    """Three broken articles give three files' errors in one run; the good one is not blamed."""
    write_site(site, BROKEN.replace("cover: khong-co.jpg\n", ""))
    run = run_cli("--site", site)
    assert run.code == 1, run.stderr
    places = [text.split(": ", 1)[0] for text in run.diagnostics if "cảnh báo" not in text]
    assert places == ["content/articles/a.md:4", "content/articles/b.md:3", "content/articles/c.md:1"], run.stderr
    assert "3 lỗi" in run.stderr
    assert not (site / "public").exists()


def test_errors_are_sorted_by_file_then_line(site: Path) -> None:
    """Errors come sorted by file, then by line within a file."""
    write_site(site, BROKEN)
    run = run_cli("check", "--site", site)
    assert run.code == 1, run.stderr
    places = [text.split(": ", 1)[0] for text in run.diagnostics if "cảnh báo" not in text]
    assert places == [
        "content/articles/a.md:4",
        "content/articles/b.md:3",
        "content/articles/b.md:5",
        "content/articles/c.md:1",
    ], run.stderr


def test_a_draft_with_an_error_is_a_warning_unless_drafts_are_published(site: Path) -> None:
    """A draft is not published, so its errors are warnings at their line (the rest publishes);
    `--drafts` would publish it, so there they stop `check` and the build."""
    write_site(site, article("title: Bản nháp", "date: 2023-06-07 15:30", "category: thoi_su", "draft: true"))
    line = line_of(site, ARTICLE, "category:")
    run = run_cli("check", "--site", site)
    assert run.code == 0, run.stderr
    assert any(text.startswith(f"{ARTICLE}:{line}: cảnh báo: ") and "thoi_su" in text and "bản nháp" in text for text in run.diagnostics), run.stderr
    assert_refused(run_cli("check", "--site", site, "--drafts"), site, ARTICLE, line, "thoi_su")
    assert_refused(run_cli("--site", site, "--drafts"), site, ARTICLE, line, "thoi_su")


def test_missing_reference_style_image(site: Path) -> None:
    """A reference-style body image whose file is missing is an error at the reference's line."""
    write_site(site, article(*GOOD_FRONT, body="Mở đầu.\n\n![Quang cảnh.][anh]\n\n[anh]: khong-co.jpg"))
    assert_refused(run_cli("--site", site), site, ARTICLE, line_of(site, ARTICLE, "[anh]:"), "khong-co.jpg")


# --- where the output goes -------------------------------------------------------------


def _config_with_permalink(permalink: str) -> str:
    return (
        "-- site_config.yaml --\n"
        "title: Báo Thử Nghiệm\n"
        "base_url: https://thu.example.vn/\n"
        "categories:\n"
        "  thoi-su: {name: Thời sự}\n"
        f"permalink: {permalink}\n"
    )


@pytest.mark.parametrize(("permalink", "word"), [
    ('"/{year}/../../../{slug}/"', "`..`"),
    ('"//evil.example/{slug}/"', "`//`"),
    ('"https://evil.example/{slug}/"', "bắt đầu"),
    ('"/{year}/{slug}/?x=1/"', "`?`"),
])
def test_a_permalink_that_leaves_the_site_is_refused_at_its_line(site: Path, permalink: str, word: str) -> None:
    """A permalink with `..` wrote article pages outside the output folder, and one with `//`
    pointed every article link at another host, both with exit 0; now refused at its line."""
    nested = site / "a" / "b" / "c"
    write_site(nested, _config_with_permalink(permalink) + article(*GOOD_FRONT))
    for command in ("check", "build"):
        run = run_cli(command, "--site", nested)
        assert_refused(run, nested, "site_config.yaml", 5, "permalink", word)
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        "a/b/c/.public.lock", "a/b/c/" + ARTICLE, "a/b/c/site_config.yaml",  # the lock file stays
    ]


def test_a_file_beside_an_article_on_the_article_page_is_refused_at_its_line(site: Path) -> None:
    """`audio: index.html` beside `index.md` claimed the article page's path: a traceback at the
    write ("two outputs claim one path") and nothing from `check`. Now both refuse it at the
    `audio` line (an HTML file is no audio)."""
    rel = "content/articles/bai/index.md"
    write_site(site, article(*GOOD_FRONT, "audio: index.html").replace(ARTICLE, rel)
               + "-- content/articles/bai/index.html --\n<p>trang cũ</p>\n")
    line = line_of(site, rel, "audio:")
    for command in ("check", "build"):
        run = run_cli(command, "--site", site)
        assert "Traceback" not in run.stderr
        assert_refused(run, site, rel, line, "`index.html`")


def test_a_static_file_on_an_article_page_names_both_files(site: Path) -> None:
    """A static file published where an article's page goes: `check` and `build` name both."""
    rel = "content/articles/bai/index.md"
    write_site(site, article(*GOOD_FRONT).replace(ARTICLE, rel)
               + "-- static/2023/06/bai/index.html --\n<p>trang cũ</p>\n")
    for command in ("check", "build"):
        message = assert_refused(run_cli(command, "--site", site), site, "static/2023/06/bai/index.html", 1,
                                 f"`{rel}`", "/2023/06/bai/index.html")
        assert "trùng địa chỉ" in message


def test_a_static_file_and_a_media_file_on_one_path_name_both(site: Path) -> None:
    """`static/media/x.txt` and `content/media/x.txt` both published as `/media/x.txt`: an error
    naming both (before, the media file silently won)."""
    write_site(site, article(*GOOD_FRONT) + "-- static/media/x.txt --\ntĩnh\n-- content/media/x.txt --\nthư viện\n")
    run = run_cli("check", "--site", site)
    message = assert_refused(run, site, "content/media/x.txt", 1, "`static/media/x.txt`", "`/media/x.txt`")
    assert "trùng địa chỉ" in message


def test_a_static_file_where_the_pages_need_a_folder_is_an_error(site: Path) -> None:
    """A file `static/2023` where the article pages need the folder `/2023/`: an error, not a
    file-system failure half-way through the write."""
    write_site(site, article(*GOOD_FRONT) + "-- static/2023 --\nx\n")
    message = assert_refused(run_cli("--site", site), site, "static/2023", 1, "`/2023`", "thư mục")
    assert "trang `content/articles/bai.md`" in message


def test_a_static_file_in_the_search_index_folder_is_an_error(site: Path) -> None:
    """Pagefind writes `/pagefind/` after the copies: a static file there would be silently replaced."""
    write_site(site, article(*GOOD_FRONT) + "-- static/pagefind/pagefind-ui.js --\n// cũ\n")
    assert_refused(run_cli("check", "--site", site), site, "static/pagefind/pagefind-ui.js", 1, "`/pagefind/`")


def test_the_writer_guard_is_a_clean_error_if_the_plan_ever_misses_a_collision(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were `_prepare` to miss two files on one path, the writer's last guard gives an error
    (not the old ValueError traceback) and no output."""
    from toasoan import pipeline
    from toasoan.errors import BuildFailed

    rel = "content/articles/bai/index.md"
    write_site(site, article(*GOOD_FRONT).replace(ARTICLE, rel)
               + "-- static/2023/06/bai/index.html --\n<p>trang cũ</p>\n")
    monkeypatch.setattr(pipeline, "_check_claims", lambda made, copied: [])
    with pytest.raises(BuildFailed) as failed:
        pipeline.build(pipeline.BuildOptions(site_dir=site, environ={"SOURCE_DATE_EPOCH": "1790000000"}))
    assert [str(d) for d in failed.value.diagnostics] == [
        "public/2023/06/bai/index.html:1: hai tệp cùng được ghi vào `2023/06/bai/index.html`: không ghi",
    ]
    assert not (site / "public").exists()
