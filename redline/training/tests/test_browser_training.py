"""Browser journey through the demo city's training files, in a real Chromium: the city's
list of units with their compliance, a unit's page with its training panel where the person
with lapsed refresher hours and an expired special-operation certificate shows as not
compliant (each line citing its requirement), and that person's file."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from redline.accounts.models import User
from redline.core.tests.browser import screenshot, sign_in
from redline.organisations.models import Enterprise
from redline.training import selectors

pytestmark = pytest.mark.browser


def test_the_city_sees_who_lacks_hours_or_a_certificate(
    browser: Browser, page: Page, live_server, city
):
    base = live_server.url
    admin = User.objects.get(username="sysadmin")
    both = next(
        s.person
        for unit in Enterprise.objects.order_by("pk")
        for s in selectors.unit_statuses(admin, unit)
        if {"refresher_lapsed", "certificate_expired"} <= {f.code for f in s.lacking}
    )
    sign_in(page, base, "city-viewer")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/training/")
    expect(page.locator("#units tbody tr").first).to_be_visible()
    screenshot(page, "training_list")
    page.goto(f"{base}/enterprises/{both.enterprise_id}/")
    row = page.locator(f"#person-{both.pk}")
    expect(row).to_have_attribute("data-compliant", "no")
    expect(row).to_contain_text("special_operation")
    row.scroll_into_view_if_needed()
    screenshot(page, "training_unit_panel")
    page.goto(f"{base}/training/people/{both.pk}/")
    expect(page.locator("#verdict")).to_be_visible()
    expect(page.locator("#findings")).to_contain_text("S12")
    screenshot(page, "training_person")
