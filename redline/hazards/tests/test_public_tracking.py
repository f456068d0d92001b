"""The public tracking page: the handling body and the outcome, never the unit, the
people, their comments or the report's details."""

from __future__ import annotations

import pytest
from django.urls import reverse

from redline.core.errors import ValidationFailed
from redline.hazards.public import PublicReportInput, hazard_report_public
from redline.hazards.services import hazard_transition
from redline.hazards.tests.factories import report, user

pytestmark = pytest.mark.django_db

SECRET_BITS = ("Smoke from the basement", "13900001111", "U-S11-hazchem", "s11-inspector")


def track(client, hazard) -> str:
    page = client.get(reverse("public-track"), {"code": hazard.tracking_code})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="track-result"' in body
    for secret in SECRET_BITS:
        assert secret not in body
    return body


def step(username, hazard, action, **data):
    hazard.refresh_from_db()
    return hazard_transition(
        actor=user(username), hazard_id=hazard.pk, action=action, version=hazard.version, data=data
    )


def public_report(world):
    return hazard_report_public(
        data=PublicReportInput.of(
            {
                "region": world.regions["S11"],
                "place": "Warehouse lane 4",
                "sector": "hazchem",
                "description": "Smoke from the basement",
                "contact": "13900001111",
            }
        )
    )


def test_tracking_shows_who_handles_it_and_the_rectified_outcome(client, world):
    hazard = public_report(world)
    body = track(client, hazard)
    # Not yet assigned: the most local territorial government handles it.
    assert "S11办事处" in body and "属地政府正在核查" in body
    assert 'id="track-outcome"' not in body

    step("s11-inspector", hazard, "assign_unit", enterprise=world.orgs["ent"].arg)
    body = track(client, hazard)
    # Assigned to a hazardous-chemicals unit: the department supervising it handles it.
    assert "应急管理局" in body and "交责任单位整改" in body

    step("ent-operator", hazard, "fix_on_spot", comment="Cleared by s11-inspector's request")
    step(
        "s11-inspector",
        hazard,
        "accept",
        comment="Internal: checked with U-S11-hazchem's manager",
        public_note="The stored rubbish was removed and the basement cleaned.",
    )
    body = track(client, hazard)
    assert 'id="track-outcome"' in body and "已整改并验收" in body
    assert "The stored rubbish was removed" in body
    assert "Internal" not in body and "Cleared by" not in body


def test_tracking_shows_a_dismissed_report_as_not_a_hazard(client, world):
    hazard = public_report(world)
    step(
        "s11-inspector",
        hazard,
        "dismiss",
        comment="Visited by s11-inspector: a barbecue",
        public_note="We checked on site: the smoke came from a permitted barbecue.",
    )
    body = track(client, hazard)
    assert "不属于隐患" in body and "permitted barbecue" in body
    assert "Visited by" not in body


def test_the_public_note_is_for_public_reports_and_government_bodies(world):
    own = report(user("ent-operator"), world.orgs["ent"].arg)
    step("ent-operator", own, "fix_on_spot", comment="done")
    with pytest.raises(ValidationFailed) as refused:
        step("s11-inspector", own, "accept", comment="ok", public_note="Fixed.")
    assert set(refused.value.fields) == {"public_note"}

    hazard = public_report(world)
    step("s11-inspector", hazard, "assign_unit", enterprise=world.orgs["ent"].arg)
    step("ent-operator", hazard, "fix_on_spot", comment="done")
    with pytest.raises(ValidationFailed) as refused:
        step("ent-manager", hazard, "accept", comment="ok", public_note="All fine.")
    assert set(refused.value.fields) == {"public_note"}
    hazard.refresh_from_db()
    assert hazard.public_note == "" and hazard.state == "awaiting"
