"""Supervision (督办) on a movable clock: a key task left unreported past its period is
flagged and escalated exactly once (to the office, then to the government), the lead
department's report opens a new period that is supervised afresh, and the task's deadline
likewise; two sweeps at once still do each thing once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings

from redline.committee.deadlines import key_task_supervision_sweep
from redline.committee.models import KeyTask
from redline.committee.tests import build
from redline.core.errors import PermissionDenied, ValidationFailed
from redline.core.jobs import registered
from redline.core.models import ChangeLog, Notification
from redline.core.tests.test_workflow_contract import committed_world, in_threads, race_connection

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
NOTHING = {
    "report_reminded": 0,
    "report_overdue": 0,
    "report_escalated": 0,
    "deadline_reminded": 0,
    "deadline_overdue": 0,
    "deadline_escalated": 0,
}


def at(month, day, hour=9):
    return time_machine.travel(dt.datetime(2026, month, day, hour, tzinfo=ZONE), tick=False)


def sweep():
    return key_task_supervision_sweep()


def counts(**changes):
    return NOTHING | changes


def told(task, suffix):
    return set(
        Notification.objects.filter(key__startswith=f"keytask-{suffix}").values_list(
            "recipient__username", flat=True
        )
    )


def deploy(world):
    with time_machine.travel(START, tick=False):
        return build.deploy(world, first_report_due="2026-03-31", deadline="2026-12-31")


@override_settings(REDLINE_COMMITTEE_REMIND_DAYS=3, REDLINE_COMMITTEE_ESCALATION_DAYS=[0, 7])
def test_left_unreported_past_its_cadence_it_is_flagged_and_escalated_exactly_once(world):
    task = deploy(world)
    with at(3, 20):
        assert sweep() == NOTHING
    with at(3, 29):
        assert sweep() == counts(report_reminded=1)
        assert sweep() == NOTHING
    assert "emergency-operator" in told(task, f"report:{task.pk}:remind")
    with at(3, 31, 23):  # the due day itself is not late
        assert sweep() == NOTHING
    with at(4, 1, 8):
        first, again = sweep(), sweep()
    assert first == counts(report_overdue=1, report_escalated=1)
    assert again == NOTHING
    task.refresh_from_db()
    assert task.report_overdue_since is not None and task.escalation_level == 1
    office = told(task, f"report:{task.pk}:escalate:1")
    assert office and all(name.startswith("office-") for name in office)
    with at(4, 8):
        assert sweep() == counts(report_escalated=1)
        assert sweep() == NOTHING
    government = told(task, f"report:{task.pk}:escalate:2")
    assert government and all(name.startswith("cityhall-") for name in government)
    with at(5, 30):
        assert sweep() == NOTHING  # never twice for one period
    actions = list(task.events.values_list("action", flat=True))
    assert actions == [
        "deploy",
        "report_remind",
        "report_overdue",
        "report_escalate",
        "report_escalate",
    ]
    swept = ChangeLog.objects.filter(
        model="committee.KeyTask", object_id=str(task.pk), actor__isnull=True
    ).order_by("id")
    assert [e.comment for e in swept] == [
        "report_remind",
        "report_overdue",
        "report_escalate",
        "report_escalate",
    ]
    assert [e.after for e in swept if e.comment == "report_escalate"] == [
        {"escalation_level": 1},
        {"escalation_level": 2},
    ]


@override_settings(REDLINE_COMMITTEE_REMIND_DAYS=3, REDLINE_COMMITTEE_ESCALATION_DAYS=[0, 7])
def test_the_leads_report_opens_a_new_period_supervised_afresh(world):
    task = deploy(world)
    with at(4, 2):
        assert sweep()["report_overdue"] == 1
    with at(4, 3):
        build.report(task)
    task.refresh_from_db()
    assert task.next_report_due == dt.date(2026, 4, 30)
    assert (task.report_overdue_since, task.report_reminded_at, task.escalation_level) == (
        None,
        None,
        0,
    )
    with at(4, 28):
        assert sweep() == counts(report_reminded=1)
    with at(5, 1):
        assert sweep() == counts(report_overdue=1, report_escalated=1)
        assert sweep() == NOTHING
    keys = set(Notification.objects.filter(key__contains=":overdue:").values_list("key", flat=True))
    assert keys == {
        f"keytask-report:{task.pk}:overdue:2026-03-31",
        f"keytask-report:{task.pk}:overdue:2026-04-30",
    }


@override_settings(
    REDLINE_COMMITTEE_DEADLINE_REMIND_DAYS=7, REDLINE_COMMITTEE_ESCALATION_DAYS=[0, 7]
)
def test_a_task_past_its_deadline_is_flagged_and_escalated_once(world):
    with time_machine.travel(START, tick=False):
        task = build.deploy(world, first_report_due="2026-12-31", deadline="2026-04-15")
    with at(4, 9):
        assert sweep() == counts(deadline_reminded=1)
    with at(4, 16):
        assert sweep() == counts(deadline_overdue=1, deadline_escalated=1)
        assert sweep() == NOTHING
    task.refresh_from_db()
    assert task.deadline_overdue_since and task.deadline_escalation_level == 1
    assert task.report_overdue_since is None and task.escalation_level == 0
    assert told(task, f"deadline:{task.pk}:escalate:1")


@override_settings(REDLINE_COMMITTEE_REMIND_DAYS=3, REDLINE_COMMITTEE_ESCALATION_DAYS=[0, 7])
def test_an_amended_deadline_is_supervised_afresh_once(world):
    with time_machine.travel(START, tick=False):
        task = build.deploy(world, first_report_due="2026-12-31", deadline="2026-04-15")
    with at(4, 16):
        assert sweep() == counts(deadline_overdue=1, deadline_escalated=1)
    with at(4, 17):
        # Only the office amends, with its reason; a step changing nothing is refused.
        with pytest.raises(PermissionDenied):
            build.step(task, build.LEAD_WRITER, "amend", comment="延期", deadline="2026-06-30")
        with pytest.raises(ValidationFailed) as unchanged:
            build.step(task, build.OFFICE_MANAGER, "amend", comment="同上", cadence=task.cadence)
        assert set(unchanged.value.fields) == {"deadline"}
        with pytest.raises(ValidationFailed) as past:
            build.step(task, build.OFFICE_MANAGER, "amend", comment="x", deadline="2026-04-01")
        assert set(past.value.fields) == {"deadline"}
        amended = build.step(
            task, build.OFFICE_MANAGER, "amend", comment="市安委会决定延期。", deadline="2026-06-30"
        )
    assert amended.deadline == dt.date(2026, 6, 30) and amended.state == task.state
    assert amended.deadline_overdue_since is None and amended.deadline_escalation_level == 0
    assert not amended.overdue
    event = amended.events.order_by("pk").last()
    assert event.action == "amend" and event.data["amended"] == {
        "deadline": ["2026-04-15", "2026-06-30"]
    }
    with at(4, 18):
        assert sweep() == NOTHING
    with at(6, 28):
        assert sweep() == counts(deadline_reminded=1)
    with at(7, 1):
        assert sweep() == counts(deadline_overdue=1, deadline_escalated=1)
        assert sweep() == NOTHING
    assert told(task, f"deadline:{task.pk}:escalate:1:2026-06-30")


@override_settings(REDLINE_COMMITTEE_ESCALATION_DAYS=[0, 7])
def test_tasks_awaiting_verification_closed_or_cancelled_are_not_swept(world):
    with time_machine.travel(START, tick=False):
        waiting = build.in_state(world, "completion_reported", first_report_due="2026-03-31")
        closed = build.in_state(world, "verified", first_report_due="2026-03-31")
        cancelled = build.in_state(world, "cancelled", first_report_due="2026-03-31")
    with at(6, 1):
        assert sweep() == NOTHING
    for task in (waiting, closed, cancelled):
        task.refresh_from_db()
        assert task.escalation_level == 0 and task.report_overdue_since is None


def test_the_supervision_is_a_registered_job(world):
    assert "committee-supervision" in {job.name for job in registered()}
    task = deploy(world)
    call_command("jobs", "committee-supervision", "--at", "2026-04-02T09:00:00+08:00")
    task.refresh_from_db()
    assert task.report_overdue_since is not None and task.escalation_level == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_do_each_thing_once(world, tmp_path):
    world = committed_world(world)
    task = deploy(world)
    attach = race_connection(tmp_path)
    moment = dt.datetime(2026, 4, 2, 9, tzinfo=ZONE)

    def run():
        return key_task_supervision_sweep(now=moment)

    outcomes = in_threads(attach, run, run)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    total = {key: sum(o[key] for o in outcomes) for key in NOTHING}
    assert total == counts(report_overdue=1, report_escalated=1)

    def look():
        found = KeyTask.objects.get(pk=task.pk)
        events = list(found.events.values_list("action", flat=True))
        notified = Notification.objects.filter(key__startswith=f"keytask-report:{task.pk}:")
        return found.escalation_level, events, sorted(notified.values_list("key", flat=True))

    ((level, events, keys),) = in_threads(attach, look)
    assert level == 1 and events == ["deploy", "report_overdue", "report_escalate"]
    # The lead department's five users told it is overdue, the office's five of the
    # escalation: each once.
    overdue = f"keytask-report:{task.pk}:overdue:2026-03-31"
    escalated = f"keytask-report:{task.pk}:escalate:1:2026-03-31"
    assert keys == [escalated] * 5 + [overdue] * 5
