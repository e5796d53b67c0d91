"""A long-lived process (`serve`) builds again and again: what it keeps in memory between builds
(compiled templates, which templates each one names) never makes a build differ from a fresh one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest
from sitekit import MINIMAL_CONFIG, tree_bytes, write_site

from toasoan import patch as patching
from toasoan import pipeline, snapshot, uptodate, urls
from toasoan.pipeline import BuildOptions, Warm, build, page_globals, with_body
from toasoan.preview import preview_article
from toasoan.templates import render_route

SITE = """\
-- content/pages/gioi-thieu.md --
---
title: Giới thiệu
---

Bản đầu tiên.
-- templates/page.html --
{% extends "base.html" %}
{% block content %}<p>Mẫu một: {{ page.title }}</p>{% endblock %}
"""


def test_templates_are_compiled_again_only_when_their_source_changed(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_site(site, SITE)
    compiled: list[str | None] = []
    original = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    options = BuildOptions(site_dir=site, output=tmp_path / "public")
    page = tmp_path / "public" / "gioi-thieu" / "index.html"
    build(options)
    assert "Mẫu một: Giới thiệu" in page.read_text(encoding="utf-8")

    compiled.clear()
    build(options)
    assert compiled == []  # nothing changed: nothing compiled

    template = site / "templates" / "page.html"
    template.write_text(template.read_text(encoding="utf-8").replace("Mẫu một", "Mẫu hai"), encoding="utf-8")
    build(options)
    assert compiled == ["page.html"]
    assert "Mẫu hai: Giới thiệu" in page.read_text(encoding="utf-8")

    # A template that starts naming another: the pages using it follow, as in a fresh build.
    write_site(site, '-- templates/page.html --\n{% extends "base.html" %}\n{% block content %}{% include "phan.html" %}{% endblock %}\n'
               "-- templates/phan.html --\n<p>Phần riêng</p>\n", config=False)
    build(options)
    assert "Phần riêng" in page.read_text(encoding="utf-8")
    (site / "templates" / "phan.html").write_text("<p>Phần đã sửa</p>\n", encoding="utf-8")
    build(options)
    assert "Phần đã sửa" in page.read_text(encoding="utf-8")


ARTICLES = """\
-- content/articles/2023/06/hop-ban.md --
---
title: Họp ban chỉ đạo
date: 2023-06-07 15:30
category: thoi-su
---

BBK - Sáng 7/6, ban chỉ đạo họp phiên thường kỳ.

Đồng chí Trưởng ban kết luận hội nghị.
-- content/articles/2023/06/tom-tat.md --
---
title: Bài có tóm tắt
date: 2023-06-08 15:30
category: thoi-su
summary: Tóm tắt riêng của bài.
---

Đoạn đầu vẫn nằm trong thân bài.
"""


def test_the_model_keeps_no_article_html_once_the_cache_holds_it(site: Path, tmp_path: Path) -> None:
    write_site(site, ARTICLES)
    plans: list[Any] = []
    build(BuildOptions(site_dir=site, output=tmp_path / "public"), keep=plans.append)
    (plan,) = plans
    assert plan.site.articles and all(a.body_html == "" and a.body_blob for a in plan.site.articles)
    leads = {a.title: a.lead for a in plan.site.articles}
    assert leads["Họp ban chỉ đạo"] == "BBK - Sáng 7/6, ban chỉ đạo họp phiên thường kỳ."
    # Each page still shows its body, read back from the cache; the sapo is cut only when the
    # article has no summary of its own (it is shown as the sapo).
    first = (tmp_path / "public/2023/06/hop-ban/index.html").read_text(encoding="utf-8")
    assert "Đồng chí Trưởng ban kết luận hội nghị." in first
    second = (tmp_path / "public/2023/06/tom-tat/index.html").read_text(encoding="utf-8")
    assert "Đoạn đầu vẫn nằm trong thân bài." in second and "Tóm tắt riêng của bài." in second
    # A view that still names its blob is never rendered as an empty body.
    route = next(r for r in plan.routes if r.template == "article.html")
    with pytest.raises(ValueError, match="with_body"):
        render_route(plan.env, route, {}, site)


WARM_SITE = ARTICLES + """\
-- content/articles/2023/06/ba.md --
---
title: Bài thứ ba
date: 2023-06-09 08:00
category: kinh-te
tags: [nông nghiệp]
---

Nội dung bài thứ ba.
-- content/articles/2023/06/nhap.md --
---
title: Bản nháp
date: 2023-06-10 08:00
category: kinh-te
tags: [nông nghiệp]
draft: true
---

