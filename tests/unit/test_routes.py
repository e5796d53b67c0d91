"""Routes: pagination, archives, tag pages that merge spellings, officials, related articles."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from toasoan.config import Category, SiteConfig
from toasoan.images import Processed, Variant
from toasoan.model import Article, Asset, Official, OfficialRef, Position, Site, StaticPage
from toasoan.related import related_again, related_articles, related_inputs
from toasoan.routes import HomeContext, ListContext, Planner, Route, changed_pages, outline, pages_showing, plan_routes
from toasoan.urls import article_url
from toasoan.views import article_view, card_view

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CONFIG = SiteConfig(
    title="Báo Thử",
    base_url="https://thu.example.vn/",
    page_size={"home_lead": 2, "home_section": 2, "category": 2, "tag": 2, "official": 2, "archive": 2, "feed": 5},
    categories=(Category(key="thoi-su", name="Thời sự", description=""), Category(key="kinh-te", name="Kinh tế", description="")),
)


def _article(n: int, *, category: str = "thoi-su", tags: tuple[str, ...] = (), officials: tuple[str, ...] = (), day: int = 1) -> Article:
    article = Article(
        source=f"content/articles/a{n}.md", title=f"Bài số {n}", date=dt.datetime(2023, 6 if n % 2 else 5, day, 8, n, tzinfo=TZ),
        updated=None, category=category, tags=tags, author=None, summary=f"Tóm tắt {n}",
        officials=tuple(OfficialRef(name=o, official_id=o) for o in officials), cover=None, gallery=(), audio=None,
        body_images=(), body_links=(), slug=f"bai-so-{n}", draft=False, body="", body_line=5,
    )
    return dataclasses.replace(article, url=article_url(CONFIG, article))


def _site(articles: list[Article]) -> Site:
    officials = {"a": Official(id="a", name="Nguyễn Văn A", positions=(Position(title="Chủ tịch", start=dt.date(2020, 1, 1)),))}
    ordered = sorted(articles, key=lambda a: (a.date, a.source), reverse=True)
    return Site(config=CONFIG, articles=tuple(ordered), pages=(), officials=officials)


def test_every_kind_of_page_and_pagination() -> None:
    articles = [_article(n, tags=("Chuyển đổi số",) if n < 4 else ("chuyển đổi số",), officials=("a",) if n < 3 else (), day=n) for n in range(1, 6)]
    routes, diags = plan_routes(_site(articles), {})
    assert diags == []
    urls = [r.url for r in routes]
    assert urls[0] == "/"
    assert "/chuyen-muc/thoi-su/" in urls and "/chuyen-muc/thoi-su/trang-3/" in urls and "/chuyen-muc/thoi-su/trang-4/" not in urls
    assert "/chuyen-muc/kinh-te/" in urls  # an empty category still has its page
    # Two spellings of one tag share one page, named by the most used spelling.
    tag_pages = [r for r in routes if r.url.startswith("/chu-de/")]
    assert [r.url for r in tag_pages] == ["/chu-de/chuyen-doi-so/", "/chu-de/chuyen-doi-so/trang-2/", "/chu-de/chuyen-doi-so/trang-3/"]
    assert tag_pages[0].context.heading == "Chủ đề: Chuyển đổi số"
    assert "/nhan-vat/" in urls and "/nhan-vat/a/" in urls
    official = next(r for r in routes if r.url == "/nhan-vat/a/")
    assert [a.title for a in official.context.articles] == ["Bài số 1", "Bài số 2"]  # newest first
    assert "/luu-tru/" in urls and "/luu-tru/2023/" in urls and "/luu-tru/2023/06/" in urls and "/luu-tru/2023/05/" in urls
    assert urls[-1] == "/404.html"
    assert len(urls) == len(set(urls))


def test_pager_links_and_gaps() -> None:
    routes, _ = plan_routes(_site([_article(n, day=n) for n in range(1, 21)]), {})
    middle = next(r for r in routes if r.url == "/chuyen-muc/thoi-su/trang-5/")
    pager = middle.context.pager
    assert (pager.number, pager.count) == (5, 10)
    assert pager.prev_url == "/chuyen-muc/thoi-su/trang-4/" and pager.next_url == "/chuyen-muc/thoi-su/trang-6/"
    shown = [p.number if p else None for p in pager.pages]
    assert shown == [1, None, 3, 4, 5, 6, 7, None, 10]


def test_two_articles_with_one_url_name_both_files() -> None:
    one, two = _article(1), _article(3)
    two = dataclasses.replace(two, url=one.url, source="content/articles/khac.md")
    _, diags = plan_routes(_site([one, two]), {})
    assert len(diags) == 1
    assert "content/articles/a1.md" in diags[0].message and "content/articles/khac.md" in diags[0].message


def test_related_prefers_shared_officials_then_tags_never_itself_and_is_stable() -> None:
    articles = _site([
        _article(1, tags=("x",), officials=("a",), day=1),
        _article(2, tags=("x",), day=2),
        _article(3, tags=("y",), officials=("a",), day=3),
        _article(4, category="kinh-te", day=4),
        _article(5, tags=("x", "y"), officials=("a",), day=5),
    ]).articles
    picks = related_articles(articles, 3)
    titles = {a.title: [articles[j].title for j in p] for a, p in zip(articles, picks, strict=True)}
    assert titles["Bài số 5"] == ["Bài số 3", "Bài số 1", "Bài số 2"]
    assert all(a.title not in titles[a.title] for a in articles)
    assert related_articles(articles, 3) == picks == related_articles(articles, 3, jobs=2)



def test_related_again_after_key_edits_equals_the_full_picks_and_keeps_the_picks_it_cannot_reach() -> None:
    """A patch that changes articles' officials, tags or category picks again only for the
    articles those can reach, and gets exactly the full computation's picks: random sites large
    enough for the neighbour windows (lists of more than 81 articles), random edits of one to
    three articles; the picks of the articles out of reach are taken from `picks` untouched."""
    rng = random.Random(8)
    tags, officials = [f"t{n}" for n in range(20)], [f"o{n}" for n in range(10)]

    def keys(category: str | None = None) -> dict[str, Any]:
        common = ("x",) if rng.random() < 0.5 else ()  # a tag on ~120 of 240 articles: windows of 81
        return {
            "tags": (*common, *rng.sample(tags, rng.randint(0, 2))), "officials": tuple(rng.sample(officials, rng.randint(0, 1))),
            "category": category if category and rng.random() < 0.8 else rng.choice(("thoi-su", "kinh-te")),
        }

    reached_less = 0
    for _ in range(12):
        total = rng.choice((30, 240))
        made = [_article(n % 50, **keys()) for n in range(1, total + 1)]
        made = [dataclasses.replace(a, source=f"content/articles/b{n}.md", date=a.date + dt.timedelta(hours=n)) for n, a in enumerate(made)]
        articles = list(_site(made).articles)
        picks = related_articles(articles, 4)
        edited = rng.sample(range(total), rng.randint(1, 3))
        was = {i: related_inputs([articles[i]])[0] for i in edited}
        for i in edited:
            edit = keys(articles[i].category)
            officials_now = tuple(OfficialRef(name=o, official_id=o) for o in edit["officials"])
            articles[i] = dataclasses.replace(articles[i], tags=edit["tags"], officials=officials_now, category=edit["category"])
        full = related_articles(articles, 4)
        assert related_again(articles, 4, picks, was) == full == related_again(articles, 4, picks, was, jobs=2)
        kept = related_again(articles, 4, [[-1]] * total, was)
        untouched = [i for i, p in enumerate(kept) if p == [-1]]
        assert not set(untouched) & set(edited)
        reached_less += bool(untouched)
    assert reached_less >= 6  # most edits reach only part of the site

def _cards_shown(route: Route) -> set[str]:
    context = route.context
    if isinstance(context, HomeContext):
        return {c.url for c in (*([context.lead] if context.lead else []), *context.latest, *(c for s in context.sections for c in s.articles))}
    return {c.url for c in context.articles} if isinstance(context, ListContext) else set()


def test_pages_showing_an_article_are_exactly_the_plans_pages_that_show_its_card() -> None:
    """A patch plans only the home and list pages that show an edited card: for every article
    (and some pairs), the same routes, equal to the full plan's and in its order, as the full plan's
    pages whose cards include it (home lead, latest, sections; category, tag, official and archive
    pages, page 2 and beyond too)."""
    articles = [
        _article(
            n, category="kinh-te" if n % 3 == 0 else "thoi-su", tags=(("Chuyển đổi số", "chuyển đổi số") if n % 2 else ("y tế",)),
            officials=("a", "a") if n % 4 == 0 else ("a", "khong-co") if n == 5 else (), day=n,
        )
        for n in range(1, 14)
    ]
    site = _site(articles)
    cards = {"": "/anh/chia-se/bao.png"}
    routes, _ = plan_routes(site, {}, share_cards=cards)
    listed = [r for r in routes if isinstance(r.context, HomeContext | ListContext)]
    for chosen in [{i} for i in range(len(site.articles))] + [{0, 7}, {3, 12}, set()]:
        wanted = [r for r in listed if any(site.articles[i].url in _cards_shown(r) for i in chosen)]
        assert pages_showing(site, {}, cards, chosen) == wanted, chosen
    # The oldest article is on a later page of its lists, not on the home page.
    oldest = pages_showing(site, {}, cards, {len(site.articles) - 1})
    assert "/" not in [r.url for r in oldest] and any("/trang-" in r.url for r in oldest)


def _with_edit(site: Site, index: int, **fields: object) -> Site:
    """`site` with one article edited, ordered again as the loader orders it (newest first)."""
    articles = list(site.articles)
    articles[index] = dataclasses.replace(articles[index], **fields)  # type: ignore[arg-type]
    articles.sort(key=lambda a: (a.date, a.source), reverse=True)
    return dataclasses.replace(site, articles=tuple(articles))


def test_the_outline_is_the_plans_urls_and_slices() -> None:
    """`outline` gives every route of `plan_routes` in its order, and each list page's articles."""
    site = _site([
        _article(n, category="kinh-te" if n % 3 == 0 else "thoi-su", tags=("x",) if n % 2 else ("y", "x"), officials=("a",) if n % 4 == 0 else (), day=n)
        for n in range(1, 12)
    ])
    routes, _ = plan_routes(site, {})
    pages = outline(site)
    assert [p.url for p in pages] == [r.url for r in routes]
    for page, route in zip(pages, routes, strict=True):
        members = page.members()
        if isinstance(route.context, ListContext):
            assert members is not None and [site.articles[i].url for i in members] == [c.url for c in route.context.articles]
        else:
            assert members is None


