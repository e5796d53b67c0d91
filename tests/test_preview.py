"""The quick preview of a body edit or a template save (`serve` shows it before the full build
finishes) is exactly the page the full build then writes; any change that reaches other pages, or
templates that do not compile, get no quick page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sitekit import REPO

from toasoan import urls
from toasoan.pipeline import THEME_DIR, BuildOptions, _Plan, build
from toasoan.preview import PlanPages, load_templates, preview_article

ENV = {"SOURCE_DATE_EPOCH": "1790000000"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[_Plan]]:
    """The sample portal, built once with its plan kept."""
    site = tmp_path_factory.mktemp("preview") / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site_config.yaml", site / "site_config.yaml")
    plans: list[_Plan] = []
    build(BuildOptions(site_dir=site, environ=ENV), keep=plans.append)
    return site, plans


def _articles(site: Path) -> list[Path]:
    return sorted((site / "content/articles").rglob("*.md"))


def _page(site: Path, url: str) -> bytes:
    return (site / "public" / urls.output_file(url)).read_bytes()


def test_a_body_edit_previews_the_page_the_full_build_writes(sample: tuple[Path, list[_Plan]]) -> None:
    site, plans = sample
    plan = plans[-1]
    edited = []
    for path in _articles(site)[:6]:
        original = path.read_text(encoding="utf-8")
        path.write_text(original + "\nĐoạn văn mới viết thêm ở cuối bài, có **chữ đậm** và [liên kết](/).\n", encoding="utf-8")
        quick = preview_article(plan, path, drafts=False)
        if quick is not None:
            edited.append(quick)
    assert len(edited) >= 3, "a plain paragraph added at the end is a body-only edit"
    build(BuildOptions(site_dir=site, environ=ENV), keep=plans.append)
    for url, page in edited:
        assert "Đoạn văn mới viết thêm".encode() in page
        assert page == _page(site, url)


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda text: text.replace("title: ", "title: Sửa tiêu đề ", 1), "the title is on every list"),
        (lambda text: text.replace("\ndate: ", "\ndate: 2020-01-01 07:00\nx_date: ", 1), "the date moves it in lists"),
        (lambda text: text.replace("---\n", "---\ndraft: true\n", 1), "it leaves the site"),
        (lambda text: text + "\n![Ảnh mới.](khong-co-anh-nay.jpg)\n", "a photo not processed yet (here an error)"),
        (lambda text: text.replace("---\n", "---\nkhoa_la: 1\n", 1), "a finding: only the full build reports it"),
    ],
)
def test_no_quick_page_when_the_change_reaches_beyond_the_page(sample: tuple[Path, list[_Plan]], edit: object, why: str) -> None:
    site, plans = sample
    path = _articles(site)[-1]
    original = path.read_text(encoding="utf-8")
    try:
        assert callable(edit)
        path.write_text(edit(original), encoding="utf-8")
        assert path.read_text(encoding="utf-8") != original
        assert preview_article(plans[-1], path, drafts=False) is None, why
    finally:
        path.write_text(original, encoding="utf-8")


def test_a_changed_first_paragraph_of_an_article_without_sapo_gets_no_quick_page(tmp_path: Path) -> None:
    """Cards show the first paragraph when there is no `summary`: lists change too."""
    site = tmp_path / "site"
    (site / "content/articles").mkdir(parents=True)
    shutil.copy(REPO / "site_config.yaml", site / "site_config.yaml")
    path = site / "content/articles/bai.md"
    head = "---\ntitle: Bài không có sapo\ndate: 2026-01-05 08:00\ncategory: thoi-su\n---\n\n"
    path.write_text(head + "Đoạn đầu.\n\nĐoạn hai.\n", encoding="utf-8")
    plans: list[_Plan] = []
    build(BuildOptions(site_dir=site, environ=ENV), keep=plans.append)
    path.write_text(head + "Đoạn đầu đã sửa.\n\nĐoạn hai.\n", encoding="utf-8")
    assert preview_article(plans[-1], path, drafts=False) is None
    path.write_text(head + "Đoạn đầu.\n\nĐoạn hai đã sửa.\n", encoding="utf-8")
    quick = preview_article(plans[-1], path, drafts=False)
    assert quick is not None
    build(BuildOptions(site_dir=site, environ=ENV))
    assert quick[1] == _page(site, quick[0])


def test_pages_made_again_with_saved_templates_are_the_full_build_s(sample: tuple[Path, list[_Plan]]) -> None:
    """After a template save every page of the kept plan is made again with the templates read
    from disk, and each is the page the following full build writes: an edited override, a new
    override of a theme template, a removed override (the theme's comes back), and an article
    whose body was saved after them."""
    site, plans = sample
    own = site / "templates"
    own.mkdir()
    try:
        (own / "page.html").write_text((REPO / "templates/page.html").read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}<p>Trang riêng cũ</p>", 1), encoding="utf-8")
        (own / "base.html").write_text((REPO / "templates/base.html").read_text(encoding="utf-8"), encoding="utf-8")
        build(BuildOptions(site_dir=site, environ=ENV), keep=plans.append)
        plan = plans[-1]
        (own / "page.html").unlink()
        (own / "base.html").write_text((REPO / "templates/base.html").read_text(encoding="utf-8").replace("</main>", '</main><p id="mau-moi">Mẫu trang mới</p>', 1), encoding="utf-8")
        (own / "article.html").write_text((REPO / "templates/article.html").read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}<p>Bài theo mẫu riêng</p>", 1), encoding="utf-8")
        templates = load_templates(site, THEME_DIR)
        assert templates is not None
        pages = PlanPages(plan)
        assert pages.renders_with(templates)
        made = {url: pages.render(url, templates) for url in pages.routes}
        path = _articles(site)[0]
        path.write_text(path.read_text(encoding="utf-8") + "\nĐoạn viết sau khi đổi mẫu trang.\n", encoding="utf-8")
        quick = preview_article(plan, path, drafts=False, env=templates.env)
        assert quick is not None
        made[quick[0]] = quick[1]
        build(BuildOptions(site_dir=site, environ=ENV), keep=plans.append)
        assert len(made) == len(plan.routes) > 50
        for url, page in made.items():
            assert page is not None and "Mẫu trang mới".encode() in page and "Trang riêng cũ".encode() not in page, url
            assert page == _page(site, url), url
        assert "Bài theo mẫu riêng".encode() in made[quick[0]] and "Đoạn viết sau khi đổi mẫu trang.".encode() in made[quick[0]]
    finally:
        shutil.rmtree(own)


def test_no_pages_from_templates_that_do_not_compile_fail_or_redraw_bodies(sample: tuple[Path, list[_Plan]]) -> None:
    site, plans = sample
    pages = PlanPages(plans[-1])
    own = site / "templates"
    own.mkdir()
    try:
        base = (REPO / "templates/base.html").read_text(encoding="utf-8")
        (own / "base.html").write_text(base.replace("</main>", "{% if %}</main>", 1), encoding="utf-8")
        assert load_templates(site, THEME_DIR) is None  # a syntax error: the full build reports it
        (own / "base.html").write_text(base.replace("</main>", "{{ khong_co_bien }}</main>", 1), encoding="utf-8")
        failing = load_templates(site, THEME_DIR)
        assert failing is not None and pages.render("/", failing) is None  # fails when rendered
        (own / "base.html").unlink()
        macros = (REPO / "templates/macros.html").read_text(encoding="utf-8")
        (own / "macros.html").write_text(macros.replace('decoding="async"', 'decoding="sync"'), encoding="utf-8")
        redrawn = load_templates(site, THEME_DIR)
        # The photos inside bodies are drawn by macros.html: the bodies kept in the plan are stale.
        assert redrawn is not None and not pages.renders_with(redrawn) and pages.render("/", redrawn) is None
        (own / "macros.html").unlink()
        theme = load_templates(site, THEME_DIR)
        assert theme is not None and pages.render("/", theme) is not None and pages.render("/khong-co/", theme) is None
    finally:
        shutil.rmtree(own)
