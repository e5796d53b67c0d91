"""`new`: write a ready-to-edit article file (or bundle folder) with today's date, named from the title."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .config import SiteConfig
from .content import ARTICLES_DIR, load_site
from .text import did_you_mean, nfc, slugify_vi


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


def new_article(
    root: Path, config: SiteConfig, title: str, category: str | None, now: dt.datetime, *, bundle: bool = False,
) -> Path:
    """Create the article file (`slug.md`, or `slug/index.md` with `bundle`), named from the
    title. Refused: an empty title, an unknown category (the known keys are listed), a title
    another article already has (`check` would warn, `check --strict` fail), and a file or
    folder already there in either form (both would claim the same address)."""
    title = nfc(title).strip()
    if not title:
        raise ScaffoldError("cần tiêu đề bài viết")
    key = category or (config.categories[0].key if config.categories else "")
    if config.category(key) is None:
        keys = ", ".join(c.key for c in config.categories)
        hint = did_you_mean(key, [c.key for c in config.categories])
        raise ScaffoldError(f"chuyên mục `{key}` không có trong site_config.yaml{hint}; các chuyên mục có: {keys}")
    same = same_title(root, config, title, now)
    if same is not None:
        raise ScaffoldError(f"đã có bài cùng tiêu đề: {same}; đặt tiêu đề khác để độc giả phân biệt được hai bài")
    slug = slugify_vi(title) or "bai-viet"
    folder = root / ARTICLES_DIR / f"{now:%Y}" / f"{now:%m}"
    plain, bundled = folder / f"{slug}.md", folder / slug / "index.md"
    for taken in (plain, plain.with_suffix(""), bundled):
        if taken.exists() or taken.is_symlink():
            raise ScaffoldError(f"đã có {taken.relative_to(root).as_posix()}: không ghi đè; đặt tiêu đề khác")
    path = bundled if bundle else plain
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as f:  # "x": never over a file made meanwhile
        f.write(article_text(title, key, now))
    return path


def same_title(root: Path, config: SiteConfig, title: str, now: dt.datetime) -> str | None:
    """The source of an article (published, draft or scheduled) with this title, compared as the
    proofreader's duplicate-title check does (case and spacing ignored); None when there is none."""
    wanted = " ".join(nfc(title).casefold().split())
    site, _ = load_site(root, config, now, drafts=True)
    return next((a.source for a in site.articles if " ".join(a.title.casefold().split()) == wanted), None)
