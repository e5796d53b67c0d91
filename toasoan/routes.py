"""The model -> every page of the site (home, articles, lists, archives) as routes; no I/O."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from . import urls
from .dates import month_label
from .errors import Diagnostic, error
from .markup import split_lead
from .model import Article, Site, StaticPage
from .related import related_articles
from .text import shorten, vi_sort_key
from .views import (
    ArticleView,
    CardView,
    CategoryView,
    OfficialView,
    PageMeta,
    Photos,
    ShareImage,
    article_card,
    article_view,
    card_view,
    category_view,
    official_view,
    officials_in_order,
    share_image,
)

WINDOW = 2  # pager links shown on each side of the current page
DESCRIPTION_LIMIT = 160  # what search engines show of a meta description


@dataclass(frozen=True, slots=True, kw_only=True)
class PagerLink:
    number: int
    url: str
    current: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Pager:
    number: int
    count: int
    prev_url: str | None
    next_url: str | None
    pages: tuple[PagerLink | None, ...]


# One typed context per template: what a page is made from, nothing more. The page cache's key
# is taken over these values, so a field that a page does not show must not be here.


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeSection:
    category: CategoryView
    articles: tuple[CardView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeContext:
    page: PageMeta
    lead: CardView | None
    latest: tuple[CardView, ...]
    sections: tuple[HomeSection, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleContext:
    page: PageMeta
    article: ArticleView
    breadcrumb: tuple[dict[str, str], ...]  # `{title, url}` from the home page down
    related: tuple[CardView, ...]
    # Only on an article readers cannot see yet (a build with drafts: `serve`, `build --drafts`):
    # "Bản nháp" or "Hẹn giờ đăng 05/12/2026 09:00". None in every build of the published paper.
    unpublished: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StaticPageContext:
    page: PageMeta
    static_page: StaticPage


@dataclass(frozen=True, slots=True, kw_only=True)
class ChipLink:
    """A link to an archive period with its article count."""

    label: str
    url: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ListContext:
    page: PageMeta
    heading: str
    intro: str | None
    articles: tuple[CardView, ...]
    pager: Pager
    official: OfficialView | None = None
    months: tuple[ChipLink, ...] = ()
    years: tuple[ChipLink, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OfficialsContext:
    page: PageMeta
    officials: tuple[OfficialView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlainContext:
    """A page that shows only the site's frame (search, 404)."""

    page: PageMeta


Context = HomeContext | ArticleContext | StaticPageContext | ListContext | OfficialsContext | PlainContext


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One output page: its URL, the template that renders it and that template's context."""

    url: str
    template: str
    context: Context
    source: str = ""

    def variables(self) -> dict[str, Any]:
        """The context as template variables (one level: the values stay typed)."""
        return {name: getattr(self.context, name) for name in self.context.__slots__}


SITE_CARD = ""  # the paper's own share card among `share_cards` (photos.SITE_CARD)


def plan_routes(
    site: Site, photos: Photos, jobs: int = 1, related: list[list[int]] | None = None, now: dt.datetime | None = None,
    share_cards: Mapping[str, str] | None = None,
) -> tuple[list[Route], list[Diagnostic]]:
    """Every route of the site, in a fixed order; two routes claiming one URL is an error.
    `related`: the "Xem thêm" picks when already known (else worked out here). `now`: an article
    not published at `now` (only in a build with drafts) carries its `unpublished` mark.
    `share_cards`: the URLs of the share cards, by article source (the paper's own under "")."""
    config = site.config
    found = share_cards or {}
    views = [article_view(a, config, site.officials, photos) for a in site.articles]
    cards = [card_view(v) for v in views]
    shares = [share_image(v.preview, found.get(a.source), v.title) for a, v in zip(site.articles, views, strict=True)]
    own = found.get(SITE_CARD)
    paper = share_image(None, own, config.title)
    card = cards.__getitem__
    routes: list[Route] = []
    routes += _home(site, card)
    routes += _articles(site, views, cards, jobs, related, now, shares)
    routes += _pages(site)
    for listed in _categories(site):
        routes += _paginate(site, listed, card)
    for listed in _tags(site):
        routes += _paginate(site, listed, card)
    routes.append(_officials_index(site))
    for listed in (*_officials(site), *_archives(site)):
        routes += _paginate(site, listed, card)
    routes.append(_search(site))
    routes.append(Route(url="/404.html", template="404.html", context=PlainContext(page=_meta(site, "/404.html", "Không tìm thấy trang", "404"))))
    if paper is not None:  # every page but an article's shows the paper's own card
        routes = [_with_image(r, paper) for r in routes]
    return routes, _duplicates(routes)


