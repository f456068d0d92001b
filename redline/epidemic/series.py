"""The count series a condition is analysed on, built from the counts as known on a day.

Each condition has two kinds of series:

- a district's: every count recorded in the district's subtree (at the district itself, at
  its subdistricts and at the key places there), summed; key ``"<district id>:"``. A count
  recorded above every district (at the city itself) makes a series of its own region.
- a key place's: the counts recorded at the place itself; key ``"<region id>:<place id>"``
  (as `models.series_key`).

Periods are days, or ISO weeks dated by their Monday when the condition is analysed weekly;
a week counts only once it is complete (its Sunday is on or before the day analysed). A day
without a recorded count is a zero, from the series' first recorded day on.

One query per condition reads the counts; numpy pivots them into a (series x periods)
matrix, so a province's thousands of series cost one pass, never a query per series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from redline.epidemic.models import CaseCount, CaseCountQuerySet, Condition, series_key
from redline.epidemic.vocab import Aggregation
from redline.organisations.models import Region
from redline.organisations.vocab import RegionLevel

PERIOD_DAYS = {Aggregation.DAILY: 1, Aggregation.WEEKLY: 7}
FREQUENCY = {Aggregation.DAILY: 365, Aggregation.WEEKLY: 52}  # periods per year, as R's sts


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def last_period(day: dt.date, aggregation: str) -> dt.date:
    """The latest period that ends on or before `day`: the day itself, or the Monday of the
    last complete ISO week (the week ending on `day` when it is a Sunday)."""
    if aggregation == Aggregation.WEEKLY:
        start = monday(day)
        return start if day.weekday() == 6 else start - dt.timedelta(days=7)
    return day


def period_end(start: dt.date, aggregation: str) -> dt.date:
    return start + dt.timedelta(days=PERIOD_DAYS[Aggregation(aggregation)] - 1)


def district_map(regions: Iterable[tuple[int, str, str]] | None = None) -> dict[int, int]:
    """Region id -> the region whose series its counts join: its district (the ancestor at
    district level, or itself), else the region itself (a city). One query."""
    rows = (
        list(regions) if regions is not None else Region.objects.values_list("id", "path", "level")
    )
    level = {pk: lvl for pk, _path, lvl in rows}
    found: dict[int, int] = {}
    for pk, path, _lvl in rows:
        ids = [int(part) for part in path.strip("/").split("/") if part]
        found[pk] = next((i for i in ids if level.get(i) == RegionLevel.DISTRICT), pk)
    return found


@dataclass(frozen=True)
class SeriesSet:
    """A condition's series on one period axis. Series i runs from period `first[i]` (its
    first recorded period) to the last period; before that its cells are zero and unused."""

    condition_id: int
    aggregation: str
    day: dt.date
    as_known_on: dt.date
    dates: list[dt.date]  # the period axis: days, or the Mondays of ISO weeks
    keys: list[str]
    region_ids: NDArray[np.int64]
    place_ids: NDArray[np.int64]  # 0 for a district's series
    counts: NDArray[np.int64]  # (series, periods)
    first: NDArray[np.int64]  # (series,)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def frequency(self) -> int:
        return FREQUENCY[Aggregation(self.aggregation)]

    def place_id(self, index: int) -> int | None:
        value = int(self.place_ids[index])
        return value or None

    def values(self, index: int) -> tuple[list[dt.date], NDArray[np.int64]]:
        """One series: its periods' dates and counts, from its first recorded period."""
        start = int(self.first[index])
        return self.dates[start:], self.counts[index, start:]

    def take(self, indices: Sequence[int] | range) -> SeriesSet:
        """The series at these positions (a chunk), on the same axis."""
        chosen = np.asarray(list(indices), dtype=np.int64)
        return SeriesSet(
            condition_id=self.condition_id,
            aggregation=self.aggregation,
            day=self.day,
            as_known_on=self.as_known_on,
            dates=self.dates,
            keys=[self.keys[i] for i in chosen],
            region_ids=self.region_ids[chosen],
            place_ids=self.place_ids[chosen],
            counts=self.counts[chosen],
            first=self.first[chosen],
        )

    def index_of(self, key: str) -> int | None:
        try:
            return self.keys.index(key)
        except ValueError:
            return None


