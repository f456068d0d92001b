"""Browser journey: an inspector draws the audit working paper of an audit-style
inspection of the demo enterprise, checks in, and verifies the sample on a phone, in a real
Chromium: one record verified, one a discrepancy (which becomes a finding), each answered in
place by htmx."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from redline.core.tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_the_audit_paper_on_a_phone(browser: Browser, live_server, city) -> None:
    from redline.accounts.models import User
    from redline.inspections import services
    from redline.inspections.models import AuditSample, Finding

    base = live_server.url
    inspector = User.objects.get(username="dept-inspector")
    unit = User.objects.get(username="enterprise-operator").organisation.enterprise
    inspection, _created = services.inspection_plan(
        actor=inspector,
        data=services.InspectionInput.of(
            {
                "enterprise": unit.pk,
                "kind": "audit",
                "planned_on": timezone.localdate(),
                "inspectors": [str(inspector.pk)],
            }
        ),
    )
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, base, "dept-inspector")
        page.goto(f"{base}/inspections/{inspection.pk}/")
        page.click("#audit-paper-link")
        page.fill("input[name=seed]", "2026")
        page.click("#draw-paper")
        expect(page.locator("#paper-facts")).to_contain_text("2026")
        expect(page.locator("#section-tasks")).to_be_visible()
        # Check in on site, then verify the sample.
        page.goto(f"{base}/inspections/{inspection.pk}/")
        page.click("#step-check_in summary")
        page.fill("#id_check_in-place", "资料室")
        page.click("#step-check_in button[type=submit]")
        page.goto(f"{base}/inspections/{inspection.pk}/audit-paper/")
        first, second = AuditSample.objects.filter(paper__inspection=inspection)[:2]
        card = page.locator(f"#sample-{first.pk}")
        card.locator("button[value=verified]").click()
        expect(page.locator(f"#sample-{first.pk} [data-result=verified]")).to_be_visible()
        other = page.locator(f"#sample-{second.pk}")
        other.locator("textarea[name=note]").fill("台账记录与现场不符。")
        other.locator("button[value=discrepancy]").click()
        expect(page.locator(f"#sample-{second.pk} .finding-link")).to_be_visible()
        expect(page.locator(f"#sample-{second.pk} button")).to_have_count(0)
        screenshot(page, "audit_paper_on_a_phone")
    finally:
        context.close()
    finding = Finding.objects.get(inspection=inspection)
    assert finding.audit_sample.pk == second.pk and "台账记录与现场不符" in finding.text
