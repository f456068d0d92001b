"""Browser journey through the accidents on the demo city, in a real Chromium: a district
records an accident of its demo enterprise by the form at a boundary (3 deaths: larger), sees
its level, deadlines and the next steps, starts the investigation; the city reads the control
indicators' progress; the district sees only its district's accidents."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from redline.accidents.models import Accident
from redline.accounts.models import User
from redline.core.tests.browser import screenshot, sign_in
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.browser


def test_a_district_records_an_accident_and_the_city_reads_its_indicators(
    page: Page, live_server, city
):
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, "district-operator")
    page.goto(f"{base}/accidents/")
    rows = page.locator("#accident-rows tbody tr")
    expect(rows.first).to_be_visible()
    screenshot(page, "accidents_list")

    page.goto(f"{base}/accidents/new/")
    moment = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_occurred_at", moment)
    page.fill("#id_place", "储罐区东侧")
    operator = User.objects.get(username="district-operator")
    unit = Enterprise.objects.restrict(operator, "change").filter(is_archived=False).first()
    assert unit is not None
    page.fill("#id_unit", unit.credit_code.lower())  # typed in lower case: still found
    page.select_option("#id_type_2025", "WSA10023")
    page.fill("#id_deaths", "3")
    page.fill("#id_serious_injuries", "0")
    page.fill("#id_direct_loss_cny", "9999999.99")
    screenshot(page, "accidents_form")
    page.click("form.form button[type=submit]")
    expect(page.locator("#accident-level.level-larger")).to_be_visible()
    accident = Accident.objects.get(place="储罐区东侧")
    assert accident.level == "larger" and accident.deciding == "deaths"
    expect(page.locator("#step-start_investigation")).to_be_attached()
    screenshot(page, "accidents_detail")

    # the district sees its own district's accidents only
    district = User.objects.get(username="district-operator").organisation.region
    page.goto(f"{base}/accidents/")
    numbers = [n.strip() for n in page.locator("#accident-rows tbody tr td code").all_inner_texts()]
    assert numbers
    for number in numbers:
        assert Accident.objects.get(number=number).region.path.startswith(district.path), number

    page.context.clear_cookies()
    sign_in(page, base, "city-viewer")
    page.goto(f"{base}/accidents/indicators/")
    expect(page.locator("#indicator-rows tbody tr")).to_have_count(7)
    screenshot(page, "accidents_indicators")