def test_the_planner_makes_the_plans_routes_one_by_one() -> None:
    """`Planner` (a template patch's workers plan their share of the routes from the outline)
    makes each outlined route equal to `plan_routes`' in any order: home, articles with their
    picks, share cards and draft marks, static pages, lists, officials, archives, search, 404."""
    articles = [
        _article(n, category="kinh-te" if n % 3 == 0 else "thoi-su", tags=("x",) if n % 2 else ("y", "x"), officials=("a",) if n % 4 == 0 else (), day=n)
        for n in range(1, 12)
    ]
    articles[2] = dataclasses.replace(articles[2], draft=True)
    cover = Asset(src="anh.jpg", source="content/media/anh.jpg", name="anh.jpg", media_path="anh.jpg", caption="Ảnh")
    articles[5] = dataclasses.replace(articles[5], cover=cover, gallery=(cover,))
    photos = {cover.source: Processed(
        key="abc", folder="ab", width=800, height=600, small=False, og=None,
        variants=(Variant(format="jpeg", width=480, height=360, file="anh-480.jpg"), Variant(format="webp", width=800, height=600, file="anh-800.webp")),
    )}
    page = StaticPage(source="content/pages/gioi-thieu.md", title="Giới thiệu", slug="gioi-thieu", description="", body="", body_line=1,
                      url="/gioi-thieu/", body_html="<p>Về chúng tôi.</p>")
    site = dataclasses.replace(_site(articles), pages=(page,))
    related = related_articles(site.articles, CONFIG.related, 1)
    cards = {"": "/anh/chia-se/bao.png", articles[4].source: "/anh/chia-se/bai-5.png"}
    now = dt.datetime(2023, 6, 30, tzinfo=TZ)
    routes, diags = plan_routes(site, photos, related=related, now=now, share_cards=cards)
    assert diags == [] and any(r.context.page.kind == "page" for r in routes)
    assert any(c.cover for r in routes if isinstance(r.context, ListContext) for c in r.context.articles)
    items = outline(site)
    planner = Planner(site, photos, related, now, cards)
    planned = {item.url: planner.route(item) for item in reversed(items)}
    assert [planned[item.url] for item in items] == routes
    assert any(r.context.unpublished for r in routes if hasattr(r.context, "unpublished"))