Nội dung bản nháp.
"""
WARM_ENV = {"SOURCE_DATE_EPOCH": "1790000000"}


def _plan_makes_the_output(plan: Any, out: Path) -> None:
    """Every page of the kept plan, made again from it as serve's template preview makes it, is
    the page in the output."""
    globals_ = page_globals(plan)
    for route in plan.routes:
        page = render_route(plan.env, with_body(route, plan.cache.folder), globals_, plan.root)
        assert page == (out / urls.output_file(route.url)).read_bytes(), route.url


def _clean_drafts_build(site: Path, work: Path) -> dict[str, bytes]:
    copy = work / "sach"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache", "public"))
    build(BuildOptions(site_dir=copy, output=copy / "public", drafts=True, environ=WARM_ENV))
    return tree_bytes(copy / "public")


def test_a_warm_process_patches_from_memory_and_keeps_the_plan_of_the_output(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`serve`'s builds (drafts, `Warm`): a body edit and card edits (a title, a tag, a draft's
    body) patch the last output with the snapshot kept in memory (no file written or read), the
    output is a clean build's byte for byte, and the kept plan makes every page of it and the
    next body edit's quick page."""
    write_site(site, WARM_SITE)
    out = tmp_path / "public"
    options = BuildOptions(site_dir=site, output=out, drafts=True, environ=WARM_ENV)
    warm = Warm(persist=False)
    first = build(options, warm=warm)
    assert not first.patched and warm.plan is not None and warm.snapshot is not None
    assert not list(site.rglob("*.snapshot"))

    def no_file(*args: object) -> None:
        raise AssertionError("the snapshot is read from memory")

    def no_record(path: Path) -> bytes | None:
        # The spare's record (`writer.Spare`, a small file beside it) is read from its file.
        record = path.name.startswith("last-output-") and not path.name.endswith(".spare")
        assert not (site in path.parents and record), "the record is read from memory"
        return checked(path)

    checked = uptodate.read_checked
    monkeypatch.setattr(snapshot, "read", no_file)
    monkeypatch.setattr(uptodate, "read_checked", no_record)
    articles = site / "content/articles/2023/06"
    edits = [
        ("hop-ban.md", "kết luận hội nghị.", "kết luận và giao việc.", "kết luận và giao việc."),  # body
        ("ba.md", "title: Bài thứ ba", "title: Bài thứ ba đã sửa tên", "Bài thứ ba đã sửa tên"),  # a card: lists, feeds, share card
        ("ba.md", "tags: [nông nghiệp]", "tags: [nông nghiệp, thủy sản]", "thủy sản"),  # a new tag page
        ("nhap.md", "Nội dung bản nháp.", "Nội dung bản nháp đã viết thêm.", "bản nháp đã viết thêm"),  # a draft's body
    ]
    for name, old, new, shown in edits:
        path = articles / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        plan = warm.plan
        result = build(options, warm=warm)
        assert result.patched, name
        assert warm.plan is not plan and warm.snapshot is not None
        assert shown in (out / urls.output_file(urls.article_url(warm.plan.site.config, _article(warm.plan, name)))).read_text(encoding="utf-8")
        assert tree_bytes(out) == _clean_drafts_build(site, tmp_path), name
        _plan_makes_the_output(warm.plan, out)
    assert not list(site.rglob("*.snapshot"))

    # The next body save's quick page, from the patched plan (the new title), is the page the
    # build after it writes.
    path = articles / "ba.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nĐoạn viết thêm sau khi sửa tên.\n", encoding="utf-8")
    assert warm.plan is not None
    quick = preview_article(warm.plan, path, drafts=True)
    assert quick is not None
    assert build(options, warm=warm).patched
    assert quick[1] == (out / urls.output_file(quick[0])).read_bytes()
    assert "Bài thứ ba đã sửa tên" in quick[1].decode() and "Đoạn viết thêm sau khi sửa tên." in quick[1].decode()


def _article(plan: Any, name: str) -> Any:
    return next(a for a in plan.site.articles if a.source.endswith("/" + name))


def test_a_record_written_by_another_build_is_read_from_its_file(site: Path, tmp_path: Path) -> None:
    """A build without `Warm` (another process) replaces the record: the warm process reads that
    one, and patches over that build's output."""
    write_site(site, WARM_SITE)
    out = tmp_path / "public"
    options = BuildOptions(site_dir=site, output=out, drafts=True, environ=WARM_ENV)
    warm = Warm()
    build(options, warm=warm)
    assert warm.records
    path = site / "content/articles/2023/06/hop-ban.md"
    path.write_text(path.read_text(encoding="utf-8").replace("kết luận hội nghị.", "kết luận lần hai."), encoding="utf-8")
    assert build(options).patched  # from the snapshot file: `persist` wrote it
    path.write_text(path.read_text(encoding="utf-8").replace("kết luận lần hai.", "kết luận lần ba."), encoding="utf-8")
    assert build(options, warm=warm).patched  # the other build's record and snapshot, from their files
    assert tree_bytes(out) == _clean_drafts_build(site, tmp_path)


