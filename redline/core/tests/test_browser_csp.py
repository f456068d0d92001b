"""Browser journey under the Content-Security-Policy: the pages whose scripts moved out of
the templates (charts, self-submitting filters, the language switch, a confirmation) work in
a real Chromium, and the browser reports no violation of the policy on any of them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from redline.core.tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser

# Each violation the page sees, as "directive blocked-address".
WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations = window.__violations || [];
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def watched(browser: Browser, console: list[str]) -> BrowserContext:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH)
    context.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return context


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations || []")


def test_pages_work_under_the_policy(browser: Browser, live_server, city) -> None:
    from redline.organisations.models import Enterprise

    base = live_server.url
    console: list[str] = []

    # The hazard dashboard: its chart, and a filter that sends itself when changed.
    context = watched(browser, console)
    page = context.new_page()
    sign_in(page, base, "city-viewer")
    page.goto(f"{base}/hazards/dashboard/")
    expect(page.locator("#region-chart canvas")).to_have_count(1)
    page.select_option("select[name=level]", "major")
    expect(page).to_have_url(f"{base}/hazards/dashboard/?level=major&sector=")
    expect(page.locator("#region-chart canvas")).to_have_count(1)
    assert violations(page) == []
    screenshot(page, "csp_hazard_dashboard")
    # The language switch sends itself too.
    page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert violations(page) == []
    context.close()

    # The capacity pages' charts.
    context = watched(browser, console)
    page = context.new_page()
    sign_in(page, base, "districtcdc-inspector")
    page.goto(f"{base}/medical/")
    for chart in ("#chart-icu", "#chart-beds", "#chart-fever"):
        expect(page.locator(f"{chart} canvas")).to_have_count(1)
    assert violations(page) == []
    screenshot(page, "csp_medical_regional")
    context.close()

    context = watched(browser, console)
    page = context.new_page()
    sign_in(page, base, "hospital-operator")
    page.goto(f"{base}/medical/")
    expect(page.locator("#chart-hospital canvas")).to_have_count(1)
    assert violations(page) == []
    context.close()

    # A confirmation before archiving a unit: declined, nothing happens.
    context = watched(browser, console)
    page = context.new_page()
    sign_in(page, base, "city-manager")
    unit = Enterprise.objects.filter(is_archived=False).order_by("pk").first()
    assert unit is not None
    page.goto(f"{base}/enterprises/{unit.pk}/")
    asked: list[str] = []

    def decline(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", decline)
    page.click("form[data-confirm] button[type=submit]")
    expect(page.locator("h1")).to_contain_text(unit.name)
    assert len(asked) == 1 and asked[0]
    unit.refresh_from_db()
    assert not unit.is_archived
    assert violations(page) == []
    context.close()

    assert console == []
