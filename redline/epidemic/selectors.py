"""Reads of surveillance data: case counts, key places, key groups, the catalogue. Every
read of business data starts from `restrict(user)`; the catalogue is reference data every
signed-in user reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, overload

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum

from redline.core.language import in_language
from redline.epidemic.models import CaseCount, Condition, KeyGroupCount, Signal
from redline.epidemic.vocab import KeyGroup
from redline.organisations.models import Enterprise, Person, Region
from redline.organisations.selectors import region_filter
from redline.organisations.vocab import UnitKind

RECENT_DAYS = 28


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- case counts -----------------------------------------------------------------------------


def case_counts(user: Any, filters: dict[str, Any] | None = None) -> QuerySet[CaseCount]:
    """The counts the user may see: current values, or those known at the end of
    `as_known_on`; filtered by `condition` (code), `region` (code or id: its subtree),
    `place` (id), `date_from`, `date_to` (dates). A region outside the user's jurisdiction
    is NotFound (`region_filter`)."""
    filters = filters or {}
    counts = CaseCount.objects.restrict(user)
    day = filters.get("as_known_on")
    counts = counts.as_known_on(day) if day else counts.current()
    if filters.get("condition"):
        counts = counts.filter(condition__code=str(filters["condition"]).strip())
    region = region_filter(user, filters.get("region"), codes=True)
    if region is not None:
        counts = counts.filter(region__path__startswith=region.path)
    if filters.get("place") not in (None, ""):
        place_id = _int(filters["place"])
        if place_id is None:
            return counts.none()
        counts = counts.filter(place_id=place_id)
    if filters.get("date_from"):
        counts = counts.filter(day__gte=filters["date_from"])
    if filters.get("date_to"):
        counts = counts.filter(day__lte=filters["date_to"])
    return counts.select_related("condition", "region", "place")


class CountsNewestFirst:
    """Case counts (a `case_counts` queryset) newest day first, then by condition, region and
    key place, for a Paginator. A page is read from the days it spans: their dates from the
    index on the day, and only those days' counts sorted, not every count the user may see
    (at city scale, hundreds of thousands sorted for one page)."""

    ORDER = ("-day", "condition__code", "region__path", "place__name", "id")
    ordered = True  # (what the Paginator asks of a list)

    def __init__(self, counts: QuerySet[CaseCount]) -> None:
        self.counts = counts

    def __len__(self) -> int:
        return self.counts.count()

    def __iter__(self) -> Iterator[CaseCount]:
        return iter(self.counts.order_by(*self.ORDER))

    @overload
    def __getitem__(self, index: int) -> CaseCount: ...

    @overload
    def __getitem__(self, index: slice) -> list[CaseCount]: ...

    def __getitem__(self, index: int | slice) -> CaseCount | list[CaseCount]:
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        if index.step is not None or (index.start or 0) < 0 or (index.stop or 0) < 0:
            raise TypeError("a page of counts is a slice from the start, without a step")
        start = index.start or 0
        days = list(self.counts.order_by("-day").values_list("day", flat=True)[index])
        if not days:
            return []
        newest, oldest = days[0], days[-1]
        # The counts of later days all come before the page (none before the first page).
        before = self.counts.filter(day__gt=newest).count() if start else 0
        window = self.counts.filter(day__range=(oldest, newest)).order_by(*self.ORDER)
        return list(window[start - before : start - before + len(days)])


def conditions(*, active_only: bool = True) -> QuerySet[Condition]:
    found = Condition.objects.all()
    return found.active() if active_only else found


CLASS_ORDER = {"A": 0, "B": 1, "C": 2, "other": 3}


def entry_conditions(*, place: bool) -> list[Condition]:
    """The active conditions in the order a day's form lists them: a key place reports
    syndromes first, a region notifiable diseases first; then by legal class and code."""
    kinds = ["syndrome", "disease"] if place else ["disease", "syndrome"]
    return sorted(
        conditions(),
        key=lambda c: (kinds.index(c.kind), CLASS_ORDER.get(c.disease_class, 9), c.code),
    )


# --- key places ------------------------------------------------------------------------------

PLACE_FILTERS = ("q", "kind", "region")


def key_places(user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Enterprise]:
    """The key places (units of a key-place kind) the user may see."""
    filters = filters or {}
    places = (
        Enterprise.objects.restrict(user)
        .filter(kind__in=UnitKind.key_places(), is_archived=False)
        .select_related("region")
    )
    if filters.get("kind") in UnitKind.key_places():
        places = places.filter(kind=filters["kind"])
    region = region_filter(user, filters.get("region"))
    if region is not None:
        places = places.filter(region__path__startswith=region.path)
    text = str(filters.get("q") or "").strip()
    if text:
        places = places.filter(Q(name__icontains=text) | Q(credit_code__startswith=text.upper()))
    return places.order_by("region__path", "name", "id")


def place_figures(user: Any, place_ids: list[int], today: dt.date) -> dict[int, dict[str, Any]]:
    """For a page of key places: open signals and the latest reported day (two queries)."""
    figures: dict[int, dict[str, Any]] = {
        pk: {"open_signals": 0, "last_day": None} for pk in place_ids
    }
    if not place_ids:
        return figures
    signals = (
        Signal.objects.restrict(user)
        .open()
        .filter(place_id__in=place_ids)
        .values("place_id")
        .annotate(n=Count("id"))
    )
    for row in signals:
        figures[row["place_id"]]["open_signals"] = row["n"]
    latest = (
        CaseCount.objects.restrict(user)
        .current()
        .filter(place_id__in=place_ids, day__lte=today)
        .values("place_id")
        .annotate(last=Max("day"))
    )
    for found in latest:
        figures[found["place_id"]]["last_day"] = found["last"]
    return figures


def key_place_get(user: Any, place_id: int) -> Enterprise:
    """A key place the user may see; Enterprise.DoesNotExist (-> 404) otherwise."""
    return (
        Enterprise.objects.restrict(user)
        .filter(kind__in=UnitKind.key_places())
        .select_related("region", "region__parent")
        .get(pk=place_id)
    )


def responsible_people(user: Any, place: Enterprise) -> QuerySet[Person]:
    return Person.objects.restrict(user).filter(enterprise=place, is_archived=False)


@dataclass
class RecentSeries:
    """One condition's counts at a place over the recent days (None: not reported)."""

    condition: Condition
    days: list[dt.date]
    values: list[int | None]

    @property
    def total(self) -> int:
        return sum(v for v in self.values if v)

    @property
    def last_week(self) -> int:
        return sum(v for v in self.values[-7:] if v)

    @property
    def reported_days(self) -> int:
        return sum(1 for v in self.values if v is not None)

    @property
    def bars(self) -> list[dict[str, Any]]:
        """Sparkline bars for the template, one per day: x, y, height, a class ("none": not
        reported, "zero": no cases) and the value."""
        peak = max((v for v in self.values if v), default=0) or 1
        bars = []
        for index, (day, value) in enumerate(zip(self.days, self.values, strict=True)):
            height = max(1, round(20 * value / peak)) if value else 1
            kind = "none" if value is None else "zero" if value == 0 else ""
            bars.append(
                {
                    "x": index * 4,
                    "y": 21 - height,
                    "height": height,
                    "cls": kind,
                    "day": day,
                    "value": value,
                }
            )
        return bars


