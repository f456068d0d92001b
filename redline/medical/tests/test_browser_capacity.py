"""Browser journey, in a real Chromium: the demo hospital's operator, on a phone, sends
today's capacity report from the form pre-filled with yesterday's figures; the surge
district's CDC then sees it in the regional view, and acknowledges one of the hospital's
alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from redline.core.tests.browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


def test_a_hospital_reports_and_the_district_sees_it(browser: Browser, live_server, city) -> None:
    from redline.accounts.models import User
    from redline.medical.models import CapacityAlert, CapacityReport

    base = live_server.url
    today = timezone.localdate()
    hospital = User.objects.get(username="hospital-operator").organisation.enterprise
    assert not CapacityReport.objects.filter(hospital=hospital, day=today).exists()

    # 1. The hospital's operator, on a phone: the module opens on the hospital's page.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(10_000)
    page = phone.new_page()
    sign_in(page, base, "hospital-operator")
    page.goto(f"{base}/medical/")
    expect(page).to_have_url(f"{base}/medical/hospitals/{hospital.pk}/")
    page.click("#report-link")
    expect(page.locator("#prefilled")).to_be_visible()
    yesterday = CapacityReport.objects.current().get(
        hospital=hospital, day=today - dt.timedelta(days=1)
    )
    expect(page.locator("#id_beds")).to_have_value(str(yesterday.beds))
    # A slip first: more occupied beds than beds is refused, next to the field.
    page.fill("#id_beds_occupied", str(yesterday.beds + 5))
    page.click("#report-form button[type=submit]")
    expect(page.locator("#field-beds_occupied .field-error")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert not CapacityReport.objects.filter(hospital=hospital, day=today).exists()
    page.fill("#id_beds_occupied", str(yesterday.beds_occupied - 7))
    page.fill("#id_fever_clinic_visits", "211")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#latest [data-field=fever_clinic_visits]")).to_have_text("211")
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "capacity_hospital_phone.png"), full_page=True)
    report = CapacityReport.objects.current().get(hospital=hospital, day=today)
    assert report.fever_clinic_visits == 211 and report.version == 1
    phone.close()

    # 2. The district's CDC: the report is in the regional view, no longer missing.
    desk = browser.new_context()
    desk.set_default_timeout(10_000)
    cdc = desk.new_page()
    sign_in(cdc, base, "districtcdc-inspector")
    cdc.goto(f"{base}/medical/?day={today.isoformat()}")
    expect(cdc.locator("#busiest")).to_contain_text(hospital.name)
    expect(cdc.locator("#missing")).not_to_contain_text(hospital.name)
    row = cdc.locator("#busiest tr", has_text=hospital.name)
    expect(row).to_contain_text("211")  # today's report, not one carried from yesterday
    cdc.wait_for_load_state("networkidle")
    cdc.screenshot(path=str(ARTIFACTS / "capacity_district.png"), full_page=True)

    # 3. It acknowledges one of the hospital's open alerts; the timeline shows it.
    alert = CapacityAlert.objects.filter(hospital=hospital, state="open").first()
    assert alert is not None
    cdc.goto(f"{base}/medical/alerts/{alert.pk}/")
    cdc.click("#step-acknowledge summary")
    cdc.fill("#id_acknowledge-comment", "已联系医院，启动分流")
    cdc.click("#step-acknowledge button[type=submit]")
    expect(cdc.locator("#timeline li.tl-acknowledge")).to_have_count(1)
    cdc.wait_for_load_state("networkidle")
    alert.refresh_from_db()
    assert alert.state == "acknowledged"
    desk.close()
