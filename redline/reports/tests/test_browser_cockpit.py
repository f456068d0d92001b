"""The city cockpit and the situation report page in a real Chromium on the demo city: the
city's leaders see the whole city with no console error (desktop and big screen), every
figure opens its records, the assessment ranking is the published one (or says it is not
available yet); a district's user sees its own district's figures and no other district
(besides the published ranking, which names them all). The report file is asked for on the
page and written by the jobs machinery while the run's page shows its progress."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from redline.accounts.models import User
from redline.core import jobs
from redline.core.tests.browser import screenshot, sign_in
from redline.organisations.models import Region
from redline.organisations.vocab import RegionLevel
from redline.reports.figures import Period, compute

pytestmark = pytest.mark.browser


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def _card(page: Page, key: str) -> str:
    return page.locator(f"#cockpit-live .figure[data-key='{key}'] .num").first.inner_text()


def test_the_cockpit_for_the_city_and_for_a_district(page: Page, live_server, city):
    base = live_server.url
    problems = _watch(page)
    period = Period.current("year", timezone.localdate())

    sign_in(page, base, "city-manager")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/cockpit/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#risk-map canvas")).to_have_count(1)
    expect(page.locator("#cockpit-trend canvas")).to_have_count(1)
    city_figures = compute(User.objects.get(username="city-manager"), period)
    city_values = city_figures.values()
    ranking = city_figures.section("assessment")
    if ranking.available:  # a published ranking: every district in it, linked to the assessment
        rows = page.locator("#panel-assessment table[data-key='assessment.ranking'] tbody tr")
        expect(rows).to_have_count(len(ranking.tables[0].rows))
    else:
        expect(page.locator("#panel-assessment .unavailable")).to_be_visible()
    assert _card(page, "hazards.overdue") == str(city_values["hazards.overdue"])
    assert _card(page, "accidents.total") == str(city_values["accidents.total"])
    districts = list(Region.objects.filter(level=RegionLevel.DISTRICT).order_by("path"))
    hazard_rows = page.locator("#panel-hazards table[data-key='hazards.by_region'] tbody tr")
    expect(hazard_rows).to_have_count(len(districts))
    screenshot(page, "cockpit_city_desktop")
    page.set_viewport_size({"width": 2560, "height": 1440})
    page.wait_for_timeout(300)  # ECharts resizes on the window's resize event
    screenshot(page, "cockpit_city_big_screen")
    # Every figure opens its records: the overdue hazards, filtered.
    page.locator("#cockpit-live .figure[data-key='hazards.overdue']").click()
    expect(page).to_have_url(f"{base}/hazards/?overdue=1")
    page.goto(f"{base}/reports/situation/?period={period.code}")
    expect(page.locator("#statements li").first).to_be_visible()
    screenshot(page, "situation_report_page")
    # The file is written in the background: the run's page shows it waiting, then (once
    # the jobs process has run it: here, this test) the download, without a reload.
    page.select_option("select[name=format]", "docx")
    page.click("#write-report")
    expect(page.locator("#job-status")).to_have_attribute("data-state", "queued")
    screenshot(page, "situation_report_queued")
    assert jobs.run_pending() == 1
    expect(page.locator("#job-status")).to_have_attribute("data-state", "done", timeout=15_000)
    with page.expect_download() as download:
        page.click("#job-download")
    assert download.value.suggested_filename == f"situation-{period.code}-all.docx"
    screenshot(page, "situation_report_done")
    assert problems == []

    # A district's user: its district only.
    district_user = User.objects.get(username="district-viewer")
    district = district_user.organisation.region
    page.context.clear_cookies()
    sign_in(page, base, "district-viewer")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/cockpit/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#cockpit-scope")).to_have_text(str(district))
    mine = compute(district_user, period).values()
    assert _card(page, "hazards.overdue") == str(mine["hazards.overdue"])
    assert _card(page, "accidents.total") == str(mine["accidents.total"])
    subdistricts = [str(r) for r in Region.objects.filter(parent=district).order_by("path")]
    names = page.locator(
        "#panel-hazards table[data-key='hazards.by_region'] tbody tr td:first-child"
    ).all_inner_texts()
    assert names == subdistricts
    # The published ranking names every district (rankings are published to all); the rest
    # of the page is the district's own.
    body = page.locator("#panel-risk").inner_text() + page.locator("#cockpit-live").inner_text()
    for other in districts:
        if other.pk != district.pk:
            assert str(other) not in body
    screenshot(page, "cockpit_district")
    assert problems == []
