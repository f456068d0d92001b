"""What each computed indicator measures for a district, or for a department, over an
assessment's period, read through the other apps' selectors (and so through the door of the
user who computes: the city government or the Safety Committee office, who see everything,
when a draft is shown or an assessment is published).

For a district:

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

For a department, the same measures over the records of its competence: what the door lets
its own users act on (`access.department_competence`: the units of its mandates' sectors and
kinds, each in the mandate's region subtree, and their records), so nothing here decides
jurisdiction a second time:

- `hazards.closure`, `hazards.overdue`: the hazards in its competence reported in the period
  (`Hazard.objects.scope_filter` of that scope);
- `inspections.plan_completion`: the inspections of the published plan that the department
  itself makes (`Inspection.organisation`), planned in the period;
- `committee.key_tasks`: the key tasks it leads or cooperates on (`committee.selectors.
  owed_by_q`) with their deadline in the period, not cancelled; verified / due;
- `training.compliance`: the people of the units in its competence;
- `campaigns.progress`: the mean score of its row (the departments whose mandates cover the
  campaign's sectors) in each campaign overlapping the period;
- `accidents.count`, `accidents.deaths`: the accidents in the sectors and region subtrees of
  the year's control indicators set for its sectors (`ControlIndicator.objects.scope_filter`
  of its competence, sector given; where the city set one for a sector and one for a
  district below, the city's counts), against their summed ceilings prorated as above; with
  no such indicator the two do not apply to it (`{"applies": false}`: left out, the base
  rescaled); the measure names the indicators (`indicators`, their ids), so that its link
  opens exactly the accidents counted (the accident list's `indicator` filter);
- veto `accidents.serious`: a serious or particularly serious accident in its competence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.utils import timezone

from redline.accidents import selectors as accidents
from redline.accidents.models import Accident, ControlIndicator
from redline.accidents.vocab import Level
from redline.campaigns import selectors as campaigns
from redline.committee import selectors as committee
from redline.committee.vocab import TaskState
from redline.hazards import selectors as hazards
from redline.hazards.models import Hazard
from redline.hazards.vocab import HazardState
from redline.inspections.models import Inspection
from redline.inspections.models_plan import PlanState
from redline.inspections.vocab import InspectionState
from redline.organisations.access import Scope, department_competences
from redline.organisations.models import Enterprise, Organisation, Region
from redline.organisations.vocab import OrganisationKind, RegionLevel
from redline.training import selectors as training

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from redline.assessment.models import Assessment
    from redline.campaigns.selectors import Progress

Measures = dict[str, dict[str, Any] | None]


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end, dt.time.min, tzinfo=zone),
    )


def _hazards(user: Any, district: Region, start: dt.date, end: dt.date) -> Measures:
    return _hazard_counts(hazards.hazard_list(user, {"region": district.pk}), start, end)


def _hazard_counts(found: QuerySet[Hazard], start: dt.date, end: dt.date) -> Measures:
    low, high = _bounds(start, end)
    found = found.filter(reported_at__gte=low, reported_at__lt=high)
    row = found.order_by().aggregate(
        total=Count("pk"),
        dismissed=Count("pk", filter=Q(state=HazardState.DISMISSED)),
        closed=Count("pk", filter=Q(state=HazardState.CLOSED)),
        overdue=Count("pk", filter=hazards.overdue_q(timezone.localdate())),
    )
    return _hazard_measures(row["total"], row["dismissed"], row["closed"], row["overdue"])


def _hazard_measures(total: int, dismissed: int, closed: int, overdue: int) -> Measures:
    counted = total - dismissed
    return {
        "hazards.closure": {"num": closed, "den": counted},
        "hazards.overdue": {"num": overdue, "den": counted},
    }


def _plan(user: Any, district: Region, start: dt.date, end: dt.date) -> Measures:
    where = Q(enterprise__region__path__startswith=district.path)
    return _plan_counts(user, where, start, end)


def _plan_counts(user: Any, where: Q, start: dt.date, end: dt.date) -> Measures:
    planned = (
        Inspection.objects.restrict(user)
        .filter(where, plan__state=PlanState.PUBLISHED, planned_on__gte=start, planned_on__lt=end)
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


def _running(user: Any, start: dt.date, end: dt.date) -> list[Progress]:
    """The progress of every campaign overlapping the period (computed once for all)."""
    running = campaigns.campaign_list(user).filter(starts_on__lt=end, ends_on__gte=start)
    return [campaigns.progress(user, campaign) for campaign in running]


def _campaigns(district: Region, running: list[Progress]) -> Measures:
    scores = [
        row.score / 100
        for progress in running
        for row in progress.regions
        if row.region is not None and row.region.pk == district.pk and row.score is not None
    ]
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
    share = _share(start, end)
    accident_ceiling = round(indicator.max_accidents * share, 2) if indicator else None
    death_ceiling = round(indicator.max_deaths * share, 2) if indicator else None
    return {
        "accidents.count": {"actual": count, "ceiling": accident_ceiling},
        "accidents.deaths": {"actual": deaths, "ceiling": death_ceiling},
        **_serious(accidents.accident_list(user, {"region": district.pk}), start, end),
    }


def _share(start: dt.date, end: dt.date) -> float:
    """The period's share of its year (an annual ceiling prorated by days)."""
    return (end - start).days / (dt.date(start.year + 1, 1, 1) - dt.date(start.year, 1, 1)).days


