"""Deadlines of hidden-hazard rectification: reminders before, the overdue flag after, and
escalation up the responsibility chain (supervising department, district, city) at the
delays of REDLINE_HAZARD_ESCALATION_DAYS. Run by the scheduler (`redline jobs`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from redline.core.notify import notify, users_of
from redline.hazards.models import Hazard
from redline.hazards.services import hazard_url, timeline_event, unit_users
from redline.hazards.vocab import HazardState
from redline.organisations import selectors as org_selectors
from redline.organisations.vocab import RegionLevel

ESCALATION_LEVELS = {1: "department", 2: RegionLevel.DISTRICT, 3: RegionLevel.CITY}
LATE_STATES = (HazardState.REPORTED, HazardState.RECTIFYING)


def _escalation_orgs(hazard: Hazard, level: int) -> list[Any]:
    if level == 1:
        return org_selectors.supervising_departments(hazard.enterprise, hazard.sector)
    region_level = ESCALATION_LEVELS[level]
    return org_selectors.governments_at(hazard.region, (region_level,))


def hazard_deadlines_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send reminders before deadlines, flag hazards whose deadline passed, and escalate
    them up the chain at the configured delays. Each step happens once per hazard (a
    conditional update claims it), so the sweep can run as often as wanted, twice at
    once, or again after a crash."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"reminded": 0, "overdue": 0, "escalated": 0}
    late = Hazard.objects.filter(state__in=LATE_STATES, deadline__isnull=False)

    remind_from = today + dt.timedelta(days=settings.REDLINE_HAZARD_REMIND_DAYS)
    due_soon = late.filter(reminded_at=None, deadline__gte=today, deadline__lte=remind_from)
    for pk in _ids(due_soon):
        with transaction.atomic():
            if Hazard.objects.filter(pk=pk, reminded_at=None).update(reminded_at=now) != 1:
                continue
            hazard = Hazard.objects.select_related("enterprise", "region").get(pk=pk)
            timeline_event(
                hazard,
                actor=None,
                action="remind",
                actor_name="Redline",
                at=now,
                data={"deadline": hazard.deadline.isoformat() if hazard.deadline else ""},
            )
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Rectification due by %(date)s: %(name)s") % {
                    "date": hazard.deadline,
                    "name": f"{hazard.number} {hazard.name}",
                }
            notify(
                unit_users(hazard),
                key=f"hazard:{pk}:remind:{hazard.deadline}",
                subject=subject,
                url=hazard_url(hazard),
            )
            counts["reminded"] += 1

    for pk in _ids(late.filter(overdue_since=None, deadline__lt=today)):
        with transaction.atomic():
            if Hazard.objects.filter(pk=pk, overdue_since=None).update(overdue_since=now) != 1:
                continue
            hazard = Hazard.objects.select_related("enterprise", "region").get(pk=pk)
            timeline_event(
                hazard,
                actor=None,
                action="overdue",
                actor_name="Redline",
                at=now,
                data={"deadline": hazard.deadline.isoformat() if hazard.deadline else ""},
            )
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Overdue: %(name)s (deadline %(date)s)") % {
                    "date": hazard.deadline,
                    "name": f"{hazard.number} {hazard.name}",
                }
            notify(
                unit_users(hazard),
                key=f"hazard:{pk}:overdue:{hazard.deadline}",
                subject=subject,
                url=hazard_url(hazard),
            )
            counts["overdue"] += 1

    delays = settings.REDLINE_HAZARD_ESCALATION_DAYS
    for level in (1, 2, 3):
        cutoff = today - dt.timedelta(days=delays[level - 1])
        candidates = late.filter(
            escalation_level=level - 1, deadline__lt=cutoff, enterprise__isnull=False
        )
        for pk in _ids(candidates):
            with transaction.atomic():
                claimed = Hazard.objects.filter(pk=pk, escalation_level=level - 1).update(
                    escalation_level=level
                )
                if claimed != 1:
                    continue
                hazard = Hazard.objects.select_related("enterprise", "region").get(pk=pk)
                orgs = _escalation_orgs(hazard, level)
                timeline_event(
                    hazard,
                    actor=None,
                    action="escalate",
                    actor_name="Redline",
                    at=now,
                    data={"level": level, "to": [str(o) for o in orgs]},
                )
                with translation.override(settings.LANGUAGE_CODE):
                    subject = _("Escalated: %(name)s is overdue (deadline %(date)s)") % {
                        "date": hazard.deadline,
                        "name": f"{hazard.number} {hazard.name}",
                    }
                notify(
                    users_of([o.pk for o in orgs]),
                    key=f"hazard:{pk}:escalate:{level}:{hazard.deadline}",
                    subject=subject,
                    body=str(hazard.enterprise),
                    url=hazard_url(hazard),
                )
                counts["escalated"] += 1
    return counts


def _ids(queryset: Any) -> list[int]:
    """The ids to visit, read once up front (each is then claimed one by one)."""
    return list(queryset.order_by("pk").values_list("pk", flat=True))
