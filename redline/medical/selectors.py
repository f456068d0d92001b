"""Reads of medical treatment capacity: reports, a hospital's page, alerts, and the regional
view (capacity against demand per region, with its trend). Every read starts from
`restrict(user)`; each page costs the same few queries however many hospitals it covers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, FloatField, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast, NullIf
from django.utils import timezone

from redline.core.filters import day_range, day_range_q, read_filters
from redline.medical.metrics import metric_value
from redline.medical.models import (
    CARRY_DAYS,
    CapacityAlert,
    CapacityReport,
    CapacityThreshold,
)
from redline.medical.vocab import (
    HEALTH_UNIT_KINDS,
    LEVEL_RANK,
    REPORT_FIELDS,
    AlertState,
    Level,
    Metric,
    Scope,
)
from redline.organisations.models import Enterprise, Region
from redline.organisations.selectors import region_filter
from redline.organisations.vocab import UnitStatus

TREND_DAYS = 60
ALERT_FILTERS = (
    "state",
    "level",
    "metric",
    "scope",
    "region",
    "hospital",
    "opened_from",
    "opened_to",
)
# The days raised on (a period's figures link to them), read and refused when bad.
DAY_FILTERS = day_range("opened")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


# --- reports ---------------------------------------------------------------------------


def report_list(user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[CapacityReport]:
    """Reports the user may see: the current version of each day unless `history`."""
    filters = filters or {}
    reports = CapacityReport.objects.restrict(user)
    if filters.get("history") not in ("1", "true", True):
        reports = reports.current()
    hospital_id = _int(filters.get("hospital"))
    if hospital_id:
        reports = reports.filter(hospital_id=hospital_id)
    region = region_filter(user, filters.get("region"))
    if region is not None:
        reports = reports.filter(hospital__region__path__startswith=region.path)
    for name, lookup in (("day", "day"), ("from", "day__gte"), ("to", "day__lte")):
        day = _date(filters.get(name)) if filters.get(name) else None
        if day:
            reports = reports.filter(**{lookup: day})
    return reports.select_related("hospital", "hospital__region", "reported_by")


def visible_hospital(user: Any, hospital_id: int) -> Enterprise:
    """A hospital or fever clinic the user may see; Enterprise.DoesNotExist otherwise."""
    return (
        Enterprise.objects.restrict(user)
        .filter(kind__in=HEALTH_UNIT_KINDS)
        .select_related("region", "region__parent")
        .get(pk=hospital_id)
    )


def health_units(user: Any) -> QuerySet[Enterprise]:
    """The hospitals and fever clinics in the user's jurisdiction (not archived)."""
    return Enterprise.objects.restrict(user).filter(kind__in=HEALTH_UNIT_KINDS, is_archived=False)


def own_health_unit(user: Any) -> Enterprise | None:
    """The hospital or fever clinic the user's organisation is, if it is one."""
    org = getattr(user, "organisation", None)
    if org is None or not org.enterprise_id:
        return None
    return (
        Enterprise.objects.restrict(user)
        .filter(pk=org.enterprise_id, kind__in=HEALTH_UNIT_KINDS)
        .select_related("region")
        .first()
    )


def current_report(hospital: Enterprise, day: dt.date) -> CapacityReport | None:
    return CapacityReport.objects.current().filter(hospital=hospital, day=day).first()


def previous_report(hospital: Enterprise, day: dt.date) -> CapacityReport | None:
    """The latest current report before `day` (a new day's form starts from it)."""
    return (
        CapacityReport.objects.current()
        .filter(hospital=hospital, day__lt=day)
        .order_by("-day")
        .first()
    )


@dataclass
class HospitalPage:
    hospital: Enterprise
    latest: CapacityReport | None
    versions: list[CapacityReport]
    trend: list[CapacityReport]
    alerts: list[CapacityAlert]
    end: dt.date


