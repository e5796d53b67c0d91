"""Structured data for link previews and search engines: schema.org JSON-LD, built from the views; no I/O.

The builders return plain dicts (a theme may add or drop keys); `json_ld` turns one into a
`<script type="application/ld+json">` element that no text an editor wrote can break out of."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from .dates import iso
from .urls import search_url
from .views import ArticleView, PageMeta, PhotoView, SiteView

CONTEXT = "https://schema.org"
LOGO_URL = "/img/logo.png"  # static/img/logo.png of the default theme (a site may replace the file)
LOGO_WIDTH = 600
LOGO_HEIGHT = 60
SEARCH_URL = search_url() + "?q={search_term_string}"
OG_LOCALE = {"vi": "vi_VN"}
OG_WIDTH, OG_HEIGHT = 1200, 630  # images.OG_SIZE: the crop every article's preview photo gets

JSON = dict[str, Any]

# What may not appear raw inside <script>: `</script>` and `<!--` both need `<`; `&` and `>` for good
# measure. Three `str.replace` calls: `str.translate` with a mapping looks every character up in
# Python (~0.5 µs a character, a tenth of a millisecond on each article page).
_UNSAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def json_ld(data: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Markup:
    """`<script type="application/ld+json">…</script>` for `data` (one element per object of a
    list, on its own line), keys sorted so that the output is stable.

    `<`, `>` and `&` become JSON escapes: a title containing `</script>` stays text in the JSON
    and can never end the element (the parsed JSON still holds the exact title)."""
    objects = [data] if isinstance(data, Mapping) else list(data)
    return Markup("\n").join(Markup(f'<script type="application/ld+json">{serialize(o)}</script>') for o in objects)


def serialize(data: Any) -> str:
    """JSON text that is safe inside an HTML <script> element: no `<`, `>` or `&` left raw."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for raw, escaped in _UNSAFE:
        text = text.replace(raw, escaped)
    return text


def absolute(site: SiteView, url: str) -> str:
    """`/a/b/` -> `https://site/a/b/` (an absolute URL is kept)."""
    if "://" in url:
        return url
    return site.base_url + url.lstrip("/")


def og_locale(site: SiteView) -> str:
    return OG_LOCALE.get(site.language, site.language)


def publisher_id(site: SiteView) -> str:
    return site.base_url + "#to-chuc"


def logo(site: SiteView) -> JSON:
    return {"@type": "ImageObject", "url": absolute(site, LOGO_URL), "width": LOGO_WIDTH, "height": LOGO_HEIGHT}


def organization(site: SiteView) -> JSON:
    """The publisher: a NewsMediaOrganization with its logo (the home page's, and every article's)."""
    return {
        "@type": "NewsMediaOrganization",
        "@id": publisher_id(site),
        "name": site.title,
        "url": site.base_url,
        "logo": logo(site),
    }


def web_site(site: SiteView) -> JSON:
    """The WebSite with its search box (the search page takes `?q=`)."""
    return {
        "@context": CONTEXT,
        "@type": "WebSite",
        "@id": site.base_url + "#trang-web",
        "name": site.title,
        "url": site.base_url,
        "inLanguage": site.language,
        "publisher": {"@id": publisher_id(site)},
        "potentialAction": {
            "@type": "SearchAction",
            "target": absolute(site, SEARCH_URL),
            "query-input": "required name=search_term_string",
        },
    }


def home_graph(site: SiteView) -> list[JSON]:
    """The home page's JSON-LD objects: the organization (with the site's description) and the web site."""
    publisher: JSON = {"@context": CONTEXT, **organization(site)}
    if site.description:
        publisher["description"] = site.description
    return [publisher, web_site(site)]


def preview_image(photo: PhotoView) -> tuple[str, int, int]:
    """(url, width, height) of a photo in link previews: its og crop, else the largest variant."""
    if photo.og is not None:
        return photo.og, OG_WIDTH, OG_HEIGHT
    return photo.large, photo.width, photo.height


def images(site: SiteView, photo: PhotoView | None) -> list[str]:
    """Absolute URLs of one photo at several aspect ratios: the 1200×630 crop, then the whole photo."""
    if photo is None:
        return []
    found = [absolute(site, u) for u in (photo.og, photo.large) if u]
    return list(dict.fromkeys(found))


def news_article(site: SiteView, page: PageMeta, article: ArticleView) -> JSON:
    """The article as a schema.org NewsArticle (dates with the site's offset, absolute URLs)."""
    publisher = organization(site)
    author: JSON = {"@type": "Person", "name": article.author} if article.author else {
        "@type": "NewsMediaOrganization", "@id": publisher_id(site), "name": site.title, "url": site.base_url,
    }
    data: JSON = {
        "@context": CONTEXT,
        "@type": "NewsArticle",
        "headline": article.title,
        "url": page.canonical,
        "mainEntityOfPage": {"@type": "WebPage", "@id": page.canonical},
        "datePublished": iso(article.date),
        "dateModified": iso(article.updated or article.date),
        "inLanguage": site.language,
        "articleSection": article.category.name,
        "author": author,
        "publisher": publisher,
    }
    if article.summary:
        data["description"] = article.summary
    pictures = images(site, article.preview)
    if not pictures and page.image is not None:  # no photo: its share card
        pictures = [absolute(site, page.image.url)]
    if pictures:
        data["image"] = pictures
    if article.tags:
        data["keywords"] = [t.name for t in article.tags]
    return data


def breadcrumb_list(site: SiteView, crumbs: Sequence[Mapping[str, Any]], page: PageMeta, title: str) -> JSON:
    """The trail `crumbs` (`{title, url}`, from the home page down) ending at this page, as a BreadcrumbList."""
    trail = [(str(c["title"]), absolute(site, str(c["url"]))) for c in crumbs if c.get("url")]
    trail.append((title, page.canonical))
    return {
        "@context": CONTEXT,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": url} for n, (name, url) in enumerate(trail, start=1)
        ],
    }


def article_graph(site: SiteView, page: PageMeta, article: ArticleView, crumbs: Sequence[Mapping[str, Any]]) -> list[JSON]:
    """An article page's JSON-LD objects: the NewsArticle and its BreadcrumbList."""
    return [news_article(site, page, article), breadcrumb_list(site, crumbs, page, article.title)]


TEMPLATE_GLOBALS: dict[str, Callable[..., Any]] = {
    "og_locale": og_locale,
    "absolute_url": absolute,
    "preview_image": preview_image,
    "home_graph": home_graph,
    "article_graph": article_graph,
    "news_article": news_article,
    "breadcrumb_list": breadcrumb_list,
    "organization": organization,
    "web_site": web_site,
}
TEMPLATE_FILTERS: dict[str, Callable[..., Any]] = {"json_ld": json_ld}
