"""`new`: write a ready-to-edit article file with today's date and a slug from the title."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .config import SiteConfig
from .content import ARTICLES_DIR
from .text import nfc, slugify_vi


class ScaffoldError(Exception):
    pass


def article_text(title: str, category: str, now: dt.datetime) -> str:
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    return (
        "---\n"
        f'title: "{quoted}"\n'
        f"date: {now:%Y-%m-%d %H:%M}\n"
        f"category: {category}\n"
        "tags: []\n"
        "author: \n"
        'summary: ""\n'
        "officials: []\n"
        "# cover: { src: anh-bia.jpg, caption: Chú thích ảnh. }\n"
        "draft: true\n"
        "---\n"
        "\n"
        f"BBK - {now:%d/%m}, ...\n"
    )


def new_article(root: Path, config: SiteConfig, title: str, category: str | None, now: dt.datetime) -> Path:
    """Create the article file; refuse to overwrite one that exists."""
    title = nfc(title).strip()
    if not title:
        raise ScaffoldError("cần tiêu đề bài viết")
    key = category or (config.categories[0].key if config.categories else "")
    if config.category(key) is None:
        keys = ", ".join(c.key for c in config.categories)
        raise ScaffoldError(f"chuyên mục `{key}` không có trong site_config.yaml (có: {keys})")
    slug = slugify_vi(title) or "bai-viet"
    path = root / ARTICLES_DIR / f"{now:%Y}" / f"{now:%m}" / f"{slug}.md"
    if path.exists():
        raise ScaffoldError(f"đã có tệp {path.relative_to(root).as_posix()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article_text(title, key, now), encoding="utf-8", newline="\n")
    return path