def hospital_page(user: Any, hospital: Enterprise) -> HospitalPage:
    reports = CapacityReport.objects.restrict(user).filter(hospital=hospital)
    latest = reports.current().select_related("reported_by").order_by("-day").first()
    end = timezone.localdate()
    versions: list[CapacityReport] = []
    if latest is not None:
        end = max(end, latest.day)
        versions = list(
            reports.filter(day=latest.day).select_related("reported_by").order_by("-version")
        )
    trend = list(
        reports.current()
        .filter(day__gt=end - dt.timedelta(days=TREND_DAYS), day__lte=end)
        .order_by("day")
    )
    alerts = list(
        CapacityAlert.objects.restrict(user)
        .filter(hospital=hospital)
        .select_related("hospital", "region")
        .order_by("-opened_at", "-id")[:30]
    )
    return HospitalPage(hospital, latest, versions, trend, alerts, end)


def hospital_chart(page: HospitalPage) -> dict[str, Any]:
    by_day = {r.day: r for r in page.trend}
    days = [page.end - dt.timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]

    def series(metric: str) -> list[float | None]:
        return [metric_value(metric, by_day[d].figures) if d in by_day else None for d in days]

    return {
        "days": [d.isoformat() for d in days],
        "bed_occupancy": series(Metric.BED_OCCUPANCY),
        "icu_occupancy": series(Metric.ICU_OCCUPANCY),
        "ventilator_use": series(Metric.VENTILATOR_USE),
        "fever_clinic_visits": [
            by_day[d].fever_clinic_visits if d in by_day else None for d in days
        ],
    }


# --- alerts ----------------------------------------------------------------------------


def alert_list(user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[CapacityAlert]:
    filters = filters or {}
    alerts = CapacityAlert.objects.restrict(user)
    state = filters.get("state") or ""
    if state in ("", "active"):
        alerts = alerts.filter(state__in=AlertState.active())
    elif state in AlertState.values:
        alerts = alerts.filter(state=state)
    elif state != "all":
        alerts = alerts.none()
    if filters.get("level") in Level.values:
        alerts = alerts.filter(level=filters["level"])
    if filters.get("metric") in Metric.values:
        alerts = alerts.filter(metric=filters["metric"])
    if filters.get("scope") == Scope.HOSPITAL:
        alerts = alerts.filter(hospital__isnull=False)
    elif filters.get("scope") == Scope.REGION:
        alerts = alerts.filter(hospital__isnull=True)
    hospital_id = _int(filters.get("hospital"))
    if hospital_id:
        alerts = alerts.filter(hospital_id=hospital_id)
    region = region_filter(user, filters.get("region"))
    if region is not None:
        alerts = alerts.filter(region__path__startswith=region.path)
    days = read_filters(DAY_FILTERS, filters)
    alerts = alerts.filter(day_range_q("opened_at", "opened", days, moment=True))
    return alerts.select_related("hospital", "region")


def alert_get(user: Any, alert_id: int) -> CapacityAlert:
    return (
        CapacityAlert.objects.restrict(user)
        .select_related("hospital", "region", "acknowledged_by", "closed_by")
        .get(pk=alert_id)
    )


def thresholds() -> list[CapacityThreshold]:
    return list(CapacityThreshold.objects.filter(is_active=True))


# --- the regional view -----------------------------------------------------------------


@dataclass
class Totals:
    """A region's (or all the user's) hospitals on one day."""

    region: Region | None = None
    units: int = 0
    reporting: int = 0
    carried: int = 0  # units without a report that day, counted with an earlier one
    figures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REPORT_FIELDS, 0))

    def add(self, row: Mapping[str, Any]) -> None:
        self.reporting += row["fresh"]
        self.carried += row["n"] - row["fresh"]
        for name in REPORT_FIELDS:
            self.figures[name] += row[name] or 0

    def share(self, metric: str) -> float | None:
        return metric_value(metric, self.figures)

    @property
    def bed_occupancy(self) -> float | None:
        return self.share(Metric.BED_OCCUPANCY)

    @property
    def icu_occupancy(self) -> float | None:
        return self.share(Metric.ICU_OCCUPANCY)

    @property
    def ventilator_use(self) -> float | None:
        return self.share(Metric.VENTILATOR_USE)

    @property
    def staff_absence(self) -> float | None:
        return self.share(Metric.STAFF_ABSENCE)

    @property
    def icu_capacity(self) -> int:
        """ICU beds and the convertible beds that could join them within a day."""
        return self.figures["icu_beds"] + self.figures["icu_convertible"]

    @property
    def free_beds(self) -> int:
        return self.figures["beds"] - self.figures["beds_occupied"]

    @property
    def free_icu(self) -> int:
        return self.figures["icu_beds"] - self.figures["icu_occupied"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "reporting": self.reporting,
            "carried": self.carried,
            **self.figures,
            "icu_capacity": self.icu_capacity,
            "bed_occupancy": self.bed_occupancy,
            "icu_occupancy": self.icu_occupancy,
            "ventilator_use": self.ventilator_use,
            "staff_absence": self.staff_absence,
        }