def test_changed_pages_are_the_list_pages_an_edit_changes() -> None:
    """After a tag, official, category, date or title edit, `changed_pages` gives exactly the full
    plan's home and list routes that are new or differ from the plan before the edit (every one
    of them, and no page the edit leaves as it was), in the plan's order."""
    site = _site([
        _article(n, category="kinh-te" if n % 3 == 0 else "thoi-su", tags=("x",) if n % 2 else ("y", "x"), officials=("a",) if n % 4 == 0 else (), day=n)
        for n in range(1, 16)
    ])
    when = site.articles[5].date
    edits: list[dict[str, object]] = [
        {"tags": ("z",)}, {"tags": ()}, {"tags": ("x", "y", "z")}, {"officials": (OfficialRef(name="a", official_id="a"),)}, {"officials": ()},
        {"category": "kinh-te"}, {"category": "thoi-su"}, {"title": "Tiêu đề khác"}, {"date": when.replace(day=28)},
        {"date": when.replace(day=1, hour=1)}, {"date": when.replace(month=5)}, {"updated": when.replace(day=29)},
    ]
    for index in (0, 4, len(site.articles) - 1):
        for fields in edits:
            new = _with_edit(site, index, **fields)
            before = {r.url: r for r in plan_routes(site, {})[0]}
            after = [r for r in plan_routes(new, {})[0] if isinstance(r.context, HomeContext | ListContext)]
            wanted = [r for r in after if before.get(r.url) != r]
            source = site.articles[index].source
            (at,) = (i for i, a in enumerate(new.articles) if a.source == source)
            card = card_view(article_view(new.articles[at], CONFIG, new.officials, {}))
            showing = {at} if card != card_view(article_view(site.articles[index], CONFIG, site.officials, {})) else set()
            found = changed_pages(site, new, outline(site), outline(new), {}, {}, showing)
            assert found == wanted, (index, fields)
