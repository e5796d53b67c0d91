"""The sample portal in a real browser at phone width: no errors, no sideways scrolling,
keyboard users can skip the menu, and an article shows what the editor wrote."""

from __future__ import annotations

from typing import Any

GALLERY_ARTICLE = "/2025/02/le-hoi-long-tong-ba-be-nam-2025-thu-hut-hang-nghin-du-khach/"
AUDIO_ARTICLE = "/2025/08/gap-mat-ky-niem-80-nam-cach-mang-thang-tam-va-quoc-khanh-2-9/"


def _phone(browser: Any) -> Any:
    return browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="vi-VN")


def test_pages_load_cleanly_on_a_phone(browser: Any, portal: str) -> None:
    page = _phone(browser)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path in ("/", "/chuyen-muc/thoi-su/", GALLERY_ARTICLE, AUDIO_ARTICLE, "/nhan-vat/", "/luu-tru/2025/"):
        response = page.goto(portal + path)
        assert response is not None and response.status == 200, path
        assert page.evaluate("document.documentElement.lang") == "vi"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    assert errors == []
    page.close()


def test_skip_link_is_the_first_stop_and_moves_to_the_content(browser: Any, portal: str) -> None:
    page = _phone(browser)
    page.goto(portal + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Bỏ qua điều hướng"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#noi_dung"
    page.close()


def test_article_shows_date_sapo_photos_audio_and_officials(browser: Any, portal: str) -> None:
    page = _phone(browser)
    page.goto(portal + AUDIO_ARTICLE)
    assert page.locator("h1").count() == 1
    assert page.locator("time").first.inner_text().startswith("Thứ ")
    assert page.locator("audio[controls][preload=none]").count() == 1
    assert page.locator(".listen time").get_attribute("datetime") == "PT0M28S"  # read from the MP3
    assert page.locator(".listen time").inner_text() == "0:28"
    assert page.locator(".sapo").inner_text().startswith("Sáng 29/8")  # the summary: from front matter
    assert page.locator(".prose p").first.inner_text().startswith("BBK - ")
    page.goto(portal + GALLERY_ARTICLE)
    figures = page.locator("figure")
    assert figures.count() >= 6
    assert all(figures.nth(i).locator("figcaption").count() == 1 for i in range(figures.count()))
    broken = page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth === 0 && i.loading !== 'lazy').length")
    assert broken == 0
    page.close()
