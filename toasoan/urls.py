"""The only place URLs are made: from model values to site paths and output file names."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from .config import MenuItem, SiteConfig
from .model import Article, Asset, StaticPage
from .text import slugify_vi

CATEGORY_ROOT = "/chuyen-muc/"
TAG_ROOT = "/chu-de/"
OFFICIALS_ROOT = "/nhan-vat/"
ARCHIVE_ROOT = "/luu-tru/"
PAGE_PREFIX = "trang-"


def article_url(config: SiteConfig, article: Article) -> str:
    d = article.date
    return config.permalink.format(
        year=f"{d.year:04d}", month=f"{d.month:02d}", day=f"{d.day:02d}",
        slug=article.slug, category=article.category,
    )


def asset_file(owner_url: str, asset: Asset) -> str:
    """The output file of a non-photo asset: library files keep their media/ path, files beside
    an article sit beside its page."""
    if asset.media_path is not None:
        return "media/" + asset.media_path
    return output_file(owner_url).rsplit("/", 1)[0] + "/" + asset.name


def asset_url(owner_url: str, asset: Asset) -> str:
    return "/" + quote(asset_file(owner_url, asset))


def photo_url(key: str, file: str) -> str:
    """Processed photos live at content-addressed URLs: one photo, one place, however often used."""
    return f"/anh/{key}/{file}"


def card_url(key: str) -> str:
    """Share cards sit side by side in one folder (a folder each costs the writer a directory
    made and, at the next build, one removed: ~2.5 ms each, so 25 s for 10,000 cards)."""
    return f"/anh/chia-se/{key}.png"


def page_url(page: StaticPage) -> str:
    return f"/{page.slug}/"


def category_url(key: str) -> str:
    return f"{CATEGORY_ROOT}{key}/"


@lru_cache(maxsize=1 << 16)
def tag_key(tag: str) -> str:
    """Tags that differ only in case or accents share one page. Kept per process: a site has a
    few hundred tags on tens of thousands of articles, and the "Xem thêm" inputs and the tag
    pages fold each article's tags (~3 µs each)."""
    return slugify_vi(tag)


def tag_url(tag: str) -> str:
    return f"{TAG_ROOT}{tag_key(tag)}/"


def official_url(official_id: str) -> str:
    return f"{OFFICIALS_ROOT}{official_id}/"


def officials_url() -> str:
    return OFFICIALS_ROOT


def search_url() -> str:
    return "/tim-kiem/"


def archive_url(year: int | None = None, month: int | None = None) -> str:
    if year is None:
        return ARCHIVE_ROOT
    if month is None:
        return f"{ARCHIVE_ROOT}{year:04d}/"
    return f"{ARCHIVE_ROOT}{year:04d}/{month:02d}/"


def menu_url(item: MenuItem) -> str:
    return category_url(item.category) if item.category else (item.url or "/")


def paged(base: str, number: int) -> str:
    """Page `number` of a paginated list at `base` (page 1 is `base` itself)."""
    return base if number <= 1 else f"{base}{PAGE_PREFIX}{number}/"


def output_file(url: str) -> str:
    """The file in the output folder that serves `url`: `/a/b/` -> `a/b/index.html`."""
    path = url.lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    return path


def absolute(config: SiteConfig, url: str) -> str:
    return config.base_url + url.lstrip("/")


def feed_url(category: str | None = None) -> str:
    """The RSS feed of the whole site (`/rss.xml`) or of one category (`/chuyen-muc/KEY/rss.xml`)."""
    return "/rss.xml" if category is None else f"{category_url(category)}rss.xml"


def sitemap_url(part: int | None = None) -> str:
    """`/sitemap.xml` (the sitemap or, past the URL limit, the index); `/sitemap-N.xml` for part N."""
    return "/sitemap.xml" if part is None else f"/sitemap-{part}.xml"


def news_sitemap_url() -> str:
    return "/sitemap-news.xml"


def robots_url() -> str:
    return "/robots.txt"
