"""Browser journeys through the main menu's groups (base.html `nav.mainnav`, nav.js):
on a desktop a row of groups that drop down on a click or from the keyboard, on a phone
the hamburger's headed lists. Screenshots go to test-artifacts/browser/.

Assertions use element ids, URLs and geometry, never UI text."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect

from redline.core.tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser

LANGUAGES = ["zh-hans", "en"]
# The widest menu of the demo: the city's administrator (every group but the epidemic's
# treatment capacity, which concerns the city too).
USER = "city-admin"


def new_context(browser: Browser, base: str, language: str, **viewport: int) -> BrowserContext:
    context = browser.new_context(viewport=viewport, device_scale_factor=1)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])
    return context


def group(page: Page, key: str):
    return page.locator(f"nav.mainnav #navgroup-{key}")


def dropdown(page: Page, key: str):
    return group(page, key).locator("ul")


def entries_top(page: Page) -> list[float]:
    """The top edge of each of the menu's top-level entries (links and groups' buttons)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              "nav.mainnav > a, nav.mainnav > details > summary")]
            .map((e) => Math.round(e.getBoundingClientRect().top))"""
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_desktop_menu_groups_open_by_mouse_and_keyboard(
    browser: Browser, live_server, city, request, language: str
) -> None:
    base = live_server.url
    name = f"{request.node.originalname}-{language}"
    context = new_context(browser, base, language, width=1440, height=900)
    page = context.new_page()
    try:
        sign_in(page, base, USER)
        expect(page.locator("html")).to_have_attribute("lang", language)
        screenshot(page, f"{name}-closed")
        # One row: every top-level entry on the same line, and the whole bar too.
        tops = entries_top(page)
        assert len(tops) >= 6 and len(set(tops)) == 1, tops
        bar = page.locator("header.topbar").bounding_box()
        brand = page.locator("header .brand").bounding_box()
        assert bar is not None and brand is not None
        assert bar["height"] < 2.2 * brand["height"] + 16, (bar, brand)
        for key in ("base", "prevention", "supervision", "analysis", "epidemic", "system"):
            expect(dropdown(page, key)).to_be_hidden()

        # The mouse: a group opens under its button, another one closes it.
        group(page, "supervision").locator("summary").click()
        expect(dropdown(page, "supervision")).to_be_visible()
        group(page, "prevention").locator("summary").click()
        expect(dropdown(page, "prevention")).to_be_visible()
        expect(dropdown(page, "supervision")).to_be_hidden()
        # Over the page, below the bar, not pushing it.
        menu_box = dropdown(page, "prevention").bounding_box()
        assert menu_box is not None and menu_box["y"] >= bar["y"] + bar["height"] - 8, menu_box
        assert entries_top(page) == tops
        # The window as it is: a full-page shot would resize the viewport for a moment.
        screenshot(page, f"{name}-open", full_page=False)
        expect(dropdown(page, "prevention")).to_be_visible()  # still, after the screenshot
        # A click elsewhere closes it.
        page.locator("main h1").click()
        expect(dropdown(page, "prevention")).to_be_hidden()
        # Following a link: the page's group is marked, the link too.
        group(page, "prevention").locator("summary").click()
        with page.expect_navigation():
            dropdown(page, "prevention").locator("a[href='/hazards/']").click()
        expect(page).to_have_url(f"{base}/hazards/")
        expect(group(page, "prevention")).to_have_class("navgroup current")
        expect(group(page, "prevention").locator("a[aria-current=page]")).to_have_attribute(
            "href", "/hazards/"
        )
        expect(page.locator("nav.mainnav details.current")).to_have_count(1)
        expect(page.locator("nav.mainnav [aria-current=page]")).to_have_count(1)

        # The keyboard: Enter opens, Escape closes and leaves the focus on the button.
        summary = group(page, "base").locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(dropdown(page, "base")).to_be_visible()
        page.keyboard.press("Escape")
        expect(dropdown(page, "base")).to_be_hidden()
        expect(summary).to_be_focused()
        # Space opens too; Tab walks into the list, and on out of it, which closes it.
        page.keyboard.press("Space")
        expect(dropdown(page, "base")).to_be_visible()
        links = dropdown(page, "base").locator("a")
        for i in range(links.count()):
            page.keyboard.press("Tab")
            expect(links.nth(i)).to_be_focused()
        page.keyboard.press("Tab")
        expect(dropdown(page, "base")).to_be_hidden()
        # Back in with Shift+Tab, open, and follow a link with Enter.
        page.keyboard.press("Shift+Tab")
        expect(summary).to_be_focused()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(links.nth(1)).to_be_focused()
        expect(links.nth(1)).to_have_attribute("href", "/enterprises/")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page).to_have_url(f"{base}/enterprises/")
        expect(group(page, "base")).to_have_class("navgroup current")
        expect(group(page, "prevention")).to_have_class("navgroup")
        screenshot(page, name)
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_phone_menu_shows_every_group_as_a_headed_list(
    browser: Browser, live_server, city, request, language: str
) -> None:
    base = live_server.url
    name = f"{request.node.originalname}-{language}"
    context = new_context(browser, base, language, width=390, height=844)
    page = context.new_page()
    try:
        sign_in(page, base, USER)
        page.goto(f"{base}/hazards/")
        nav = page.locator("nav.mainnav")
        expect(nav).to_be_hidden()
        page.locator("label.nav-toggle-label").click()
        expect(nav).to_be_visible()
        # Every group open, its list under its name; nothing wider than the phone.
        groups = nav.locator("details.navgroup")
        assert groups.count() >= 5
        for i in range(groups.count()):
            expect(groups.nth(i).locator("summary")).to_be_visible()
            expect(groups.nth(i).locator("ul")).to_be_visible()
            heading = groups.nth(i).locator("summary").bounding_box()
            first = groups.nth(i).locator("li a").first.bounding_box()
            assert heading is not None and first is not None
            assert first["y"] >= heading["y"] + heading["height"] - 1, (heading, first)
        # A group's name is a heading there, not a switch: a tap leaves it open.
        group(page, "prevention").locator("summary").click()
        expect(dropdown(page, "prevention")).to_be_visible()
        expect(group(page, "prevention").locator("a[aria-current=page]")).to_have_attribute(
            "href", "/hazards/"
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        screenshot(page, f"{name}-open")
        with page.expect_navigation():
            dropdown(page, "supervision").locator("a[href='/accidents/']").click()
        expect(page).to_have_url(f"{base}/accidents/")
        expect(nav).to_be_hidden()
        expect(group(page, "supervision")).to_have_class("navgroup current")
        screenshot(page, name)
    finally:
        context.close()
