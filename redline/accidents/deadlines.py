"""The accidents' deadlines on the one sweep (`redline.core.deadlines`):

- the supplementary-report window of Decree 493 art. 13 (30 days; 7 for road traffic and
  fire accidents): a reminder two days before it closes, and the flag once it has closed
  (the casualty figures are then those of the investigation report); no escalation;
- the investigation report, due 60 days after the accident (art. 29): a reminder a week
  before, the overdue flag after, and escalation a week later to the governments of the
  accident's region and the district above it.

Each happens once per accident and date, claimed with a conditional update; run by the
scheduler (`accidents/tasks.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

from redline.accidents.models import Accident
from redline.accidents.vocab import AccidentState
from redline.accidents.workflow import ACCIDENT
from redline.core.deadlines import Actions, Deadlines, Subjects, sweep
from redline.core.notify import users_of
from redline.organisations import selectors as org_selectors
from redline.organisations.models import Organisation
from redline.organisations.vocab import OrganisationKind, RegionLevel

if TYPE_CHECKING:
    from redline.accounts.models import User

WINDOW_REMIND_DAYS = 2
INVESTIGATION_REMIND_DAYS = 7
INVESTIGATION_ESCALATION_DAYS = (7,)


def _open() -> Any:
    return Accident.objects.filter(state__in=AccidentState.open_states())


def _own(accident: Accident) -> list[int]:
    """Who answers for the accident: the unit's account and the body that recorded it."""
    ids: list[int] = []
    if accident.unit_id:
        ids += list(
            Organisation.objects.filter(enterprise_id=accident.unit_id).values_list("pk", flat=True)
        )
    recorder = accident.created_by
    if recorder is not None and recorder.organisation_id:
        ids.append(recorder.organisation_id)
    return ids


def escalation_bodies(accident: Accident) -> list[Organisation]:
    """The governments (and Safety Committee offices) of the accident's region and of the
    district above it."""
    levels = (RegionLevel.SUBDISTRICT, RegionLevel.DISTRICT)
    found = org_selectors.governments_at(accident.region, levels)
    return [o for o in found if o.kind == OrganisationKind.GOVERNMENT] or found


def _who(accident: Accident, level: int) -> tuple[list[User], list[str]]:
    if not level:
        return users_of(_own(accident)), []
    bodies = escalation_bodies(accident)
    return users_of([o.pk for o in bodies]), [str(o) for o in bodies]


def _name(accident: Accident) -> str:
    return str(accident)


WINDOW = Deadlines(
    machine=ACCIDENT,
    late=_open,
    due="supplement_until",
    remind_days=lambda: WINDOW_REMIND_DAYS,
    escalation_days=lambda: (),
    subjects=Subjects(
        remind=gettext_lazy(
            "Supplementary-report window closes on %(date)s: report any change in the "
            "casualties of %(name)s"
        ),
        overdue=gettext_lazy(
            "Supplementary-report window of %(name)s closed (%(date)s): the casualty figures "
            "now come from the investigation report"
        ),
        escalate=gettext_lazy("Supplementary-report window of %(name)s (%(date)s)"),
    ),
    who=_who,
    name=_name,
    url=lambda accident: accident.get_absolute_url(),
    key="accident-window",
    actions=Actions("window_remind", "window_closed", "window_escalate"),
    reminded="supplement_reminded_at",
    overdue="supplement_closed_at",
    level="supplement_level",
    related=("region", "created_by"),
)

INVESTIGATION = Deadlines(
    machine=ACCIDENT,
    late=_open,
    due="investigation_due",
    remind_days=lambda: INVESTIGATION_REMIND_DAYS,
    escalation_days=lambda: INVESTIGATION_ESCALATION_DAYS,
    subjects=Subjects(
        remind=gettext_lazy("Investigation report due by %(date)s: %(name)s"),
        overdue=gettext_lazy("Investigation report overdue: %(name)s (due %(date)s)"),
        escalate=gettext_lazy("Escalated: no investigation report on %(name)s (due %(date)s)"),
    ),
    who=_who,
    name=_name,
    url=lambda accident: accident.get_absolute_url(),
    key="accident-investigation",
    reminded="investigation_reminded_at",
    overdue="investigation_overdue_since",
    level="investigation_escalation_level",
    related=("region", "created_by"),
)


def accident_deadline_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for prefix, rule in (("window", WINDOW), ("investigation", INVESTIGATION)):
        for step, n in sweep(rule, now=now).items():
            counts[f"{prefix}_{step}"] = n
    return counts