def test_a_title_patch_keeps_a_plan_equal_to_a_full_builds_without_planning_every_route(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a title edit, the warm plan is the routes a full build over the same files plans
    (the list pages, later pages included, and the "Xem thêm" blocks that show the card made
    again, every other route kept), made without planning every route (`plan_routes`)."""
    articles = "".join(
        f"-- content/articles/2023/06/bai-{n}.md --\n---\ntitle: Bài số {n}\ndate: 2023-06-{n:02d} 08:00\n"
        f"category: {'thoi-su' if n % 2 else 'kinh-te'}\ntags: [nông nghiệp{', thủy sản' if n in (1, 9) else ''}]\n---\n\nNội dung bài {n}.\n"
        for n in range(1, 10)
    )
    config = "-- site_config.yaml --\n" + MINIMAL_CONFIG.replace("archive: 2}", "archive: 2, home_lead: 1, home_section: 1}") + "related: 2\n"
    write_site(site, config + articles)
    options = BuildOptions(site_dir=site, output=tmp_path / "public", drafts=True, environ=WARM_ENV)
    warm = Warm(persist=False)
    build(options, warm=warm)
    full_plan = pipeline.plan_routes
    planned: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        planned.append(1)
        return full_plan(*args, **kwargs)

    path = site / "content/articles/2023/06/bai-1.md"  # the oldest: last pages of its lists, in bài 9's "Xem thêm"
    path.write_text(path.read_text(encoding="utf-8").replace("title: Bài số 1", "title: Bài đầu tiên đã sửa tên"), encoding="utf-8")
    monkeypatch.setattr(pipeline, "plan_routes", counting)
    monkeypatch.setattr(patching, "plan_routes", counting)
    assert build(options, warm=warm).patched
    monkeypatch.setattr(pipeline, "plan_routes", full_plan)
    monkeypatch.setattr(patching, "plan_routes", full_plan)
    assert planned == [] and warm.plan is not None
    copy = tmp_path / "sach"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache", "public"))
    plans: list[Any] = []
    build(BuildOptions(site_dir=copy, output=copy / "public", drafts=True, environ=WARM_ENV), keep=plans.append)
    (fresh,) = plans
    shown = [r.url for r in warm.plan.routes if "Bài đầu tiên đã sửa tên" in repr(r.context)]
    assert any("/trang-" in u for u in shown) and "/2023/06/bai-9/" in shown
    assert warm.plan.routes == fresh.routes
    _plan_makes_the_output(warm.plan, tmp_path / "public")


@pytest.mark.parametrize(("old", "new"), [
    ("tags: [nông nghiệp, thủy sản]", "tags: [thủy sản, lâm nghiệp]"), ("category: thoi-su", "category: kinh-te"),
    ("date: 2023-06-01 08:00", "date: 2023-06-07 09:30"), ("date: 2023-06-01 08:00", "date: 2023-06-09 09:30"),
])
def test_a_list_or_date_patch_keeps_a_plan_equal_to_a_full_builds_without_planning_every_route(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str,
) -> None:
    """After a tag, category or date edit (the article moves in its lists, joins or leaves some,
    or becomes the newest), the warm plan is the routes a full build over the same files
    plans, made from the two models' outlines (`patch._listed_routes`) without planning every
    route (`plan_routes`)."""
    articles = "".join(
        f"-- content/articles/2023/06/bai-{n}.md --\n---\ntitle: Bài số {n}\ndate: 2023-06-{n:02d} 08:00\n"
        f"category: {'thoi-su' if n % 2 else 'kinh-te'}\ntags: [nông nghiệp{', thủy sản' if n in (1, 9) else ''}]\n---\n\nNội dung bài {n}.\n"
        for n in range(1, 10)
    )
    config = "-- site_config.yaml --\n" + MINIMAL_CONFIG.replace("archive: 2}", "archive: 2, home_lead: 1, home_section: 1}") + "related: 2\n"
    write_site(site, config + articles)
    options = BuildOptions(site_dir=site, output=tmp_path / "public", drafts=True, environ=WARM_ENV)
    warm = Warm(persist=False)
    build(options, warm=warm)
    full_plan = pipeline.plan_routes
    planned: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        planned.append(1)
        return full_plan(*args, **kwargs)

    path = site / "content/articles/2023/06/bai-1.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.setattr(pipeline, "plan_routes", counting)
    monkeypatch.setattr(patching, "plan_routes", counting)
    assert build(options, warm=warm).patched
    monkeypatch.setattr(pipeline, "plan_routes", full_plan)
    monkeypatch.setattr(patching, "plan_routes", full_plan)
    assert planned == [] and warm.plan is not None
    copy = tmp_path / "sach"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache", "public"))
    plans: list[Any] = []
    build(BuildOptions(site_dir=copy, output=copy / "public", drafts=True, environ=WARM_ENV), keep=plans.append)
    (fresh,) = plans
    assert warm.plan.routes == fresh.routes
    _plan_makes_the_output(warm.plan, tmp_path / "public")
