"""Reads of early-warning signals: the list with its filters, one signal with its timeline,
the dashboard's figures and map, a series with its method's upper bound, the runs. Every
read of signals and counts starts from `restrict(user)`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from redline.core.errors import NotFound
from redline.core.filters import day_range, day_range_q, read_filters
from redline.epidemic.detection import (
    EXTRAS,
    ConditionProblem,
    history_since,
    prepare,
    read_extras,
    read_window,
    run_method,
)
from redline.epidemic.models import CaseCount, Condition, DetectionRun, Signal
from redline.epidemic.series import FREQUENCY, condition_series, last_period
from redline.epidemic.vocab import Aggregation, SignalState
from redline.organisations.access import is_government_side, jurisdiction
from redline.organisations.models import Enterprise, Region
from redline.organisations.selectors import region_filter
from redline.organisations.vocab import RegionLevel

SIGNAL_FILTERS = (
    "q",
    "state",
    "condition",
    "region",
    "overdue",
    "place",
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


def _yes(value: Any) -> bool:
    return value in ("1", "yes", "true", "on", True)


def overdue_q(now: dt.datetime) -> Q:
    """Still awaiting verification after its deadline."""
    return Q(state=SignalState.NEW, verify_due_at__lt=now)


def signal_list(
    user: Any, filters: Mapping[str, Any] | None = None, *, now: dt.datetime | None = None
) -> QuerySet[Signal]:
    """The signals the user may see, filtered as the list page or the API asks."""
    filters = filters or {}
    signals = Signal.objects.restrict(user)
    state = str(filters.get("state") or "")
    if state == "open":
        signals = signals.open()
    elif state in SignalState.values:
        signals = signals.filter(state=state)
    condition = str(filters.get("condition") or "").strip()
    if condition:
        number = _int(condition)
        signals = signals.filter(Q(condition__code=condition) | Q(condition_id=number or 0))
    region = region_filter(user, filters.get("region"))
    if region is not None:
        signals = signals.filter(region__path__startswith=region.path)
    place_id = _int(filters.get("place"))
    if place_id:
        signals = signals.filter(place_id=place_id)
    if _yes(filters.get("overdue")):
        signals = signals.filter(overdue_q(now or timezone.now()))
    days = read_filters(DAY_FILTERS, filters)
    signals = signals.filter(day_range_q("opened_at", "opened", days, moment=True))
    query = str(filters.get("q") or "").strip()
    if query:
        signals = signals.filter(
            Q(number__icontains=query)
            | Q(condition__name__icontains=query)
            | Q(condition__name_en__icontains=query)
            | Q(place__name__icontains=query)
        )
    return signals.select_related("condition", "region", "place", "responsible")


def anything_visible(user: Any) -> bool:
    """Whether any signal or case count lies in the user's jurisdiction."""
    return Signal.objects.restrict(user).exists() or CaseCount.objects.restrict(user).exists()


def signal_get(user: Any, signal_id: int) -> Signal:
    """A signal the user may see; Signal.DoesNotExist (-> 404) otherwise."""
    return (
        Signal.objects.restrict(user)
        .select_related("condition", "region", "place", "responsible", "verified_by", "run")
        .get(pk=signal_id)
    )


def is_overdue(signal: Signal, now: dt.datetime) -> bool:
    return signal.state == SignalState.NEW and signal.verify_due_at < now


def evidence_chart(signal: Signal) -> dict[str, Any]:
    """The triggering data as a chart's series: dates, counts, upper bounds, alarms, and
    the method's window sums (`current`, MPM: what the bound applies to) and expected
    counts where it gives them."""
    evidence = signal.evidence or {}
    chart: dict[str, Any] = {
        name: list(evidence.get(name, [])) for name in ("dates", "counts", "upperbounds", "alarms")
    }
    for name in EXTRAS:
        if evidence.get(name):
            chart[name] = list(evidence[name])
    return chart


def evidence_rows(signal: Signal) -> list[dict[str, Any]]:
    """The triggering data as table rows, newest first."""
    chart = evidence_chart(signal)
    rows = []
    for i, day in enumerate(chart["dates"]):
        row = {"date": day}
        for name, key in (
            ("counts", "count"),
            ("upperbounds", "upperbound"),
            ("alarms", "alarm"),
            ("current", "current"),
            ("expected", "expected"),
        ):
            values = chart.get(name) or []
            row[key] = values[i] if i < len(values) else None
        rows.append(row)
    return list(reversed(rows))