@dataclass
class RegionalView:
    day: dt.date
    focus: Region | None
    regions: list[Region]
    rows: list[Totals]
    totals: Totals
    trend: dict[str, list[Any]]
    alerts: list[CapacityAlert]
    missing: list[Enterprise]
    busiest: list[CapacityReport]


SUMS = {name: Sum(name) for name in REPORT_FIELDS}
MISSING_LIMIT = 100
BUSIEST_LIMIT = 25


def latest_day(user: Any) -> dt.date:
    """The latest day with a report the user may see (not after today), else today."""
    today = timezone.localdate()
    found = (
        CapacityReport.objects.restrict(user)
        .current()
        .filter(day__lte=today)
        .aggregate(d=Max("day"))["d"]
    )
    return found or today


def regional_view(user: Any, day: dt.date, region: str | int | None = None) -> RegionalView:
    """Capacity against demand on `day` for each region one level below the focus (the
    chosen region, by id as a filter gives it, else the top of the user's jurisdiction; a
    region outside it, or not a region, is NotFound, `region_filter`), the totals, the trend of the
    last TREND_DAYS days, the open alerts, the units that did not report, the busiest.

    The day's figures are each unit's report of the day or, when it has none yet, its latest
    of the CARRY_DAYS days before (counted as `carried`), as the regional alerts use them;
    the trend shows what was reported each day, with how many units reported."""
    regions = list(Region.objects.restrict(user).order_by("path"))
    by_id = {r.pk: r for r in regions}
    chosen = region_filter(user, region)
    focus = by_id.get(chosen.pk) if chosen is not None else None
    if focus is None and regions:
        top = min(r.depth for r in regions)
        tops = [r for r in regions if r.depth == top]
        focus = tops[0] if len(tops) == 1 else None
    if focus is not None:
        children = [r for r in regions if r.depth == focus.depth + 1 and _under(r, focus)]
        row_regions = children or [focus]
    else:
        top = min((r.depth for r in regions), default=0)
        row_regions = [r for r in regions if r.depth == top]
    rows = {r.pk: Totals(region=r) for r in row_regions}
    depth = row_regions[0].depth if row_regions else 0

    def row_for(path: str) -> Totals | None:
        parts = path.strip("/").split("/")
        return rows.get(int(parts[depth])) if len(parts) > depth else None

    reports = CapacityReport.objects.restrict(user).current()
    units = Enterprise.objects.restrict(user).filter(
        kind__in=HEALTH_UNIT_KINDS, is_archived=False, status=UnitStatus.OPERATING
    )
    alerts = CapacityAlert.objects.restrict(user).active()
    if focus is not None:
        reports = reports.filter(hospital__region__path__startswith=focus.path)
        units = units.filter(region__path__startswith=focus.path)
        alerts = alerts.filter(region__path__startswith=focus.path)

    totals = Totals(region=focus)
    for row in (
        reports.latest_within(day)
        .order_by()
        .values("hospital__region__path")
        .annotate(n=Count("id"), fresh=Count("id", filter=Q(day=day)), **SUMS)
    ):
        totals.add(row)
        target = row_for(row["hospital__region__path"])
        if target is not None:
            target.add(row)
    for counted in units.order_by().values("region__path").annotate(n=Count("id")):
        totals.units += counted["n"]
        target = row_for(counted["region__path"])
        if target is not None:
            target.units += counted["n"]

    trend = _trend(reports, day)

    open_alerts = sorted(
        alerts.select_related("hospital", "region").order_by("-opened_at", "-id")[:100],
        key=lambda a: (-LEVEL_RANK[a.level], a.hospital_id is not None),
    )
    reported = reports.filter(day=day).values("hospital_id")
    missing = list(
        units.exclude(pk__in=reported)
        .select_related("region")
        .order_by("region__path", "name")[:MISSING_LIMIT]
    )
    occupancy = Cast(F("beds_occupied"), FloatField()) / NullIf(F("beds"), 0)
    busiest: list[CapacityReport] = list(
        reports.latest_within(day)
        .annotate(occupancy=occupancy)
        .select_related("hospital", "hospital__region")
        .order_by(F("occupancy").desc(nulls_last=True), "hospital__name")[:BUSIEST_LIMIT]
    )
    return RegionalView(
        day=day,
        focus=focus,
        regions=regions,
        rows=list(rows.values()),
        totals=totals,
        trend=trend,
        alerts=open_alerts,
        missing=missing,
        busiest=busiest,
    )


