"""A save previewed at once: the page of an article whose body alone changed, made in memory from
the last good build that `serve` keeps, while the full build that follows catches up.

The page is what that full build writes at the same address, byte for byte: the same loader,
Markdown, view and template, over the same plan (`pipeline.quick_article`, which a build that
patches the last output uses too). Whenever the change could reach another page, or anything is
found wrong with it, there is no quick page and only the full build answers."""

from __future__ import annotations

from pathlib import Path

from .pipeline import QuickInputs, _Plan, page_globals, quick_article
from .sources import relative


def preview_article(plan: _Plan, path: Path, drafts: bool) -> tuple[str, bytes] | None:
    """(URL, page) for the article file at `path` as it is now on disk, or None when only a full
    build can tell. `plan` is a good build's, made with `drafts`."""
    source = relative(plan.root, path)
    old = next((a for a in plan.site.articles if a.source == source), None)
    route = next((r for r in plan.routes if r.source == source and r.template == "article.html"), None)
    if old is None or route is None:
        return None
    made = quick_article(QuickInputs(
        root=plan.root, site=plan.site, old=old, route=route, photos=plan.photos.processed, env=plan.env, globals=page_globals(plan),
        markdown_salt=plan.markup.salt, now=plan.now, drafts=drafts, targets=None,
    ))
    return None if made is None else (route.url, made[2])
