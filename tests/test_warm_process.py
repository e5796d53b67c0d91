"""A long-lived process (`serve`) builds again and again: what it keeps in memory between builds
(compiled templates, which templates each one names) never makes a build differ from a fresh one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
from sitekit import write_site

from toasoan.pipeline import BuildOptions, build

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
