"""Reads of hidden-hazard governance: the ledger with its filters, one hazard with its
timeline and determination, the dashboards' aggregates, a unit's inspection tasks. Every
read starts from `restrict(user)`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from redline.core import readers
from redline.core.filters import Flag, day_range, day_range_q, read_filters
from redline.core.readers import Choice
from redline.core.trigram import contains_q
from redline.engines.fire_composite import CompositeResult, composite_determination
from redline.hazards.models import Hazard, HazardTally, InspectionTask
from redline.hazards.standards import Item, determination_standards, fire_rules, item
from redline.hazards.vocab import HazardLevel, HazardSource, HazardState
from redline.organisations.access import jurisdiction
from redline.organisations.models import Enterprise, Region
from redline.organisations.selectors import department_filter, in_competence, region_filter
from redline.organisations.vocab import RegionLevel, Sector

LEDGER_FILTERS = (
    "q",
    "state",
    "level",
    "sector",
    "region",
    "overdue",
    "source",
    "listed",
    "unit",
    "department",
    "reported_from",
    "reported_to",
    "closed_from",
    "closed_to",
)
# The days reported on and closed on (a period's figures link to them), read and refused
# when bad (`core.filters`).
DAY_FILTERS = {**day_range("reported"), **day_range("closed")}


# The state filter's value for every hazard but the dismissed ones: the base of a closure rate
# (the dashboard's, an assessment's), so that its link lists exactly what it counts.
NOT_DISMISSED = "not_dismissed"
# The ledger's other typed filters, refused naming the filter when bad (`core.filters`), never
# silently ignored: a mistyped link shows an error, not every hazard.
TYPED_FILTERS = {
    "state": Choice(("open", NOT_DISMISSED, *HazardState.values)),
    "level": Choice(HazardLevel.values),
    "sector": Choice(Sector.values),
    "source": Choice(HazardSource.values),
    "overdue": Flag(),
    "listed": Flag(),
    "unit": readers.Count(),
}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def overdue_q(today: dt.date) -> Q:
    """Open, not yet submitted for acceptance, and past its deadline."""
    return Q(state__in=[HazardState.REPORTED, HazardState.RECTIFYING], deadline__lt=today)


def _common_filters[QS: QuerySet[Any, Any]](
    user: Any, queryset: QS, filters: Mapping[str, Any]
) -> QS:
    """The listed-only, region and department filters, on hazards or on the tally (same
    columns); a region outside the user's jurisdiction, or a department the user does not
    see, is NotFound (`region_filter`, `department_filter`). A department keeps the hazards
    in its competence (the door's own filter for its scope)."""
    if read_filters({"listed": Flag()}, filters).get("listed"):
        queryset = queryset.filter(listed=True)
    region = region_filter(user, filters.get("region"))
    if region is not None:
        queryset = queryset.filter(region__path__startswith=region.path)
    department = department_filter(user, filters.get("department"))
    if department is not None:
        queryset = in_competence(queryset, department)
    return queryset


def hazard_list(user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Hazard]:
    """The ledger: hazards the user may see, filtered."""
    filters = filters or {}
    hazards = Hazard.objects.restrict(user)
    given = read_filters({**TYPED_FILTERS, **DAY_FILTERS}, filters)
    state = given.get("state", "")
    if state == "open":
        hazards = hazards.filter(state__in=HazardState.open_states())
    elif state == NOT_DISMISSED:
        hazards = hazards.exclude(state=HazardState.DISMISSED)
    elif state:
        hazards = hazards.filter(state=state)
    for name in ("level", "sector", "source"):
        if given.get(name):
            hazards = hazards.filter(**{name: given[name]})
    if given.get("overdue"):
        hazards = hazards.filter(overdue_q(timezone.localdate()))
    hazards = _common_filters(user, hazards, filters)
    hazards = hazards.filter(day_range_q("reported_at", "reported", given, moment=True))
    hazards = hazards.filter(day_range_q("closed_at", "closed", given, moment=True))
    if given.get("unit"):
        hazards = hazards.filter(enterprise_id=given["unit"])
    if filters.get("campaign"):
        # A campaign the user may not see (or that does not exist) matches nothing.
        campaign = filters.get("campaign_object")
        hazards = hazards.filter(campaign.hazard_q()) if campaign is not None else hazards.none()
    query = str(filters.get("q") or "").strip()
    if query:
        number = query.upper().removeprefix("YH")
        number_id = _int(number.split("-")[-1]) if "-" in number or number.isdigit() else None
        match = contains_q("name", query) | _of_units_named(user, query)
        if number_id:
            match |= Q(pk=number_id)
        hazards = hazards.filter(match)
    return hazards.select_related("enterprise", "region")


# A name search matches the hazards of at most this many units by their ids (see below).
UNITS_NAMED_AT_MOST = 500


def _of_units_named(user: Any, query: str) -> Q:
    """Hazards of the units (the user sees) whose name contains `query`. The units come
    first, in a query of their own (on PostgreSQL from the trigram index of their names), so
    that the hazards' indexes serve `enterprise_id IN (ids)` alongside the trigram index of
    the hazards' names; a term that names more units is matched by a subquery instead."""
    units = Enterprise.objects.restrict(user).filter(contains_q("name", query)).order_by()
    ids = list(units.values_list("pk", flat=True)[: UNITS_NAMED_AT_MOST + 1])
    return Q(enterprise_id__in=ids if len(ids) <= UNITS_NAMED_AT_MOST else units.values("pk"))


def hazard_page(
    user: Any, filters: Mapping[str, Any] | None, offset: int, limit: int
) -> list[Hazard]:
    """One page of the ledger, newest first. The ids come first from the filtered ledger
    (on PostgreSQL an index-only walk of `hazard_ledger_cover`, however many hazards there
    are), then those rows alone are read."""
    ids = list(
        hazard_list(user, filters)
        .order_by("-reported_at", "-id")
        .values_list("pk", flat=True)[offset : offset + limit]
    )
    rows = Hazard.objects.restrict(user).filter(pk__in=ids).select_related("enterprise", "region")
    return sorted(rows, key=lambda h: (h.reported_at, h.pk), reverse=True)


def hazard_get(user: Any, hazard_id: int) -> Hazard:
    return (
        Hazard.objects.restrict(user)
        .select_related(
            "enterprise",
            "region",
            "measure",
            "measure__event",
            "task",
            "rectifier",
            "rectified_by",
            "accepted_by",
            "signed_off_by",
            "listed_by",
            "reported_by",
        )
        .get(pk=hazard_id)
    )


@dataclass(frozen=True)
class Citation:
    item: Item
    standard_title: str


def citations(hazard: Hazard) -> list[Citation]:
    standards = determination_standards()
    out = []
    for item_id in hazard.determination_items or []:
        try:
            entry = item(item_id)
        except KeyError:
            continue
        out.append(Citation(item=entry, standard_title=standards[entry.standard_id].title_zh))
    return out


def fire_composite(hazard: Hazard) -> CompositeResult | None:
    """The GB 35181 composite method recomputed from the elements recorded on the hazard."""
    if not hazard.fire_place_type:
        return None
    return composite_determination(fire_rules(), hazard.fire_place_type, hazard.fire_elements)


# --- dashboards ------------------------------------------------------------------------


@dataclass
class RegionRow:
    region: Region
    open_general: int = 0
    open_major: int = 0
    overdue: int = 0
    closed: int = 0
    total: int = 0

    @property
    def closure_rate(self) -> float | None:
        return round(100 * self.closed / self.total, 1) if self.total else None


COUNTS = (
    "total",
    "open_general",
    "open_major",
    "overdue",
    "overdue_major",
    "closed",
    "closed_major",
    "listed_open",
    "dismissed",
)


# The filters the tally can answer (it has these columns); others read the hazards.
TALLY_FILTERS = frozenset({"level", "sector", "listed", "region"})


def dashboard(user: Any, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Open / overdue / closed by level, by region one level below the user's view, the
    closure rate and the mean time to close.

    Counts come from the hazard tally (a few thousand rows, kept in step with every write)
    and the overdue ones from the hazards past their deadline (few, found by index); a
    unit's own view, and filters the tally has no column for, count the hazards directly."""
    wanted = {k: v for k, v in (filters or {}).items() if k != "state" and v not in ("", None)}
    if jurisdiction(user).enterprise_id or set(wanted) - TALLY_FILTERS:
        groups = _hazard_groups(user, wanted)
    else:
        groups = _tally_groups(user, wanted)
    totals: dict[str, Any] = {name: sum(g[name] for g in groups) for name in COUNTS}
    counted = totals["total"] - totals["dismissed"]
    totals["closure_rate"] = round(100 * totals["closed"] / counted, 1) if counted else None
    totals["mean_days"] = {}
    for level in HazardLevel.values:
        rows = [g for g in groups if g["level"] == level and g["timed"]]
        count = sum(g["timed"] for g in rows)
        if count:
            spent = sum(_seconds(g["time_to_close"]) for g in rows)
            totals["mean_days"][level] = round(spent / count / 86400, 1)
    return {"totals": totals, "regions": _by_region(user, groups)}


def _state_counts(count: Any) -> dict[str, Any]:
    """The per-group counts, as aggregates of `count` (Count of rows, or Sum of tallies)."""
    open_states = HazardState.open_states()
    major = Q(level=HazardLevel.MAJOR)
    closed = Q(state=HazardState.CLOSED)
    return {
        "total": count(),
        "open_general": count(Q(state__in=open_states) & ~major),
        "open_major": count(Q(state__in=open_states) & major),
        "closed": count(closed),
        "closed_major": count(closed & major),
        "listed_open": count(Q(state__in=open_states, listed=True)),
        "dismissed": count(Q(state=HazardState.DISMISSED)),
    }


def _overdue_counts(hazards: QuerySet[Hazard], today: dt.date) -> dict[str, Any]:
    # Counting the deadline (never null when overdue): no column outside the index is read.
    return {
        "overdue": Count("deadline", filter=overdue_q(today)),
        "overdue_major": Count("deadline", filter=overdue_q(today) & Q(level=HazardLevel.MAJOR)),
    }


def _hazard_groups(user: Any, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Grouped by region and level in one pass over the (filtered) hazards."""
    today = timezone.localdate()
    closed = Q(state=HazardState.CLOSED, closed_at__isnull=False)
    duration = ExpressionWrapper(F("closed_at") - F("reported_at"), output_field=DurationField())
    hazards = hazard_list(user, filters).order_by()
    return [
        dict(row)
        for row in hazards.values("region_id", "level").annotate(
            **_state_counts(lambda q=None: Count("pk", filter=q)),
            **_overdue_counts(hazards, today),
            timed=Count("pk", filter=closed),
            time_to_close=Sum(duration, filter=closed),
        )
    ]


def _tally_groups(user: Any, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    tallies = HazardTally.objects.restrict(user)
    for name in ("level", "sector"):
        if filters.get(name):
            tallies = tallies.filter(**{name: filters[name]})
    tallies = _common_filters(user, tallies, filters)
    groups: dict[tuple[int, str], dict[str, Any]] = {
        (g["region_id"], g["level"]): dict(g)
        for g in tallies.order_by()
        .values("region_id", "level")
        .annotate(
            **_state_counts(lambda q=None: Coalesce(Sum("count", filter=q), 0)),
            timed=Coalesce(Sum("closed_timed"), 0),
            time_to_close=Coalesce(Sum("closed_seconds"), 0.0),
        )
    }
    today = timezone.localdate()
    late = hazard_list(user, filters).filter(overdue_q(today)).order_by()
    late_counts: Iterable[Mapping[str, Any]] = (  # with the counts `_overdue_counts` names
        late.values("region_id", "level").annotate(**_overdue_counts(late, today))
    )
    for row in late_counts:
        group = groups.setdefault(
            (row["region_id"], row["level"]),
            {
                "region_id": row["region_id"],
                "level": row["level"],
                "timed": 0,
                "time_to_close": 0.0,
                **dict.fromkeys(COUNTS, 0),
            },
        )
        group["overdue"] = row["overdue"]
        group["overdue_major"] = row["overdue_major"]
    for group in groups.values():
        group.setdefault("overdue", 0)
        group.setdefault("overdue_major", 0)
    return list(groups.values())


def _seconds(value: Any) -> float:
    """Seconds from a summed duration (or a tally's seconds, already a number)."""
    if value is None:
        return 0.0
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, float):
        return value
    return float(value) / 1e6  # microseconds where the backend has no interval type


def _by_region(user: Any, groups: list[dict[str, Any]]) -> list[RegionRow]:
    """One row per region one level below the user's top region (districts for the city,
    subdistricts for a district); hazards placed at the top region itself count in the
    totals only."""
    visible = list(Region.objects.restrict(user).order_by("path"))
    if not visible:
        return []
    top_depth = min(r.depth for r in visible)
    tops = [r for r in visible if r.depth == top_depth]
    level_rows = [r for r in visible if r.depth == top_depth + 1] or tops
    rows = {r.pk: RegionRow(region=r) for r in level_rows}
    depth = level_rows[0].depth
    # The hazards' regions are among those the user sees (the same door).
    paths = {r.pk: r.path for r in visible}
    for group in groups:
        parts = paths.get(group["region_id"], "").strip("/").split("/")
        if len(parts) <= depth:
            continue
        row = rows.get(int(parts[depth]))
        if row is None:
            continue
        for name in ("total", "open_general", "open_major", "overdue", "closed"):
            setattr(row, name, getattr(row, name) + group[name])
    return list(rows.values())


REGION_LEVELS = (RegionLevel.CITY, RegionLevel.DISTRICT, RegionLevel.SUBDISTRICT)


# --- inspection tasks ------------------------------------------------------------------


def tasks_for(user: Any) -> QuerySet[InspectionTask]:
    return InspectionTask.objects.restrict(user).select_related(
        "measure", "measure__event", "measure__event__unit", "measure__responsible", "enterprise"
    )
