"""One draft must not stop the paper: errors in what readers do not see yet are warnings (unless
`--drafts` would publish it); a file nobody can read as an article still stops the build.
Static pages honour `draft` and dates like articles."""

from __future__ import annotations

from pathlib import Path

import pytest
from sitekit import run_cli, write_site

NOW = "1790000000"  # 2026-09-21, as sitekit's run_cli sets SOURCE_DATE_EPOCH
GOOD = "content/articles/2023/06/bai-tot.md"
DRAFT = "content/articles/2023/06/ban-nhap.md"


def write(site: Path, rel: str, text: str) -> None:
    path = site / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = write_site(tmp_path / "site", "")
    write(root, GOOD, "---\ntitle: Bài tốt\ndate: 2023-06-07 15:30\ncategory: thoi-su\n---\n\nNội dung.\n")
    return root


@pytest.mark.parametrize(("mark", "why"), [("draft: true", "bản nháp"), ("date: 2040-01-02 08:00", "hẹn giờ đăng 02/01/2040 08:00")])
def test_an_error_in_an_unpublished_article_is_a_warning_and_the_rest_publishes(site: Path, mark: str, why: str) -> None:
    date = "author: Minh Anh\n" if mark.startswith("date") else "date: 2023-06-08 08:00\n"
    write(site, DRAFT, f"---\ntitle: Bản nháp\n{date}{mark}\ncategory: khong-co\n---\n\n![Ảnh.](thieu.jpg)\n")
    for command in ("check", "build"):
        run = run_cli(command, "--site", site)
        assert run.code == 0, run.stderr
        found = [line for line in run.diagnostics if line.startswith(f"{DRAFT}:")]
        assert any(line.startswith(f"{DRAFT}:5: cảnh báo: `category` không nhận `khong-co`") and why in line for line in found), run.stderr
        assert any(line.startswith(f"{DRAFT}:8: cảnh báo: ") and "thieu.jpg" in line for line in found), run.stderr
    assert (site / "public/2023/06/bai-tot/index.html").is_file()
    assert not (site / "public/2023/06/ban-nhap").exists()
    # Published with --drafts, the same errors stop the build.
    run = run_cli("--site", site, "--drafts", "--output", site / "xem")
    assert run.code == 1
    assert any(line.startswith(f"{DRAFT}:5: `category` không nhận") for line in run.diagnostics), run.stderr


def test_a_draft_whose_front_matter_cannot_be_read_still_stops_the_build(site: Path) -> None:
    write(site, DRAFT, "---\ntitle: [Bản nháp\ndraft: true\n---\n\nNội dung.\n")
    run = run_cli("--site", site)
    assert run.code == 1
    assert any(line.startswith(f"{DRAFT}:") and "cảnh báo" not in line for line in run.diagnostics), run.stderr
    assert not (site / "public").exists()


def test_an_invalid_draft_flag_is_still_an_error(site: Path) -> None:
    """`draft: có` cannot be read as a draft mark: nobody can tell, so it stops the build."""
    write(site, DRAFT, "---\ntitle: Bản nháp\ndate: 2023-06-08 08:00\ncategory: khong-co\ndraft: có\n---\n\nNội dung.\n")
    run = run_cli("check", "--site", site)
    assert run.code == 1
    assert any(line.startswith(f"{DRAFT}:4: `category` không nhận") for line in run.diagnostics), run.stderr


def test_a_scheduled_article_with_an_error_is_rebuilt_when_its_time_comes(site: Path) -> None:
    """Its error is a warning until its date; a build after the date reports it as an error."""
    write(site, DRAFT, "---\ntitle: Hẹn giờ\ndate: 2026-10-01 08:00\ncategory: khong-co\n---\n\nNội dung.\n")
    assert run_cli("--site", site).code == 0
    later = run_cli("--site", site, env={"SOURCE_DATE_EPOCH": "1800000000"})
    assert later.code == 1
    assert any(line.startswith(f"{DRAFT}:4: `category` không nhận") for line in later.diagnostics), later.stderr


def test_static_pages_honour_draft_and_dates(site: Path) -> None:
    write(site, "content/pages/gioi-thieu.md", "---\ntitle: Giới thiệu\n---\n\nVề chúng tôi.\n")
    write(site, "content/pages/lien-he.md", "---\ntitle: Liên hệ\ndraft: true\n---\n\nĐiện thoại.\n")
    write(site, "content/pages/tuyen-dung.md", "---\ntitle: Tuyển dụng\ndate: 2040-01-01 08:00\n---\n\nSắp có.\n")
    write(site, "content/pages/loi.md", "---\ntitle: Trang lỗi\ndraft: true\n---\n\n![Ảnh.](khong-co.jpg)\n")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert (site / "public/gioi-thieu/index.html").is_file()
    for slug in ("lien-he", "tuyen-dung", "loi"):
        assert not (site / "public" / slug).exists(), slug
    assert any(line.startswith("content/pages/loi.md:6: cảnh báo: ") and "khong-co.jpg" in line for line in run.diagnostics), run.stderr
    preview = run_cli("--site", site, "--drafts", "--output", site / "xem")
    assert preview.code == 1  # the broken draft page would be published
    (site / "content/pages/loi.md").unlink()
    preview = run_cli("--site", site, "--drafts", "--output", site / "xem")
    assert preview.code == 0, preview.stderr
    for slug in ("gioi-thieu", "lien-he", "tuyen-dung"):
        assert (site / "xem" / slug / "index.html").is_file(), slug


def test_a_scheduled_page_appears_when_its_time_comes(site: Path) -> None:
    write(site, "content/pages/tuyen-dung.md", "---\ntitle: Tuyển dụng\ndate: 2026-10-01 08:00\n---\n\nSắp có.\n")
    assert run_cli("--site", site).code == 0
    assert not (site / "public/tuyen-dung").exists()
    assert run_cli("--site", site, env={"SOURCE_DATE_EPOCH": "1800000000"}).code == 0
    assert (site / "public/tuyen-dung/index.html").is_file()
