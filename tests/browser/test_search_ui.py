"""Search in a real browser: Pagefind's Vietnamese interface on /tim-kiem/ over the sample portal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sitekit import run_cli, served, write_site

OFFICIAL_ARTICLE = "/2024/10/dong-chi-hoang-minh-duc-duoc-bau-giu-chuc-chu-tich-ubnd-tinh/"


def _search(browser: Any, portal: str, query: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="vi-VN")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(portal + "/tim-kiem/")
    assert response is not None and response.status == 200
    box = page.locator(".pagefind-ui__search-input")
    box.wait_for()
    box.fill(query)
    page.locator(".pagefind-ui__message").wait_for()
    return page, errors


def _titles(page: Any) -> list[str]:
    page.locator(".pagefind-ui__result-link").first.wait_for()
    return [t.casefold() for t in page.locator(".pagefind-ui__result-link").all_inner_texts()]


def _first_link(page: Any) -> str:
    # Results are listed in rank order at once; each one's link appears when its data has loaded.
    link = page.locator(".pagefind-ui__result").first.locator(".pagefind-ui__result-link")
    link.wait_for()
    return str(link.get_attribute("href"))


def test_query_without_diacritics_finds_chuyen_doi_so(browser: Any, portal: str) -> None:
    page, errors = _search(browser, portal, "chuyen doi so")
    titles = _titles(page)
    assert any("chuyển đổi số" in t for t in titles[:3]), titles
    assert page.locator(".pagefind-ui__result-excerpt").count() >= 1
    assert page.locator(".pagefind-ui__filter-panel").count() == 1
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.locator("#goi_y_tim_kiem").is_hidden()
    assert errors == []
    page.close()


def test_official_name_without_diacritics_ranks_the_article_first(browser: Any, portal: str) -> None:
    page, errors = _search(browser, portal, "hoang minh duc")
    first = _first_link(page)
    assert first == OFFICIAL_ARTICLE
    assert errors == []
    page.close()


def test_nothing_found_shows_suggestions(browser: Any, portal: str) -> None:
    page, errors = _search(browser, portal, "zzkqw")
    page.locator("#goi_y_tim_kiem").wait_for(state="visible")
    assert "Không tìm thấy kết quả" in page.locator(".pagefind-ui__message").inner_text()
    suggestions = page.locator("#goi_y_tim_kiem")
    assert "Không tìm thấy kết quả" in suggestions.inner_text()
    assert suggestions.locator('a[href="/luu-tru/"]').count() == 1
    assert page.locator(".pagefind-ui__result").count() == 0
    assert errors == []
    page.close()


def test_query_in_the_address_searches_at_once(browser: Any, portal: str) -> None:
    page = browser.new_page()
    page.goto(portal + "/tim-kiem/?q=Ho%C3%A0ng%20Minh%20%C4%90%E1%BB%A9c")
    assert _first_link(page) == OFFICIAL_ARTICLE
    page.close()


def test_without_javascript_the_page_points_to_the_archives(browser: Any, portal: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(portal + "/tim-kiem/")
    text = page.locator("main").inner_text()
    assert "cần JavaScript" in text
    assert page.locator('main a[href="/luu-tru/"]').first.is_visible()
    context.close()


def test_the_search_box_has_an_accessible_name(browser: Any, portal: str) -> None:
    page, errors = _search(browser, portal, "chuyen doi so")
    assert page.locator(".pagefind-ui__search-input").get_attribute("aria-label") == "Tìm bài viết"
    assert errors == []
    page.close()


SHARDED_SITE = """\
-- content/articles/2023/03/lua.md --
---
title: Giá lúa tăng mạnh
date: 2023-03-07 08:00
category: kinh-te
---
Nông dân phấn khởi vì giá lúa tăng; ngành điện lực bảo đảm cấp điện cho trạm bơm.
-- content/articles/2024/05/lua-van-phuc.md --
---
title: Làng lụa Vạn Phúc đón khách
date: 2024-05-10 08:00
category: kinh-te
---
Những tấm lụa được dệt thủ công; diện tích làng nghề mở rộng.
"""


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small portal whose search index has one shard per year (2023, 2024)."""
    root = write_site(tmp_path_factory.mktemp("sharded") / "site", SHARDED_SITE)
    run = run_cli("--site", root, "--output", root / "public", env={"TOASOAN_SEARCH_SHARD_MIN": "1"})
    assert run.code == 0, run.stderr
    assert (root / "public/pagefind/2023/pagefind-entry.json").is_file()
    with served(root / "public") as address:
        yield address