def pages_showing(site: Site, photos: Photos, share_cards: Mapping[str, str], showing: Set[int]) -> list[Route]:
    """The routes of the home page and of the list pages that show the card of an article in
    `showing` (indexes into `site.articles`), exactly as `plan_routes` makes them and in its
    order, and no other: cards are made only for the articles those pages show. For a patch
    whose edits change cards but no list's members, order or heading (`patch._card_changes`)."""
    config = site.config
    made: dict[int, CardView] = {}

    def card(index: int) -> CardView:
        found = made.get(index)
        if found is None:
            found = made[index] = card_view(article_view(site.articles[index], config, site.officials, photos))
        return found

    shown = [site.articles[i] for i in sorted(showing)]
    lists = {urls.category_url(a.category) for a in shown} | {urls.tag_url(t) for a in shown for t in a.tags}
    lists |= {urls.official_url(o.id) for a in shown for r in a.officials if r.official_id and (o := site.officials.get(r.official_id))}
    routes: list[Route] = []
    if not showing.isdisjoint(_home_members(site)):
        routes += _home(site, card)
    for listed in (*_categories(site, lists), *_tags(site, lists), *_officials(site, lists), *_archives(site)):
        pages = {position // listed.size + 1 for position, index in enumerate(listed.members) if index in showing}
        if pages:
            routes += _paginate(site, listed, card, pages)
    paper = share_image(None, share_cards.get(SITE_CARD), config.title)
    return [_with_image(r, paper) for r in routes] if paper is not None else routes


@dataclass(frozen=True, slots=True)
class Outlined:
    """One route of `plan_routes` before any view or card is made: its URL and, for a list's
    page, the list and the page's number."""

    url: str
    listed: _List | None = None
    number: int = 0

    def members(self) -> Sequence[int] | None:
        """A list page's articles (indexes into the model's, in its order); None for any other page."""
        if self.listed is None:
            return None
        size = self.listed.size
        return self.listed.members[(self.number - 1) * size : self.number * size]


def outline(site: Site) -> list[Outlined]:
    """Every route `plan_routes` makes, in its order, as URLs and list slices only: for what needs
    every page but no card (sitemap.xml, the set of addresses) and for comparing two models'
    lists (`changed_pages`)."""
    found = [Outlined("/")]
    found += [Outlined(a.url) for a in site.articles]
    found += [Outlined(p.url) for p in site.pages]
    lists = [*_categories(site), *_tags(site)]
    found += [Outlined(urls.paged(listed.base, n), listed, n) for listed in lists for n in range(1, _page_count(listed) + 1)]
    found.append(Outlined(urls.officials_url()))
    lists = [*_officials(site), *_archives(site)]
    found += [Outlined(urls.paged(listed.base, n), listed, n) for listed in lists for n in range(1, _page_count(listed) + 1)]
    found.append(Outlined(urls.search_url()))
    found.append(Outlined("/404.html"))
    return found


def changed_pages(
    old: Site, new: Site, old_outline: Sequence[Outlined], new_outline: Sequence[Outlined], photos: Photos, share_cards: Mapping[str, str],
    showing: Set[int],
) -> list[Route]:
    """The home and list routes of `new` (as `plan_routes` makes them, in its order) whose page
    may differ from `old`'s, the same site after edits to some articles' cards, lists or dates
    (the same articles, told apart by source): a page that is new, whose list's heading, intro,
    chips or page count changed, whose slice holds other articles or another order, or that shows
    the card of an article in `showing` (indexes into `new.articles`). Any other page shows the
    same cards as before."""
    config = new.config
    made: dict[int, CardView] = {}

    def card(index: int) -> CardView:
        found = made.get(index)
        if found is None:
            found = made[index] = card_view(article_view(new.articles[index], config, new.officials, photos))
        return found

    at = {a.source: i for i, a in enumerate(new.articles)}
    moved = [at[a.source] for a in old.articles]  # an old index -> the new one
    routes: list[Route] = []
    if _home_shown(old, moved) != _home_shown(new, None) or not showing.isdisjoint(_home_members(new)):
        routes += _home(new, card)
    before = {item.listed.base: item.listed for item in old_outline if item.listed is not None and item.number == 1}
    seen: set[str] = set()
    for item in new_outline:
        listed = item.listed
        if listed is None or listed.base in seen:
            continue
        seen.add(listed.base)
        was = before.get(listed.base)
        if was is None or _list_head(was) != _list_head(listed) or _page_count(was) != _page_count(listed):
            routes += _paginate(new, listed, card)
            continue
        same = [moved[i] for i in was.members] == list(listed.members)
        size = listed.size
        pages = set()
        for number in range(1, _page_count(listed) + 1):
            members = listed.members[(number - 1) * size : number * size]
            if not showing.isdisjoint(members) or (not same and [moved[i] for i in was.members[(number - 1) * size : number * size]] != list(members)):
                pages.add(number)
        if pages:
            routes += _paginate(new, listed, card, pages)
    paper = share_image(None, share_cards.get(SITE_CARD), config.title)
    return [_with_image(r, paper) for r in routes] if paper is not None else routes


def _page_count(listed: _List) -> int:
    return max(1, math.ceil(len(listed.members) / listed.size))


def _list_head(listed: _List) -> tuple[Any, ...]:
    """What every page of a list prints besides its cards and pager."""
    return (listed.size, listed.kind, listed.heading, listed.intro, listed.section, listed.official, listed.months, listed.years)


def _home_shown(site: Site, moved: Sequence[int] | None) -> tuple[Any, ...]:
    """The articles the home page shows, where (lead and latest, each category's section), as
    indexes of the model `moved` maps them into (None: `site`'s own)."""
    count = len(site.articles)
    top = list(range(count)[: 1 + site.config.page_size["home_lead"]])
    buckets = _home_sections(site)
    sections = [(c.key, buckets[c.key]) for c in site.config.categories if buckets[c.key]]
    if moved is None:
        return top, sections
    return [moved[i] for i in top], [(key, [moved[i] for i in members]) for key, members in sections]


def _with_image(route: Route, image: ShareImage) -> Route:
    if route.context.page.image is not None:
        return route
    page = dataclasses.replace(route.context.page, image=image)
    return dataclasses.replace(route, context=dataclasses.replace(route.context, page=page))


def _meta(
    site: Site, url: str, title: str, kind: str, description: str = "", section: str | None = None, image: ShareImage | None = None,
) -> PageMeta:
    config = site.config
    full = config.title if url == "/" else f"{title} - {config.title}"
    return PageMeta(
        url=url, canonical=urls.absolute(config, url), title=full,
        description=shorten(description, DESCRIPTION_LIMIT), kind=kind, section=section, image=image,
    )


def _home(site: Site, card: Callable[[int], CardView]) -> list[Route]:
    sizes = site.config.page_size
    count = len(site.articles)
    lead = card(0) if count else None
    latest = tuple(card(i) for i in range(count)[1 : 1 + sizes["home_lead"]])
    buckets = _home_sections(site)
    sections = tuple(
        HomeSection(category=category_view(c), articles=tuple(card(i) for i in buckets[c.key]))
        for c in site.config.categories
        if buckets[c.key]
    )
    meta = _meta(site, "/", site.config.title, "home", site.config.description or site.config.tagline)
    return [Route(url="/", template="home.html", context=HomeContext(page=meta, lead=lead, latest=latest, sections=sections))]


def _home_sections(site: Site) -> defaultdict[str, list[int]]:
    """Each category's newest articles the home page shows, by category key."""
    size = site.config.page_size["home_section"]
    buckets: defaultdict[str, list[int]] = defaultdict(list)
    for index, article in enumerate(site.articles):
        bucket = buckets[article.category]
        if len(bucket) < size:
            bucket.append(index)
    return buckets


def _home_members(site: Site) -> set[int]:
    """The articles whose cards the home page shows (lead, latest, sections)."""
    count = len(site.articles)
    found = set(range(count)[: 1 + site.config.page_size["home_lead"]])
    for members in _home_sections(site).values():
        found.update(members)
    return found


def _articles(
    site: Site, views: list[ArticleView], cards: list[CardView], jobs: int, known: list[list[int]] | None,
    now: dt.datetime | None,
    shares: list[ShareImage | None],
) -> Iterator[Route]:
    related = known if known is not None else related_articles(site.articles, site.config.related, jobs)
    for article, view, picks, share in zip(site.articles, views, related, shares, strict=True):
        yield _article_route(site, article, view, tuple(cards[j] for j in picks), share, now)


def _article_route(
    site: Site, article: Article, view: ArticleView, related: tuple[CardView, ...], share: ShareImage | None, now: dt.datetime | None,
) -> Route:
    category = view.category
    breadcrumb = ({"title": "Trang chủ", "url": "/"}, {"title": category.name, "url": category.url})
    meta = _meta(site, view.url, view.title, "article", view.summary, category.key, share)
    context = ArticleContext(page=meta, article=view, breadcrumb=breadcrumb, related=related, unpublished=unpublished_mark(article, now))
    return Route(url=view.url, template="article.html", context=context, source=article.source)


def article_route(
    site: Site, index: int, photos: Photos, picks: Sequence[int], now: dt.datetime | None, share_cards: Mapping[str, str],
) -> Route:
    """The route `plan_routes` makes for `site.articles[index]`, given its "Xem thêm" picks,
    without the rest of the site's."""
    config = site.config

    def view(j: int) -> ArticleView:
        return article_view(site.articles[j], config, site.officials, photos)

    article, own = site.articles[index], view(index)
    share = share_image(own.preview, share_cards.get(article.source), own.title)
    route = _article_route(site, article, own, tuple(card_view(view(j)) for j in picks), share, now)
    paper = share_image(None, share_cards.get(SITE_CARD), config.title)
    return _with_image(route, paper) if paper is not None else route


def unpublished_mark(article: Article, now: dt.datetime | None) -> str | None:
    """What a preview shows on an article readers cannot see yet; None when they can."""
    if now is None or article.is_published(now):
        return None
    return "Bản nháp" if article.draft else f"Hẹn giờ đăng {article.date:%d/%m/%Y %H:%M}"


def _pages(site: Site) -> Iterator[Route]:
    for page in site.pages:
        yield _page_route(site, page)


def _page_route(site: Site, page: StaticPage) -> Route:
    meta = _meta(site, page.url, page.title, "page", page.description or split_lead(page.body_html)[0])
    return Route(url=page.url, template="page.html", context=StaticPageContext(page=meta, static_page=page), source=page.source)


@dataclass(frozen=True, slots=True, kw_only=True)
class _List:
    """One paginated list before its cards are made: its first page's URL, its articles (indexes
    into the model's, in the list's order) and what its pages print besides their cards."""

    base: str
    members: Sequence[int]
    size: int
    kind: str
    heading: str
    intro: str | None = None
    section: str | None = None
    official: OfficialView | None = None
    months: tuple[ChipLink, ...] = ()
    years: tuple[ChipLink, ...] = ()


def _paginate(site: Site, listed: _List, card: Callable[[int], CardView], only: Set[int] | None = None) -> Iterator[Route]:
    """The list's pages (`only`: just those numbers), each with the cards of its slice."""
    for number in range(1, _page_count(listed) + 1):
        if only is None or number in only:
            yield _list_page(site, listed, number, card)


def _list_page(site: Site, listed: _List, number: int, card: Callable[[int], CardView]) -> Route:
    """Page `number` of the list, with the cards of its slice."""
    size, members = listed.size, listed.members
    url = urls.paged(listed.base, number)
    title = listed.heading if number == 1 else f"{listed.heading} - Trang {number}"
    meta = _meta(site, url, title, listed.kind, listed.intro or listed.heading, listed.section)
    context = ListContext(
        page=meta, heading=listed.heading, intro=listed.intro, articles=tuple(card(i) for i in members[(number - 1) * size : number * size]),
        pager=_pager(listed.base, number, _page_count(listed)), official=listed.official, months=listed.months, years=listed.years,
    )
    return Route(url=url, template="list.html", context=context)


def _pager(base: str, number: int, count: int) -> Pager:
    shown: list[PagerLink | None] = []
    for n in range(1, count + 1):
        if n in (1, count) or abs(n - number) <= WINDOW:
            shown.append(PagerLink(number=n, url=urls.paged(base, n), current=n == number))
        elif shown and shown[-1] is not None:
            shown.append(None)
    return Pager(
        number=number,
        count=count,
        prev_url=urls.paged(base, number - 1) if number > 1 else None,
        next_url=urls.paged(base, number + 1) if number < count else None,
        pages=tuple(shown),
    )


def _categories(site: Site, only: Set[str] | None = None) -> Iterator[_List]:
    """The category lists (`only`: those whose first page's URL it names)."""
    size = site.config.page_size["category"]
    by_category: dict[str, list[int]] = defaultdict(list)
    for index, article in enumerate(site.articles):
        by_category[article.category].append(index)
    for category in site.config.categories:
        if only is not None and urls.category_url(category.key) not in only:
            continue
        yield _List(
            base=urls.category_url(category.key), members=by_category[category.key], size=size, kind="category", heading=category.name,
            intro=category.description or None, section=category.key,
        )


def _tags(site: Site, only: Set[str] | None = None) -> Iterator[_List]:
    """The tag lists (`only`: those whose first page's URL it names), by URL."""
    grouped: dict[str, list[int]] = defaultdict(list)
    spellings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    tag_urls: dict[str, str] = {}  # many articles share a tag: its URL (a slug) is made once
    for index, article in enumerate(site.articles):
        for tag in article.tags:
            key = tag_urls.get(tag)
            if key is None:
                key = tag_urls[tag] = urls.tag_url(tag)
            if only is not None and key not in only:
                continue
            if not grouped[key] or grouped[key][-1] != index:
                grouped[key].append(index)
            spellings[key][tag] += 1
    size = site.config.page_size["tag"]
    for url in sorted(grouped):
        name = min(spellings[url].items(), key=lambda kv: (-kv[1], vi_sort_key(kv[0])))[0]
        yield _List(base=url, members=grouped[url], size=size, kind="tag", heading=f"Chủ đề: {name}")


class Planner:
    """The routes of `outline(site)`'s items one at a time, each exactly as `plan_routes` makes
    it: a view and card are made once, for the first route that needs them, and kept. For a
    worker that plans only its share of the routes (a template patch), from the outline the
    main process made; `related`: the "Xem thêm" picks (known: none are worked out here)."""

    def __init__(
        self, site: Site, photos: Photos, related: Sequence[Sequence[int]], now: dt.datetime | None, share_cards: Mapping[str, str],
    ) -> None:
        self._site, self._photos, self._related, self._now, self._found = site, photos, related, now, share_cards
        self._views: dict[int, ArticleView] = {}
        self._cards: dict[int, CardView] = {}
        self._articles = {a.url: i for i, a in enumerate(site.articles)}
        self._pages = {p.url: p for p in site.pages}
        self._paper = share_image(None, share_cards.get(SITE_CARD), site.config.title)

    def _view(self, index: int) -> ArticleView:
        found = self._views.get(index)
        if found is None:
            site = self._site
            found = self._views[index] = article_view(site.articles[index], site.config, site.officials, self._photos)
        return found

    def _card(self, index: int) -> CardView:
        found = self._cards.get(index)
        if found is None:
            view = self._views.get(index)
            site = self._site
            found = self._cards[index] = card_view(view) if view is not None else article_card(site.articles[index], site.config, self._photos)
        return found

    def route(self, item: Outlined) -> Route:
        """The route of `item`, an item of an outline whose URLs are all different."""
        site = self._site
        if item.listed is not None:
            route = _list_page(site, item.listed, item.number, self._card)
        elif item.url == "/":
            route = _home(site, self._card)[0]
        elif (index := self._articles.get(item.url)) is not None:
            article, view = site.articles[index], self._view(index)
            share = share_image(view.preview, self._found.get(article.source), view.title)
            picks = tuple(self._card(j) for j in self._related[index])
            route = _article_route(site, article, view, picks, share, self._now)
        elif (page := self._pages.get(item.url)) is not None:
            route = _page_route(site, page)
        elif item.url == urls.officials_url():
            route = _officials_index(site)
        elif item.url == urls.search_url():
            route = _search(site)
        elif item.url == "/404.html":
            route = Route(url="/404.html", template="404.html", context=PlainContext(page=_meta(site, "/404.html", "Không tìm thấy trang", "404")))
        else:
            raise ValueError(f"not a route of the site: {item.url}")
        return _with_image(route, self._paper) if self._paper is not None else route


def _officials_index(site: Site) -> Route:
    ordered = tuple(officials_in_order(site.officials))
    meta = _meta(site, urls.officials_url(), "Nhân vật", "officials", "Lãnh đạo, nhân vật trong các bài viết")
    return Route(url=urls.officials_url(), template="officials.html", context=OfficialsContext(page=meta, officials=ordered))


def _officials(site: Site, only: Set[str] | None = None) -> Iterator[_List]:
    """The officials' lists (`only`: those whose first page's URL it names), in the registry's order."""
    mentions: dict[str, list[int]] = defaultdict(list)
    for index, article in enumerate(site.articles):
        for ref in article.officials:
            # As `article_view` links a mention: only to an official of the registry.
            official = site.officials.get(ref.official_id) if ref.official_id else None
            if official is None:
                continue
            url = urls.official_url(official.id)
            if not mentions[url] or mentions[url][-1] != index:
                mentions[url].append(index)
    size = site.config.page_size["official"]
    for official in site.officials.values():
        if only is not None and urls.official_url(official.id) not in only:
            continue
        shown = official_view(official)
        current = shown.current.title if shown.current else None
        yield _List(base=shown.url, members=mentions[shown.url], size=size, kind="official", heading=shown.name, intro=current, official=shown)


def _archives(site: Site) -> Iterator[_List]:
    size = site.config.page_size["archive"]
    articles = site.articles
    by_year: dict[int, list[int]] = defaultdict(list)
    by_month: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, article in enumerate(articles):
        by_year[article.date.year].append(index)
        by_month[(article.date.year, article.date.month)].append(index)
    years = tuple(
        ChipLink(label=f"Năm {y}", url=urls.archive_url(y), count=len(by_year[y]))
        for y in sorted(by_year, reverse=True)
    )
    yield _List(base=urls.archive_url(), members=range(len(articles)), size=size, kind="archive", heading="Lưu trữ", years=years)
    for year in sorted(by_year, reverse=True):
        months = tuple(
            ChipLink(label=month_label(articles[items[0]].date), url=urls.archive_url(y, m), count=len(items))
            for (y, m), items in sorted(by_month.items(), reverse=True)
            if y == year
        )
        yield _List(
            base=urls.archive_url(year), members=by_year[year], size=size, kind="archive", heading=f"Lưu trữ năm {year}", months=months, years=years,
        )
    for (year, month), items in sorted(by_month.items(), reverse=True):
        label = month_label(articles[items[0]].date)
        yield _List(base=urls.archive_url(year, month), members=items, size=size, kind="archive", heading=f"Lưu trữ {label.lower()}", years=years)


def _search(site: Site) -> Route:
    """The search page: Pagefind's interface over the index made from the published articles."""
    url = urls.search_url()
    meta = _meta(site, url, "Tìm kiếm", "search", f"Tìm bài viết trên {site.config.title}")
    return Route(url=url, template="search.html", context=PlainContext(page=meta))


def _duplicates(routes: list[Route]) -> list[Diagnostic]:
    claimed: dict[str, Route] = {}
    diags = []
    for route in routes:
        first = claimed.setdefault(route.url, route)
        if first is route:
            continue
        where = route.source or first.source
        other = first.source if route.source else "một trang danh sách"
        diags.append(error(where, 1, f"hai trang cùng địa chỉ `{route.url}`: {where} và {other}; hãy đặt `slug` khác cho một bài"))
    return diags


