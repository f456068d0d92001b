"""Reads of the special rectification campaigns and their progress.

Progress is computed live from the records, as the user may see them: every count starts
from `Enterprise.objects.restrict(user)`, `Hazard.objects.restrict(user)` or
`InspectionTask.objects.restrict(user)`, so a district sees its district's figures and a
department those of its mandates. The definitions (also shown on the campaign page):

- units in scope: registered units (not archived, not closed down) with one of the
  campaign's sectors, in its regions' subtrees (`Campaign.enterprise_q`);
- inspected: a unit in scope with an inspection task recorded as done (a result other
  than "not inspected") with its inspection time in the period, with a hazard found by a
  government inspection reported in the period, or with a government inspection (of any
  body, under the campaign or not) whose checklist was completed in the period;
- hazards found: hazards in the campaign's scope (`Campaign.hazard_q`: its sectors by the
  hazard's own sector or its unit's, its regions, reported in the period), dismissed
  reports left out; general / major by level; closed = accepted and closed; open = any
  state before that; overdue = open, not yet submitted for acceptance and past the
  deadline (`hazards.selectors.overdue_q`), on the day the page is read;
- major hazards citing the standards: major hazards whose determination items include an
  item of one of the campaign's standards;
- closure rate = closed / found; overdue rate = overdue / found; inspected share =
  inspected / units in scope; major closed share = closed major / major found (percent,
  one decimal; none when the denominator is 0);
- a target is met when the actual value (one decimal) is at least (at most, for the
  overdue rate) the target; its attainment is actual / target capped at 1 (target /
  actual for the overdue rate; 1 for a target of 0 that is met);
- score (for the rankings) = the mean attainment of the targets that can be measured,
  as a percentage; with no measurable target there is no score and the row ranks last.

Figures per region are over the region one level below the user's top region (districts
for the city, subdistricts for a district); per department, over the units that the
department's mandates for the campaign's sectors cover (and the loose public reports of
those sectors in the mandates' regions). The query count does not depend on the number of
units: units and hazards are each counted in one query grouped by region path and
sectors (the hazards also by the weeks they were reported and closed in, for the trend),
then folded into regions, departments and weeks here. The list's headlines count every
campaign's units in one query and its hazards in another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from redline.campaigns.models import Campaign, CampaignQuerySet
from redline.campaigns.vocab import TARGETS, TargetKind
from redline.core.filters import day_bounds, day_range, read_filters
from redline.hazards.models import Hazard, InspectionTask
from redline.hazards.selectors import overdue_q
from redline.hazards.vocab import HazardLevel, HazardSource, HazardState, TaskResult
from redline.inspections.models import Inspection
from redline.organisations.models import Enterprise, Organisation, Region, SectorMandate
from redline.organisations.selectors import region_filter
from redline.organisations.vocab import OrganisationKind

UNIT_FIELDS = ("units", "inspected")
HAZARD_FIELDS = ("general", "major", "closed", "open", "overdue", "major_closed")


# --- the campaigns ---------------------------------------------------------------------


LIST_FILTERS = ("region", "running_from", "running_to")
FILTER_READERS = day_range("running")


def campaign_list(
    user: Any, filters: Mapping[str, Any] | None = None, *, archived: bool = False
) -> QuerySet[Campaign]:
    """The campaigns the user sees (archived ones or the others), filtered: by region (the
    campaigns reaching it: placed in its subtree or above it, or city-wide) and by the days
    they run on (those running on any day from `running_from` to `running_to`). A bad
    filter is refused naming it; a region goes through the door (404 outside)."""
    filters = filters or {}
    wanted = read_filters(FILTER_READERS, filters)
    found = Campaign.objects.restrict(user).filter(is_archived=archived)
    region = region_filter(user, filters.get("region"))
    if region is not None:
        found = found.filter(CampaignQuerySet.reaching_q(region))
    # Running on a day of the range: started by its last day, not ended before its first.
    since, until = day_bounds("running", wanted)
    if until is not None:
        found = found.filter(starts_on__lte=until)
    if since is not None:
        found = found.filter(ends_on__gte=since)
    return found.prefetch_related("regions")


def campaign_get(user: Any, campaign_id: int) -> Campaign:
    """A campaign the user may see; Campaign.DoesNotExist (-> 404) otherwise."""
    return Campaign.objects.restrict(user).prefetch_related("regions").get(pk=campaign_id)


def campaign_for_filter(user: Any, value: Any) -> Campaign | None:
    """The campaign a `?campaign=<id>` filter names, if the user may see it."""
    try:
        return campaign_get(user, int(value))
    except (TypeError, ValueError, Campaign.DoesNotExist):
        return None


# --- figures ---------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Tally:
    """Counts for one view (the user's whole view, a region or a department)."""

    units: int = 0
    inspected: int = 0
    general: int = 0
    major: int = 0
    closed: int = 0
    open: int = 0
    overdue: int = 0
    major_closed: int = 0
    major_cited: int = 0

    def add(self, row: Mapping[str, Any], names: Iterable[str]) -> None:
        for name in names:
            setattr(self, name, getattr(self, name) + (row.get(name) or 0))

    @property
    def found(self) -> int:
        return self.general + self.major

    @property
    def inspected_share(self) -> float | None:
        return _share(self.inspected, self.units)

    @property
    def closure_rate(self) -> float | None:
        return _share(self.closed, self.found)

    @property
    def overdue_rate(self) -> float | None:
        return _share(self.overdue, self.found)

    @property
    def major_closed_share(self) -> float | None:
        return _share(self.major_closed, self.major)

    def actual(self, key: str) -> float | None:
        return {
            "inspected_share": self.inspected_share,
            "major_closed_share": self.major_closed_share,
            "closure_share": self.closure_rate,
            "overdue_rate": self.overdue_rate,
        }[key]


@dataclass(frozen=True)
class TargetResult:
    kind: TargetKind
    target: float
    actual: float | None

    @property
    def measurable(self) -> bool:
        return self.actual is not None

    @property
    def met(self) -> bool | None:
        if self.actual is None:
            return None
        if self.kind.direction == "<=":
            return self.actual <= self.target
        return self.actual >= self.target

    @property
    def attainment(self) -> float | None:
        """How far the target is reached, 0..1."""
        if self.actual is None:
            return None
        if self.met:
            return 1.0
        if self.kind.direction == "<=":
            return self.target / self.actual  # actual > target >= 0
        return self.actual / self.target  # actual < target, so target > 0


def judge(tally: Tally, targets: Mapping[str, Any]) -> list[TargetResult]:
    """Each of the campaign's targets with the actual value (in the order of TARGETS)."""
    return [
        TargetResult(kind=kind, target=float(targets[key]), actual=tally.actual(key))
        for key, kind in TARGETS.items()
        if key in (targets or {})
    ]


def score(results: Iterable[TargetResult]) -> float | None:
    """The mean attainment of the measurable targets, in percent."""
    attained = [r.attainment for r in results if r.attainment is not None]
    return round(100 * sum(attained) / len(attained), 1) if attained else None


@dataclass
class Row:
    """One region or department of the breakdown."""

    label: str
    tally: Tally = field(default_factory=Tally)
    region: Region | None = None
    department: Organisation | None = None
    mandates: list[SectorMandate] = field(default_factory=list)
    results: list[TargetResult] = field(default_factory=list)
    score: float | None = None
    rank: int | None = None

    @property
    def met(self) -> int:
        return sum(1 for r in self.results if r.met)

    @property
    def measured(self) -> int:
        return sum(1 for r in self.results if r.measurable)

    def finish(self, targets: Mapping[str, Any]) -> None:
        self.results = judge(self.tally, targets)
        self.score = score(self.results)


def rank(rows: list[Row]) -> list[Row]:
    """Rows by score, best first (no score last); equal scores share a rank."""
    ordered = sorted(rows, key=lambda r: (r.score is None, -(r.score or 0), r.label))
    previous: float | None = None
    for position, row in enumerate(ordered, start=1):
        if row.score is None:
            row.rank = None
            continue
        row.rank = position if row.score != previous else ordered[position - 2].rank
        previous = row.score
    return ordered


@dataclass
class Headline:
    """A campaign's figures over the user's whole view."""

    campaign: Campaign
    today: dt.date
    totals: Tally
    results: list[TargetResult]
    score: float | None

    @property
    def met(self) -> int:
        return sum(1 for r in self.results if r.met)

    @property
    def measured(self) -> int:
        return sum(1 for r in self.results if r.measurable)


@dataclass
class Progress(Headline):
    """The headline with the breakdowns by region and by department, and the trend."""

    regions: list[Row] = field(default_factory=list)
    departments: list[Row] = field(default_factory=list)
    region_ranking: list[Row] = field(default_factory=list)
    department_ranking: list[Row] = field(default_factory=list)
    trend: dict[str, Any] = field(default_factory=dict)


# --- queries ---------------------------------------------------------------------------


def units_in_scope(user: Any, campaign: Campaign) -> QuerySet[Enterprise]:
    return Enterprise.objects.restrict(user).filter(campaign.enterprise_q())


def hazards_found(user: Any, campaign: Campaign) -> QuerySet[Hazard]:
    return (
        Hazard.objects.restrict(user)
        .filter(campaign.hazard_q())
        .exclude(state=HazardState.DISMISSED)
    )


def inspected_q(user: Any, campaign: Campaign, in_hazards: Q | None = None) -> Q:
    """A condition on Enterprise: inspected during the campaign (see the module note);
    `in_hazards` is the campaign's `hazard_q` when the caller has made it already."""
    start, end = campaign.period_bounds()
    tasks = (
        InspectionTask.objects.restrict(user)
        .filter(enterprise=OuterRef("pk"), checked_at__gte=start, checked_at__lt=end)
        .exclude(result__in=["", TaskResult.NOT_INSPECTED])
    )
    visits = Hazard.objects.restrict(user).filter(
        campaign.hazard_q() if in_hazards is None else in_hazards,
        enterprise=OuterRef("pk"),
        source=HazardSource.GOVERNMENT,
    )
    inspections = Inspection.objects.restrict(user).filter(
        enterprise=OuterRef("pk"), completed_at__gte=start, completed_at__lt=end
    )
    return Q(Exists(tasks)) | Q(Exists(visits)) | Q(Exists(inspections))


def hazard_conditions(today: dt.date) -> dict[str, Q]:
    return {
        "general": Q(level=HazardLevel.GENERAL),
        "major": Q(level=HazardLevel.MAJOR),
        "closed": Q(state=HazardState.CLOSED),
        "open": Q(state__in=HazardState.open_states()),
        "overdue": overdue_q(today),
        "major_closed": Q(level=HazardLevel.MAJOR, state=HazardState.CLOSED),
    }


def headlines(
    user: Any, campaigns: list[Campaign], today: dt.date | None = None
) -> dict[int, Headline]:
    """The whole-view figures of several campaigns in two queries (for the list)."""
    today = today or timezone.localdate()
    if not campaigns:
        return {}
    unit_counts: dict[str, Any] = {}
    hazard_counts: dict[str, Any] = {}
    conditions = hazard_conditions(today)
    for c in campaigns:
        # Each campaign's scope is made once (its regions are read when not prefetched).
        in_units, in_hazards = c.enterprise_q(), c.hazard_q()
        unit_counts[f"units_{c.pk}"] = Count("pk", filter=in_units)
        unit_counts[f"inspected_{c.pk}"] = Count(
            "pk", filter=in_units & inspected_q(user, c, in_hazards)
        )
        for name, condition in conditions.items():
            # The hazard's own columns first: the scope is tested only on the rows they
            # leave, not on every hazard for every count (a third as many tests, city scale).
            hazard_counts[f"{name}_{c.pk}"] = Count("pk", filter=condition & in_hazards)
    units = Enterprise.objects.restrict(user).aggregate(**unit_counts)
    hazards = (
        Hazard.objects.restrict(user)
        .exclude(state=HazardState.DISMISSED)
        .aggregate(**hazard_counts)
    )
    out = {}
    for c in campaigns:
        tally = Tally()
        tally.add({n: units[f"{n}_{c.pk}"] for n in UNIT_FIELDS}, UNIT_FIELDS)
        tally.add({n: hazards[f"{n}_{c.pk}"] for n in HAZARD_FIELDS}, HAZARD_FIELDS)
        results = judge(tally, c.targets)
        out[c.pk] = Headline(
            campaign=c, today=today, totals=tally, results=results, score=score(results)
        )
    return out


@dataclass(frozen=True)
class _Group:
    """A group of counted records: where they are and which sectors they belong to."""

    path: str
    sectors: frozenset[str]
    counts: Mapping[str, Any]
    names: tuple[str, ...]


def _sectors(text: str | None) -> frozenset[str]:
    return frozenset(s for s in (text or "").split(",") if s)


@dataclass
class _Weekly:
    """Hazards found and closed in each week of a campaign (not cumulative)."""

    found: list[int]
    closed: list[int]


def _groups(
    user: Any, campaign: Campaign, today: dt.date, starts: list[dt.datetime]
) -> tuple[list[_Group], _Weekly]:
    """Units and hazards in scope, counted in one query each, grouped by region path and
    sectors; the hazards also by the week they were reported in and the week they were
    closed in (`starts`: each week's first moment and the end of the last), and the major
    ones by their determination items, so that the same pass gives the trend and the major
    hazards citing the campaign's standards."""
    groups = []
    units = (
        units_in_scope(user, campaign)
        .order_by()
        .values("region__path", "sectors")
        .annotate(units=Count("pk"), inspected=Count("pk", filter=inspected_q(user, campaign)))
    )
    for row in units:
        groups.append(_Group(row["region__path"], _sectors(row["sectors"]), row, UNIT_FIELDS))
    counts = {name: Count("pk", filter=q) for name, q in hazard_conditions(today).items()}
    closed_q = Q(state=HazardState.CLOSED, closed_at__isnull=False)
    items = campaign.item_ids()
    # A major hazard's determination items, to see whether it cites the campaign's
    # standards (other hazards: none, so they make no more groups).
    cited = Case(
        When(level=HazardLevel.MAJOR, then=F("determination_items")),
        default=None,
        output_field=JSONField(),
    )
    # A hazard at a unit belongs to its unit's sectors, a loose report to its own sector:
    # both are the hazard's copy `unit_sectors` (`hazards.models.unit_copies`).
    grouped: Iterable[Mapping[str, Any]] = (
        hazards_found(user, campaign)
        .order_by()
        .annotate(
            found_week=_week_of("reported_at", starts),
            closed_week=Case(
                When(closed_q, then=_week_of("closed_at", starts)),
                default=None,
                output_field=IntegerField(),
            ),
            major_items=cited if items else Value(None, output_field=JSONField()),
        )
        .values("region__path", "unit_sectors", "found_week", "closed_week", "major_items")
        .annotate(n=Count("pk"), **counts)
    )
    weekly = _Weekly(found=[0] * (len(starts) - 1), closed=[0] * (len(starts) - 1))
    places: dict[tuple[str, str], dict[str, int]] = {}
    for found in grouped:
        place = places.setdefault(
            (found["region__path"], found["unit_sectors"]),
            dict.fromkeys((*HAZARD_FIELDS, "major_cited"), 0),
        )
        for name in HAZARD_FIELDS:
            place[name] += found[name]
        if items & set(found["major_items"] or []):
            place["major_cited"] += found["n"]
        if found["found_week"] is not None:
            weekly.found[found["found_week"]] += found["n"]
        if found["closed_week"] is not None:
            weekly.closed[found["closed_week"]] += found["n"]
    for (path, sectors), place in places.items():
        groups.append(_Group(path, _sectors(sectors), place, (*HAZARD_FIELDS, "major_cited")))
    return groups, weekly


def _region_rows(user: Any, campaign: Campaign) -> tuple[list[Region], int, list[Row]]:
    """The user's visible regions, and one row per region one level below the top region
    (only those the campaign reaches)."""
    visible = list(Region.objects.restrict(user).order_by("path"))
    if not visible:
        return [], 0, []
    top = min(r.depth for r in visible)
    shown = [r for r in visible if r.depth == top + 1] or [r for r in visible if r.depth == top]
    paths = campaign.region_paths()
    if paths:
        shown = [
            r for r in shown if any(p.startswith(r.path) or r.path.startswith(p) for p in paths)
        ]
    return visible, shown[0].depth if shown else top, [Row(label=str(r), region=r) for r in shown]


def _department_rows(user: Any, campaign: Campaign, visible: list[Region]) -> list[Row]:
    """The departments whose mandates cover the campaign's sectors, where the campaign and
    the user's view reach."""
    mandates = (
        SectorMandate.objects.filter(
            sector__in=campaign.sector_list,
            department__in=Organisation.objects.restrict(user).filter(
                kind=OrganisationKind.DEPARTMENT, is_archived=False
            ),
        )
        .select_related("department", "department__region", "region")
        .order_by("department__region__path", "department__name", "id")
    )
    campaign_paths = campaign.region_paths()
    visible_paths = [r.path for r in visible]
    rows: dict[int, Row] = {}
    for mandate in mandates:
        path = mandate.region.path
        if not any(v.startswith(path) for v in visible_paths):
            continue
        if campaign_paths and not any(
            p.startswith(path) or path.startswith(p) for p in campaign_paths
        ):
            continue
        dept = mandate.department
        row = rows.setdefault(dept.pk, Row(label=str(dept), department=dept))
        row.mandates.append(mandate)
    return list(rows.values())


def _covers(row: Row, group: _Group) -> bool:
    return any(
        m.sector in group.sectors and group.path.startswith(m.region.path) for m in row.mandates
    )


def _week_of(field: str, starts: list[dt.datetime]) -> Case | Value:
    """The week a moment falls in (0 for [starts[0], starts[1]), ...), as a column; None
    before the first week or from the end of the last (`starts[-1]`). Compared in the
    database as a binary search over the weeks' first moments, a handful of comparisons
    per row (a local date per row, `TruncDate`, costs a Python call per row on SQLite)."""

    def within(first: int, last: int) -> Case | Value:  # weeks first..last-1
        if last - first == 1:
            return Value(first)
        middle = (first + last) // 2
        return Case(
            When(**{f"{field}__lt": starts[middle]}, then=within(first, middle)),
            default=within(middle, last),
            output_field=IntegerField(),
        )

    if len(starts) < 2:  # no week (a campaign ending before it starts)
        return Value(None, output_field=IntegerField())
    return Case(
        When(Q(**{f"{field}__lt": starts[0]}) | Q(**{f"{field}__gte": starts[-1]}), then=None),
        default=within(0, len(starts) - 1),
        output_field=IntegerField(),
    )


def _weeks(campaign: Campaign) -> tuple[list[dt.date], list[dt.datetime]]:
    """The first day of each week of the campaign, and each week's first moment (local
    midnight) with the end of the last week."""
    weeks = []
    day = campaign.starts_on
    while day <= campaign.ends_on:
        weeks.append(day)
        day += dt.timedelta(days=7)
    zone = timezone.get_current_timezone()
    starts = [
        dt.datetime.combine(campaign.starts_on + dt.timedelta(days=7 * k), dt.time.min, tzinfo=zone)
        for k in range(len(weeks) + 1)
    ]
    return weeks, starts


def _trend(weeks: list[dt.date], weekly: _Weekly, today: dt.date) -> dict[str, Any]:
    """Cumulative hazards found and closed, week by week from the first day of the
    campaign (weeks not yet begun are left empty)."""
    out_found: list[int | None] = []
    out_closed: list[int | None] = []
    total_found = total_closed = 0
    for index, week in enumerate(weeks):
        total_found += weekly.found[index]
        total_closed += weekly.closed[index]
        begun = week <= today
        out_found.append(total_found if begun else None)
        out_closed.append(total_closed if begun else None)
    return {
        "weeks": [w.isoformat() for w in weeks],
        "found": out_found,
        "closed": out_closed,
    }


def progress(user: Any, campaign: Campaign, today: dt.date | None = None) -> Progress:
    """A campaign's progress in the user's view, with the breakdowns and the trend."""
    today = today or timezone.localdate()
    visible, depth, regions = _region_rows(user, campaign)
    by_id = {row.region.pk: row for row in regions if row.region is not None}
    departments = _department_rows(user, campaign, visible)
    weeks, starts = _weeks(campaign)
    groups, weekly = _groups(user, campaign, today, starts)
    totals = Tally()
    for group in groups:
        totals.add(group.counts, group.names)
        parts = group.path.strip("/").split("/")
        row = by_id.get(int(parts[depth])) if len(parts) > depth else None
        if row is not None:
            row.tally.add(group.counts, group.names)
        for dept in departments:
            if _covers(dept, group):
                dept.tally.add(group.counts, group.names)
    for row in (*regions, *departments):
        row.finish(campaign.targets)
    results = judge(totals, campaign.targets)
    return Progress(
        campaign=campaign,
        today=today,
        totals=totals,
        results=results,
        score=score(results),
        regions=regions,
        departments=departments,
        region_ranking=rank(regions),
        department_ranking=rank(departments),
        trend=_trend(weeks, weekly, today),
    )
