"""The template-facing view of the model: plain frozen values with URLs filled in; no I/O."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from . import urls
from .config import Category, SiteConfig
from .images import MIME, OG_SIZE, Processed
from .model import Article, Asset, Official, Position
from .text import person_sort_key


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuLink:
    title: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryView:
    key: str
    name: str
    description: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TagView:
    name: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSet:
    type: str
    srcset: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoView:
    """A published photo: its variants as srcsets, the fallback, the large one, the og crop."""

    url: str
    caption: str
    alt: str
    width: int
    height: int
    src: str
    large: str
    sources: tuple[SourceSet, ...]
    srcset: str
    viewer_srcset: str
    og: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioView:
    url: str
    mime: str
    duration: int | None
    duration_label: str | None  # "4:05"
    duration_iso: str | None  # "PT4M5S", for <time datetime>


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficialRefView:
    name: str
    position: str | None
    url: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleView:
    # Hashed as bytes in page keys (`buildcache`): no UTF-8 copy cached inside the model's HTML.
    CANONICAL_UTF8: ClassVar[tuple[str, ...]] = ("body_html",)

    title: str
    url: str
    date: dt.datetime
    updated: dt.datetime | None
    category: CategoryView
    tags: tuple[TagView, ...]
    author: str | None
    summary: str
    body_html: str
    cover: PhotoView | None
    gallery: tuple[PhotoView, ...]
    audio: AudioView | None
    officials: tuple[OfficialRefView, ...]
    # The photo link previews show (og:image, JSON-LD image): the cover, else the first gallery
    # photo, else the first photo in the body; the one the photo stage gave an `og` crop.
    preview: PhotoView | None
    # Not for templates: the build cache blob that holds the body when `body_html` is "" until the
    # page is rendered (`Article.body_blob`), and whether its first paragraph, the sapo, is cut.
    body_blob: str = ""
    body_cut: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CardView:
    """What lists, the home page, "Xem thêm" and feeds show of an article: never its body, so
    that editing a body leaves every page that only lists the article as it was."""

    title: str
    url: str
    date: dt.datetime
    category: CategoryView
    summary: str
    cover: PhotoView | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficialView:
    id: str
    name: str
    url: str
    positions: tuple[Position, ...]
    current: Position | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Menus:
    main: tuple[MenuLink, ...]
    footer: tuple[MenuLink, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteView:
    title: str
    tagline: str
    description: str
    base_url: str
    language: str
    copyright: str
    menus: Menus
    categories: tuple[CategoryView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareImage:
    """The picture link previews show (og:image, twitter:image): a site path and its size."""

    url: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PageMeta:
    url: str
    canonical: str
    title: str
    description: str
    kind: str
    section: str | None = None
    image: ShareImage | None = None  # an article's photo or share card; the paper's card elsewhere


def share_image(preview: PhotoView | None, card: str | None, alt: str) -> ShareImage | None:
    """An article's preview photo (its og crop, else its largest variant), else its card."""
    if preview is not None:
        if preview.og is not None:
            return ShareImage(url=preview.og, width=OG_SIZE[0], height=OG_SIZE[1], alt=preview.alt or alt)
        return ShareImage(url=preview.large, width=preview.width, height=preview.height, alt=preview.alt or alt)
    if card is not None:
        return ShareImage(url=card, width=OG_SIZE[0], height=OG_SIZE[1], alt=alt)
    return None


def site_view(config: SiteConfig) -> SiteView:
    def links(name: str) -> tuple[MenuLink, ...]:
        return tuple(MenuLink(title=i.title, url=urls.menu_url(i)) for i in config.menus.get(name, ()))

    return SiteView(
        title=config.title,
        tagline=config.tagline,
        description=config.description,
        base_url=config.base_url,
        language=config.language,
        copyright=config.copyright,
        menus=Menus(main=links("main"), footer=links("footer")),
        categories=tuple(category_view(c) for c in config.categories),
    )


def category_view(category: Category) -> CategoryView:
    return CategoryView(key=category.key, name=category.name, description=category.description, url=urls.category_url(category.key))


Photos = Mapping[str, Processed]
"""Processed photos by site-relative source path."""

FALLBACK_WIDTH = 480