def recent_counts(user: Any, place: Enterprise, today: dt.date) -> list[RecentSeries]:
    """The place's current counts of the last RECENT_DAYS days, one series per condition."""
    first = today - dt.timedelta(days=RECENT_DAYS - 1)
    days = [first + dt.timedelta(days=i) for i in range(RECENT_DAYS)]
    rows = (
        CaseCount.objects.restrict(user)
        .current()
        .filter(place=place, day__range=(first, today))
        .select_related("condition")
        .order_by("condition__kind", "condition__code", "day")
    )
    by_condition: dict[int, RecentSeries] = {}
    for row in rows:
        series = by_condition.get(row.condition_id)
        if series is None:
            series = RecentSeries(row.condition, days, [None] * RECENT_DAYS)
            by_condition[row.condition_id] = series
        series.values[(row.day - first).days] = row.count
    return list(by_condition.values())


def open_signals(user: Any, place: Enterprise) -> QuerySet[Signal]:
    return (
        Signal.objects.restrict(user)
        .open()
        .filter(place=place)
        .select_related("condition")
        .order_by("-last_date", "-id")
    )


# --- key groups ------------------------------------------------------------------------------


def latest_group_counts(user: Any) -> QuerySet[KeyGroupCount]:
    """The latest count of each series and key group the user may see."""
    newer = KeyGroupCount.objects.filter(
        series_key=OuterRef("series_key"), group=OuterRef("group"), as_of__gt=OuterRef("as_of")
    )
    return (
        KeyGroupCount.objects.restrict(user)
        .filter(~Exists(newer))
        .select_related("region", "place", "recorded_by")
    )