def _serious(found: QuerySet[Accident], start: dt.date, end: dt.date) -> Measures:
    low, high = _bounds(start, end)
    serious = (
        found.filter(level__in=[Level.SERIOUS, Level.PARTICULARLY_SERIOUS])
        .filter(occurred_at__gte=low, occurred_at__lt=high)
        .count()
    )
    return {"accidents.serious": {"triggered": serious > 0, "count": serious}}


def districts(user: Any) -> list[Region]:
    return list(Region.objects.restrict(user).filter(level=RegionLevel.DISTRICT).order_by("path"))


def departments(user: Any) -> list[Organisation]:
    """The departments the user sees (the subjects of a department assessment)."""
    return list(
        Organisation.objects.restrict(user)
        .filter(kind=OrganisationKind.DEPARTMENT, is_archived=False)
        .select_related("region")
        .order_by("region__path", "name", "pk")
    )


def measure(user: Any, assessment: Assessment) -> dict[str, Measures]:
    """Every computed measure of every subject the user sees (the districts or the
    departments, as the assessment's kind says), keyed by the subject's id."""
    from redline.assessment.models import SubjectKind

    if assessment.subject_kind == SubjectKind.DEPARTMENT:
        return _measure_departments(user, assessment)
    start, end = assessment.start, assessment.end
    tallies = {t.key: t for t in accidents.tally(user, start, end, by="region")}
    running = _running(user, start, end)
    out: dict[str, Measures] = {}
    for district in districts(user):
        values: Measures = {}
        for part in (_hazards, _plan, _key_tasks, _training):
            values.update(part(user, district, start, end))
        values.update(_campaigns(district, running))
        values.update(_accidents(user, district, start, end, tallies))
        out[str(district.pk)] = values
    return out


# --- departments ------------------------------------------------------------------------------


def _measure_departments(user: Any, assessment: Assessment) -> dict[str, Measures]:
    """Every department's measures from a fixed number of queries however many departments
    there are: their mandates in one (`department_competences`), then each measure as one
    grouped or conditional aggregate (a count per department, filtered by the door's filter
    for its competence), never a query per department."""
    start, end = assessment.start, assessment.end
    subjects = departments(user)
    scopes = department_competences(subjects)
    running = _running(user, start, end)
    parts = (
        _department_hazards(user, scopes, start, end),
        _department_plans(user, scopes, start, end),
        _department_tasks(user, scopes, start, end),
        _department_training(user, scopes, training.compliance(user, on=training_day(end))),
        _department_accidents(user, scopes, start, end),
    )
    out: dict[str, Measures] = {}
    for department in subjects:
        values: Measures = {}
        for part in parts:
            values.update(part[department.pk])
        values.update(_department_campaigns(department, running))
        out[str(department.pk)] = values
    return out


def _in(model: Any, scope: Scope) -> Q:
    """The records of `model` in a department's competence: the filter its door puts on them
    for that scope (`ScopedQuerySet.scope_filter`)."""
    found: Q = model.objects.all().scope_filter(scope)
    return found


