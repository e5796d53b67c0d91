"""sitemap.xml (an index past 50,000 URLs), the Google News sitemap and robots.txt; no I/O, never the clock."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from . import urls
from .config import SiteConfig
from .dates import iso
from .model import Site
from .routes import Outlined
from .writer import OutputFile
from .xmlout import NOT_XML, XML_DECLARATION, text_element, xml_bytes

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000  # per sitemap file (sitemaps.org); past it sitemap.xml becomes an index
NEWS_LIMIT = 1_000  # URLs in a Google News sitemap
NEWS_WINDOW = dt.timedelta(days=2)  # Google News takes the articles of the last two days
NOT_FOUND = "/404.html"
# Kept as they are in a URL path: the reserved characters, and `%` of what is already escaped.
_PATH_SAFE = "/%:@!$&'()*+,;="


@dataclass(frozen=True, slots=True)
class _Entry:
    loc: str
    lastmod: dt.datetime | None


def sitemap_files(site: Site, pages: Sequence[Outlined], now: dt.datetime) -> list[OutputFile]:
    """Every page with its lastmod, the articles of the two days before `now`, robots.txt.
    `pages`: every route, as `routes.outline` gives them (no card is needed)."""
    config = site.config
    files = _sitemaps(config, _entries(site, pages, now))
    files.append(news_sitemap(site, now))
    files.append(_robots(config))
    return files


def _entries(site: Site, pages: Sequence[Outlined], now: dt.datetime) -> list[_Entry]:
    """Every page a reader may land on, in route order: no 404 page, no draft or future article.
    A list page's lastmod is the latest change among its published articles."""
    articles = site.articles
    changed = [a.modified if a.is_published(now) else None for a in articles]  # None: not published
    by_url = {a.url: i for i, a in enumerate(articles)}
    entries = []
    for page in pages:
        if page.url == NOT_FOUND:
            continue
        members = page.members()
        lastmod: dt.datetime | None = None
        if members is None:
            index = by_url.get(page.url)
            if index is not None:
                lastmod = changed[index]
                if lastmod is None:
                    continue
        else:
            dates = [d for i in members if (d := changed[i]) is not None]
            lastmod = max(dates) if dates else None
        entries.append(_Entry(_absolute(site.config, page.url), lastmod))
    return entries


def _absolute(config: SiteConfig, url: str) -> str:
    return urls.absolute(config, quote(url, safe=_PATH_SAFE))


def _sitemaps(config: SiteConfig, entries: list[_Entry]) -> list[OutputFile]:
    if len(entries) <= MAX_URLS:
        return [OutputFile(urls.output_file(urls.sitemap_url()), data=_urlset(entries))]
    files = []
    index = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for number, start in enumerate(range(0, len(entries), MAX_URLS), start=1):
        part = entries[start : start + MAX_URLS]
        url = urls.sitemap_url(number)
        files.append(OutputFile(urls.output_file(url), data=_urlset(part)))
        sitemap = ET.SubElement(index, "sitemap")
        text_element(sitemap, "loc", urls.absolute(config, url))
        dates = [e.lastmod for e in part if e.lastmod is not None]
        if dates:
            text_element(sitemap, "lastmod", iso(max(dates)))
    return [OutputFile(urls.output_file(urls.sitemap_url()), data=xml_bytes(index)), *files]


def _urlset(entries: Sequence[_Entry]) -> bytes:
    """The `<urlset>` as `xml_bytes` writes its tree (indented, text escaped, characters XML
    cannot carry dropped), made as text: ~15,000 elements through ElementTree took ~0.07 s of
    every patch that changes a list (`tests/test_feeds_sitemaps.py` holds them equal)."""
    if not entries:
        return XML_DECLARATION + f'<urlset xmlns="{SITEMAP_NS}" />\n'.encode()
    parts = [f'<urlset xmlns="{SITEMAP_NS}">']
    for entry in entries:
        loc = _element("loc", entry.loc)
        if entry.lastmod is None:
            parts.append(f"\n  <url>\n    {loc}\n  </url>")
        else:
            parts.append(f"\n  <url>\n    {loc}\n    {_element('lastmod', iso(entry.lastmod))}\n  </url>")
    parts.append("\n</urlset>\n")
    return XML_DECLARATION + "".join(parts).encode("utf-8")


def _element(tag: str, text: str) -> str:
    """One element holding `text` as ElementTree writes it (`xmlout.text_element`)."""
    text = NOT_XML.sub("", text)
    if not text:
        return f"<{tag} />"
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<{tag}>{text}</{tag}>"


def news_sitemap(site: Site, now: dt.datetime) -> OutputFile:
    """The Google News sitemap: always written, empty when nothing was published in the window."""
    config = site.config
    recent = [a for a in site.articles if a.is_published(now) and a.date >= now - NEWS_WINDOW]
    recent.sort(key=lambda a: a.date, reverse=True)
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:news": NEWS_NS})
    for article in recent[:NEWS_LIMIT]:
        url = ET.SubElement(urlset, "url")
        text_element(url, "loc", _absolute(config, article.url))
        news = ET.SubElement(url, "news:news")
        publication = ET.SubElement(news, "news:publication")
        text_element(publication, "news:name", config.title)
        text_element(publication, "news:language", config.language)
        text_element(news, "news:publication_date", iso(article.date))
        text_element(news, "news:title", article.title)
    return OutputFile(urls.output_file(urls.news_sitemap_url()), data=xml_bytes(urlset))


def _robots(config: SiteConfig) -> OutputFile:
    lines = [
        "User-agent: *",
        "Allow: /",
        "",
        f"Sitemap: {urls.absolute(config, urls.sitemap_url())}",
        f"Sitemap: {urls.absolute(config, urls.news_sitemap_url())}",
    ]
    return OutputFile(urls.output_file(urls.robots_url()), data=("\n".join(lines) + "\n").encode("utf-8"))
