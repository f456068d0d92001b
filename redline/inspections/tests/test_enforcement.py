"""Enforcement actions on an inspection: issuing (what each kind needs), the unit's
compliance, the re-inspection, and deadlines swept like hazards' (each step once)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from redline.conftest import login
from redline.core.errors import NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog
from redline.core.notify import Notification
from redline.hazards.tests.factories import JPEG
from redline.inspections import enforcement
from redline.inspections.models import EnforcementAction
from redline.inspections.tests import build
from redline.inspections.vocab import EnforcementState

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(world) -> build.Team:
    return build.Team.of(world)


@pytest.fixture
def done(team):
    return build.completed(team, bad=1)


def issue(team, inspection, actor=None, **changes):
    data = {
        "inspection": inspection.pk,
        "kind": "rectify",
        "description": "Replace the valve.",
        "legal_basis": "《安全生产法》第一百零二条",
        "deadline": timezone.localdate() + dt.timedelta(days=10),
    } | changes
    return enforcement.enforcement_issue(
        actor=actor or team.inspector,
        data=enforcement.EnforcementInput.of({k: v for k, v in data.items() if v is not None}),
    )


def test_each_kind_needs_what_it_orders(team, done):
    with pytest.raises(ValidationFailed) as failure:
        issue(team, done, kind="fine", deadline=None)
    assert set(failure.value.fields) == {"amount"}
    with pytest.raises(ValidationFailed) as failure:
        issue(team, done, deadline=None)
    assert set(failure.value.fields) == {"deadline"}
    with pytest.raises(ValidationFailed) as failure:
        issue(team, done, deadline=timezone.localdate() - dt.timedelta(days=1))
    assert set(failure.value.fields) == {"deadline"}
    fine, created = issue(team, done, kind="fine", amount="50000", deadline=None)
    assert created and fine.amount == 50000 and fine.deadline is None
    assert fine.number.startswith("ZF") and fine.state == EnforcementState.ISSUED
    assert [e.action for e in fine.events.all()] == ["issue"]


def test_only_the_inspecting_body_issues_and_outsiders_see_nothing(team, done, world):
    planned = build.planned(team)
    with pytest.raises(ValidationFailed):
        issue(team, planned)
    with pytest.raises(PermissionDenied):
        issue(team, done, actor=team.unit_user)
    from redline.accounts.models import User

    with pytest.raises(NotFound):
        issue(team, done, actor=User.objects.get(username="fire_d1-inspector"))
    assert not EnforcementAction.objects.exists()


def test_compliance_reinspection_and_a_new_deadline(team, done):
    action, _created = issue(team, done)
    complied = enforcement.enforcement_step(
        actor=team.unit_user,
        action_id=action.pk,
        action="report_compliance",
        version=action.version,
        data={"comment": "Valve replaced."},
        files=[build.photo(JPEG)],
    )
    assert complied.state == EnforcementState.COMPLIED and complied.complied_at
    assert done.photos.filter(item_code=f"enforcement:{action.pk}").count() == 1
    later = timezone.localdate() + dt.timedelta(days=30)
    with pytest.raises(ValidationFailed) as failure:
        enforcement.enforcement_step(
            actor=team.inspector,
            action_id=action.pk,
            action="reject",
            version=complied.version,
            data={"comment": "Still leaking."},
        )
    assert set(failure.value.fields) == {"deadline"}
    back = enforcement.enforcement_step(
        actor=team.inspector,
        action_id=action.pk,
        action="reject",
        version=complied.version,
        data={"comment": "Still leaking.", "deadline": later.isoformat()},
    )
    assert back.state == EnforcementState.ISSUED and back.deadline == later
    again = enforcement.enforcement_step(
        actor=team.unit_user,
        action_id=action.pk,
        action="report_compliance",
        version=back.version,
        data={"comment": "Replaced again."},
    )
    closed = enforcement.enforcement_step(
        actor=team.inspector,
        action_id=action.pk,
        action="verify",
        version=again.version,
        data={},
    )
    assert closed.state == EnforcementState.CLOSED
    assert [e.action for e in closed.events.order_by("id")] == [
        "issue",
        "report_compliance",
        "reject",
        "report_compliance",
        "verify",
    ]


def test_the_deadline_is_swept_once_per_step(team, done):
    action, _created = issue(team, done, deadline=timezone.localdate() + dt.timedelta(days=2))
    notices = Notification.objects.filter(key__startswith=f"enforcement:{action.pk}:")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = enforcement.enforcement_deadlines_sweep()
        assert first["reminded"] == 1
        assert enforcement.enforcement_deadlines_sweep() == {
            "reminded": 0,
            "overdue": 0,
            "escalated": 0,
        }
    with time_machine.travel(start + dt.timedelta(days=3), tick=False):
        late = enforcement.enforcement_deadlines_sweep()
        assert late["overdue"] == 1 and late["escalated"] == 1  # the body hears at once
        assert enforcement.enforcement_deadlines_sweep()["escalated"] == 0
    with time_machine.travel(start + dt.timedelta(days=30), tick=False):
        assert enforcement.enforcement_deadlines_sweep()["escalated"] == 2  # district, city
        assert enforcement.enforcement_deadlines_sweep()["escalated"] == 0
    action.refresh_from_db()
    assert action.overdue_since is not None and action.escalation_level == 3
    actions = [e.action for e in action.events.order_by("id")]
    assert actions == ["issue", "remind", "overdue", "escalate", "escalate", "escalate"]
    logged = ChangeLog.objects.filter(
        model="inspections.EnforcementAction", object_id=str(action.pk)
    )
    assert logged.filter(actor__isnull=True).count() == 5
    assert notices.filter(key__contains=":escalate:").exists()


def test_the_api_issues_once_per_key_and_takes_steps(team, done, client):
    login(client, "emergency-inspector")
    body = {
        "inspection": done.pk,
        "kind": "fine",
        "description": "Fine for the missing interlock.",
        "legal_basis": "《安全生产法》第九十九条",
        "amount": "20000",
    }
    first = client.post("/api/v1/enforcement?idempotency_key=f1", body, "application/json")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/enforcement?idempotency_key=f1", body, "application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert EnforcementAction.objects.count() == 1
    bad = client.post(
        "/api/v1/enforcement", body | {"amount": "lots", "kind": "shout"}, "application/json"
    )
    assert bad.status_code == 422 and {"amount", "kind"} <= set(bad.json()["error"]["fields"])
    pk = first.json()["id"]
    login(client, "ent-operator")
    step = client.post(
        f"/api/v1/enforcement/{pk}/steps/report_compliance",
        {"version": first.json()["version"], "comment": "Paid."},
        "application/json",
    )
    assert step.status_code == 200 and step.json()["state"] == "complied"
    login(client, "fire_d1-inspector")
    assert client.get(f"/api/v1/enforcement/{pk}").status_code == 404


def test_pages(team, done, client):
    action, _created = issue(team, done)
    login(client, "emergency-inspector")
    for url in (
        "/enforcement/",
        f"/enforcement/{action.pk}/",
        f"/inspections/{done.pk}/enforcement/new/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        f"/inspections/{done.pk}/enforcement/new/",
        {
            "kind": "suspend",
            "description": "Stop the tank farm until the interlock works.",
            "legal_basis": "《安全生产法》第一百零二条",
            "deadline": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert EnforcementAction.objects.filter(kind="suspend").count() == 1
    login(client, "ent-operator")
    assert client.get(f"/enforcement/{action.pk}/").status_code == 200
    assert client.get(f"/inspections/{done.pk}/enforcement/new/").status_code == 403
    login(client, "fire_d1-inspector")
    assert client.get(f"/enforcement/{action.pk}/").status_code == 404
