"""Browser journey through the demo city's assessment, in a real Chromium: the office opens
last year's published ranking of the districts and a district's breakdown, then that of the
departments and a department's breakdown; a district's viewer sees the districts' ranking
with only its own district's score linked."""

from __future__ import annotations

import re

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
    last_year = timezone.localdate().year - 1
    published = Assessment.objects.get(year=last_year, state="published", subject_kind="district")
    departments = Assessment.objects.get(
        year=last_year, state="published", subject_kind="department"
    )
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base, "committee-manager")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/assessment/")
    expect(page.locator("#assessment-rows tbody tr")).to_have_count(4)
    expect(page.locator('#assessment-rows tr[data-kind="department"]')).to_have_count(2)
    page.goto(f"{base}/assessment/{published.pk}/")
    rows = page.locator("#ranking-rows tbody tr")
    expect(rows.first).to_be_visible()
    count = rows.count()
    assert count == len(published.inputs["subjects"])
    screenshot(page, "assessment_ranking")
    rows.first.locator(".score a").click()
    expect(page.locator("#indicators tbody tr").first).to_be_visible()
    screenshot(page, "assessment_breakdown")
    page.goto(f"{base}/assessment/{departments.pk}/")
    rows = page.locator("#ranking-rows tbody tr[data-subject]")  # the groups' heads aside
    expect(rows).to_have_count(len(departments.inputs["subjects"]))
    expect(page.locator("#ranking-rows tbody")).to_have_count(
        len({s["group"] for s in departments.inputs["subjects"].values()})
    )
    rows.first.locator(".score a").click()
    expect(page).to_have_url(re.compile(rf"/assessment/{departments.pk}/departments/\d+/$"))
    expect(page.locator("#indicators tbody tr").first).to_be_visible()
    screenshot(page, "assessment_breakdown_department")
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
