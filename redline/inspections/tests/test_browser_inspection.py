"""Browser journey: an inspector runs the hazardous-chemicals checklist on a phone with a
poor connection, in a real Chromium.

The emergency department's inspector checks in at the demo enterprise, opens the checklist
at phone size and answers; halfway the network is cut: the answers, a photo of a
non-compliant line of the major-hazard standard and the signatures are kept on the phone,
and the page says how many wait. When the network returns everything is sent; one answer's
reply is lost on the way back, so the phone sends it again, and the server keeps it once.
Completing the inspection turns the non-compliant line into a major hazard citing it.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route, expect

from redline.core.tests.browser import screenshot, sign_in
from redline.hazards.tests.factories import JPEG

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


def answer(page: Page, item: dict, value: str) -> None:
    card = page.locator(f"#item-{item['code']}")
    if item["answer"] == "compliance":
        card.locator(f"input[value={value}]").check()
    elif item["answer"] == "number":
        box = card.locator("input[type=number]")
        box.fill(value)
        box.press("Tab")  # leaving the field commits it (one change event)
    elif item["answer"] == "text":
        area = card.locator("textarea")
        area.fill(value)
        area.press("Tab")
    else:
        card.locator("input[type=file]").set_input_files(
            files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
        )


def typed(item: dict) -> object:
    """The answer as the checklist's rules read it (which items it shows)."""
    if item["answer"] == "number":
        return float(good(item))
    return "answered" if item["answer"] == "photo" else good(item)


def good(item: dict) -> str:
    if item["answer"] == "number":
        low = item["min"] if item["min"] is not None else item["max"]
        return str(low if low is not None else 0)
    return {"compliance": "compliant", "text": "符合要求", "photo": ""}[item["answer"]]


