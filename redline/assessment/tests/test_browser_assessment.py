"""Browser journey through the demo city's assessment, in a real Chromium: the office opens
last year's published ranking and a district's breakdown; a district's viewer sees the
ranking with only its own district's score linked."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from redline.assessment.models import Assessment
from redline.core.tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_office_and_a_district_read_last_years_ranking(
    browser: Browser, page: Page, live_server, city
):
    base = live_server.url
    published = Assessment.objects.get(year=timezone.localdate().year - 1, state="published")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base, "committee-manager")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/assessment/")
    expect(page.locator("#assessment-rows tbody tr")).to_have_count(2)
    page.goto(f"{base}/assessment/{published.pk}/")
    rows = page.locator("#ranking-rows tbody tr")
    expect(rows.first).to_be_visible()
    count = rows.count()
    assert count == len(published.inputs["subjects"])
    screenshot(page, "assessment_ranking")
    rows.first.locator(".score a").click()
    expect(page.locator("#indicators tbody tr").first).to_be_visible()
    screenshot(page, "assessment_breakdown")
    assert not errors, errors

    other = browser.new_context()
    try:
        district = other.new_page()
        sign_in(district, base, "district-viewer")
        district.goto(f"{base}/assessment/{published.pk}/")
        expect(district.locator("#ranking-rows tbody tr")).to_have_count(count)
        expect(district.locator("#ranking-rows .score a")).to_have_count(1)
        screenshot(district, "assessment_ranking_district")
    finally:
        other.close()