def photo_view(asset: Asset, photos: Photos, alt: str | None = None) -> PhotoView:
    processed = photos[asset.source]
    fallback = "jpeg" if "jpeg" in {v.format for v in processed.variants} else processed.variants[-1].format

    def srcset(fmt: str) -> str:
        return ", ".join(f"{urls.photo_url(processed.key, v.file)} {v.width}w" for v in processed.of(fmt))

    ladder = processed.of(fallback)
    small = next((v for v in ladder if v.width >= FALLBACK_WIDTH), ladder[-1])
    largest = ladder[-1]
    viewer = "webp" if processed.of("webp") else fallback
    return PhotoView(
        url=urls.photo_url(processed.key, largest.file),
        caption=asset.caption,
        alt=asset.caption if alt is None else alt,
        width=largest.width,
        height=largest.height,
        src=urls.photo_url(processed.key, small.file),
        large=urls.photo_url(processed.key, largest.file),
        sources=tuple(
            SourceSet(type=MIME[fmt], srcset=srcset(fmt)) for fmt in ("avif", "webp") if fmt != fallback and processed.of(fmt)
        ),
        srcset=srcset(fallback),
        viewer_srcset=srcset(viewer),
        og=urls.photo_url(processed.key, processed.og.file) if processed.og else None,
    )


def article_view(article: Article, config: SiteConfig, officials: dict[str, Official], photos: Photos) -> ArticleView:
    audio = None
    if article.audio is not None:
        mime = mimetypes.guess_type(article.audio.name)[0] or "audio/mpeg"
        seconds = article.audio.duration
        audio = AudioView(
            url=urls.asset_url(article.url, article.audio), mime=mime, duration=seconds,
            duration_label=f"{seconds // 60}:{seconds % 60:02d}" if seconds else None,
            duration_iso=f"PT{seconds // 60}M{seconds % 60}S" if seconds else None,
        )
    day = article.date.date()
    refs = []
    for ref in article.officials:
        official = officials.get(ref.official_id) if ref.official_id else None
        position = ref.position or (official.position_on(day) if official else None)
        url = urls.official_url(official.id) if official else None
        refs.append(OfficialRefView(name=ref.name, position=position, url=url))
    return ArticleView(
        title=article.title,
        url=article.url,
        date=article.date,
        updated=article.updated,
        category=_category(article, config),
        tags=tuple(TagView(name=t, url=urls.tag_url(t)) for t in article.tags),
        author=article.author,
        summary=article.summary or article.lead,
        body_html=article.body_html,
        body_blob=article.body_blob,
        body_cut=not article.summary,
        cover=_cover(article, photos),
        gallery=tuple(photo_view(p, photos) for p in article.gallery if p.source in photos),
        audio=audio,
        officials=tuple(refs),
        preview=_preview(article, photos),
    )


def card_view(view: ArticleView) -> CardView:
    return CardView(title=view.title, url=view.url, date=view.date, category=view.category, summary=view.summary, cover=view.cover)


def article_card(article: Article, config: SiteConfig, photos: Photos) -> CardView:
    """`card_view(article_view(article, ...))` without the rest of the view (tags, officials,
    gallery, audio, preview): for a list page's cards when the article's own page is not made here."""
    return CardView(
        title=article.title, url=article.url, date=article.date, category=_category(article, config), summary=article.summary or article.lead,
        cover=_cover(article, photos),
    )


def _category(article: Article, config: SiteConfig) -> CategoryView:
    category = config.category(article.category)
    assert category is not None, "content checked categories"
    return category_view(category)


def _cover(article: Article, photos: Photos) -> PhotoView | None:
    # A photo missing from `photos` failed to process: its error is reported, nothing rendered.
    return photo_view(article.cover, photos) if article.cover and article.cover.source in photos else None


def _preview(article: Article, photos: Photos) -> PhotoView | None:
    first = next(iter([*([article.cover] if article.cover else []), *article.gallery, *article.body_images]), None)
    return photo_view(first, photos) if first is not None and first.source in photos else None


def official_view(official: Official) -> OfficialView:
    return OfficialView(
        id=official.id,
        name=official.name,
        url=urls.official_url(official.id),
        positions=official.positions,
        current=official.current,
    )


def officials_in_order(officials: dict[str, Official]) -> list[OfficialView]:
    return [official_view(o) for o in sorted(officials.values(), key=lambda o: (person_sort_key(o.name), o.id))]
