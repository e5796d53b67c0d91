"""Addresses never break: an article lives at its file name's slug (or `slug:`), `aliases:` keeps
old links working, and an address that disappears is warned about with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from sitekit import run_cli, tree_bytes, write_site

from toasoan.pipeline import BuildOptions, build

ARTICLE = "content/articles/2023/06/lam-viec-voi-so.md"


def front(*lines: str, body: str = "Nội dung bài viết.") -> str:
    return "---\n" + "\n".join(lines) + f"\n---\n\n{body}\n"


def write_article(site: Path, rel: str, *lines: str, body: str = "Nội dung bài viết.") -> Path:
    path = site / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(front(*lines, body=body), encoding="utf-8")
    return path


BASE = ("date: 2023-06-07 15:30", "category: thoi-su")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = write_site(tmp_path / "site", "")
    write_article(root, ARTICLE, "title: Làm việc với Sở", *BASE)
    return root


def html(site: Path, url: str) -> str:
    return (site / "public" / url.strip("/") / "index.html").read_text(encoding="utf-8")


def test_a_corrected_headline_keeps_the_address(site: Path) -> None:
    """The slug comes from the file name, so editing the title after publication moves nothing."""
    assert run_cli("--site", site).code == 0
    assert "Làm việc với Sở" in html(site, "/2023/06/lam-viec-voi-so/")
    write_article(site, ARTICLE, "title: Phó Chủ tịch tỉnh làm việc với Sở Tài chính", *BASE)
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert "Phó Chủ tịch tỉnh làm việc với Sở Tài chính" in html(site, "/2023/06/lam-viec-voi-so/")
    assert not (site / "public/2023/06/pho-chu-tich-tinh-lam-viec-voi-so-tai-chinh").exists()
    assert "aliases" not in run.stderr  # nothing moved, nothing to warn about


def test_slug_field_and_bundle_folder_name_the_address(site: Path) -> None:
    write_article(site, "content/articles/2023/06/Ảnh Hội Nghị/index.md", "title: Một bài khác hẳn", *BASE)
    write_article(site, "content/articles/2023/06/ten-tep.md", "title: Bài có slug", "slug: dia-chi-rieng", *BASE)
    assert run_cli("--site", site).code == 0
    assert "Một bài khác hẳn" in html(site, "/2023/06/anh-hoi-nghi/")
    assert "Bài có slug" in html(site, "/2023/06/dia-chi-rieng/")


def test_new_names_the_file_from_the_title_and_it_builds_there(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", "")
    run = run_cli("new", "Đường mới về xã Đồng Tâm", "--site", root)
    assert run.code == 0, run.stderr
    created = next((root / "content/articles").rglob("*.md"))
    assert created.name == "duong-moi-ve-xa-dong-tam.md"
    created.write_text(created.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8")
    assert run_cli("--site", root).code == 0
    year, month = created.parent.parent.name, created.parent.name
    assert "Đường mới về xã Đồng Tâm" in html(root, f"/{year}/{month}/duong-moi-ve-xa-dong-tam/")


def test_aliases_publish_small_redirect_pages_listed_nowhere(site: Path) -> None:
    write_article(site, ARTICLE, "title: Làm việc với Sở", *BASE, "aliases: [/2023/06/ten-cu/, /tin/cu.html, /bai-rat-cu]")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    for file in ("2023/06/ten-cu/index.html", "tin/cu.html", "bai-rat-cu/index.html"):
        page = (site / "public" / file).read_text(encoding="utf-8")
        assert '<link rel="canonical" href="https://thu.example.vn/2023/06/lam-viec-voi-so/">' in page
        assert '<meta http-equiv="refresh" content="0; url=/2023/06/lam-viec-voi-so/">' in page
        assert "<script" not in page
    # Listed nowhere: not in sitemaps, feeds, the search index's records, or any other page.
    published = tree_bytes(site / "public")
    for name, data in published.items():
        if name.endswith((".html", ".xml", ".json", ".txt")) and name not in ("2023/06/ten-cu/index.html", "tin/cu.html", "bai-rat-cu/index.html"):
            assert b"ten-cu" not in data and b"tin/cu.html" not in data and b"bai-rat-cu" not in data, name


def test_links_to_an_alias_are_not_broken(site: Path) -> None:
    write_article(site, ARTICLE, "title: Làm việc với Sở", *BASE, "aliases: [/2023/06/ten-cu/]")
    write_article(site, "content/articles/2023/06/bai-khac.md", "title: Bài khác", *BASE, body="Xem [bài cũ](/2023/06/ten-cu/).")
    run = run_cli("check", "--site", site)
    assert run.code == 0 and "liên kết hỏng" not in run.stderr, run.stderr


def test_an_alias_on_a_real_page_is_an_error_at_its_line(site: Path) -> None:
    write_article(site, "content/articles/2023/06/bai-khac.md", "title: Bài khác", *BASE)
    write_article(site, ARTICLE, "title: Làm việc với Sở", *BASE, "aliases:", "  - /2023/06/moi/", "  - /2023/06/bai-khac/")
    for command in ("check", "build"):
        run = run_cli(command, "--site", site)
        assert run.code == 1, run.stderr
        assert any(
            line.startswith(f"{ARTICLE}:7: ") and "/2023/06/bai-khac/" in line and "content/articles/2023/06/bai-khac.md" in line
            for line in run.diagnostics
        ), run.stderr
    assert not (site / "public").exists()


def test_two_articles_claiming_one_alias_is_an_error(site: Path) -> None:
    write_article(site, "content/articles/2023/06/bai-khac.md", "title: Bài khác", *BASE, "aliases: [/cu/]")
    write_article(site, ARTICLE, "title: Làm việc với Sở", *BASE, "aliases: [/cu/]")
    run = run_cli("check", "--site", site)
    assert run.code == 1
    assert any("/cu/index.html" in line and "trùng địa chỉ" in line for line in run.diagnostics), run.stderr


@pytest.mark.parametrize("alias", ["ten-cu/", "https://khac.example/x/", "/a/../b/", "//x/", "/a b/", "/a?x=1"])
def test_an_alias_that_is_not_a_site_path_is_an_error_at_its_line(site: Path, alias: str) -> None:
    write_article(site, ARTICLE, "title: Làm việc với Sở", *BASE, f'aliases: ["{alias}"]')
    run = run_cli("check", "--site", site)
    assert run.code == 1
    assert any(line.startswith(f"{ARTICLE}:5: ") and "aliases" in line for line in run.diagnostics), run.stderr


def test_a_renamed_file_warns_with_the_alias_to_add_until_it_is_added(site: Path) -> None:
    assert run_cli("--site", site).code == 0
    (site / ARTICLE).rename(site / "content/articles/2023/06/so-tai-chinh.md")
    moved = "content/articles/2023/06/so-tai-chinh.md"
    check = run_cli("check", "--site", site)
    assert check.code == 0
    expected = f"{moved}:1: cảnh báo: bài này đã đăng ở `/2023/06/lam-viec-voi-so/`, nay chuyển sang `/2023/06/so-tai-chinh/`"
    assert any(line.startswith(expected) and "thêm `aliases: [/2023/06/lam-viec-voi-so/]`" in line for line in check.diagnostics), check.stderr
    run = run_cli("--site", site)
    assert run.code == 0
    assert any(line.startswith(expected) for line in run.diagnostics), run.stderr
    # The fix: the old address redirects, and nothing is lost any more.
    text = (site / moved).read_text(encoding="utf-8").replace("category: thoi-su", "category: thoi-su\naliases: [/2023/06/lam-viec-voi-so/]")
    (site / moved).write_text(text, encoding="utf-8")
    run = run_cli("--site", site)
    assert run.code == 0 and "aliases" not in run.stderr, run.stderr
    assert "url=/2023/06/so-tai-chinh/" in html(site, "/2023/06/lam-viec-voi-so/")


def test_a_deleted_article_is_warned_about_at_its_old_file(site: Path) -> None:
    assert run_cli("--site", site).code == 0
    (site / ARTICLE).unlink()
    write_article(site, "content/articles/2023/06/bai-khac.md", "title: Bài khác", *BASE)
    run = run_cli("check", "--site", site)
    assert run.code == 0
    assert any(line.startswith(f"{ARTICLE}:1: cảnh báo: địa chỉ `/2023/06/lam-viec-voi-so/`") and "aliases" in line for line in run.diagnostics), run.stderr


def test_a_drafts_preview_neither_warns_nor_forgets(site: Path, tmp_path: Path) -> None:
    """`--drafts` builds (previews) are not what readers saw: they leave the record alone."""
    assert run_cli("--site", site).code == 0
    write_article(site, ARTICLE, "title: Làm việc với Sở", *BASE, "draft: true")
    assert "aliases" not in run_cli("--site", site, "--drafts", "--output", tmp_path / "xem").stderr
    run = run_cli("check", "--site", site)
    assert "`/2023/06/lam-viec-voi-so/`" in run.stderr and "bản nháp" in run.stderr, run.stderr


def test_warm_build_with_aliases_equals_a_clean_one(site: Path, tmp_path: Path) -> None:
    env = {"SOURCE_DATE_EPOCH": "1790000000"}
    build(BuildOptions(site_dir=site, environ=env))
    write_article(site, ARTICLE, "title: Làm việc với Sở", *BASE, "aliases: [/cu/]")
    warm = build(BuildOptions(site_dir=site, environ=env))
    assert warm.output is not None
    clean = tmp_path / "sach"
    write_site(clean, "")
    for path in (site / "content").rglob("*"):
        if path.is_file():
            target = clean / path.relative_to(site)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    build(BuildOptions(site_dir=clean, environ=env))
    assert tree_bytes(warm.output) == tree_bytes(clean / "public")
