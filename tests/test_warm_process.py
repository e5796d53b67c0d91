"""A long-lived process (`serve`) builds again and again: what it keeps in memory between builds
(compiled templates, which templates each one names) never makes a build differ from a fresh one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
from sitekit import write_site

from toasoan.pipeline import BuildOptions, build
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
