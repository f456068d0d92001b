"""Deadlines of hidden-hazard rectification: reminders before, the overdue flag after, and
escalation up the responsibility chain (supervising department, district, city) at the
delays of REDLINE_HAZARD_ESCALATION_DAYS. Run by the scheduler (`redline jobs`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from redline.core import audit
from redline.core.notify import notify, users_of
from redline.core.workflow import system_event
from redline.hazards.models import Hazard
from redline.hazards.services import hazard_url, unit_users
from redline.hazards.vocab import HazardState
from redline.hazards.workflow import MACHINE
from redline.organisations import selectors as org_selectors
from redline.organisations.vocab import RegionLevel

ESCALATION_LEVELS = {1: "department", 2: RegionLevel.DISTRICT, 3: RegionLevel.CITY}
LATE_STATES = (HazardState.REPORTED, HazardState.RECTIFYING)


def _escalation_orgs(hazard: Hazard, level: int) -> list[Any]:
    if level == 1:
        return org_selectors.supervising_departments(hazard.enterprise, hazard.sector)
    region_level = ESCALATION_LEVELS[level]
    return org_selectors.governments_at(hazard.region, (region_level,))


@dataclass(frozen=True)
class Step:
    """One thing the sweep does to a hazard, once: `claim` (filter) -> `mark` (update) is
    the conditional update that makes it happen only once."""

    action: str
    claim: dict[str, Any]
    mark: dict[str, Any]
    subject: Any  # a translatable "%(name)s ... %(date)s" text
    level: int = 0  # escalation level, 0 for the unit's own reminders


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
    reminder = Step(
        "remind",
        {"reminded_at": None},
        {"reminded_at": now},
        gettext_lazy("Rectification due by %(date)s: %(name)s"),
    )
    counts["reminded"] = _run(reminder, due_soon, now)
    overdue = Step(
        "overdue",
        {"overdue_since": None},
        {"overdue_since": now},
        gettext_lazy("Overdue: %(name)s (deadline %(date)s)"),
    )
    counts["overdue"] = _run(overdue, late.filter(overdue_since=None, deadline__lt=today), now)

    delays = settings.REDLINE_HAZARD_ESCALATION_DAYS
    for level in (1, 2, 3):
        cutoff = today - dt.timedelta(days=delays[level - 1])
        candidates = late.filter(
            escalation_level=level - 1, deadline__lt=cutoff, enterprise__isnull=False
        )
        escalation = Step(
            "escalate",
            {"escalation_level": level - 1},
            {"escalation_level": level},
            gettext_lazy("Escalated: %(name)s is overdue (deadline %(date)s)"),
            level=level,
        )
        counts["escalated"] += _run(escalation, candidates, now)
    return counts


def _run(step: Step, candidates: Any, now: dt.datetime) -> int:
    """Claim each candidate for the step (skipping those another sweep claimed first),
    record it on the timeline and tell those concerned."""
    done = 0
    for pk in _ids(candidates):
        with transaction.atomic():
            if Hazard.objects.filter(pk=pk, **step.claim).update(**step.mark) != 1:
                continue
            hazard = Hazard.objects.select_related("enterprise", "region").get(pk=pk)
            deadline = hazard.deadline.isoformat() if hazard.deadline else ""
            if step.level:
                orgs = _escalation_orgs(hazard, step.level)
                recipients = users_of([o.pk for o in orgs])
                data: dict[str, Any] = {"level": step.level, "to": [str(o) for o in orgs]}
                key = f"hazard:{pk}:escalate:{step.level}:{deadline}"
            else:
                recipients = unit_users(hazard)
                data = {"deadline": deadline}
                key = f"hazard:{pk}:{step.action}:{deadline}"
            system_event(
                MACHINE,
                hazard,
                action=step.action,
                at=now,
                before=audit.plain(step.claim),
                after=audit.plain(step.mark),
                data=data,
                actor_label="Redline",
            )
            with translation.override(settings.LANGUAGE_CODE):
                subject = str(step.subject) % {
                    "date": hazard.deadline,
                    "name": f"{hazard.number} {hazard.name}",
                }
            body = str(hazard.enterprise) if step.level else ""
            notify(recipients, key=key, subject=subject, body=body, url=hazard_url(hazard))
            done += 1
    return done


def _ids(queryset: Any) -> list[int]:
    """The ids to visit, read once up front (each is then claimed one by one)."""
    return list(queryset.order_by("pk").values_list("pk", flat=True))
