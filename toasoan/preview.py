"""A save previewed at once: the page of an article whose body alone changed, made in memory from
the last good build that `serve` keeps, while the full build that follows catches up.

The page is what that full build writes at the same address, byte for byte: the same loader,
Markdown, view and template, over the same plan. Whenever the change could reach another page (a
title, date, tag, category, photo, sapo or first paragraph that cards show, the article's
address, its being published) or anything is found wrong with it, there is no quick page and
only the full build answers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from . import urls
from .content import load_article
from .errors import Diagnostic
from .markup import split_lead
from .model import Article
from .pipeline import _markup_chunk, _Plan, _source_links, page_globals
from .routes import ArticleContext
from .sources import relative
from .templates import TemplateFailed, render_route
from .views import article_view, card_view

# What a body edit changes in an article; everything else must stay equal for a quick page.
_BODY_FIELDS = {"body": "", "body_line": 0, "body_links": (), "body_images": (), "body_html": "", "lead": ""}


def preview_article(plan: _Plan, path: Path, drafts: bool) -> tuple[str, bytes] | None:
    """(URL, page) for the article file at `path` as it is now on disk, or None when only a full
    build can tell (see the module's docstring). `plan` is a good build's, made with `drafts`."""
    root = plan.root
    site = plan.site
    source = relative(root, path)
    old = next((a for a in site.articles if a.source == source), None)
    route = next((r for r in plan.routes if r.source == source and r.template == "article.html"), None)
    if old is None or route is None or not isinstance(route.context, ArticleContext):
        return None
    article, diags = load_article(root, site.config, site.officials, path)
    if article is None or diags or not (drafts or article.is_published(plan.now)):
        return None
    article = dataclasses.replace(article, url=urls.article_url(site.config, article))
    photos = plan.photos.processed
    if not _same_but_body(article, old) or any(a.source not in photos for a in article.body_images):
        return None
    others = tuple(article if a.source == source else a for a in site.articles)
    links, _ = _source_links(dataclasses.replace(site, articles=others, pages=()))
    state = dataclasses.replace(plan.markup, links=links, known={}, write=False)
    (outcome,) = _markup_chunk([article], state)
    if isinstance(outcome, Diagnostic):
        return None
    html = outcome[0]
    if article.summary:
        article = dataclasses.replace(article, body="", body_html=html)
    else:
        lead, rest = split_lead(html)
        article = dataclasses.replace(article, body="", body_html=rest, lead=lead)
    view = article_view(article, site.config, site.officials, photos)
    if card_view(view) != card_view(route.context.article):
        return None  # its card (lists, home, "Xem thêm", feeds) changed: other pages too
    page = dataclasses.replace(route, context=dataclasses.replace(route.context, article=view))
    try:
        return route.url, render_route(plan.env, page, page_globals(plan), root)
    except TemplateFailed:
        return None


def _same_but_body(new: Article, old: Article) -> bool:
    return dataclasses.replace(new, **_BODY_FIELDS) == dataclasses.replace(old, **_BODY_FIELDS)  # type: ignore[arg-type]
