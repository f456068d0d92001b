"""Browser journey: an early-warning signal from the daily run to its verification, in a
real Chromium.

Counts with an outbreak are recorded in two districts; the next morning the scheduler's
job runs detection; a city CDC operator sees the new signal on the dashboard and in the
list, opens it (the chart draws), verifies it as true with notes, and the timeline shows it
raised and verified. A user of the other district's CDC sees that district's signal only,
and the first district's signal's page answers 404.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from redline.core.tests.browser import PASSWORD, screenshot, sign_in

pytestmark = pytest.mark.browser

CODE = "browser-ili"


@pytest.fixture
def sessions(browser: Browser):
    """Signs people in, each in a browser session of their own; closes them all after."""
    opened = []

    def as_user(base: str, username: str, *, phone: bool = False) -> Page:
        options = {"viewport": {"width": 390, "height": 844}} if phone else {}
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(15_000)
        opened.append(ctx)
        page = ctx.new_page()
        sign_in(page, base, username)
        settle(page)
        return page

    yield as_user
    for ctx in opened:
        for page in ctx.pages:
            settle(page)
        ctx.close()


def settle(page: Page) -> None:
    """The live server shares the test's database connection: read the database only when
    no request of the page is in flight."""
    page.wait_for_load_state("networkidle")


def test_a_cdc_user_verifies_a_new_signal_and_a_district_sees_only_its_own(
    sessions, live_server, city
) -> None:
    from redline.accounts.models import User
    from redline.epidemic.models import Signal
    from redline.epidemic.tasks import run_daily_detection
    from redline.epidemic.tests.signal_data import add_counts, calm_days, condition
    from redline.organisations.models import Organisation, Region

    base = live_server.url
    today = timezone.localdate()
    district_a = User.objects.get(username="district-manager").organisation.region
    district_b = (
        Region.objects.filter(level="district").exclude(pk=district_a.pk).order_by("code")[0]
    )
    sub_a = Region.objects.filter(parent=district_a).order_by("code")[0]
    sub_b = Region.objects.filter(parent=district_b).order_by("code")[0]

    # Influenza-like illness: calm for a month, then an outbreak today in both districts.
    ili = condition(CODE, name="流感样病例（浏览器测试）", method="ears-c2")
    for sub, spike in ((sub_a, 31), (sub_b, 27)):
        values = calm_days(today, 30)
        values[today] = spike
        add_counts(ili, sub, values)
    cdc_b = Organisation.objects.get(kind="public_health", region=district_b)
    User.objects.create(
        username="district-b-cdc",
        password=make_password(PASSWORD),
        organisation=cdc_b,
        roles=["operator"],
        first_name="乙区疾控",
    )

    # The next morning the scheduler runs the daily job; the journey happens that morning.
    morning = dt.datetime.combine(
        today + dt.timedelta(days=1), dt.time(7, 30), tzinfo=timezone.get_current_timezone()
    )
    with time_machine.travel(morning, tick=True):
        result = run_daily_detection(now=timezone.now())
        assert result.get("day") == today.isoformat(), result
        mine = Signal.objects.filter(condition=ili)
        signal_a = mine.get(region=district_a)
        signal_b = mine.get(region=district_b)
        url_a = f"{base}/epidemic/signals/{signal_a.pk}/"

        # 1. The city CDC operator sees the new signal on the dashboard and in the list.
        cdc = sessions(base, "cdc-operator")
        cdc.goto(f"{base}/epidemic/")
        expect(cdc.locator(f"#awaiting-{signal_a.pk}")).to_contain_text(signal_a.number)
        expect(cdc.locator("#signal-map[data-ready='1']")).to_have_count(1)
        screenshot(cdc, "signal_dashboard")
        cdc.goto(f"{base}/epidemic/signals/?condition={CODE}&state=new")
        rows = cdc.locator("#signal-rows tbody tr")
        expect(rows).to_have_count(2)
        cdc.click(f"#signal-{signal_a.pk} a")
        expect(cdc).to_have_url(url_a)

        # 2. The chart draws the counts, the upper bound and the alarm.
        expect(cdc.locator("#signal-chart[data-ready='1'] canvas")).to_have_count(1)
        expect(cdc.locator("#evidence tbody tr.ew-alarm")).to_have_count(1)
        expect(cdc.locator("#timeline li.tl-raised")).to_have_count(1)

        # 3. Verified as true, with notes.
        cdc.check("#step-verify input[value='true']")
        cdc.fill("#id_verify-comment", "电话核实：同一学校3个班级聚集发病，启动现场调查。")
        cdc.click("#step-verify button[type=submit]")
        expect(cdc.locator("#signal-state.ew-state-investigating")).to_have_count(1)
        settle(cdc)
        steps = cdc.locator("#timeline ol.timeline > li")
        classes = [steps.nth(i).get_attribute("class") for i in range(steps.count())]
        assert classes == ["tl-raised", "tl-verify"]
        expect(cdc.locator("#timeline li.tl-verify")).to_contain_text("聚集发病")
        signal_a.refresh_from_db()
        assert signal_a.state == "investigating" and signal_a.verified_by.username == "cdc-operator"
        screenshot(cdc, "signal_verified")
        # The series over the last year, with its bound, from the signal's page.
        cdc.click("#facts a.series-link")
        expect(cdc.locator("#series-chart[data-ready='1'] canvas")).to_have_count(1)
        expect(
            cdc.locator(f"#series-signals a[href='/epidemic/signals/{signal_a.pk}/']")
        ).to_have_count(1)
        settle(cdc)
        screenshot(cdc, "signal_series")

        # 4. District B's CDC sees its own signal, not district A's; A's page is not found.
        other = sessions(base, "district-b-cdc", phone=True)
        other.goto(f"{base}/epidemic/signals/?condition={CODE}")
        expect(other.locator("#signal-rows tbody tr")).to_have_count(1)
        expect(other.locator(f"#signal-{signal_b.pk}")).to_have_count(1)
        expect(other.locator(f"#signal-{signal_a.pk}")).to_have_count(0)
        other.goto(f"{base}/epidemic/signals/")
        expect(other.locator(f"#signal-{signal_a.pk}")).to_have_count(0)
        response = other.goto(url_a)
        assert response is not None and response.status == 404
        other.goto(f"{base}/epidemic/signals/{signal_b.pk}/")
        expect(other.locator("#signal-chart[data-ready='1'] canvas")).to_have_count(1)
        settle(other)
        screenshot(other, "signal_district_b_phone")
        other.goto(f"{base}/epidemic/")
        expect(other.locator(f"#awaiting-{signal_b.pk}")).to_have_count(1)
        expect(other.locator(f"#awaiting-{signal_a.pk}")).to_have_count(0)
        settle(other)
        screenshot(other, "signal_dashboard_district_b_phone")
        signal_b.refresh_from_db()
        assert signal_b.state == "new"
