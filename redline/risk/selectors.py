"""Reads of the risk inventory. Levels above the risk event are derived here, from the
events, every time they are read: never stored, so never stale."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from redline.organisations.models import Enterprise, Region
from redline.risk.models import (
    ControlMeasure,
    MajorHazardInstallation,
    ParkAssessment,
    RiskEvent,
    RiskObject,
    RiskUnit,
)
from redline.risk.vocab import LEVEL_COLOURS, LEVEL_CSS

LEVELS = (1, 2, 3, 4)


@dataclass
class Summary:
    """A derived level (the most severe of the members) with the count per colour."""

    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    def add(self, level: int, n: int = 1) -> None:
        self.counts[level] += n

    def merge(self, other: Summary) -> None:
        for level, n in other.counts.items():
            self.counts[level] += n

    @property
    def level(self) -> int | None:
        return next((lvl for lvl in LEVELS if self.counts[lvl]), None)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def css(self) -> str:
        return LEVEL_CSS.get(self.level or 0, "none")

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS.get(self.level or 0, "#c8ced6")

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "counts": {str(k): v for k, v in self.counts.items()}}


def live_events(user: Any) -> QuerySet[RiskEvent]:
    return RiskEvent.objects.restrict(user).filter(is_archived=False, enterprise__is_archived=False)


@dataclass
class InventoryNode:
    item: Any
    summary: Summary
    children: list[Any]


def inventory(enterprise: Enterprise) -> tuple[Summary, list[InventoryNode]]:
    """The enterprise's objects -> units -> events, each with its derived level."""
    objects = list(RiskObject.objects.filter(enterprise=enterprise, is_archived=False))
    units = list(
        RiskUnit.objects.filter(
            risk_object__enterprise=enterprise, is_archived=False
        ).select_related("responsible")
    )
    events = list(
        RiskEvent.objects.filter(enterprise=enterprise, is_archived=False)
        .annotate(measure_count=Count("measures", filter=Q(measures__is_archived=False)))
        .order_by("unit_id", "level", "name")
    )
    events_by_unit: dict[int, list[RiskEvent]] = defaultdict(list)
    for event in events:
        events_by_unit[event.unit_id].append(event)
    units_by_object: dict[int, list[InventoryNode]] = defaultdict(list)
    for unit in units:
        summary = Summary()
        for unit_event in events_by_unit[unit.pk]:
            summary.add(unit_event.level)
        units_by_object[unit.risk_object_id].append(
            InventoryNode(unit, summary, events_by_unit[unit.pk])
        )
    total = Summary()
    tree = []
    for obj in objects:
        summary = Summary()
        for node in units_by_object[obj.pk]:
            summary.merge(node.summary)
        total.merge(summary)
        tree.append(InventoryNode(obj, summary, units_by_object[obj.pk]))
    return total, tree


def unit_summary(unit_id: int) -> Summary:
    return _summary(RiskEvent.objects.filter(unit_id=unit_id, is_archived=False))


def object_summary(object_id: int) -> Summary:
    return _summary(RiskEvent.objects.filter(unit__risk_object_id=object_id, is_archived=False))


def enterprise_summary(enterprise_id: int) -> Summary:
    return _summary(RiskEvent.objects.filter(enterprise_id=enterprise_id, is_archived=False))


def _summary(events: QuerySet[RiskEvent]) -> Summary:
    summary = Summary()
    for level, n in events.values_list("level").annotate(n=Count("id")).values_list("level", "n"):
        summary.add(level, n)
    return summary


def region_summary(user: Any, region: Region) -> Summary:
    """One region's derived level and colour counts (the events the user may see)."""
    return _summary(live_events(user).filter(enterprise__region__path__startswith=region.path))


def region_summaries(user: Any) -> dict[int, Summary]:
    """Per visible region: the derived level and colour counts of the events below it."""
    regions = list(Region.objects.restrict(user).only("id", "path"))
    by_path = {r.path: r.pk for r in regions}
    result = {r.pk: Summary() for r in regions}
    # Unordered: the events' default ordering (unit, name) would join the units, their
    # objects and enterprises to a grouped count that needs none of them.
    rows = (
        live_events(user)
        .order_by()
        .values("enterprise__region__path", "level")
        .annotate(n=Count("id"))
        .values_list("enterprise__region__path", "level", "n")
    )
    for path, level, n in rows:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            region_id = by_path.get("/" + "/".join(parts[:depth]) + "/")
            if region_id is not None:
                result[region_id].add(level, n)
    return result


