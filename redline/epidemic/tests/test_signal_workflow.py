"""A signal's verification and response: the state machine, who may take each step, notes
required where the outcome needs explaining, one winner between two verifiers, every step
on the timeline and in the change log; overdue verification escalates up the chain once
per level, on a moved clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog, Notification
from redline.core.workflow import Machine
from redline.epidemic.detection import detection_run
from redline.epidemic.models import Signal
from redline.epidemic.services_signals import signal_deadlines_sweep, signal_transition
from redline.epidemic.tests.signal_data import add_body, add_cdc, at, condition, outbreak, user
from redline.epidemic.workflow import MACHINE

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)
RAISED = at(D + dt.timedelta(days=1), 7)


@pytest.fixture
def signal(world):
    add_cdc(world, "cdc_city", "C")
    add_cdc(world, "cdc_d1", "D1")
    add_body(world, "health", "C", "department", department_type="health")
    cond = condition("ili", verify_hours=24)
    outbreak(cond, world.regions["S11"], D)
    detection_run(day=D, now=RAISED)
    return Signal.objects.get()


def step(who, signal, action, *, version=None, **data):
    return signal_transition(
        actor=user(who),
        signal_id=signal.pk,
        action=action,
        version=signal.version if version is None else version,
        data=data,
        now=RAISED + dt.timedelta(hours=1),
    )


def actions(signal):
    return list(signal.events.order_by("at", "id").values_list("action", "to_state"))


def test_true_signal_investigation_response_and_closure(signal):
    signal = step("cdc_d1-operator", signal, "verify", verification="true")
    assert signal.state == "investigating" and signal.verification == "true"
    assert signal.verified_by.username == "cdc_d1-operator" and signal.verified_at is not None
    signal = step("cdc_d1-manager", signal, "respond", comment="学校停课3天", cases=12)
    assert signal.state == "responding"
    signal = step("cdc_city-operator", signal, "close", comment="疫情已控制", outcome="outbreak")
    assert signal.state == "closed" and signal.closed_at is not None
    assert actions(signal) == [
        ("raised", "new"),
        ("verify", "investigating"),
        ("respond", "responding"),
        ("close", "closed"),
    ]
    event = signal.events.get(action="respond")
    assert event.comment == "学校停课3天" and event.data == {"cases": 12}
    assert event.actor_name and event.organisation_name == "cdc_d1疾控"
    assert signal.events.get(action="close").data == {"outcome": "outbreak"}
    logged = ChangeLog.objects.filter(model="epidemic.Signal", object_id=str(signal.pk))
    assert list(logged.order_by("id").values_list("action", flat=True)) == [
        "create",
        "state",
        "state",
        "state",
    ]
    # The confirmed signal was announced to the district government and the city CDC.
    told = set(
        Notification.objects.filter(key=f"signal:{signal.pk}:v2").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"d1-viewer", "cdc_city-manager"} <= told


def test_false_and_uncertain_need_notes_and_monitoring_is_verified_again(signal):
    for verdict in ("false", "uncertain"):
        with pytest.raises(ValidationFailed) as refused:
            step("cdc_d1-operator", signal, "verify", verification=verdict)
        assert "comment" in refused.value.fields
    with pytest.raises(ValidationFailed) as bad:
        step("cdc_d1-operator", signal, "verify", verification="maybe", comment="?")
    assert "verification" in bad.value.fields
    with pytest.raises(ValidationFailed) as unknown:
        step("cdc_d1-operator", signal, "verify", verification="true", deadline="x")
    assert "deadline" in unknown.value.fields
    signal.refresh_from_db()
    assert signal.state == "new" and signal.version == 1 and signal.events.count() == 1

    signal = step("cdc_d1-operator", signal, "verify", verification="uncertain", comment="待观察")
    assert signal.state == "monitoring"
    signal = step("cdc_d1-operator", signal, "verify", verification="false", comment="录入错误")
    assert signal.state == "closed" and signal.verification == "false"
    assert signal.closed_at is not None
    # Comments any time, even closed.
    signal = step("d1-inspector", signal, "comment", comment="已知悉")
    assert signal.state == "closed" and actions(signal)[-1] == ("comment", "closed")


def test_steps_out_of_order_are_refused(signal):
    with pytest.raises(Conflict):
        step("cdc_d1-operator", signal, "close", comment="x")
    with pytest.raises(Conflict):
        step("cdc_d1-operator", signal, "respond", comment="x")
    with pytest.raises(ValidationFailed) as unknown:
        step("cdc_d1-operator", signal, "dance")
    assert "action" in unknown.value.fields


def test_who_may_verify(signal):
    stamp = ChangeLog.objects.count()
    # The district government sees the signal but verification is the CDC's.
    with pytest.raises(PermissionDenied):
        step("d1-manager", signal, "verify", verification="true")
    # A CDC viewer may not; another district's CDC does not even see it.
    with pytest.raises(PermissionDenied):
        step("cdc_d1-viewer", signal, "verify", verification="true")
    with pytest.raises(NotFound):
        step("cdc_d2-manager", signal, "verify", verification="true")
    signal.refresh_from_db()
    assert signal.state == "new" and signal.version == 1
    assert ChangeLog.objects.count() == stamp
    assert [t.name for t in MACHINE.available(user("d1-manager"), signal)] == ["comment"]
    assert [t.name for t in MACHINE.available(user("cdc_city-operator"), signal)] == [
        "verify",
        "comment",
    ]
    assert MACHINE.available(user("cdc_d1-viewer"), signal) == []


def test_two_verifiers_at_once_one_wins(signal):
    read = signal.version
    step("cdc_d1-operator", signal, "verify", verification="true", version=read)
    with pytest.raises(Conflict):
        step("cdc_city-operator", signal, "verify", verification="false", comment="x", version=read)
    signal.refresh_from_db()
    assert signal.state == "investigating" and signal.verified_by.username == "cdc_d1-operator"
    assert [a for a, _ in actions(signal)] == ["raised", "verify"]


def test_the_conditional_update_decides_a_true_race(signal, monkeypatch):
    """Both verifiers read version 1 and pass every check; the update decides."""
    stale = Signal.objects.select_related("condition", "region", "place", "responsible").get(
        pk=signal.pk
    )
    step("cdc_d1-operator", signal, "verify", verification="true")
    monkeypatch.setattr(Machine, "load", lambda machine, actor, pk: stale)
    with pytest.raises(Conflict):
        step("cdc_city-operator", stale, "verify", verification="uncertain", comment="?")
    signal.refresh_from_db()
    assert signal.state == "investigating" and signal.events.count() == 2


def test_overdue_verification_escalates_up_the_chain_once_per_level(
    signal, django_capture_on_commit_callbacks
):
    due = signal.verify_due_at
    assert signal_deadlines_sweep(now=due - dt.timedelta(minutes=1)) == {
        "escalated_1": 0,
        "escalated_2": 0,
    }
    cityhall = user("cityhall-viewer")
    cityhall.email = "cityhall@example.test"
    cityhall.save()
    with django_capture_on_commit_callbacks(execute=True):
        first = signal_deadlines_sweep(now=due + dt.timedelta(minutes=1))
        again = signal_deadlines_sweep(now=due + dt.timedelta(hours=3))
    assert first == {"escalated_1": 1, "escalated_2": 0}
    assert again == {"escalated_1": 0, "escalated_2": 0}
    signal.refresh_from_db()
    assert signal.escalation_level == 1 and signal.state == "new"

    def told(level):
        return set(
            Notification.objects.filter(key=f"signal:{signal.pk}:escalate:{level}").values_list(
                "recipient__username", flat=True
            )
        )

    level1 = told(1)
    assert {"d1-viewer", "cdc_city-manager"} <= level1
    assert not any(n.startswith(("cityhall-", "health-", "cdc_d2-")) for n in level1)

    with django_capture_on_commit_callbacks(execute=True):
        second = signal_deadlines_sweep(now=due + dt.timedelta(hours=24, minutes=1))
        signal_deadlines_sweep(now=due + dt.timedelta(hours=30))
    assert second == {"escalated_1": 0, "escalated_2": 1}
    level2 = told(2)
    assert {"cityhall-viewer", "health-manager"} <= level2
    assert not any(n.startswith(("d1-", "cdc_city-")) for n in level2)
    assert any("cityhall@example.test" in m.to for m in mail.outbox)
    signal.refresh_from_db()
    assert signal.escalation_level == 2
    escalations = signal.events.filter(action="escalate").order_by("id")
    assert [e.data["level"] for e in escalations] == [1, 2]
    # The detection run's and the sweep's changes are in the change log, by the system.
    logged = ChangeLog.objects.filter(model="epidemic.Signal", object_id=str(signal.pk))
    by_job = [(e.action, e.after.get("escalation_level")) for e in logged.order_by("id")]
    assert by_job == [("create", 0), ("update", 1), ("update", 2)]
    assert {e.actor_id for e in logged} == {None}
    # An escalated signal still takes its verification (the version did not move).
    signal = step("cdc_d1-operator", signal, "verify", verification="true", version=1)
    assert signal.state == "investigating"


def test_a_verified_signal_does_not_escalate(signal):
    step("cdc_d1-operator", signal, "verify", verification="uncertain", comment="观察")
    result = signal_deadlines_sweep(now=signal.verify_due_at + dt.timedelta(days=3))
    assert result == {"escalated_1": 0, "escalated_2": 0}