def _links(page: Any, count: int) -> list[str]:
    results = page.locator(".pagefind-ui__result")
    page.wait_for_function(f"document.querySelectorAll('.pagefind-ui__result-link').length >= {count}")
    return [str(results.nth(i).locator(".pagefind-ui__result-link").get_attribute("href")) for i in range(results.count())]


def test_shards_are_searched_together_exact_diacritics_first(browser: Any, sharded: str) -> None:
    for query, first, second in (("lụa", "/2024/05/lua-van-phuc/", "/2023/03/lua/"),
                                 ("lúa", "/2023/03/lua/", "/2024/05/lua-van-phuc/")):
        page, errors = _search(browser, sharded, query)
        assert _links(page, 2) == [first, second], query
        assert errors == []
        page.close()


def test_a_word_with_d_stroke_is_found_without_it_across_shards(browser: Any, sharded: str) -> None:
    page, errors = _search(browser, sharded, "dien")
    # "điện" (2023, through its folded copy) and "diện" (2024): both shards answer.
    assert sorted(_links(page, 2)) == ["/2023/03/lua/", "/2024/05/lua-van-phuc/"]
    assert errors == []
    page.close()
    page, errors = _search(browser, sharded, "điện")
    assert _links(page, 1) == ["/2023/03/lua/"]
    page.close()


TITLES_SITE = """\
-- content/articles/2023/04/chuyen-doi.md --
---
title: Chuyển đổi cách làm ăn ở vùng cao
date: 2023-04-02 08:00
category: kinh-te
---
Nông dân học cách trồng cây mới, bán hàng qua mạng và giữ nghề cũ của làng.
-- content/articles/2023/05/tin-van.md --
---
title: Tin vắn trong tuần
date: 2023-05-02 08:00
category: kinh-te
---
Thời tiết thay đổi.
"""


@pytest.fixture(scope="module")
def titles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Two articles with "đổi": one in its title, a shorter one in its body only."""
    root = write_site(tmp_path_factory.mktemp("titles") / "site", TITLES_SITE)
    run = run_cli("--site", root, "--output", root / "public")
    assert run.code == 0, run.stderr
    with served(root / "public") as address:
        yield address


def test_a_title_with_d_stroke_ranks_first_without_it(browser: Any, titles: str) -> None:
    """ "doi" finds "đổi" in a title as strongly as the title's other words, ahead of a shorter
    article that has it only in its body (both are found through their folded copies)."""
    page, errors = _search(browser, titles, "doi")
    assert _links(page, 2) == ["/2023/04/chuyen-doi/", "/2023/05/tin-van/"]
    assert errors == []
    page.close()


@pytest.fixture(scope="module")
def tailed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sharded portal plus a newer article, with the newest article in a shard of its own
    (`<name>-moi`) as the newest few dozen are in a real archive."""
    site = SHARDED_SITE + """\
-- content/articles/2024/06/lua-moi.md --
---
title: Lúa mùa trổ bông
date: 2024-06-10 08:00
category: kinh-te
---
Ruộng lúa xanh tốt; trạm điện mới cấp nước tưới.
"""
    root = write_site(tmp_path_factory.mktemp("tailed") / "site", site)
    run = run_cli("--site", root, "--output", root / "public", env={"TOASOAN_SEARCH_SHARD_MIN": "2", "TOASOAN_SEARCH_SHARD_TAIL": "1"})
    assert run.code == 0, run.stderr
    with served(root / "public") as address:
        yield address


def test_the_newest_shard_is_opened_and_the_other_merged(browser: Any, tailed: str) -> None:
    page = browser.new_page()
    # Keep what the search page gives Pagefind's UI, then let the UI start as usual.
    page.add_init_script("""(() => {
        let real;
        Object.defineProperty(window, "PagefindUI", {
            configurable: true,
            set(value) { real = value; },
            get() { return real && function (options) { window.__options = JSON.parse(JSON.stringify(options)); return new real(options); }; },
        });
    })();""")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(tailed + "/tim-kiem/")
    box = page.locator(".pagefind-ui__search-input")
    box.wait_for()
    options = page.evaluate("({ first: window.__options.bundlePath, merged: window.__options.mergeIndex })")
    assert options == {"first": "/pagefind/2023_2024-moi/", "merged": [{"bundlePath": "/pagefind/2023_2024/"}]}
    box.fill("dien")
    # "điện" in the newest article and in the oldest (folded copies), "diện" in the middle one.
    assert sorted(_links(page, 3)) == ["/2023/03/lua/", "/2024/05/lua-van-phuc/", "/2024/06/lua-moi/"]
    assert errors == []
    page.close()
