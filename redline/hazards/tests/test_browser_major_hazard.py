"""Browser journey: a major hidden hazard from report to closure, in a real Chromium.

An enterprise reports a major hazard with photos; the supervising department sees it at
once and places it under listed supervision; the rectifier submits the five
implementations and the evidence; the rectifier's own acceptance is refused; another
person accepts and the department signs off; the timeline shows every step.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, Page, expect

from redline.core.tests.browser import screenshot, sign_in
from redline.hazards.tests.factories import JPEG, PNG

pytestmark = pytest.mark.browser


@pytest.fixture
def sessions(browser: Browser):
    """Signs people in, each in a browser session of their own; closes them all after."""
    opened = []

    def as_user(base: str, username: str) -> Page:
        for earlier in opened:
            for earlier_page in earlier.pages:
                settle(earlier_page)
        ctx = browser.new_context()
        ctx.set_default_timeout(10_000)
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


def open_step(page: Page, name: str) -> None:
    page.click(f"#step-{name} summary")


def settle(page: Page) -> None:
    """Wait until the page has loaded everything (its photos too). The live server shares
    the test's in-memory SQLite connection, so the test reads the database only when no
    request is in flight."""
    page.wait_for_load_state("networkidle")


def test_major_hazard_from_report_to_sign_off(sessions, live_server, city) -> None:
    from redline.hazards.models import Hazard

    base = live_server.url
    deadline = (dt.date.today() + dt.timedelta(days=45)).isoformat()

    # 1. The enterprise's safety manager reports a major hazard with two photos.
    rectifier = sessions(base, "enterprise-manager")
    rectifier.goto(f"{base}/hazards/new/")
    rectifier.fill("#id_name", "一号罐区可燃气体检测报警系统失效")
    rectifier.fill("#id_description", "罐区6台可燃气体探测器全部离线，报警控制器故障。")
    rectifier.select_option("#id_hazard_type", "instrument")
    rectifier.select_option("#id_level", "major")
    rectifier.fill("#id_location", "一号罐区")
    rectifier.set_input_files(
        "#id_photos",
        files=[
            {"name": "detector.jpg", "mimeType": "image/jpeg", "buffer": JPEG},
            {"name": "panel.png", "mimeType": "image/png", "buffer": PNG},
        ],
    )
    rectifier.click("form.hazard-form button[type=submit]")
    expect(rectifier.locator("#timeline")).to_be_visible()
    settle(rectifier)
    hazard = Hazard.objects.get(name="一号罐区可燃气体检测报警系统失效")
    url = f"{base}/hazards/{hazard.pk}/"
    assert rectifier.url == url
    assert hazard.photos.count() == 2
    expect(rectifier.locator("#timeline li.tl-auto_report")).to_have_count(1)

    # 2. The supervising department sees it at once: notified, in its ledger.
    department = sessions(base, "dept-inspector")
    expect(department.locator("#unread-count")).to_be_visible()
    department.goto(f"{base}/hazards/?level=major&state=open")
    department.click(f"#hazard-rows a[href='/hazards/{hazard.pk}/'] >> nth=0")
    expect(department).to_have_url(url)
    open_step(department, "list")
    department.fill("#id_list-comment", "列入市级挂牌督办")
    department.fill("#id_list-supervision_deadline", deadline)
    department.click("#step-list button[type=submit]")
    expect(department.locator("#listed-flag")).to_be_visible()
    settle(department)

    # 3. The rectifier submits the plan with the five implementations, then the evidence.
    rectifier.goto(url)
    open_step(rectifier, "plan")
    rectifier.fill("#id_plan-plan_responsible", "张伟（设备部）")
    rectifier.fill("#id_plan-plan_measures", "更换全部探测器，维修报警控制器，联调联试。")
    rectifier.fill("#id_plan-plan_funds", "18.5")
    rectifier.fill("#id_plan-plan_deadline", deadline)
    rectifier.fill("#id_plan-plan_contingency", "整改期间罐区停止收发作业，安排专人巡检。")
    rectifier.click("#step-plan button[type=submit]")
    expect(rectifier.locator("#plan dl.facts")).to_contain_text("18.5")
    settle(rectifier)
    open_step(rectifier, "submit")
    rectifier.fill("#id_submit-comment", "探测器已更换，报警功能测试正常。")
    rectifier.set_input_files(
        "#photos-submit",
        files=[{"name": "fixed.jpg", "mimeType": "image/jpeg", "buffer": JPEG}],
    )
    rectifier.click("#step-submit button[type=submit]")
    expect(rectifier.locator("#timeline li.tl-submit")).to_have_count(1)
    settle(rectifier)
    hazard.refresh_from_db()
    assert hazard.state == "awaiting"

    # 4. The rectifier's own acceptance is refused, and nothing changes.
    rectifier.goto(url)
    open_step(rectifier, "accept")
    rectifier.fill("#id_accept-comment", "验收通过")
    rectifier.click("#step-accept button[type=submit]")
    expect(rectifier.locator("#step-error")).to_be_visible()
    settle(rectifier)
    hazard.refresh_from_db()
    assert hazard.state == "awaiting" and hazard.accepted_by is None
    screenshot(rectifier, "major_hazard_rectifier_refused")

    # 5. Another person of the unit accepts; under listed supervision it awaits sign-off.
    acceptor = sessions(base, "enterprise-admin")
    acceptor.goto(url)
    open_step(acceptor, "accept")
    acceptor.fill("#id_accept-comment", "现场验收合格")
    acceptor.click("#step-accept button[type=submit]")
    expect(acceptor.locator("#timeline li.tl-accept")).to_have_count(1)
    settle(acceptor)
    hazard.refresh_from_db()
    assert hazard.state == "signoff"

    # 6. The supervising department signs off: closed.
    signer = sessions(base, "dept-manager")
    signer.goto(url)
    open_step(signer, "sign_off")
    signer.fill("#id_sign_off-comment", "同意销号")
    signer.click("#step-sign_off button[type=submit]")
    expect(signer.locator("#timeline li.tl-sign_off")).to_have_count(1)
    settle(signer)
    hazard.refresh_from_db()
    assert hazard.state == "closed"

    # 7. The timeline shows every step, in order, with the evidence photos.
    steps = signer.locator("#timeline ol.timeline > li")
    classes = [steps.nth(i).get_attribute("class") for i in range(steps.count())]
    assert classes == [
        "tl-report",
        "tl-auto_report",
        "tl-list",
        "tl-plan",
        "tl-submit",
        "tl-accept",
        "tl-sign_off",
    ]
    expect(signer.locator("#timeline li.tl-report .photos img")).to_have_count(2)
    expect(signer.locator("#timeline li.tl-submit .photos img")).to_have_count(1)
    screenshot(signer, "major_hazard_closed")
