"""Search in a real browser: Pagefind's Vietnamese interface on /tim-kiem/ over the sample portal."""

from __future__ import annotations

from typing import Any

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
