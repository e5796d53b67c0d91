"""Ranking across shards of very different sizes: the newest articles have a small shard of their
own (`search.SHARD_TAIL`), the rest of the newest year a big one, and Pagefind scores each with
its own word statistics before the search page merges them (`mergeIndex`). Built with the
production sizes, the small shard as small as it gets, and searched in Chromium through
Pagefind's own API as the search page does: the newest shard opened, the others merged.

With a newest shard of 32 articles, "lụa" there ranked after "lúa" in the big shard (a word found
once weighs less among a few dozen articles than among a thousand): hence 64. What still ranks
differently from one big shard: an article that names a rare word twice in its body, in the small
shard, comes after old ones naming it once (docs/PERFORMANCE.md)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from sitekit import served

from toasoan.model import Article
from toasoan.search import MANIFEST, SHARD_MIN, SHARD_TAIL, article_record, index_site, shard_keys

TEXT = (
    "người dân tỉnh huyện xã công tác triển khai nhiệm vụ kinh tế xã hội phát triển nông thôn mới đồng chí lãnh đạo "
    "chỉ đạo kế hoạch năm thực hiện nghị quyết hội nghị tổng kết sơ kết chuyển đổi số giáo dục y tế văn hóa du lịch "
    "an ninh quốc phòng đầu tư xây dựng giao thông môi trường rừng nước sản xuất cây trồng vật nuôi thu nhập"
)
WORDS = TEXT.split()
# The hardest case: the newest shard as small as it gets (SHARD_TAIL articles) beside a big one
# of over SHARD_MIN (1,024 and 64 with the production settings).
HEAD = (SHARD_MIN // SHARD_TAIL + 1) * SHARD_TAIL
COUNT = HEAD + SHARD_TAIL
STRONG = COUNT - 3  # among the newest: a strong match, in its title and twice in its body
WEAK = (5, 17)  # old articles that name it once in their body
FOLDED = COUNT - 5  # among the newest: "điện" (đ, found as "dien" through the folded copy)
PLAIN = 40  # an old one: "diện"
NEW_EXACT, OLD_EXACT = COUNT - 7, 60  # "lụa" among the newest, "lúa" in an old one


def _article(number: int, title: str, body: str) -> Article:
    return Article(
        source=f"content/articles/bai-{number}.md", title=title, date=dt.datetime(2025, 1, 1) + dt.timedelta(hours=6 * number),
        updated=None, category="tin", tags=(), author=None, summary=None, officials=(), cover=None, gallery=(), audio=None,
        body_images=(), body_links=(), slug=f"bai-{number}", draft=False, body="", body_line=1, url=f"/bai/{number:05d}/",
        body_html=f"<p>{body}</p>",
    )


def _articles() -> list[Article]:
    rng = random.Random(8)
    found = []
    for number in range(COUNT):
        title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
        body = " ".join(rng.choice(WORDS) for _ in range(80)) + "."
        if number in WEAK:
            body += " Đoàn cũng ghé thăm lễ hội Lồng Tồng."
        if number == STRONG:
            title = "Lễ hội Lồng Tồng ở Ba Bể"
            body += " Lễ hội Lồng Tồng năm nay đông vui. Lồng Tồng là lễ xuống đồng của người Tày."
        if number == FOLDED:
            body += " Ngành điện bảo đảm cấp điện cho trạm bơm."
        if number == PLAIN:
            body += " Diện tích trồng rừng mở rộng."
        if number == NEW_EXACT:
            body += " Làng dệt lụa đón khách."
        if number == OLD_EXACT:
            body += " Giá lúa tăng."
        found.append(_article(number, title, body))
    return found


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The articles' shards as a build makes them, served; yields the address and URL → shard."""
    articles = _articles()
    keys = shard_keys(articles)
    records = sorted((article_record(a, keys[a.url], "Tin", None) for a in articles), key=lambda r: r.url)
    out = tmp_path_factory.mktemp("ranking")
    index_site(out, records, out / "cache")
    (out / "index.html").write_text('<!doctype html><html lang="vi"><body></body></html>', encoding="utf-8")
    with served(out) as address:
        yield address, keys


def _ranked(browser: Any, address: str, query: str) -> list[str]:
    page = browser.new_page()
    page.goto(address + "/index.html")
    urls: list[str] = page.evaluate(
        """async ([manifest, query]) => {
            const shards = (await (await fetch(manifest)).json()).shards;
            const pagefind = await import("/pagefind/" + shards[0] + "/pagefind.js");
            await pagefind.options({ bundlePath: "/pagefind/" + shards[0] + "/" });
            for (const shard of shards.slice(1)) { await pagefind.mergeIndex("/pagefind/" + shard + "/"); }
            const found = await pagefind.search(query);
            return Promise.all(found.results.slice(0, 10).map(async (r) => (await r.data()).url));
        }""",
        ["/pagefind/" + MANIFEST, query],
    )
    page.close()
    return urls


def _url(number: int) -> str:
    return f"/bai/{number:05d}/"


def test_the_newest_articles_have_a_small_shard_of_their_own(bundle: tuple[str, dict[str, str]]) -> None:
    _, keys = bundle
    sizes: dict[str, int] = {}
    for shard in keys.values():
        sizes[shard] = sizes.get(shard, 0) + 1
    assert sizes == {"2025": HEAD, "2025-moi": SHARD_TAIL}
    for number in (STRONG, FOLDED, NEW_EXACT):
        assert keys[_url(number)] == "2025-moi"
    for number in (*WEAK, PLAIN, OLD_EXACT):
        assert keys[_url(number)] == "2025"


def test_a_strong_match_in_the_small_shard_ranks_before_weak_ones_in_the_big_one(browser: Any, bundle: tuple[str, dict[str, str]]) -> None:
    address, _ = bundle
    for query in ("lồng tồng", "long tong", "Lồng Tồng Ba Bể"):
        ranked = _ranked(browser, address, query)
        assert ranked[0] == _url(STRONG), (query, ranked)
    assert sorted(_ranked(browser, address, "lồng tồng")) == sorted([_url(STRONG), *map(_url, WEAK)])


def test_exact_diacritics_rank_first_whichever_shard_holds_them(browser: Any, bundle: tuple[str, dict[str, str]]) -> None:
    address, _ = bundle
    assert _ranked(browser, address, "lụa")[:2] == [_url(NEW_EXACT), _url(OLD_EXACT)]
    assert _ranked(browser, address, "lúa")[:2] == [_url(OLD_EXACT), _url(NEW_EXACT)]


def test_d_stroke_is_found_without_it_in_both_shards(browser: Any, bundle: tuple[str, dict[str, str]]) -> None:
    address, _ = bundle
    assert sorted(_ranked(browser, address, "dien")) == sorted([_url(FOLDED), _url(PLAIN)])
    assert _ranked(browser, address, "điện") == [_url(FOLDED)]