# --- dashboard ---------------------------------------------------------------------------


@dataclass
class MapRegion:
    region: Region
    open: int = 0
    overdue: int = 0


@dataclass
class Dashboard:
    by_state: list[tuple[str, Any, int]]
    by_condition: list[dict[str, Any]]
    total_open: int
    overdue: list[Signal]
    overdue_count: int
    awaiting: list[Signal] = field(default_factory=list)
    regions: list[MapRegion] = field(default_factory=list)
    latest_run: DetectionRun | None = None
    # The latest run's problems, each with the condition's name (the run stores its code).
    run_problems: list[dict[str, Any]] = field(default_factory=list)


def _map_regions(user: Any) -> list[Region]:
    """The regions the map draws: the districts the user may see (with boundaries), else the
    top of the user's regions."""
    visible = Region.objects.restrict(user).order_by("path")
    districts = list(visible.filter(level=RegionLevel.DISTRICT))
    if districts:
        return districts
    regions = list(visible.defer("boundary"))
    top = min((r.depth for r in regions), default=0)
    ids = [r.pk for r in regions if r.depth == top]
    return list(visible.filter(pk__in=ids))


def dashboard(user: Any, *, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    signals = Signal.objects.restrict(user)
    states = dict(
        signals.order_by().values("state").annotate(n=Count("id")).values_list("state", "n")
    )
    by_state = [(code, label, states.get(code, 0)) for code, label in SignalState.choices]
    rows = (
        signals.order_by()
        .values("condition_id", "condition__code", "condition__name", "condition__name_en", "state")
        .annotate(n=Count("id"))
    )
    conditions: dict[int, dict[str, Any]] = {}
    for row in rows:
        item = conditions.setdefault(
            row["condition_id"],
            {
                "id": row["condition_id"],
                "code": row["condition__code"],
                # in the reader's language, as str(condition)
                "name": str(
                    Condition(name=row["condition__name"], name_en=row["condition__name_en"])
                ),
                "open": 0,
                "closed": 0,
                "states": {},
            },
        )
        item["states"][row["state"]] = row["n"]
        item["closed" if row["state"] == SignalState.CLOSED else "open"] += row["n"]
    for item in conditions.values():
        item["counts"] = [
            (label, item["states"].get(code, 0)) for code, label in SignalState.choices
        ]
    overdue_qs = signals.filter(overdue_q(now))
    overdue = list(
        overdue_qs.select_related("condition", "region", "place", "responsible").order_by(
            "verify_due_at", "pk"
        )[:20]
    )
    awaiting = list(
        signals.filter(state=SignalState.NEW)
        .select_related("condition", "region", "place", "responsible")
        .order_by("-opened_at", "-pk")[:10]
    )
    map_regions = [MapRegion(r) for r in _map_regions(user)]
    open_by_region = (
        signals.open()
        .order_by()
        .values("region__path")
        .annotate(n=Count("id"), late=Count("id", filter=overdue_q(now)))
    )
    for counted in open_by_region:
        for shown in map_regions:
            if counted["region__path"].startswith(shown.region.path):
                shown.open += counted["n"]
                shown.overdue += counted["late"]
                break
    latest = None
    if is_government_side(user):
        latest = (
            DetectionRun.objects.select_related("requested_by")
            .order_by("-started_at", "-pk")
            .first()
        )
    problems: list[dict[str, Any]] = [
        e for e in (latest.errors if latest else []) if isinstance(e, dict)
    ]
    names = {
        c.code: str(c)
        for c in Condition.objects.filter(code__in={e.get("condition") for e in problems})
    }
    return Dashboard(
        by_state=by_state,
        by_condition=sorted(conditions.values(), key=lambda c: (-c["open"], c["code"])),
        total_open=sum(n for code, _label, n in by_state if code != SignalState.CLOSED),
        overdue=overdue,
        overdue_count=overdue_qs.count() if len(overdue) == 20 else len(overdue),
        awaiting=awaiting,
        regions=map_regions,
        latest_run=latest,
        run_problems=[{**e, "name": names.get(e.get("condition", ""), "")} for e in problems],
    )


def map_geojson(regions: list[MapRegion]) -> dict[str, Any] | None:
    features = [
        {
            "type": "Feature",
            "properties": {
                "name": str(item.region),
                "id": item.region.pk,
                "open": item.open,
                "overdue": item.overdue,
            },
            "geometry": item.region.boundary,
        }
        for item in regions
        if item.region.boundary
    ]
    return {"type": "FeatureCollection", "features": features} if features else None


def runs(user: Any) -> QuerySet[DetectionRun]:
    """Detection runs are the government side's to see (they name no place)."""
    if not is_government_side(user):
        return DetectionRun.objects.none()
    return DetectionRun.objects.select_related("requested_by").order_by("-started_at", "-pk")


# --- series ------------------------------------------------------------------------------


def covers_region(user: Any, region: Region) -> bool:
    """Does the user see every count recorded in the region's subtree (so a district's
    summed series is theirs to see whole)?"""
    return jurisdiction(user).covers_area(region.path)


@dataclass
class SeriesView:
    condition: Condition
    region: Region
    place: Enterprise | None
    day: dt.date
    dates: list[str]
    counts: list[int]
    upperbounds: list[float | None]
    alarms: list[int | None]
    problem: str = ""
    signals: list[Signal] = field(default_factory=list)
    extras: dict[str, list[float | None]] = field(default_factory=dict)
    unconfirmed: list[str] = field(default_factory=list)


def series_view(
    user: Any,
    *,
    condition_code: str,
    region_id: int,
    place_id: int | None,
    day: dt.date,
    periods: int | None = None,
) -> SeriesView:
    """One series (a district's, or a key place's) over its last year up to `day`, with
    its method's upper bound and alarms recomputed over the counts as known now. NotFound
    when the user may not see all of it."""
    condition = Condition.objects.filter(code=condition_code).first()
    region = Region.objects.restrict(user).filter(pk=region_id).first()
    if condition is None or region is None:
        raise NotFound()
    counts = CaseCount.objects.restrict(user)
    place = None
    if place_id is None:
        if region.level == RegionLevel.SUBDISTRICT or not covers_region(user, region):
            raise NotFound()
        counts = counts.filter(region__path__startswith=region.path)
    else:
        place = Enterprise.objects.restrict(user).filter(pk=place_id).first()
        if place is None:
            raise NotFound()
        counts = counts.filter(place_id=place_id, region_id=region_id)
        if not counts.filter(condition=condition).exists():
            raise NotFound()
    aggregation = Aggregation(condition.aggregation)
    shown = periods or FREQUENCY[aggregation]
    problem = ""
    try:
        spec, params = prepare(condition)
        since = history_since(condition, params, day, shown=shown)
    except ConditionProblem as error:
        spec, params, since = None, {}, last_period(day, aggregation) - dt.timedelta(days=400)
        problem = str(error)
    known = max(day, timezone.localdate())
    series = condition_series(condition, day=day, as_known_on=known, since=since, counts=counts)
    key = f"{region_id}:{place_id or ''}"
    index = series.index_of(key)
    view = SeriesView(condition, region, place, day, [], [], [], [], problem)
    view.signals = list(
        signal_list(user, {"condition": condition.code})
        .filter(series_key=key)
        .order_by("-opened_at")[:20]
    )
    if index is None:
        return view
    dates, values = series.values(index)
    first = max(0, len(values) - shown)
    view.dates = [d.isoformat() for d in dates[first:]]
    view.counts = [int(c) for c in values[first:]]
    view.upperbounds = [None] * len(view.dates)
    view.alarms = [None] * len(view.dates)
    if spec is not None:
        try:
            result = run_method(spec, params, values, dates, series.frequency)
        except ValueError as error:
            view.problem = str(error)
        else:
            _first, view.upperbounds, view.alarms = read_window(result, len(values), shown)
            view.extras = read_extras(result, len(values), shown)
            view.unconfirmed = [str(n) for n in getattr(result, "unconfirmed", ()) or ()]
    return view