def _flag(q: Q) -> ExpressionWrapper:
    """A condition as a column (true or false on each row)."""
    return ExpressionWrapper(q, output_field=BooleanField())


def _department_hazards(
    user: Any, scopes: dict[int, Scope], start: dt.date, end: dt.date
) -> dict[int, Measures]:
    """The hazards in each department's competence reported in the period: one query, the
    hazards grouped by state, overdue or not and a flag per department (in its competence
    or not), summed here."""
    low, high = _bounds(start, end)
    found = hazards.hazard_list(user).filter(reported_at__gte=low, reported_at__lt=high)
    flags = {f"in_{pk}": _flag(_in(Hazard, scope)) for pk, scope in scopes.items()}
    groups = (
        found.order_by()
        .annotate(late=_flag(hazards.overdue_q(timezone.localdate())), **flags)
        .values("state", "late", *flags)
        .annotate(n=Count("pk"))
        if flags
        else []
    )
    counts = {pk: {"total": 0, "dismissed": 0, "closed": 0, "overdue": 0} for pk in scopes}
    for group in groups:
        for pk, mine in counts.items():
            if not group[f"in_{pk}"]:
                continue
            mine["total"] += group["n"]
            mine["dismissed"] += group["n"] if group["state"] == HazardState.DISMISSED else 0
            mine["closed"] += group["n"] if group["state"] == HazardState.CLOSED else 0
            mine["overdue"] += group["n"] if group["late"] else 0
    return {
        pk: _hazard_measures(c["total"], c["dismissed"], c["closed"], c["overdue"])
        for pk, c in counts.items()
    }


def _department_plans(
    user: Any, scopes: dict[int, Scope], start: dt.date, end: dt.date
) -> dict[int, Measures]:
    """The inspections of the published plan each department makes (one grouped query)."""
    planned = (
        Inspection.objects.restrict(user)
        .filter(
            organisation_id__in=list(scopes),
            plan__state=PlanState.PUBLISHED,
            planned_on__gte=start,
            planned_on__lt=end,
        )
        .exclude(state=InspectionState.CANCELLED)
        .order_by()
        .values("organisation_id")
        .annotate(den=Count("pk"), num=Count("pk", filter=Q(completed_at__isnull=False)))
    )
    rows = {r["organisation_id"]: r for r in planned}
    return {
        pk: {
            "inspections.plan_completion": {
                "num": rows[pk]["num"] if pk in rows else 0,
                "den": rows[pk]["den"] if pk in rows else 0,
            }
        }
        for pk in scopes
    }


def _department_tasks(
    user: Any, scopes: dict[int, Scope], start: dt.date, end: dt.date
) -> dict[int, Measures]:
    """The key tasks each department owes (leads or cooperates on) with their deadline in
    the period, not cancelled; verified / due (one query)."""
    sums: dict[str, Any] = {}
    for pk in scopes:
        owed = committee.owed_by_q(pk)
        sums[f"den_{pk}"] = Count("pk", filter=owed)
        sums[f"num_{pk}"] = Count("pk", filter=owed & Q(state=TaskState.VERIFIED))
    due = (
        committee.tasks_visible(user)
        .filter(deadline__gte=start, deadline__lt=end)
        .exclude(state=TaskState.CANCELLED)
        .order_by()
    )
    row = due.aggregate(**sums) if sums else {}
    return {
        pk: {"committee.key_tasks": {"num": row[f"num_{pk}"], "den": row[f"den_{pk}"]}}
        for pk in scopes
    }


def _department_training(
    user: Any, scopes: dict[int, Scope], people: list[dict[str, Any]]
) -> dict[int, Measures]:
    """The people of the units in each department's competence (`people`: the counts per
    unit the user sees); which units are whose, in one query (a flag per department on each
    unit with people)."""
    flags = {f"in_{pk}": _flag(scope.enterprise_q()) for pk, scope in scopes.items()}
    units = (
        Enterprise.objects.restrict(user)
        .filter(pk__in=training.people_of_units(user).values("enterprise_id"))
        .annotate(**flags)
        .values("pk", *flags)
        if flags
        else []
    )
    mine: dict[int, set[int]] = {pk: set() for pk in scopes}
    for unit in units:
        for pk in scopes:
            if unit[f"in_{pk}"]:
                mine[pk].add(unit["pk"])
    out: dict[int, Measures] = {}
    for pk in scopes:
        rows = [r for r in people if r["unit_id"] in mine[pk]]
        out[pk] = {
            "training.compliance": {
                "num": sum(r["compliant"] for r in rows),
                "den": sum(r["people"] for r in rows),
            }
        }
    return out


