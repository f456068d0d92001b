"""Deadlines on a movable clock: the reminder, the overdue flag, and escalation up the
chain (department, district, city), each exactly once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from redline.core.models import ChangeLog, Notification
from redline.hazards.deadlines import hazard_deadlines_sweep
from redline.hazards.services import hazard_transition
from redline.hazards.tests.factories import report, user
from redline.hazards.vocab import HazardState

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)


def keyed(hazard, suffix):
    return set(
        Notification.objects.filter(key__startswith=f"hazard:{hazard.pk}:{suffix}").values_list(
            "recipient__username", flat=True
        )
    )


@override_settings(REDLINE_HAZARD_ESCALATION_DAYS=[0, 3, 7], REDLINE_HAZARD_REMIND_DAYS=2)
def test_reminder_overdue_and_escalation_each_happen_once(
    world, django_capture_on_commit_callbacks
):
    ent = world.orgs["ent"].arg
    manager = user("ent-manager")
    manager.email = "manager@example.test"
    manager.save()
    with time_machine.travel(MONDAY, tick=False):
        hazard = report(user("ent-operator"), ent)
        hazard_transition(
            actor=user("ent-operator"),
            hazard_id=hazard.pk,
            action="assign",
            version=1,
            data={"deadline": "2026-03-10"},
        )
        assert hazard_deadlines_sweep() == {"reminded": 0, "overdue": 0, "escalated": 0}

    with (
        time_machine.travel(dt.datetime(2026, 3, 8, 9, 0, tzinfo=ZONE), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert hazard_deadlines_sweep()["reminded"] == 1
        assert hazard_deadlines_sweep()["reminded"] == 0
    assert "ent-manager" in keyed(hazard, "remind")
    assert any("manager@example.test" in m.to for m in mail.outbox)

    # The deadline day itself is not overdue; the day after is.
    with time_machine.travel(dt.datetime(2026, 3, 10, 23, 0, tzinfo=ZONE), tick=False):
        assert hazard_deadlines_sweep()["overdue"] == 0
    with time_machine.travel(dt.datetime(2026, 3, 11, 8, 0, tzinfo=ZONE), tick=False):
        first = hazard_deadlines_sweep()
        again = hazard_deadlines_sweep()
    assert first == {"reminded": 0, "overdue": 1, "escalated": 1}
    assert again == {"reminded": 0, "overdue": 0, "escalated": 0}
    hazard.refresh_from_db()
    assert hazard.overdue_since is not None and hazard.escalation_level == 1
    escalated = keyed(hazard, "escalate:1")
    assert {"emergency-viewer", "emergency-manager"} <= escalated
    assert not any(name.startswith(("d1-", "cityhall-", "office-")) for name in escalated)
    assert Notification.objects.filter(
        key__startswith=f"hazard:{hazard.pk}:escalate:1"
    ).count() == len(escalated)

    # Three days after the deadline: the district; seven: the city. Never twice.
    with time_machine.travel(dt.datetime(2026, 3, 14, 8, 0, tzinfo=ZONE), tick=False):
        assert hazard_deadlines_sweep()["escalated"] == 1
        assert hazard_deadlines_sweep()["escalated"] == 0
    assert any(name.startswith("d1-") for name in keyed(hazard, "escalate:2"))
    assert not any(name.startswith("s11-") for name in keyed(hazard, "escalate:2"))
    with time_machine.travel(dt.datetime(2026, 4, 30, 8, 0, tzinfo=ZONE), tick=False):
        assert hazard_deadlines_sweep()["escalated"] == 1
        assert hazard_deadlines_sweep()["escalated"] == 0
    city = keyed(hazard, "escalate:3")
    assert any(n.startswith("cityhall-") for n in city) and any(
        n.startswith("office-") for n in city
    )
    actions = list(hazard.events.values_list("action", flat=True))
    assert actions.count("escalate") == 3 and actions.count("overdue") == 1
    assert actions.count("remind") == 1
    levels = [e.data["level"] for e in hazard.events.filter(action="escalate")]
    assert levels == [1, 2, 3]
    # Each change the sweep made is in the change log, made by the system, once.
    swept = ChangeLog.objects.filter(
        model="hazards.Hazard",
        object_id=str(hazard.pk),
        comment__in=["remind", "overdue", "escalate"],
    ).order_by("id")
    assert [e.comment for e in swept] == ["remind", "overdue", "escalate", "escalate", "escalate"]
    assert {e.actor_id for e in swept} == {None}
    assert [e.after for e in swept if e.comment == "escalate"] == [
        {"escalation_level": n} for n in (1, 2, 3)
    ]


@override_settings(REDLINE_HAZARD_ESCALATION_DAYS=[0, 3, 7])
def test_submitted_or_closed_hazards_do_not_escalate(world):
    ent = world.orgs["ent"].arg
    with time_machine.travel(MONDAY, tick=False):
        hazard = report(user("ent-operator"), ent)
        hazard_transition(
            actor=user("ent-operator"),
            hazard_id=hazard.pk,
            action="assign",
            version=1,
            data={"deadline": "2026-03-05"},
        )
        hazard_transition(
            actor=user("ent-operator"),
            hazard_id=hazard.pk,
            action="submit",
            version=2,
            data={"comment": "Done"},
        )
    with time_machine.travel(dt.datetime(2026, 3, 20, 8, 0, tzinfo=ZONE), tick=False):
        assert hazard_deadlines_sweep() == {"reminded": 0, "overdue": 0, "escalated": 0}
    hazard.refresh_from_db()
    assert hazard.state == HazardState.AWAITING_ACCEPTANCE and hazard.escalation_level == 0


def test_jobs_command_runs_the_sweep_at_a_given_time(world):
    from io import StringIO

    from django.core.management import call_command

    ent = world.orgs["ent"].arg
    with time_machine.travel(MONDAY, tick=False):
        hazard = report(user("ent-operator"), ent)
        hazard_transition(
            actor=user("ent-operator"),
            hazard_id=hazard.pk,
            action="assign",
            version=1,
            data={"deadline": "2026-03-03"},
        )
    out = StringIO()
    call_command("jobs", "hazard-deadlines", "--at", "2026-03-05T09:00:00+08:00", stdout=out)
    assert '"overdue": 1' in out.getvalue()
    hazard.refresh_from_db()
    assert hazard.escalation_level == 1
    logged = ChangeLog.objects.filter(object_id=str(hazard.pk), comment="overdue").get()
    assert (logged.actor, logged.actor_name, logged.client) == (None, "job", "job")


def test_the_dashboard_tally_matches_the_hazards(world, client):
    """After reports, steps, a unit moving, and a rebuild, the tally-based dashboard says
    exactly what counting the hazards says, for every kind of reader."""
    from redline.hazards.selectors import _hazard_groups, dashboard
    from redline.hazards.tally import tally_rebuild
    from redline.organisations.models import Enterprise
    from redline.organisations.services import EnterpriseInput, enterprise_update

    ent, ent2 = world.orgs["ent"].arg, world.orgs["ent2"].arg
    with time_machine.travel(MONDAY, tick=False):
        first = report(user("ent-operator"), ent, level="major")
        second = report(user("ent2-operator"), ent2)
        third = report(user("ent-operator"), ent)
        hazard_transition(
            actor=user("ent-operator"),
            hazard_id=third.pk,
            action="fix_on_spot",
            version=1,
            data={"comment": "done"},
        )
        hazard_transition(
            actor=user("ent-manager"), hazard_id=third.pk, action="accept", version=2, data={}
        )
        hazard_transition(
            actor=user("emergency-inspector"),
            hazard_id=first.pk,
            action="list",
            version=1,
            data={"comment": "listed", "supervision_deadline": "2026-06-30"},
        )
        hazard_transition(
            actor=user("ent2-operator"),
            hazard_id=second.pk,
            action="assign",
            version=1,
            data={"deadline": "2026-03-04"},
        )
    readers = ["cityhall-viewer", "d1-viewer", "s11-viewer", "emergency-viewer", "fire_d1-viewer"]

    def same(filters=None):
        for name in readers:
            reader = user(name)
            live = _hazard_groups(reader, filters or {})
            shown = dashboard(reader, filters)["totals"]
            for key in ("total", "open_general", "open_major", "closed", "listed_open"):
                assert shown[key] == sum(g[key] for g in live), (name, key, filters)

    with time_machine.travel(dt.datetime(2026, 3, 9, 9, tzinfo=ZONE), tick=False):
        same()
        same({"level": "major"})
        assert dashboard(user("cityhall-viewer"))["totals"]["overdue"] == 1
        assert dashboard(user("cityhall-viewer"))["totals"]["mean_days"]["general"] == 0.0
        unit = Enterprise.objects.get(pk=ent)
        enterprise_update(
            actor=user("cityhall-admin"),
            enterprise_id=ent,
            version=unit.version,
            data=EnterpriseInput(region=world.regions["S21"]),
        )
        same()
        tally_rebuild()
        same()
