"""Deadlines of hidden-hazard rectification: reminders before, the overdue flag after, and
escalation up the responsibility chain (supervising department, district, city) at the
delays of REDLINE_HAZARD_ESCALATION_DAYS. Declared on the one deadline sweep
(`redline.core.deadlines`); run by the scheduler (`redline jobs`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy

from redline.core.deadlines import Deadlines, Subjects, sweep
from redline.core.notify import users_of
from redline.hazards.models import Hazard
from redline.hazards.services import hazard_url, unit_users
from redline.hazards.vocab import HazardState
from redline.hazards.workflow import MACHINE
from redline.organisations import selectors as org_selectors
from redline.organisations.vocab import RegionLevel

if TYPE_CHECKING:
    from redline.accounts.models import User

ESCALATION_LEVELS = {1: "department", 2: RegionLevel.DISTRICT, 3: RegionLevel.CITY}
LATE_STATES = (HazardState.REPORTED, HazardState.RECTIFYING)


def _escalation_orgs(hazard: Hazard, level: int) -> list[Any]:
    if level == 1:
        return org_selectors.supervising_departments(hazard.enterprise, hazard.sector)
    region_level = ESCALATION_LEVELS[level]
    return org_selectors.governments_at(hazard.region, (region_level,))


def _who(hazard: Hazard, level: int) -> tuple[list[User], list[str]]:
    if not level:
        return unit_users(hazard), []
    orgs = _escalation_orgs(hazard, level)
    return users_of([o.pk for o in orgs]), [str(o) for o in orgs]


HAZARD_DEADLINES = Deadlines(
    machine=MACHINE,
    late=lambda: Hazard.objects.filter(state__in=LATE_STATES),
    due="deadline",
    remind_days=lambda: settings.REDLINE_HAZARD_REMIND_DAYS,
    escalation_days=lambda: settings.REDLINE_HAZARD_ESCALATION_DAYS[:3],
    subjects=Subjects(
        remind=gettext_lazy("Rectification due by %(date)s: %(name)s"),
        overdue=gettext_lazy("Overdue: %(name)s (deadline %(date)s)"),
        escalate=gettext_lazy("Escalated: %(name)s is overdue (deadline %(date)s)"),
    ),
    who=_who,
    name=lambda hazard: f"{hazard.number} {hazard.name}",
    url=hazard_url,
    key="hazard",
    body=lambda hazard, level: str(hazard.enterprise) if level else "",
    escalate_only={"enterprise__isnull": False},
    related=("enterprise", "region"),
)


def hazard_deadlines_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send reminders before deadlines, flag hazards whose deadline passed, and escalate
    them up the chain at the configured delays, each once per hazard and deadline."""
    return sweep(HAZARD_DEADLINES, now=now)