def condition_series(
    condition: Condition,
    *,
    day: dt.date,
    as_known_on: dt.date | None = None,
    since: dt.date | None = None,
    districts: dict[int, int] | None = None,
    counts: CaseCountQuerySet | None = None,
) -> SeriesSet:
    """Every series of `condition` with at least one count recorded between `since` (all
    history when None) and the last period ending on `day`, as known at the end of
    `as_known_on` (default: `day`).

    `counts` may narrow the rows read (a CaseCount queryset already restricted to what a
    user may see); `districts` is `district_map()` when the caller already has it."""
    as_known_on = as_known_on or day
    aggregation = condition.aggregation
    step = PERIOD_DAYS[Aggregation(aggregation)]
    end_start = last_period(day, aggregation)
    end = period_end(end_start, aggregation)
    queryset = counts if counts is not None else CaseCount.objects.all()
    queryset = queryset.as_known_on(as_known_on).filter(condition=condition, day__lte=end)
    if since is not None:
        if aggregation == Aggregation.WEEKLY:
            since = monday(since)
        queryset = queryset.filter(day__gte=since)
    rows = list(queryset.values_list("region_id", "place_id", "day", "count").order_by())
    districts = districts if districts is not None else district_map()
    return pivot(
        rows,
        condition_id=condition.pk,
        aggregation=aggregation,
        day=day,
        as_known_on=as_known_on,
        end_start=end_start,
        step=step,
        districts=districts,
    )


def pivot(
    rows: list[tuple[int, int | None, dt.date, int]],
    *,
    condition_id: int,
    aggregation: str,
    day: dt.date,
    as_known_on: dt.date,
    end_start: dt.date,
    step: int,
    districts: dict[int, int],
) -> SeriesSet:
    """(region, place, day, count) rows -> the district series and the key places' series."""
    empty = np.zeros(0, dtype=np.int64)
    if not rows:
        return SeriesSet(
            condition_id, aggregation, day, as_known_on, [], [], empty, empty,
            np.zeros((0, 0), dtype=np.int64), empty,
        )  # fmt: skip
    n = len(rows)
    region = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    place = np.fromiter((r[1] or 0 for r in rows), dtype=np.int64, count=n)
    ordinal = np.fromiter((r[2].toordinal() for r in rows), dtype=np.int64, count=n)
    value = np.fromiter((r[3] for r in rows), dtype=np.int64, count=n)

    start = dt.date.fromordinal(int(ordinal.min()))
    if step == 7:
        start = monday(start)
    periods = (end_start - start).days // step + 1
    period = (ordinal - start.toordinal()) // step

    # District series: each count joins its district's.
    regions, region_index = np.unique(region, return_inverse=True)
    mapped = np.fromiter((districts.get(int(pk), int(pk)) for pk in regions), dtype=np.int64)
    district = mapped[region_index.reshape(-1)]
    district_ids, district_index = np.unique(district, return_inverse=True)
    # Key places' series: the counts recorded at a place, by (region, place).
    at_place = place > 0
    pairs = np.stack([region[at_place], place[at_place]], axis=1)
    if pairs.size:
        place_pairs, place_index = np.unique(pairs, axis=0, return_inverse=True)
        place_index = place_index.reshape(-1)
    else:
        place_pairs = np.zeros((0, 2), dtype=np.int64)
        place_index = empty
    n_series = len(district_ids) + len(place_pairs)

    series_index = np.concatenate([district_index.reshape(-1), len(district_ids) + place_index])
    series_period = np.concatenate([period, period[at_place]])
    series_value = np.concatenate([value, value[at_place]])
    flat = series_index * periods + series_period
    summed = np.bincount(flat, weights=series_value, minlength=n_series * periods)
    matrix = np.rint(summed).astype(np.int64).reshape(n_series, periods)
    first = np.full(n_series, periods, dtype=np.int64)
    np.minimum.at(first, series_index, series_period)

    region_ids = np.concatenate([district_ids, place_pairs[:, 0]]).astype(np.int64)
    place_ids = np.concatenate([np.zeros(len(district_ids), dtype=np.int64), place_pairs[:, 1]])
    keys = [series_key(int(r), int(p) or None) for r, p in zip(region_ids, place_ids, strict=True)]
    order = sorted(range(n_series), key=lambda i: keys[i])
    dates = [start + dt.timedelta(days=step * i) for i in range(periods)]
    return SeriesSet(
        condition_id=condition_id,
        aggregation=aggregation,
        day=day,
        as_known_on=as_known_on,
        dates=dates,
        keys=[keys[i] for i in order],
        region_ids=region_ids[order],
        place_ids=place_ids[order],
        counts=matrix[order],
        first=first[order],
    )