def sign(page: Page, signer: str, name: str) -> None:
    page.select_option("#signer", signer)
    page.fill("#signer-name", name)
    pad = page.locator("#pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] / 2 + (-1) ** step * 15)
    page.mouse.up()
    page.click("#pad-save")
    expect(page.locator("#signed")).to_contain_text(name)


def waiting(page: Page) -> int:
    return int(page.locator("#sync-status").get_attribute("data-waiting") or 0)


def kept_on_phone(page: Page, count: int) -> None:
    """Wait until the page has kept `count` submissions (answers, photos, signatures)."""
    # A function, not an expression: Playwright evaluates it once, so the page's
    # Content-Security-Policy (no eval) does not refuse the polling.
    page.wait_for_function(
        f"() => Number(document.querySelector('#sync-status').dataset.kept || 0) >= {count}"
    )


def submissions(item: dict) -> int:
    """What answering an item makes the phone send: a photo item, its photo and answer."""
    return 2 if item["answer"] == "photo" else 1


def test_checklist_on_a_phone_with_the_network_cut_halfway(
    browser: Browser, live_server, city
) -> None:
    from redline.accounts.models import User
    from redline.hazards.models import Hazard, Photo
    from redline.inspections import checklist, checklist_data, services
    from redline.inspections.models import Answer, Inspection, Receipt

    base = live_server.url
    inspector = User.objects.get(username="dept-inspector")
    unit = User.objects.get(username="enterprise-operator").organisation.enterprise
    inspection, _created = services.inspection_plan(
        actor=inspector,
        data=services.InspectionInput.of(
            {
                "enterprise": unit.pk,
                "kind": "supervision",
                "planned_on": timezone.localdate(),
                "inspectors": [str(inspector.pk)],
            }
        ),
    )
    assert inspection.template is not None and inspection.template.code == "hazchem"

    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, base, "dept-inspector")
        # Check in on site, from the inspection's page.
        page.goto(f"{base}/inspections/{inspection.pk}/")
        page.click("#step-check_in summary")
        page.fill("#id_check_in-place", "厂区北门")
        page.click("#step-check_in button[type=submit]")
        expect(page.locator("#inspection-state")).to_have_text("现场检查中")
        page.click("#run-checklist")
        settle(page)
        expect(page.locator("#sync-status")).to_have_text("全部已发送。")
        config = json.loads(page.locator("#checklist-config").text_content() or "{}")
        items = {item["code"]: item for item in config["items"]}
        shape = checklist.template_of(inspection)
        cited = next(i for i in shape.items if i.answer == "compliance" and i.determination_item)
        given: dict[str, object] = {}
        half = len(shape.items) // 2
        made = [0]

        def answer_shown(limit: int) -> None:
            """Answer the items shown in turn (a non-compliant line opens more), the cited
            line non-compliant with a photo, until `limit` answers are given."""
            while len(given) < limit:
                todo = [
                    i for i in checklist_data.visible_items(shape, given) if i.code not in given
                ]
                if not todo:
                    return
                item = items[todo[0].code]
                if item["code"] == cited.code:
                    answer(page, item, "non_compliant")
                    page.locator(f"#item-{cited.code} input[type=file]").set_input_files(
                        files=[{"name": "valve.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
                    )
                    given[item["code"]] = "non_compliant"
                    made[0] += 2
                else:
                    answer(page, item, good(item))
                    given[item["code"]] = typed(item)
                    made[0] += submissions(item)
                kept_on_phone(page, made[0])

        # The first half online.
        answer_shown(half)
        page.wait_for_function(
            "() => document.querySelector('#sync-status').dataset.waiting === '0'"
        )
        expect(page.locator("#sync-status")).to_have_text("全部已发送。")
        settle(page)
        sent_online = Receipt.objects.filter(inspection=inspection).count()
        arrived = set(
            Answer.objects.filter(inspection=inspection).values_list("item_code", flat=True)
        )
        assert arrived == set(given), (
            set(given) - arrived,
            page.locator("#sync-status").get_attribute("data-kept"),
            made,
        )

        # The network is cut: the rest, then the signatures.
        context.set_offline(True)
        answer_shown(10_000)
        sign(page, "inspector", "王检查")
        sign(page, "unit", "李主任")
        made[0] += 2
        kept_on_phone(page, made[0])
        expect(page.locator("#sync-status")).to_contain_text("无网络连接")
        kept = waiting(page)
        assert kept >= len(given) - half + 2  # answers (and photos), two signatures
        assert Receipt.objects.filter(inspection=inspection).count() == sent_online
        screenshot(page, "inspection_offline_waiting")

        # The connection returns; the reply to the first answer sent is lost on its way
        # back, so the phone sends that answer again (same key).
        lost = {"done": False}

        def lose_first_reply(route: Route) -> None:
            if not lost["done"] and route.request.url.endswith("/answers"):
                lost["done"] = True
                route.fetch()  # the server takes it...
                route.abort()  # ...and the phone never hears back
            else:
                route.continue_()

        page.route("**/api/v1/inspections/*/answers", lose_first_reply)
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page.locator("#sync-status")).to_have_text("全部已发送。", timeout=30_000)
        settle(page)
        assert lost["done"]
        assert waiting(page) == 0
        screenshot(page, "inspection_all_sent")
        assert page.locator("#sync-refused li").count() == 0
    finally:
        page.close()

    # Everything arrived once.
    answers = Answer.objects.filter(inspection=inspection)
    answered = {a.item_code: a.value for a in answers}
    assert answered[cited.code] == "non_compliant"
    assert set(answered) == set(given)
    assert Photo.objects.filter(inspection=inspection, item_code=cited.code).count() == 1
    assert inspection.signatures.count() == 2
    # One receipt per submission the phone made (the resend recognised, not counted again).
    assert Receipt.objects.filter(inspection=inspection).count() == kept + sent_online

    # Completing turns the non-compliant line into a major hazard citing it.
    page = context.new_page()
    page.goto(f"{base}/inspections/{inspection.pk}/")
    page.click("#step-complete summary")
    page.fill("#id_complete-summary", "储罐区安全阀问题已当场告知。")
    page.click("#step-complete button[type=submit]")
    expect(page.locator("#inspection-state")).to_have_text("待单位答复")
    settle(page)
    screenshot(page, "inspection_completed_phone")
    context.close()
    done = Inspection.objects.get(pk=inspection.pk)
    finding = done.findings.get(item_code=cited.code)
    hazard = Hazard.objects.get(pk=finding.hazard_id)
    assert hazard.is_major and hazard.determination_items == [cited.determination_item]
    assert finding.determination_item == cited.determination_item
