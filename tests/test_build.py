"""Whole builds of small inline sites, read back from disk."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sitekit import make_jpeg, run_cli, tree_bytes, write_site

ARTICLE = """\
-- content/officials.yaml --
- id: pham-duy-hung
  name: Phạm Duy Hưng
  positions:
    - { title: Giám đốc Sở Thông tin và Truyền thông, from: 2019-01-01, to: 2022-12-31 }
    - { title: Phó Chủ tịch UBND tỉnh, from: 2023-01-01 }
-- content/articles/2023/06/lam-viec.md --
---
title: "Phó Chủ tịch UBND tỉnh làm việc với Sở Thông tin và Truyền thông"
date: 2023-06-07 15:30
category: thoi-su
tags: [chuyển đổi số, viễn thông]
author: Minh Anh
officials:
  - pham-duy-hung
  - { name: Nguyễn Văn A, position: Giám đốc Sở Tài chính }
---

BBK - Chiều 07/6, đồng chí Phạm Duy Hưng có buổi làm việc.

![Quang cảnh buổi làm việc.](/media/2023/06/quang-canh.jpg)

## Đẩy mạnh chuyển đổi số

Nội dung thứ hai.
-- content/articles/2022/05/bai-cu.md --
---
title: Bài cũ hơn về chuyển đổi số
date: 07/05/2022 08:00
category: thoi-su
tags: [chuyển đổi số]
officials: [pham-duy-hung]
---

BBK - Bài cũ.
-- content/pages/gioi-thieu.md --
---
title: Giới thiệu
---

Trang giới thiệu.
"""


def test_article_page_has_everything_an_editor_wrote(site: Path) -> None:
    write_site(site, ARTICLE)
    make_jpeg(site / "content/media/2023/06/quang-canh.jpg")
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    page = (site / "public/2023/06/lam-viec/index.html").read_text()
    assert "Thứ Tư, 07/06/2023 15:30" in page
    assert '<p class="sapo">BBK - Chiều 07/6, đồng chí Phạm Duy Hưng có buổi làm việc.</p>' in page
    assert re.search(r'<figure><picture>.*?<img src="/anh/\w+/480\.jpg"[^>]* alt="Quang cảnh buổi làm việc\."[^>]*></picture>'
                     r"<figcaption>Quang cảnh buổi làm việc\.</figcaption></figure>", page, re.S)
    assert '<h2 id="day-manh-chuyen-doi-so">' in page
    # The position held on the article's date, linked to the official's page.
    assert 'href="/nhan-vat/pham-duy-hung/"' in page
    assert "Phó Chủ tịch UBND tỉnh" in page
    assert "Giám đốc Sở Tài chính" in page
    assert 'href="/chu-de/chuyen-doi-so/"' in page
    assert not (site / "public/media/2023/06/quang-canh.jpg").exists()  # only variants are published
    old = (site / "public/2022/05/bai-cu/index.html").read_text()
    assert "Giám đốc Sở Thông tin và Truyền thông" in old
    assert "Thứ Bảy, 07/05/2022 08:00" in old
    assert (site / "public/gioi-thieu/index.html").is_file()
    assert (site / "public/404.html").is_file()


def test_two_builds_are_byte_identical_whatever_the_jobs(site: Path, tmp_path: Path) -> None:
    write_site(site, ARTICLE)
    make_jpeg(site / "content/media/2023/06/quang-canh.jpg")
    assert run_cli("--site", site, "--output", tmp_path / "a", "--jobs", "1").code == 0
    shutil.rmtree(site / ".cache")  # the second build makes everything again, on three processes
    assert run_cli("--site", site, "--output", tmp_path / "b", "--jobs", "3").code == 0
    first, second = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert len(first) > 10
    assert first == second


def test_broken_internal_link_is_a_warning_with_its_line(site: Path) -> None:
    write_site(site, ARTICLE.replace("Nội dung thứ hai.", "Xem [bài cũ](/2022/05/bai-cu/) và [bài mất](/2021/01/khong-co/)."))
    make_jpeg(site / "content/media/2023/06/quang-canh.jpg")
    run = run_cli("check", "--site", site)
    assert run.code == 0, run.stderr
    assert run.diagnostics == [
        "content/articles/2023/06/lam-viec.md:18: cảnh báo: liên kết hỏng `/2021/01/khong-co/`: trang không có trang này"
    ]


def test_site_templates_override_the_theme_file_by_file(site: Path) -> None:
    write_site(site, ARTICLE + '-- templates/page.html --\n{% extends "base.html" %}{% block content %}<h1>RIÊNG: {{ static_page.title }}</h1>{% endblock %}\n')
    make_jpeg(site / "content/media/2023/06/quang-canh.jpg")
    assert run_cli("--site", site).code == 0
    page = (site / "public/gioi-thieu/index.html").read_text()
    assert "<h1>RIÊNG: Giới thiệu</h1>" in page
    assert 'class="skip"' in page  # base.html still comes from the default theme


def test_template_errors_name_the_template_line(site: Path) -> None:
    write_site(site, ARTICLE + '-- templates/page.html --\n{% extends "base.html" %}\n{% block content %}\n{{ static_page.nope.deeper }}\n{% endblock %}\n')
    make_jpeg(site / "content/media/2023/06/quang-canh.jpg")
    run = run_cli("--site", site)
    assert run.code == 1
    assert any(line.startswith("templates/page.html:3: ") for line in run.diagnostics), run.stderr
    assert not (site / "public").exists()


def test_template_symlinked_outside_the_site_is_never_read(site: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text("BÍ MẬT")
    write_site(site, ARTICLE)
    make_jpeg(site / "content/media/2023/06/quang-canh.jpg")
    (site / "templates").mkdir()
    (site / "templates/404.html").symlink_to(secret)
    run = run_cli("--site", site)
    assert run.code == 1
    assert "templates/404.html" in run.stderr
    assert not (site / "public").exists()


def test_absurdly_nested_markdown_is_an_error_not_a_traceback(site: Path) -> None:
    nested = "".join("    " * i + "- x\n" for i in range(1000))
    write_site(site, ARTICLE.replace("Nội dung thứ hai.\n", "Nội dung thứ hai.\n\n" + nested))
    make_jpeg(site / "content/media/2023/06/quang-canh.jpg")
    run = run_cli("--site", site)
    assert run.code == 1
    assert "Traceback" not in run.stderr
    assert "content/articles/2023/06/lam-viec.md:" in run.stderr


def test_a_static_file_where_the_build_writes_its_own_is_an_error(site: Path) -> None:
    write_site(site, ARTICLE + "-- static/robots.txt --\nUser-agent: *\n")
    make_jpeg(site / "content/media/2023/06/quang-canh.jpg")
    run = run_cli("--site", site)
    assert run.code == 1
    assert run.diagnostics[0].startswith("static/robots.txt:1: tệp tĩnh trùng địa chỉ với một tệp toasoan tự tạo: `/robots.txt`"), run.stderr
    assert "Traceback" not in run.stderr