def _trend(reports: QuerySet[CapacityReport], day: dt.date) -> dict[str, list[Any]]:
    """The last TREND_DAYS days' figures, each day counted as the day's figures are (a
    unit late that day with its latest report of the CARRY_DAYS before), so a day still
    being reported does not look like a fall in capacity."""
    start = day - dt.timedelta(days=TREND_DAYS - 1)
    days = [start + dt.timedelta(days=n) for n in range(TREND_DAYS)]
    index = {d: i for i, d in enumerate(days)}
    sums = [[0] * len(REPORT_FIELDS) for _ in days]
    fresh = [0] * len(days)
    carried = [0] * len(days)
    rows = (
        reports.filter(day__gte=start - dt.timedelta(days=CARRY_DAYS), day__lte=day)
        .order_by("hospital_id", "day")
        .values_list("hospital_id", "day", *REPORT_FIELDS)
    )
    previous: tuple[Any, ...] | None = None
    for row in [*rows, None]:
        # A report counts from its day until the unit's next report, at most CARRY_DAYS on.
        if previous is not None:
            hospital, reported, *figures = previous
            last = reported + dt.timedelta(days=CARRY_DAYS)
            if row is not None and row[0] == hospital:
                last = min(last, row[1] - dt.timedelta(days=1))
            current = reported
            while current <= last:
                i = index.get(current)
                if i is not None:
                    for j, value in enumerate(figures):
                        sums[i][j] += value
                    if current == reported:
                        fresh[i] += 1
                    else:
                        carried[i] += 1
                current += dt.timedelta(days=1)
        previous = row
    counted = [fresh[i] + carried[i] for i in range(len(days))]
    trend: dict[str, list[Any]] = {
        "days": [d.isoformat() for d in days],
        "reporting": fresh,
        "carried": carried,
    }
    for j, name in enumerate(REPORT_FIELDS):
        trend[name] = [sums[i][j] if counted[i] else None for i in range(len(days))]
    icu, convertible = REPORT_FIELDS.index("icu_beds"), REPORT_FIELDS.index("icu_convertible")
    trend["icu_capacity"] = [
        sums[i][icu] + sums[i][convertible] if counted[i] else None for i in range(len(days))
    ]
    return trend


def _under(region: Region, ancestor: Region) -> bool:
    return region.path.startswith(ancestor.path)


def missing_reports(day: dt.date) -> QuerySet[Enterprise]:
    """Operating hospitals and fever clinics without a report for `day` (for the job)."""
    reported = CapacityReport.objects.current().filter(day=day).values("hospital_id")
    return (
        Enterprise.objects.filter(kind__in=HEALTH_UNIT_KINDS, is_archived=False)
        .filter(status=UnitStatus.OPERATING)
        .exclude(pk__in=reported)
    )
