"""What each computed indicator measures for a district over an assessment's period, read
through the other apps' selectors (and so through the door of the user who computes: the
city government or the Safety Committee office, who see everything, when a draft is shown or
an assessment is published).

- `hazards.closure`: hazards reported in the period in the district; closed / (all but
  dismissed), the hazard dashboard's closure rate (`hazards.selectors.dashboard`).
- `hazards.overdue`: of the same hazards, those overdue (`hazards.selectors.overdue_q`) on
  the day of computing / (all but dismissed). A published assessment keeps the day's figure.
- `inspections.plan_completion`: inspections of the published annual plan planned in the
  period in the district, not cancelled; completed (a completion time) / planned.
- `committee.key_tasks`: Safety Committee key tasks placed in the district (or below it) with
  their deadline in the period, not cancelled; verified / due.
- `training.compliance`: people of the district's units compliant on the last day of the
  period (or today, if earlier) / people (`training.selectors.compliance`).
- `campaigns.progress`: the mean score of the campaigns overlapping the period in the
  district's row of each campaign's progress (`campaigns.selectors.progress`), 0..1.
- `accidents.count`, `accidents.deaths`: accidents and deaths in the period in the district
  (`accidents.selectors.tally(by="region")`) against the district's control indicator of the
  year for every sector; for a quarter or a month the annual ceiling is prorated by days.
- veto `accidents.serious`: a serious or particularly serious accident in the period in the
  district (`accidents.selectors.accident_list`, the level from Decree 493's bands).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils import timezone

from redline.accidents import selectors as accidents
from redline.accidents.vocab import Level
from redline.campaigns import selectors as campaigns
from redline.committee import selectors as committee
from redline.committee.vocab import TaskState
from redline.hazards import selectors as hazards
from redline.hazards.vocab import HazardState
from redline.inspections.models import Inspection
from redline.inspections.models_plan import PlanState
from redline.inspections.vocab import InspectionState
from redline.organisations.models import Region
from redline.organisations.vocab import RegionLevel
from redline.training import selectors as training

if TYPE_CHECKING:
    from redline.assessment.models import Assessment

Measures = dict[str, dict[str, Any] | None]


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end, dt.time.min, tzinfo=zone),
    )


def _hazards(user: Any, district: Region, start: dt.date, end: dt.date) -> Measures:
    low, high = _bounds(start, end)
    found = hazards.hazard_list(user, {"region": district.pk}).filter(
        reported_at__gte=low, reported_at__lt=high
    )
    row = found.order_by().aggregate(
        total=Count("pk"),
        dismissed=Count("pk", filter=Q(state=HazardState.DISMISSED)),
        closed=Count("pk", filter=Q(state=HazardState.CLOSED)),
        overdue=Count("pk", filter=hazards.overdue_q(timezone.localdate())),
    )
    counted = row["total"] - row["dismissed"]
    return {
        "hazards.closure": {"num": row["closed"], "den": counted},
        "hazards.overdue": {"num": row["overdue"], "den": counted},
    }


def _plan(user: Any, district: Region, start: dt.date, end: dt.date) -> Measures:
    planned = (
        Inspection.objects.restrict(user)
        .filter(
            plan__state=PlanState.PUBLISHED,
            planned_on__gte=start,
            planned_on__lt=end,
            enterprise__region__path__startswith=district.path,
        )
        .exclude(state=InspectionState.CANCELLED)
    )
    row = planned.order_by().aggregate(
        den=Count("pk"), num=Count("pk", filter=Q(completed_at__isnull=False))
    )
    return {"inspections.plan_completion": {"num": row["num"], "den": row["den"]}}


def _key_tasks(user: Any, district: Region, start: dt.date, end: dt.date) -> Measures:
    due = (
        committee.tasks_visible(user)
        .filter(regions__path__startswith=district.path, deadline__gte=start, deadline__lt=end)
        .exclude(state=TaskState.CANCELLED)
        .order_by()
        .values("pk")
        .distinct()
    )
    ids = list(due.values_list("pk", flat=True))
    verified = committee.tasks_visible(user).filter(pk__in=ids, state=TaskState.VERIFIED).count()
    return {"committee.key_tasks": {"num": verified, "den": len(ids)}}


def training_day(end: dt.date) -> dt.date:
    """The day training compliance is judged on: the period's last day, or today if earlier."""
    return min(end - dt.timedelta(days=1), timezone.localdate())


def _training(user: Any, district: Region, start: dt.date, end: dt.date) -> Measures:
    rows = training.compliance(user, on=training_day(end), region=district)
    people = sum(r["people"] for r in rows)
    compliant = sum(r["compliant"] for r in rows)
    return {"training.compliance": {"num": compliant, "den": people}}


def _campaigns(user: Any, district: Region, start: dt.date, end: dt.date) -> Measures:
    scores: list[float] = []
    running = campaigns.campaign_list(user).filter(starts_on__lt=end, ends_on__gte=start)
    for campaign in running:
        progress = campaigns.progress(user, campaign)
        for row in progress.regions:
            if row.region is not None and row.region.pk == district.pk and row.score is not None:
                scores.append(row.score / 100)
    return {"campaigns.progress": {"num": round(sum(scores), 4), "den": len(scores)}}


def _accidents(
    user: Any, district: Region, start: dt.date, end: dt.date, tallies: dict[str, Any]
) -> Measures:
    row = tallies.get(str(district.pk))
    count = row.accidents if row else 0
    deaths = row.deaths if row else 0
    indicator = (
        accidents.indicators_visible(user, start.year).filter(region=district, sector="").first()
    )
    share = (end - start).days / (dt.date(start.year + 1, 1, 1) - dt.date(start.year, 1, 1)).days
    accident_ceiling = round(indicator.max_accidents * share, 2) if indicator else None
    death_ceiling = round(indicator.max_deaths * share, 2) if indicator else None
    low, high = _bounds(start, end)
    serious = (
        accidents.accident_list(user, {"region": district.pk})
        .filter(level__in=[Level.SERIOUS, Level.PARTICULARLY_SERIOUS])
        .filter(occurred_at__gte=low, occurred_at__lt=high)
        .count()
    )
    return {
        "accidents.count": {"actual": count, "ceiling": accident_ceiling},
        "accidents.deaths": {"actual": deaths, "ceiling": death_ceiling},
        "accidents.serious": {"triggered": serious > 0, "count": serious},
    }


def districts(user: Any) -> list[Region]:
    return list(Region.objects.restrict(user).filter(level=RegionLevel.DISTRICT).order_by("path"))


def measure(user: Any, assessment: Assessment) -> dict[str, Measures]:
    """Every computed measure of every district the user sees, keyed by the district's id."""
    start, end = assessment.start, assessment.end
    tallies = {t.key: t for t in accidents.tally(user, start, end, by="region")}
    out: dict[str, Measures] = {}
    for district in districts(user):
        values: Measures = {}
        for part in (_hazards, _plan, _key_tasks, _training, _campaigns):
            values.update(part(user, district, start, end))
        values.update(_accidents(user, district, start, end, tallies))
        out[str(district.pk)] = values
    return out
