"""One schema for the three files editors write: the same unknown-key, type, required and
allowed-value errors at each key's line, as `check` prints them; docs/FIELDS.md made from it."""

from __future__ import annotations

from pathlib import Path

from sitekit import MINIMAL_CONFIG, REPO, run_cli, write_site

from toasoan.schema import markdown

ARTICLE = "content/articles/2023/06/bai.md"
GOOD_ARTICLE = "---\ntitle: Bài thử\ndate: 2023-06-07 15:30\ncategory: thoi-su\n---\n\nNội dung.\n"


def _check(site: Path) -> list[str]:
    run = run_cli("check", "--site", site)
    assert run.code == 1, run.stderr
    return run.diagnostics  # as printed: errors first, each group by line


def test_site_config_fields(tmp_path: Path) -> None:
    config = MINIMAL_CONFIG.replace("title: Báo Thử Nghiệm\n", "") + "related: nhiều\nimage_formats: [webp, png]\ntitel: Báo\n"
    site = write_site(tmp_path / "s", f"-- site_config.yaml --\n{config}-- {ARTICLE} --\n{GOOD_ARTICLE}")
    assert _check(site) == [
        "site_config.yaml:1: thiếu `title` (ví dụ `title: Báo Thử`)",
        "site_config.yaml:14: `related` phải là số nguyên không âm, không phải `nhiều`",
        "site_config.yaml:15: `image_formats` không nhận `png` (có phải ý bạn là `jpg`?); dùng được `avif`, `webp`, `jpeg`, `jpg`",
        "site_config.yaml:16: cảnh báo: khóa không dùng đến `titel` (có phải ý bạn là `title`?)",
    ]


def test_front_matter_fields(tmp_path: Path) -> None:
    text = "---\ntitle: Bài thử\ncategory: thoisu\ntags: {a: 1}\ntilte: Sai\n---\n\nNội dung.\n"
    site = write_site(tmp_path / "s", f"-- {ARTICLE} --\n{text}")
    assert _check(site) == [
        f"{ARTICLE}:1: thiếu `date` (ví dụ `date: 2023-06-07 15:30`)",
        f"{ARTICLE}:3: `category` không nhận `thoisu` (có phải ý bạn là `thoi-su`?); "
        "dùng được các khóa trong `categories` của site_config.yaml: `thoi-su`, `kinh-te`",
        f"{ARTICLE}:4: `tags` phải là một danh sách, không phải một bảng (ví dụ `tags: [chuyển đổi số, viễn thông]`)",
        f"{ARTICLE}:5: cảnh báo: khóa không dùng đến `tilte` (có phải ý bạn là `title`?)",
    ]


def test_static_page_fields(tmp_path: Path) -> None:
    page = "---\ntitle: Giới thiệu\ndraft: có\nslug: Giới Thiệu\ndescripton: x\n---\n\nNội dung.\n"
    site = write_site(tmp_path / "s", f"-- {ARTICLE} --\n{GOOD_ARTICLE}-- content/pages/gioi-thieu.md --\n{page}")
    assert _check(site) == [
        "content/pages/gioi-thieu.md:3: `draft` phải là `true` hoặc `false`, không phải `có`",
        "content/pages/gioi-thieu.md:4: `slug` phải là chữ thường không dấu, số và `-` (ví dụ `ten-bai`), không phải `Giới Thiệu`",
        "content/pages/gioi-thieu.md:5: cảnh báo: khóa không dùng đến `descripton` (có phải ý bạn là `description`?)",
    ]


def test_officials_registry_fields(tmp_path: Path) -> None:
    registry = (
        "- id: pham-duy-hung\n  nam: Phạm Duy Hưng\n"
        "- id: Vi Van\n  name: Vi Văn\n  positions: một\n"
        "- id: a-b\n  name: A B\n  positions:\n    - {title: X, from: 2020-01-01, tilte: y}\n    - {title: Y}\n"
    )
    site = write_site(tmp_path / "s", f"-- {ARTICLE} --\n{GOOD_ARTICLE}-- content/officials.yaml --\n{registry}")
    assert _check(site) == [
        "content/officials.yaml:1: thiếu `name` (ví dụ `name: Phạm Duy Hưng`)",
        "content/officials.yaml:3: `id` phải là chữ thường không dấu nối bằng `-` (ví dụ `pham-duy-hung`), không phải `Vi Van`",
        "content/officials.yaml:5: `positions` phải là một danh sách, không phải `một` (ví dụ `positions: [{title: ..., from: 2020-10-20}]`)",
        "content/officials.yaml:10: thiếu `positions.from` (ví dụ `from: 2020-10-20`)",
        "content/officials.yaml:2: cảnh báo: khóa không dùng đến `nam` (có phải ý bạn là `name`?)",
        "content/officials.yaml:9: cảnh báo: khóa không dùng đến `positions.tilte` (có phải ý bạn là `title`?)",
    ]


def test_fields_doc_is_made_from_the_schema() -> None:
    """docs/FIELDS.md is what `python3 -m toasoan.schema > docs/FIELDS.md` prints today."""
    written = (REPO / "docs" / "FIELDS.md").read_text(encoding="utf-8")
    assert written == markdown(), "docs/FIELDS.md is out of date: run `python3 -m toasoan.schema > docs/FIELDS.md`"
    for name in ("`base_url`", "`limits.body_kb`", "`categories.<khóa>.name`", "`menus.<khóa>[].url`", "`gallery[].caption`", "`positions[].from`"):
        assert name in written


def test_a_caption_cut_at_a_comma_is_reported_with_the_fix(tmp_path: Path) -> None:
    """`{src: a.jpg, caption: Toàn cảnh, huyện Ba Bể.}`: YAML ends the caption at the comma and
    reads the rest as a key; the caption would publish cut."""
    text = (
        "---\ntitle: Bài thử\ndate: 2023-06-07 15:30\ncategory: thoi-su\n"
        "cover: { src: /media/anh.jpg, caption: Toàn cảnh hội nghị, huyện Ba Bể. }\n---\n\nNội dung.\n"
    )
    site = write_site(tmp_path / "s", f"-- {ARTICLE} --\n{text}-- content/media/anh.jpg --\n")
    from sitekit import make_jpeg

    make_jpeg(site / "content/media/anh.jpg", (1600, 900))
    run = run_cli("check", "--site", site)
    assert (
        f"{ARTICLE}:5: cảnh báo: chú thích bị cắt ở dấu phẩy: phần “huyện Ba Bể.” bị đọc thành một khóa và không được đăng; "
        'đặt cả chú thích trong dấu ngoặc kép: `caption: "..."`'
    ) in run.diagnostics, run.diagnostics
