"""The validated content model: frozen values, no behaviour beyond simple lookups, no I/O."""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, fields
from itertools import repeat
from types import MemberDescriptorType

from .config import SiteConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    title: str
    start: dt.date
    end: dt.date | None = None

    def held_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Official:
    id: str
    name: str
    positions: tuple[Position, ...]

    def position_on(self, day: dt.date) -> str | None:
        """The title held on `day` (the latest-starting one if two overlap)."""
        held = [p for p in self.positions if p.held_on(day)]
        return max(held, key=lambda p: p.start).title if held else None

    @property
    def current(self) -> Position | None:
        open_ended = [p for p in self.positions if p.end is None]
        return max(open_ended, key=lambda p: p.start) if open_ended else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    """A photo or audio file an article uses.

    `src` is what the editor wrote; `source` the site-relative file (`content/media/x.jpg`);
    `media_path` is the path below `content/media/` for library files, else None (the file
    sits beside the article and is published beside its page as `name`)."""

    src: str
    source: str
    name: str
    media_path: str | None
    caption: str = ""
    line: int = 0
    duration: int | None = None  # seconds, for audio whose length could be read


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficialRef:
    name: str
    official_id: str | None = None
    position: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    source: str
    title: str
    date: dt.datetime
    updated: dt.datetime | None
    category: str
    tags: tuple[str, ...]
    author: str | None
    summary: str | None
    officials: tuple[OfficialRef, ...]
    cover: Asset | None
    gallery: tuple[Asset, ...]
    audio: Asset | None
    body_images: tuple[Asset, ...]
    body_links: tuple[tuple[str, int], ...]
    slug: str
    draft: bool
    body: str
    body_line: int
    url: str = ""
    body_html: str = ""
    lead: str = ""
    # When the build cache holds this article's HTML, the blob (SHA-256) that holds all of it,
    # first paragraph included, and `body_html` is "": tens of thousands of bodies are not kept in
    # memory for the one page that shows each (`pipeline.with_body` reads it back to render it).
    body_blob: str = ""
    # Front matter lines the site-wide checks report at: ("title", n), ("date", n), ("tags.0", n)...
    field_lines: tuple[tuple[str, int], ...] = ()
    # Old addresses (site paths) that redirect here, each with its front matter line.
    aliases: tuple[tuple[str, int], ...] = ()

    def is_published(self, now: dt.datetime) -> bool:
        """Not a draft and not dated in the future: what readers may see at `now`."""
        return not self.draft and self.date <= now

    @property
    def modified(self) -> dt.datetime:
        """When it last changed: `updated` when later than the publication date."""
        return max(self.date, self.updated) if self.updated else self.date

    def assets(self) -> tuple[Asset, ...]:
        found = [self.cover] if self.cover else []
        found += [*self.gallery, *self.body_images]
        if self.audio:
            found.append(self.audio)
        return tuple(found)


@dataclass(frozen=True, slots=True, kw_only=True)
class StaticPage:
    source: str
    title: str
    slug: str
    description: str
    body: str
    body_line: int
    body_links: tuple[tuple[str, int], ...] = ()
    body_images: tuple[Asset, ...] = ()
    url: str = ""
    body_html: str = ""
    draft: bool = False
    date: dt.datetime | None = None  # a page with a future date waits for it, as articles do
    updated: dt.datetime | None = None

    def is_published(self, now: dt.datetime) -> bool:
        return not self.draft and (self.date is None or self.date <= now)


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """Everything a build publishes: articles newest first, pages, officials by id."""

    config: SiteConfig
    articles: tuple[Article, ...]
    pages: tuple[StaticPage, ...]
    officials: dict[str, Official]
    unpublished: int = 0
    # The earliest date of an article waiting for its time (not a draft): the site changes then.
    next_publication: dt.datetime | None = None
    # The articles left out (drafts, scheduled), without their bodies: for `check`'s summary
    # and the site-wide checks.
    held: tuple[Article, ...] = ()


def quick_pickling(cls: type) -> None:
    """Pickling and unpickling as the dataclass's own `__getstate__` and `__setstate__` do (the
    same state, so the same pickle bytes), with the field names worked out once instead of per
    object: a snapshot or the build cache reads back ~30,000 of these at 10,000 articles, and a
    patch build writes a few thousand (`dataclasses.fields` per object was most of it)."""
    names = tuple(f.name for f in fields(cls))
    # Each field's slot descriptor, set through its C `__set__` driven by `map`: no bytecode per
    # field (the loop of `object.__setattr__` calls was ~40 % of a snapshot's unpickling).
    slots = tuple(getattr(cls, name) for name in names)
    put = MemberDescriptorType.__set__
    drain = deque[object](maxlen=0).extend

    def __getstate__(self: object) -> list[object]:  # noqa: N807 (the pickle protocol's name)
        return [getattr(self, name) for name in names]

    def __setstate__(self: object, state: list[object]) -> None:  # noqa: N807 (the pickle protocol's name)
        drain(map(put, slots, repeat(self), state))

    cls.__getstate__ = __getstate__  # type: ignore[method-assign,assignment]
    cls.__setstate__ = __setstate__  # type: ignore[attr-defined]


for _cls in (Position, Official, Asset, OfficialRef, Article, StaticPage, Site):
    quick_pickling(_cls)
