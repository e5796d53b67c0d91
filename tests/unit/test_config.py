"""site_config.yaml: types checked with lines, unknown keys warned with a suggestion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toasoan.config import load_config

GOOD = """\
title: Báo Thử
base_url: https://thu.example.vn
categories:
  thoi-su: {name: Thời sự}
  kinh-te: Kinh tế
menus:
  main:
    - {title: Thời sự, category: thoi-su}
    - {title: Giới thiệu, url: /gioi-thieu/}
"""


def _load(tmp_path: Path, text: str) -> tuple[object, list[str]]:
    (tmp_path / "site_config.yaml").write_text(text, encoding="utf-8")
    config, diags = load_config(tmp_path)
    return config, [str(d) for d in diags]


def test_good_config_and_defaults(tmp_path: Path) -> None:
    config, diags = _load(tmp_path, GOOD)
    assert diags == []
    assert config is not None
    assert config.base_url == "https://thu.example.vn/"  # type: ignore[attr-defined]
    assert config.page_size["category"] == 20  # type: ignore[attr-defined]
    assert [c.name for c in config.categories] == ["Thời sự", "Kinh tế"]  # type: ignore[attr-defined]


def test_wrong_types_have_lines(tmp_path: Path) -> None:
    text = GOOD + "page_size: {category: nhiều}\nimage_widths: [480, -1]\ntimezone: Asia/Hanoi_Nowhere\npermalink: /{year}/{title}/\n"
    config, diags = _load(tmp_path, text)
    assert config is None
    joined = "\n".join(diags)
    assert "site_config.yaml:10: " in joined  # page_size.category
    assert "site_config.yaml:11: " in joined  # image_widths
    assert "site_config.yaml:12: " in joined  # timezone
    assert "site_config.yaml:13: " in joined  # permalink


def test_unknown_keys_warn_with_suggestion(tmp_path: Path) -> None:
    config, diags = _load(tmp_path, GOOD + "tittle: x\n")
    assert config is not None
    assert diags == ["site_config.yaml:10: cảnh báo: khóa không dùng đến `tittle` (có phải ý bạn là `title`?)"]


def test_menu_with_unknown_category(tmp_path: Path) -> None:
    _, diags = _load(tmp_path, GOOD.replace("category: thoi-su", "category: thoisu"))
    assert any(d.startswith("site_config.yaml:8: ") and "thoi-su" in d for d in diags)


def test_missing_title_and_base_url(tmp_path: Path) -> None:
    config, diags = _load(tmp_path, "categories:\n  a: {name: A}\n")
    assert config is None
    assert any("`title`" in d for d in diags) and any("`base_url`" in d for d in diags)


@pytest.mark.parametrize("permalink", [
    "/{year}/../../../{slug}/", "//evil.example/{slug}/", "/{slug}/./", "/{year}//{slug}/", "/{slug}/{",
    "/tin-tức/{slug}/", "/{slug}?a=b/", "/{slug}#x/", "/{{slug}}/{slug}/", "/{slug!r}/", "/{0}/{slug}/",
    "/a\\b/{slug}/",
])
def test_a_permalink_other_than_plain_path_segments_is_refused_at_its_line(tmp_path: Path, permalink: str) -> None:
    config, diags = _load(tmp_path, GOOD + f"permalink: '{permalink}'\n")
    assert config is None
    assert diags and all(d.startswith("site_config.yaml:10: `permalink`") for d in diags), diags


@pytest.mark.parametrize("permalink", ["/{year}/{month}/{slug}/", "/{category}/{year}-{month}-{day}/{slug}/", "/tin_tuc/{slug}.html/"])
def test_plain_permalinks_are_accepted(tmp_path: Path, permalink: str) -> None:
    config, diags = _load(tmp_path, GOOD + f"permalink: '{permalink}'\n")
    assert diags == []
    assert config is not None and config.permalink == permalink  # type: ignore[attr-defined]


def test_menu_urls_are_site_paths_web_addresses_mail_or_phone(tmp_path: Path) -> None:
    good = ["/", "/gioi-thieu/", "https://dichvucong.gov.vn/p/home", "HTTP://example.vn", "mailto:toasoan@example.vn", "tel:+84 209 3870 123"]
    bad = ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
           "//evil.example", "/\\evil.example", "gioi-thieu/", "vbscript:x", "https://", "https://user@evil.example/"]
    items = "".join(f"    - {{title: Mục {i}, url: {json.dumps(url)}}}\n" for i, url in enumerate(good + bad))
    text = GOOD.replace("    - {title: Giới thiệu, url: /gioi-thieu/}\n", items)
    config, diags = _load(tmp_path, text)
    assert config is None
    first_bad = 9 + len(good)
    assert [d.split(": ", 1)[0] for d in diags] == [f"site_config.yaml:{first_bad + i}" for i in range(len(bad))]
    assert all("chỉ được là đường dẫn trong trang" in d or "không phải đường dẫn trong trang" in d for d in diags), diags
    config, diags = _load(tmp_path, GOOD.replace("    - {title: Giới thiệu, url: /gioi-thieu/}\n", "".join(
        f"    - {{title: Mục {i}, url: {json.dumps(url)}}}\n" for i, url in enumerate(good))))
    assert diags == []
    assert config is not None
    assert [m.url for m in config.menus["main"]][1:] == good  # type: ignore[attr-defined]
def test_category_written_twice_is_an_error_at_the_second(tmp_path: Path) -> None:
    text = GOOD.replace("  kinh-te: Kinh tế\n", "  kinh-te: Kinh tế\n  thoi-su: {name: Thời sự mới}\n")
    config, diags = _load(tmp_path, text)
    assert config is None
    assert diags == ["site_config.yaml:6: khóa `thoi-su` được viết hai lần"]


def test_invisible_characters_in_a_category_name_are_stripped_with_a_warning(tmp_path: Path) -> None:
    config, diags = _load(tmp_path, GOOD.replace("{name: Thời sự}", "{name: \"Thời\u200b sự\u202e\"}"))
    assert config is not None
    assert [c.name for c in config.categories][0] == "Thời sự"  # type: ignore[attr-defined]
    assert len(diags) == 1 and diags[0].startswith("site_config.yaml:4: cảnh báo: `name` có ký tự vô hình (U+200B, U+202E")


def test_limits_default_configured_and_checked(tmp_path: Path) -> None:
    config, diags = _load(tmp_path, GOOD)
    assert config.limits.tags == 30 and config.limits.line_length == 20_000  # type: ignore[attr-defined]
    config, diags = _load(tmp_path, GOOD + "limits:\n  tags: 5\n  gallery: 0\n  tag: 3\n")
    assert config is None
    assert any(d.startswith("site_config.yaml:12: ") and "`limits.gallery`" in d for d in diags)
    assert any(d.startswith("site_config.yaml:13: ") and "`limits.tag`" in d and "tags" in d for d in diags)
    config, diags = _load(tmp_path, GOOD + "limits: {tags: 5, body_kb: 1000}\n")
    assert config.limits.tags == 5 and config.limits.body_kb == 1000 and config.limits.officials == 50  # type: ignore[attr-defined]
