"""The full-screen photo viewer (static/js/gallery.js) on the sample's gallery article: a click or a
#anh-N URL opens it, arrows, buttons and swipes move through the photos (wrapping around), Escape
closes it and gives focus back; without JavaScript every thumbnail still links to a real photo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sitekit import run_cli, served, write_anh_1_site

GALLERY_ARTICLE = "/2025/02/le-hoi-long-tong-ba-be-nam-2025-thu-hut-hang-nghin-du-khach/"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@dataclass
class Tab:
    page: Any
    errors: list[str] = field(default_factory=list)


def _open_tab(browser: Any, viewport: dict[str, int] = PHONE, **options: Any) -> tuple[Any, Tab]:
    context = browser.new_context(viewport=viewport, device_scale_factor=2 if viewport is PHONE else 1, locale="vi-VN", **options)
    tab = Tab(context.new_page())
    tab.page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
    return context, tab


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    """A phone-sized page with a touch screen; every test ends by checking it logged no errors."""
    context, tab = _open_tab(browser, has_touch=True)
    yield tab
    context.close()


def _links(page: Any) -> Any:
    return page.locator("[data-gallery] a[data-viewer]")


def _viewer(page: Any) -> Any:
    return page.locator("dialog.viewer")


def _counter(page: Any) -> Any:
    return page.locator("dialog.viewer [aria-live=polite]")


def _expect_hash(page: Any, expected: str) -> None:
    """location.hash becomes `expected` (the viewer updates it on the close event, a task later)."""
    page.wait_for_function("h => location.hash === h", arg=expected, timeout=5000)


def _caption(page: Any, n: int) -> str:
    return str(page.locator("[data-gallery] figure").nth(n - 1).locator("figcaption").inner_text()).strip()


def _open_by_click(page: Any, portal: str, n: int) -> None:
    page.goto(portal + GALLERY_ARTICLE)
    _links(page).nth(n - 1).click()
    expect(_viewer(page)).to_be_visible()
    expect(_counter(page)).to_have_text(f"{n}/6")


def _shows_photo(page: Any, n: int) -> None:
    """The viewer shows photo n: its counter, caption, srcset, alt and size, and the photo loaded."""
    link = _links(page).nth(n - 1)
    photo = _viewer(page).locator("img")
    expect(_counter(page)).to_have_text(f"{n}/6")
    expect(photo).to_have_count(1)
    expect(photo).to_have_attribute("srcset", link.get_attribute("data-srcset") or "")
    expect(photo).to_have_attribute("sizes", "100vw")
    expect(photo).to_have_attribute("alt", link.locator("img").get_attribute("alt") or "")
    expect(photo).to_have_attribute("width", link.get_attribute("data-width") or "")
    expect(photo).to_have_attribute("height", link.get_attribute("data-height") or "")
    expect(_viewer(page)).to_contain_text(_caption(page, n))
    photo.evaluate("img => img.decode()")  # rejects if the photo cannot be loaded
    assert photo.evaluate("img => img.naturalWidth") > 0


def _swipe(page: Any, dx: int, dy: int = 0) -> None:
    """A one-finger swipe on the photo, as the pointer events a touch screen sends."""
    box = _viewer(page).locator("img").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    stage = _viewer(page).locator("img")
    common = {"pointerId": 7, "pointerType": "touch", "isPrimary": True, "bubbles": True, "cancelable": True}
    stage.dispatch_event("pointerdown", {**common, "clientX": x, "clientY": y, "buttons": 1})
    stage.dispatch_event("pointermove", {**common, "clientX": x + dx / 2, "clientY": y + dy / 2, "buttons": 1})
    stage.dispatch_event("pointerup", {**common, "clientX": x + dx, "clientY": y + dy})


def test_click_opens_the_viewer_and_arrow_keys_move_escape_closes(tab: Tab, portal: str) -> None:
    page = tab.page
    _open_by_click(page, portal, 2)
    _shows_photo(page, 2)
    assert page.evaluate("document.activeElement.closest('dialog.viewer') !== null")
    expect(page.get_by_role("button", name="Đóng")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.documentElement).overflow") == "hidden"  # no scrolling behind
    _expect_hash(page, "#anh-2")
    history_length = page.evaluate("history.length")

    page.keyboard.press("ArrowRight")
    _shows_photo(page, 3)
    _expect_hash(page, "#anh-3")
    page.keyboard.press("ArrowLeft")
    _shows_photo(page, 2)
    _expect_hash(page, "#anh-2")
    assert page.evaluate("history.length") == history_length  # replaceState: no history entries

    page.keyboard.press("Escape")
    expect(_viewer(page)).to_be_hidden()
    expect(_links(page).nth(1)).to_be_focused()
    _expect_hash(page, "")
    assert page.url == portal + GALLERY_ARTICLE
    assert page.evaluate("getComputedStyle(document.documentElement).overflow") != "hidden"
    assert tab.errors == []


def test_buttons_move_and_close_and_the_ends_wrap_around(tab: Tab, portal: str) -> None:
    page = tab.page
    _open_by_click(page, portal, 1)
    for name in ("Ảnh trước", "Ảnh sau", "Đóng"):
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, name  # touch targets

    page.get_by_role("button", name="Ảnh sau").click()
    _shows_photo(page, 2)
    page.get_by_role("button", name="Ảnh trước").click()
    _shows_photo(page, 1)
    page.get_by_role("button", name="Ảnh trước").click()  # wraps from the first to the last
    _shows_photo(page, 6)
    _expect_hash(page, "#anh-6")
    page.keyboard.press("ArrowRight")  # and from the last to the first
    _shows_photo(page, 1)
    page.keyboard.press("End")
    _shows_photo(page, 6)
    page.keyboard.press("Home")
    _shows_photo(page, 1)

    page.get_by_role("button", name="Đóng").click()
    expect(_viewer(page)).to_be_hidden()
    expect(_links(page).nth(0)).to_be_focused()
    _expect_hash(page, "")
    assert tab.errors == []


def test_a_photo_url_opens_the_viewer_at_that_photo(tab: Tab, portal: str) -> None:
    page = tab.page
    page.goto(portal + GALLERY_ARTICLE + "#anh-4")
    expect(_viewer(page)).to_be_visible()
    _shows_photo(page, 4)
    expect(page.get_by_role("button", name="Đóng")).to_be_focused()
    page.keyboard.press("Escape")
    expect(_viewer(page)).to_be_hidden()
    _expect_hash(page, "")
    expect(_links(page).nth(3)).to_be_focused()

    page.evaluate("location.hash = '#anh-5'")  # an in-page link to a photo opens it too
    _shows_photo(page, 5)
    page.keyboard.press("Escape")
    expect(_viewer(page)).to_be_hidden()
    assert tab.errors == []


def test_swipes_move_between_photos_and_vertical_drags_do_not(tab: Tab, portal: str) -> None:
    page = tab.page
    _open_by_click(page, portal, 2)
    _swipe(page, -120)  # finger moves left: the next photo
    _shows_photo(page, 3)
    _expect_hash(page, "#anh-3")
    _swipe(page, 120)  # finger moves right: the previous photo
    _shows_photo(page, 2)
    _swipe(page, -20)  # too short
    _swipe(page, -60, 200)  # mostly vertical: left to the browser
    page.keyboard.press("ArrowRight")  # a later change proves the two above changed nothing
    _shows_photo(page, 3)
    assert tab.errors == []


def test_a_real_touch_swipe_moves_to_the_next_photo(tab: Tab, portal: str) -> None:
    page = tab.page
    _open_by_click(page, portal, 2)
    box = _viewer(page).locator("img").bounding_box()
    x, y = round(box["x"] + box["width"] * 0.8), round(box["y"] + box["height"] / 2)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 6):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x - 40 * step, "y": y + 2 * step}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    _shows_photo(page, 3)
    assert tab.errors == []


def test_the_next_photo_is_preloaded(tab: Tab, portal: str) -> None:
    page = tab.page
    _open_by_click(page, portal, 2)
    third = _links(page).nth(2).get_attribute("data-srcset") or ""
    urls = [part.split()[0] for part in third.split(",") if part.strip()]
    assert urls
    page.wait_for_function(
        "urls => performance.getEntriesByType('resource').some(e => urls.some(u => e.name === new URL(u, location.href).href))",
        arg=urls,
    )
    assert tab.errors == []


def test_modified_and_middle_clicks_are_left_to_the_browser(tab: Tab, portal: str) -> None:
    page = tab.page
    page.goto(portal + GALLERY_ARTICLE)
    # Record whether the viewer claimed the click, then cancel it so no tab opens.
    page.evaluate("""() => {
        window.claimed = [];
        for (const type of ['click', 'auxclick'])
            window.addEventListener(type, e => { window.claimed.push(e.defaultPrevented); e.preventDefault(); });
    }""")
    link = _links(page).nth(1)
    link.click(modifiers=["ControlOrMeta"])
    link.click(modifiers=["Shift"])
    link.click(button="middle")
    page.wait_for_function("window.claimed.length >= 3")
    assert page.evaluate("window.claimed") == [False, False, False]
    assert _viewer(page).count() == 0 or not _viewer(page).is_visible()
    _expect_hash(page, "")
    assert tab.errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1366x900"])
def test_viewer_fills_the_screen_and_the_caption_is_readable(browser: Any, portal: str, viewport: dict[str, int]) -> None:
    context, tab = _open_tab(browser, viewport)
    page = tab.page
    _open_by_click(page, portal, 3)
    _shows_photo(page, 3)
    geometry = page.evaluate("""() => {
        const box = el => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
        const v = document.querySelector('dialog.viewer'), img = v.querySelector('img');
        const caption = [...v.querySelectorAll('*')].find(el => el.children.length === 0 && el.textContent.trim() && el.textContent.includes(
            document.querySelectorAll('[data-gallery] figure')[2].querySelector('figcaption').textContent.trim()));
        const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
        return {viewer: box(v), img: box(img), fit: getComputedStyle(img).objectFit, caption: box(caption),
                fg: rgb(getComputedStyle(caption).color), bg: rgb(getComputedStyle(v).backgroundColor),
                buttons: [...v.querySelectorAll('button')].map(box), overflow: document.documentElement.scrollWidth - innerWidth};
    }""")
    width, height = viewport["width"], viewport["height"]
    assert geometry["viewer"] == {"x": 0, "y": 0, "w": width, "h": height}
    img, caption = geometry["img"], geometry["caption"]
    assert geometry["fit"] == "contain"
    assert img["x"] >= 0 and img["y"] >= 0 and img["x"] + img["w"] <= width and img["y"] + img["h"] <= height
    assert img["w"] * img["h"] >= 0.4 * width * height  # the photo gets most of the screen
    assert caption["y"] >= img["y"] + img["h"] - 1 and caption["y"] + caption["h"] <= height  # below the photo, on screen
    assert _contrast(geometry["fg"], geometry["bg"]) >= 4.5
    assert all(b["w"] >= 44 and b["h"] >= 44 for b in geometry["buttons"])
    assert geometry["overflow"] <= 0
    assert tab.errors == []
    context.close()


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_reduced_motion_turns_the_animation_off(browser: Any, portal: str, motion: str) -> None:
    context, tab = _open_tab(browser, reduced_motion=motion)
    page = tab.page
    _open_by_click(page, portal, 1)
    animations = page.evaluate("[...document.querySelectorAll('dialog.viewer, dialog.viewer *')].map(e => getComputedStyle(e).animationName)")
    if motion == "reduce":
        assert set(animations) == {"none"}
    else:
        assert set(animations) != {"none"}
    assert tab.errors == []
    context.close()


def test_the_script_is_harmless_on_a_page_without_a_gallery(tab: Tab, portal: str) -> None:
    page = tab.page
    page.goto(portal + GALLERY_ARTICLE)
    script = page.locator("script[src^='/js/gallery.']").get_attribute("src") or ""  # a content-hashed name
    assert script.endswith(".js"), script
    page.goto(portal + "/#anh-2")
    page.add_script_tag(url=portal + script)  # loaded where no page includes it: no gallery here
    page.evaluate("location.hash = '#anh-3'")
    expect(page).to_have_url(re.compile("#anh-3$"))
    page.keyboard.press("ArrowRight")
    page.mouse.click(10, 10)
    assert page.locator("dialog").count() == 0
    assert tab.errors == []


def test_without_javascript_thumbnails_link_to_the_large_photo(browser: Any, portal: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    response = page.goto(portal + GALLERY_ARTICLE)
    assert response is not None and response.status == 200
    assert page.locator("script[src^='/js/gallery.'][src$='.js']").count() == 1
    links = _links(page)
    assert links.count() == 6
    for i in range(6):
        link = links.nth(i)
        href = link.get_attribute("href") or ""
        assert link.locator("img").get_attribute("alt")
        assert re.fullmatch(r"anh-\d+", link.locator("xpath=ancestor::figure[1]").get_attribute("id") or "")
        photo = context.request.get(portal + href if href.startswith("/") else href)
        assert photo.status == 200, href
        assert photo.headers["content-type"].startswith("image/"), href
        assert len(photo.body()) > 0
    links.nth(1).click()  # a plain click follows the link: no viewer without the script
    page.wait_for_url(re.compile(r"\.(jpe?g|webp|avif|png)$"))
    assert page.locator("dialog").count() == 0
    context.close()


def _contrast(fg: list[float], bg: list[float]) -> float:
    def luminance(rgb: list[float]) -> float:
        channels = [c / 255 for c in rgb]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_deep_link_opens_the_photo_when_the_body_has_a_heading_anh_1(browser: Any, tmp_path: Path) -> None:
    """An article whose body has `## Ảnh 1` and a raw `id="anh-1"`: `#anh-1` still opens photo 1."""
    out = tmp_path / "public"
    run = run_cli("--site", write_anh_1_site(tmp_path / "site"), "--output", out)
    assert run.code == 0, run.stderr
    with served(out) as address:
        context, tab = _open_tab(browser, DESKTOP)
        try:
            tab.page.goto(f"{address}/2023/06/anh-1/#anh-1")
            expect(_viewer(tab.page)).to_be_visible()
            expect(_counter(tab.page)).to_have_text("1/2")
            expect(_viewer(tab.page)).to_contain_text("Ảnh thứ nhất.")
            assert tab.errors == []
        finally:
            context.close()
