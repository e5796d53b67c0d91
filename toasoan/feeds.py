"""RSS 2.0 feeds: the site's and each category's latest articles; reads only cover sizes from the cache, never the clock."""

from __future__ import annotations

import datetime as dt
import html
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from . import urls
from .config import SiteConfig
from .dates import rfc822
from .images import MIME, Processed, Variant
from .model import Article, Site
from .views import ArticleView, Photos, article_view
from .writer import OutputFile
from .xmlout import text_element, xml_bytes

DC = "http://purl.org/dc/elements/1.1/"
ATOM = "http://www.w3.org/2005/Atom"
RSS_MIME = "application/rss+xml"


def feed_files(site: Site, photos: Photos, now: dt.datetime) -> list[OutputFile]:
    """`/rss.xml` and `/chuyen-muc/KEY/rss.xml`, newest first."""
    config = site.config
    limit = config.page_size["feed"]
    # Even in a `--drafts` preview, feeds carry only what readers may see (articles come newest first).
    published = [a for a in site.articles if a.is_published(now)]
    description = config.description or config.tagline or config.title
    files = [_feed(config, urls.feed_url(), "/", config.title, description, published[:limit], site, photos)]
    newest: dict[str, list[Article]] = {c.key: [] for c in config.categories}  # one pass, not one per category
    for article in published:
        chosen = newest.get(article.category)
        if chosen is not None and len(chosen) < limit:
            chosen.append(article)
    for category in config.categories:
        chosen = newest[category.key]
        title = f"{category.name} - {config.title}"
        files.append(
            _feed(config, urls.feed_url(category.key), urls.category_url(category.key), title, category.description or title, chosen, site, photos)
        )
    return files


def _feed(
    config: SiteConfig, url: str, home: str, title: str, description: str, articles: Sequence[Article], site: Site, photos: Photos
) -> OutputFile:
    rss = ET.Element("rss", {"version": "2.0", "xmlns:dc": DC, "xmlns:atom": ATOM})
    channel = ET.SubElement(rss, "channel")
    text_element(channel, "title", title)
    text_element(channel, "link", urls.absolute(config, home))
    text_element(channel, "description", description)
    text_element(channel, "language", config.language)
    if articles:
        newest = max(a.modified for a in articles)
        text_element(channel, "lastBuildDate", rfc822(newest))
    ET.SubElement(channel, "atom:link", {"href": urls.absolute(config, url), "rel": "self", "type": RSS_MIME})
    for article in articles:
        view = article_view(article, config, site.officials, photos)
        _item(channel, config, article, view, photos)
    return OutputFile(urls.output_file(url), data=xml_bytes(rss))


def _item(channel: ET.Element, config: SiteConfig, article: Article, view: ArticleView, photos: Photos) -> None:
    item = ET.SubElement(channel, "item")
    link = urls.absolute(config, view.url)
    text_element(item, "title", view.title)
    text_element(item, "link", link)
    text_element(item, "guid", link, isPermaLink="true")
    text_element(item, "pubDate", rfc822(view.date))
    if view.summary:
        # RSS readers render a description as HTML: the summary is plain text, so it is
        # HTML-escaped first (and XML-escaped again by the serializer) to stay text.
        text_element(item, "description", html.escape(view.summary, quote=False))
    text_element(item, "category", view.category.name)
    if view.author:
        text_element(item, "dc:creator", view.author)
    processed = photos.get(article.cover.source) if article.cover else None
    enclosure = _enclosure(processed) if processed is not None else None
    if processed is not None and enclosure is not None:
        variant, size = enclosure
        attributes = {"url": urls.absolute(config, urls.photo_url(processed.key, variant.file)), "length": str(size), "type": MIME[variant.format]}
        ET.SubElement(item, "enclosure", attributes)


def _enclosure(processed: Processed) -> tuple[Variant, int] | None:
    """The og crop, else the largest JPEG variant, with its size in bytes (None if unreadable)."""
    jpegs = processed.of("jpeg")
    variant = processed.og or (max(jpegs, key=lambda v: v.width) if jpegs else None)
    if variant is None:
        return None
    try:
        return variant, (Path(processed.folder) / variant.file).stat().st_size
    except OSError:
        return None