def place_groups(user: Any, place: Enterprise) -> list[KeyGroupCount]:
    order = {code: i for i, code in enumerate(KeyGroup.values)}
    rows = list(latest_group_counts(user).filter(place=place))
    return sorted(rows, key=lambda r: order.get(r.group, 99))


@dataclass(frozen=True)
class GroupFigure:
    """A region's own latest count of a key group."""

    pk: int
    count: int
    as_of: dt.date


@dataclass
class GroupCell:
    """A region's figure for one key group: its own latest count, and the sum of the latest
    counts of its key places (how many places, the oldest of their dates)."""

    own: GroupFigure | None = None
    places_total: int = 0
    places: int = 0
    places_oldest: dt.date | None = None


@dataclass
class GroupRow:
    """A region (its name in the reader's language) and its key groups' figures."""

    region_id: int
    name: str
    path: str
    cells: dict[str, GroupCell] = field(default_factory=dict)

    def cell_list(self, groups: list[str]) -> list[GroupCell]:
        return [self.cells.get(g) or GroupCell() for g in groups]


def group_summary(user: Any, region: Region | None = None) -> tuple[list[str], list[GroupRow]]:
    """Latest key-group counts per region under the user's scope, added up in the database
    (one query, a row per region and group): the groups that have figures (in vocabulary
    order) and one row per region, by region path."""
    latest = latest_group_counts(user)
    if region is not None:
        latest = latest.filter(region__path__startswith=region.path)
    own, at_place = Q(place__isnull=True), Q(place__isnull=False)
    figures = (
        latest.select_related(None)
        .order_by()
        .values("region_id", "region__name", "region__name_en", "region__path", "group")
        .annotate(
            # a region has one latest count of its own per group (none when `own_id` is None)
            own_id=Max("id", filter=own),
            own_count=Max("count", filter=own),
            own_as_of=Max("as_of", filter=own),
            places_total=Sum("count", filter=at_place, default=0),
            places=Count("id", filter=at_place),
            places_oldest=Min("as_of", filter=at_place),
        )
    )
    rows: dict[int, GroupRow] = {}
    present: set[str] = set()
    for item in figures:
        row = rows.get(item["region_id"])
        if row is None:
            name = in_language(item["region__name"], item["region__name_en"])
            row = rows[item["region_id"]] = GroupRow(item["region_id"], name, item["region__path"])
        present.add(item["group"])
        row.cells[item["group"]] = GroupCell(
            own=None
            if item["own_id"] is None
            else GroupFigure(item["own_id"], item["own_count"], item["own_as_of"]),
            places_total=item["places_total"],
            places=item["places"],
            places_oldest=item["places_oldest"],
        )
    groups = [g for g in KeyGroup.values if g in present]
    return groups, sorted(rows.values(), key=lambda r: r.path)


def groups_by_label() -> dict[str, str]:
    return {str(value): str(label) for value, label in KeyGroup.choices}