@dataclass(frozen=True)
class RiskMap:
    """The risk map as a user sees it: every visible region's summary, the regions drawn
    (the level below the user's top region, districts for the city, or the top itself) and
    the top region's summary."""

    summaries: dict[int, Summary]
    shown: list[Region]
    overall: Summary | None

    def geojson(self) -> dict[str, Any] | None:
        """The drawn regions with a boundary as GeoJSON (`riskmap.js` draws it)."""
        features = [
            {
                "type": "Feature",
                "properties": {
                    "name": str(r),
                    "id": r.pk,
                    "level": self.summaries[r.pk].level or 0,
                    "counts": self.summaries[r.pk].as_dict()["counts"],
                },
                "geometry": r.boundary,
            }
            for r in self.shown
            if r.boundary
        ]
        return {"type": "FeatureCollection", "features": features} if features else None


def risk_map(user: Any) -> RiskMap:
    """The risk map page's and the cockpit's map."""
    summaries = region_summaries(user)
    regions = list(Region.objects.restrict(user).filter(pk__in=summaries).order_by("path"))
    top = min((r.depth for r in regions), default=0)
    shown = [r for r in regions if r.depth == top + 1] or [r for r in regions if r.depth == top]
    overall = summaries[regions[0].pk] if regions else None
    return RiskMap(summaries=summaries, shown=shown, overall=overall)


def enterprise_summaries(user: Any, region: Region) -> list[tuple[Enterprise, Summary]]:
    """Enterprises under a region with their derived levels, most severe first."""
    rows = (
        live_events(user)
        .filter(enterprise__region__path__startswith=region.path)
        .values("enterprise_id", "level")
        .annotate(n=Count("id"))
        .values_list("enterprise_id", "level", "n")
    )
    summaries: dict[int, Summary] = defaultdict(Summary)
    for enterprise_id, level, n in rows:
        summaries[enterprise_id].add(level, n)
    enterprises = Enterprise.objects.restrict(user).in_bulk(list(summaries))
    pairs = [(enterprises[pk], s) for pk, s in summaries.items() if pk in enterprises]
    return sorted(pairs, key=lambda p: (p[1].level or 9, -p[1].total, p[0].name))


def installations_of(enterprise: Enterprise) -> QuerySet[MajorHazardInstallation]:
    return enterprise.installations.filter(is_archived=False).order_by("grade", "name")


def measures_of(event: RiskEvent) -> QuerySet[ControlMeasure]:
    return event.measures.filter(is_archived=False).select_related("responsible", "cycle")


@dataclass
class ParkOverview:
    park: Any
    assessment: Any
    summary: Summary
    enterprises: list[tuple[Enterprise, Summary]]
    grades: dict[int, int]
    installations: int


def park_overview(user: Any, park: Any) -> ParkOverview:
    """A park's latest class, the derived risk level of its enterprises and their major
    hazard installations by grade (all through the user's jurisdiction)."""
    return park_overviews(user, [park])[0]


def park_overviews(user: Any, parks: Sequence[Any]) -> list[ParkOverview]:
    """`park_overview` of each park, in a fixed number of queries whatever their number."""
    ids = [park.pk for park in parks]
    members: dict[int | None, list[Enterprise]] = defaultdict(list)
    for member in Enterprise.objects.restrict(user).filter(
        chemical_park_id__in=ids, is_archived=False
    ):
        members[member.chemical_park_id].append(member)
    per_enterprise: dict[int, Summary] = defaultdict(Summary)
    totals: dict[int, Summary] = defaultdict(Summary)
    for park_id, enterprise_id, level, n in (
        live_events(user)
        .filter(enterprise__chemical_park_id__in=ids)
        .values("enterprise__chemical_park_id", "enterprise_id", "level")
        .annotate(n=Count("id"))
        .values_list("enterprise__chemical_park_id", "enterprise_id", "level", "n")
    ):
        per_enterprise[enterprise_id].add(level, n)
        totals[park_id].add(level, n)
    grades: dict[int, dict[int, int]] = {pk: dict.fromkeys((1, 2, 3, 4), 0) for pk in ids}
    installations: dict[int, int] = dict.fromkeys(ids, 0)
    for park_id, is_major, grade, n in (
        MajorHazardInstallation.objects.restrict(user)
        .filter(enterprise__chemical_park_id__in=ids, is_archived=False)
        .values("enterprise__chemical_park_id", "is_major", "grade")
        .annotate(n=Count("id"))
        .values_list("enterprise__chemical_park_id", "is_major", "grade", "n")
    ):
        installations[park_id] += n
        if is_major and grade in grades[park_id]:
            grades[park_id][grade] += n
    latest: dict[int, Any] = {}
    assessments = ParkAssessment.objects.restrict(user).filter(park_id__in=ids, is_archived=False)
    for assessment in assessments:
        latest.setdefault(assessment.park_id, assessment)  # ordered newest first per park
    return [
        ParkOverview(
            park=park,
            assessment=latest.get(park.pk),
            summary=totals[park.pk],
            enterprises=sorted(
                ((e, per_enterprise.get(e.pk, Summary())) for e in members[park.pk]),
                key=lambda p: (p[1].level or 9, p[0].name),
            ),
            grades=grades[park.pk],
            installations=installations[park.pk],
        )
        for park in parks
    ]
