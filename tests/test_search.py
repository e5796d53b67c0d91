"""The search index: Pagefind over the built pages, only published articles, reproducible."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sitekit import run_cli, tree_bytes, write_site

SITE = """\
-- content/articles/2023/06/chuyen-doi-so.md --
---
title: Đẩy mạnh chuyển đổi số ở Chợ Đồn
date: 2023-06-07 15:30
category: thoi-su
tags: [chuyển đổi số]
summary: Đồng chí Phạm Duy Hưng kiểm tra.
---
Nội dung về dữ liệu số.
-- content/articles/2024/01/kinh-te.md --
---
title: Giá lúa tăng mạnh
date: 2024-01-10 08:00
category: kinh-te
---
Nông dân phấn khởi vì giá tăng.
-- content/articles/2023/07/ban-nhap.md --
---
title: Bản nháp bí mật
date: 2023-07-01 08:00
category: thoi-su
draft: true
---
Nội dung nháp zqxbimat.
-- content/articles/2040/01/bai-tuong-lai.md --
---
title: Bài tương lai
date: 2040-01-01 08:00
category: thoi-su
---
Nội dung tương lai zqxtuonglai.
"""


def _payload(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(b"pagefind_dcd")
    return data


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_site(tmp_path_factory.mktemp("search") / "site", SITE)
    run = run_cli("--site", root, "--output", root / "public")
    assert run.code == 0, run.stderr
    return root / "public"


def test_the_bundle_and_the_search_page_are_written(built: Path) -> None:
    bundle = built / "pagefind"
    for name in ("pagefind.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-entry.json"):
        assert (bundle / name).is_file(), name
    page = (built / "tim-kiem/index.html").read_text(encoding="utf-8")
    assert "/pagefind/pagefind-ui.js" in page and 'lang="vi"' in page
    assert "<noscript>" in page and 'href="/luu-tru/"' in page
    assert "Không tìm thấy kết quả" in page
    assert "data-pagefind-body" not in page


def test_only_published_articles_are_indexed(built: Path) -> None:
    entry = json.loads((built / "pagefind/pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["vi"]["page_count"] == 2
    fragments = b"".join(_payload(p) for p in sorted((built / "pagefind/fragment").iterdir()))
    assert b"/2023/06/day-manh-chuyen-doi-so-o-cho-don/" in fragments
    assert b"/2024/01/gia-lua-tang-manh/" in fragments
    for absent in (b"zqxbimat", b"zqxtuonglai", b"/404", b"/tim-kiem/", b"/chuyen-muc/", b"/luu-tru/"):
        assert absent not in fragments, absent
    index = b"".join(_payload(p) for p in sorted((built / "pagefind/index").iterdir()))
    assert b"zqxbimat" not in index and b"zqxtuonglai" not in index


def test_articles_carry_filters_metadata_and_a_copy_without_d_stroke(built: Path) -> None:
    html = (built / "2023/06/day-manh-chuyen-doi-so-o-cho-don/index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" in html
    assert 'data-pagefind-filter="Năm:2023"' in html and 'data-pagefind-filter="Chuyên mục"' in html
    assert 'data-pagefind-meta="ngày:07/06/2023"' in html
    hidden = html.split('<p hidden data-pagefind-weight="0.5">', 1)[1].split("</p>", 1)[0]
    assert set(hidden.split()) >= {"Dẩy", "dổi", "Dồn", "Dồng"}
    assert "đ" not in hidden.casefold()
    assert "data-pagefind-body" not in (built / "404.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" not in (built / "index.html").read_text(encoding="utf-8")
    filters = b"".join(_payload(p) for p in sorted((built / "pagefind/filter").iterdir()))
    assert "Thời sự".encode() in filters and "Kinh tế".encode() in filters and b"2024" in filters


def test_same_input_gives_the_same_words_pages_and_filters(built: Path, tmp_path: Path) -> None:
    root = built.parent
    assert run_cli("--site", root, "--output", tmp_path / "again").code == 0
    first, second = tree_bytes(built / "pagefind"), tree_bytes(tmp_path / "again/pagefind")
    for folder in ("index/", "fragment/"):  # the words and the pages: byte for byte
        assert {k: v for k, v in first.items() if k.startswith(folder)} == {k: v for k, v in second.items() if k.startswith(folder)}
    # Filter files hold the same values, though Pagefind 1.5.2 writes them in hash-map order.
    again = tmp_path / "again/pagefind/filter"
    ours = sorted(sorted(_payload(p)) for p in (built / "pagefind/filter").iterdir())
    theirs = sorted(sorted(_payload(p)) for p in again.iterdir())
    assert ours == theirs


def test_same_input_gives_the_same_index_bytes(built: Path, tmp_path: Path) -> None:
    root = built.parent
    assert run_cli("--site", root, "--output", tmp_path / "again").code == 0
    assert tree_bytes(built / "pagefind") == tree_bytes(tmp_path / "again/pagefind")


def test_a_failing_indexer_keeps_the_old_output(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    root = built.parent
    assert run_cli("--site", root, "--output", out).code == 0
    before = tree_bytes(out)
    # An article page Pagefind cannot write into: make the bundle's folder a file via a static file.
    (root / "static").mkdir(exist_ok=True)
    (root / "static/pagefind").write_text("không phải thư mục", encoding="utf-8")
    try:
        run = run_cli("--site", root, "--output", out)
    finally:
        (root / "static/pagefind").unlink()
    assert run.code != 0
    assert "chỉ mục tìm kiếm" in run.stderr
    assert tree_bytes(out) == before
