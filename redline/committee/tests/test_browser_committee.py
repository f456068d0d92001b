"""Browser journey through the Safety Committee's work on the demo city, in a real Chromium:
the office opens its dashboard and sees the overdue task with who answers for it, the lead
department reports progress from a phone with a photo (which clears the overdue flag), and
the office verifies a completion that awaits it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from redline.committee.models import KeyTask
from redline.committee.vocab import TaskState
from redline.core.tests.browser import screenshot, sign_in
from redline.hazards.tests.factories import JPEG

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def to_english(page: Page) -> None:
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")


def test_the_office_supervises_and_a_department_reports_from_a_phone(
    browser: Browser, page: Page, live_server, city
):
    base = live_server.url
    late = KeyTask.objects.get(report_overdue_since__isnull=False)
    waiting = KeyTask.objects.get(state=TaskState.COMPLETION_REPORTED)

    sign_in(page, base, "committee-manager")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/committee/")
    expect(page.locator("#overdue-count")).to_have_text("1")
    expect(page.locator(".overdue-item")).to_contain_text(late.title)
    expect(page.locator(".overdue-item .chain")).to_contain_text("安全生产委员会办公室")
    screenshot(page, "committee_dashboard")
    to_english(page)
    expect(page.locator("h1")).to_have_text("Safety Committee: dashboard")
    screenshot(page, "committee_dashboard_en")
    page.goto(f"{base}/committee/tasks/")
    expect(page.locator("#task-rows tbody tr")).to_have_count(10)
    screenshot(page, "committee_tasks")
    page.goto(f"{base}/committee/owed/")
    expect(page.locator("#people")).to_contain_text("Responsible person")
    screenshot(page, "committee_owed")

    # The lead department reports from a phone, with a photo.
    lead_user = {"消防救援支队": "fire-operator", "应急管理局": "dept-operator"}
    name = next(user for body, user in lead_user.items() if body in str(late.lead))
    phone = browser.new_context(**PHONE)
    try:
        mobile = phone.new_page()
        sign_in(mobile, base, name)
        mobile.goto(f"{base}/committee/tasks/{late.pk}/")
        expect(mobile.locator("#report-overdue")).to_be_visible()
        step = mobile.locator("#step-report")
        step.locator("textarea").fill("本期完成人员密集场所检查45家，整改火灾隐患62处。")
        step.locator("input[name=report-figure]").fill("84")
        step.locator("input[type=file]").set_input_files(
            files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
        )
        with mobile.expect_navigation():
            step.locator("button[type=submit]").click()
        expect(mobile.locator("#report-overdue")).to_have_count(0)
        expect(mobile.locator("#reports .photos img").first).to_be_visible()
        screenshot(mobile, "committee_task_phone")
    finally:
        phone.close()
    late.refresh_from_db()
    assert late.report_overdue_since is None and late.escalation_level == 0

    # The office verifies the completion that awaits it.
    page.goto(f"{base}/committee/tasks/{waiting.pk}/")
    page.locator("#step-verify summary").click()
    page.locator("#step-verify textarea").fill("Checked on site.")
    with page.expect_navigation():
        page.locator("#step-verify button[type=submit]").click()
    expect(page.locator("#task-state")).to_have_text("Verified and closed")
    expect(page.locator("#chain")).to_be_visible()
    screenshot(page, "committee_task_verified")
