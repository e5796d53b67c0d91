"""The template-facing view of the model: plain frozen values with URLs filled in; no I/O."""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass

from . import urls
from .config import Category, SiteConfig
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
class PhotoView:
    url: str
    caption: str
    alt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioView:
    url: str
    mime: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficialRefView:
    name: str
    position: str | None
    url: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleView:
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
class PageMeta:
    url: str
    canonical: str
    title: str
    description: str
    kind: str
    section: str | None = None


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


def photo_view(owner_url: str, asset: Asset) -> PhotoView:
    return PhotoView(url=urls.asset_url(owner_url, asset), caption=asset.caption, alt=asset.caption)


def article_view(article: Article, config: SiteConfig, officials: dict[str, Official]) -> ArticleView:
    category = config.category(article.category)
    assert category is not None, "content checked categories"
    audio = None
    if article.audio is not None:
        mime = mimetypes.guess_type(article.audio.name)[0] or "audio/mpeg"
        audio = AudioView(url=urls.asset_url(article.url, article.audio), mime=mime)
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
        category=category_view(category),
        tags=tuple(TagView(name=t, url=urls.tag_url(t)) for t in article.tags),
        author=article.author,
        summary=article.summary or article.lead,
        body_html=article.body_html,
        cover=photo_view(article.url, article.cover) if article.cover else None,
        gallery=tuple(photo_view(article.url, p) for p in article.gallery),
        audio=audio,
        officials=tuple(refs),
    )


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