def _department_campaigns(department: Organisation, running: list[Progress]) -> Measures:
    scores = [
        row.score / 100
        for progress in running
        for row in progress.departments
        if row.department is not None
        and row.department.pk == department.pk
        and row.score is not None
    ]
    return {"campaigns.progress": {"num": round(sum(scores), 4), "den": len(scores)}}


def control_indicators(user: Any, scope: Scope, year: int) -> list[ControlIndicator]:
    """The year's control indicators of a department's sectors (in its competence, a sector
    given), the topmost of each sector: a district's indicator under a city one of the same
    sector is counted in the city's."""
    return _topmost(_sector_indicators(user, year).filter(_in(ControlIndicator, scope)))


def _sector_indicators(user: Any, year: int) -> QuerySet[ControlIndicator]:
    return (
        accidents.indicators_visible(user, year)
        .exclude(sector="")
        .select_related("region")
        .order_by("sector", "region__path")
    )


def _topmost(found: Iterable[ControlIndicator]) -> list[ControlIndicator]:
    """Of indicators ordered by sector and region path, the topmost of each sector."""
    kept: list[ControlIndicator] = []
    for indicator in found:
        if not any(
            k.sector == indicator.sector and indicator.region.path.startswith(k.region.path)
            for k in kept
        ):
            kept.append(indicator)
    return kept


def _department_accidents(
    user: Any, scopes: dict[int, Scope], start: dt.date, end: dt.date
) -> dict[int, Measures]:
    """Each department's accidents against the control indicators of its sectors, and its
    serious ones (three queries: the serious accidents and the indicators, with a flag or a
    count per department, and the accidents counted against each one's indicators)."""
    low, high = _bounds(start, end)
    in_period = Accident.objects.restrict(user).filter(occurred_at__gte=low, occurred_at__lt=high)
    serious_rows = (
        in_period.filter(level__in=[Level.SERIOUS, Level.PARTICULARLY_SERIOUS])
        .order_by()
        .aggregate(**{f"s_{pk}": Count("pk", filter=_in(Accident, s)) for pk, s in scopes.items()})
        if scopes
        else {}
    )
    flags = {f"in_{pk}": _flag(_in(ControlIndicator, s)) for pk, s in scopes.items()}
    found = list(_sector_indicators(user, start.year).annotate(**flags)) if flags else []
    indicators = {pk: _topmost(i for i in found if getattr(i, f"in_{pk}")) for pk in scopes}
    sums: dict[str, Any] = {}
    for pk, mine in indicators.items():
        if mine:
            covered = reduce(
                or_, (Q(region__path__startswith=i.region.path, sector=i.sector) for i in mine)
            )
            sums[f"n_{pk}"] = Count("pk", filter=covered)
            sums[f"dead_{pk}"] = Sum("deaths", filter=covered, default=0)
    counted = in_period.order_by().aggregate(**sums) if sums else {}
    share = _share(start, end)
    out: dict[int, Measures] = {}
    for pk, mine in indicators.items():
        serious = serious_rows[f"s_{pk}"]
        veto = {"accidents.serious": {"triggered": serious > 0, "count": serious}}
        if not mine:
            out[pk] = {
                "accidents.count": {"applies": False},
                "accidents.deaths": {"applies": False},
                **veto,
            }
            continue
        ids = [i.pk for i in mine]  # the records' link lists the accidents counted on them
        out[pk] = {
            "accidents.count": {
                "actual": counted[f"n_{pk}"],
                "ceiling": round(sum(i.max_accidents for i in mine) * share, 2),
                "indicators": ids,
            },
            "accidents.deaths": {
                "actual": counted[f"dead_{pk}"],
                "ceiling": round(sum(i.max_deaths for i in mine) * share, 2),
                "indicators": ids,
            },
            **veto,
        }
    return out
