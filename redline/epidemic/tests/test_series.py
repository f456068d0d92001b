"""The series a condition is analysed on: districts summed over their subtree (key places
included), key places on their own, zeros from each series' first recorded day, complete
ISO weeks, counts as known on a day, and one query per condition whatever the number of
series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redline.epidemic.series import (
    condition_series,
    district_map,
    last_period,
    monday,
    pivot,
)
from redline.epidemic.tests.signal_data import add_counts, condition, unit

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)  # a Tuesday


def as_dict(series, key):
    index = series.index_of(key)
    assert index is not None, (key, series.keys)
    dates, counts = series.values(index)
    return dict(zip(dates, counts.tolist(), strict=True))


def test_districts_sum_their_subtree_and_places_stand_alone(world):
    cond = condition()
    r = world.regions
    school = unit("U-S11-school")
    add_counts(cond, r["S11"], {D - dt.timedelta(days=2): 1, D: 2})
    add_counts(cond, r["S12"], {D - dt.timedelta(days=1): 4})
    add_counts(cond, r["D1"], {D: 1})  # recorded at the district itself
    add_counts(cond, r["S11"], {D - dt.timedelta(days=1): 5, D: 3}, place=school)
    add_counts(cond, r["S21"], {D: 7})

    series = condition_series(cond, day=D)
    assert sorted(series.keys) == sorted([f"{r['D1']}:", f"{r['D2']}:", f"{r['S11']}:{school.pk}"])
    d1 = as_dict(series, f"{r['D1']}:")
    # Zeros fill the days without counts, from the district's first recorded day.
    assert d1 == {
        D - dt.timedelta(days=2): 1,
        D - dt.timedelta(days=1): 4 + 5,
        D: 2 + 1 + 3,
    }
    assert as_dict(series, f"{r['S11']}:{school.pk}") == {D - dt.timedelta(days=1): 5, D: 3}
    # D2's series starts at its own first count, not at the city's first.
    assert as_dict(series, f"{r['D2']}:") == {D: 7}


def test_gaps_are_zeros_and_later_days_are_not_read(world):
    cond = condition()
    r = world.regions
    add_counts(cond, r["S11"], {D - dt.timedelta(days=5): 3, D: 1, D + dt.timedelta(days=1): 9})
    values = as_dict(condition_series(cond, day=D), f"{r['D1']}:")
    assert list(values.values()) == [3, 0, 0, 0, 0, 1]
    assert max(values) == D


def test_a_count_above_every_district_is_a_series_of_its_own_region(world):
    cond = condition()
    add_counts(cond, world.regions["C"], {D: 4})
    series = condition_series(cond, day=D)
    assert series.keys == [f"{world.regions['C']}:"]


def test_counts_as_known_on_a_day(world):
    cond = condition()
    r = world.regions
    add_counts(cond, r["S11"], {D: 5})
    add_counts(cond, r["S11"], {D: 2}, known_from=D + dt.timedelta(days=2))  # a correction
    add_counts(cond, r["S12"], {D: 1}, known_from=D + dt.timedelta(days=1))  # reported late
    key = f"{r['D1']}:"
    assert as_dict(condition_series(cond, day=D), key) == {D: 5}
    assert as_dict(condition_series(cond, day=D, as_known_on=D + dt.timedelta(days=1)), key) == {
        D: 6
    }
    assert as_dict(condition_series(cond, day=D, as_known_on=D + dt.timedelta(days=2)), key) == {
        D: 3
    }


def test_weekly_series_are_complete_iso_weeks_dated_by_their_monday(world):
    cond = condition(aggregation="weekly")
    r = world.regions
    week = monday(D)  # 2026-03-09
    add_counts(
        cond,
        r["S11"],
        {
            week - dt.timedelta(days=12): 1,  # Wednesday two weeks before
            week - dt.timedelta(days=7): 2,  # Monday of the week before
            week - dt.timedelta(days=1): 3,  # its Sunday
            week: 50,  # this week: not complete on Tuesday
        },
    )
    key = f"{r['D1']}:"
    # On Tuesday the last complete week is the previous one.
    assert last_period(D, "weekly") == week - dt.timedelta(days=7)
    assert as_dict(condition_series(cond, day=D), key) == {
        week - dt.timedelta(days=14): 1,
        week - dt.timedelta(days=7): 5,
    }
    # On Sunday the week ending that day counts.
    sunday = week + dt.timedelta(days=6)
    assert last_period(sunday, "weekly") == week
    assert as_dict(condition_series(cond, day=sunday), key)[week] == 50


def test_since_limits_the_history_read(world):
    cond = condition()
    add_counts(cond, world.regions["S11"], {D - dt.timedelta(days=40): 9, D: 1})
    series = condition_series(cond, day=D, since=D - dt.timedelta(days=3))
    assert as_dict(series, f"{world.regions['D1']}:") == {D: 1}


def test_one_query_per_condition_whatever_the_number_of_series(world):
    cond = condition()
    districts = district_map()
    places = [
        u for u in (unit(f"U-{s}-{t}") for s in ("S11", "S21") for t in ("school", "nursing"))
    ]
    add_counts(cond, world.regions["S11"], {D: 1})
    with CaptureQueriesContext(connection) as few:
        small = condition_series(cond, day=D, districts=districts)
    for place in places:
        add_counts(
            cond, place.region_id, {D - dt.timedelta(days=i): i for i in range(20)}, place=place
        )
    with CaptureQueriesContext(connection) as many:
        large = condition_series(cond, day=D, districts=districts)
    assert len(small) == 1 and len(large) == 2 + len(places)
    assert len(few) == len(many) == 1


def test_pivot_scales_to_a_province_in_numpy():
    """Thousands of series from hundreds of thousands of rows: one pass, sums preserved."""
    rng = np.random.default_rng(5)
    n_places, days = 3000, 120
    districts = {1000 + d: 1000 + d for d in range(100)}
    districts |= {2000 + s: 1000 + s % 100 for s in range(1000)}
    end = dt.date(2026, 3, 1)
    rows = []
    for place in range(1, n_places + 1):
        sub = 2000 + place % 1000
        for day in rng.choice(days, size=40, replace=False):
            rows.append((sub, place, end - dt.timedelta(days=int(day)), int(rng.integers(0, 9))))
    series = pivot(
        rows,
        condition_id=1,
        aggregation="daily",
        day=end,
        as_known_on=end,
        end_start=end,
        step=1,
        districts=districts,
    )
    assert len(series) == 100 + n_places
    assert series.counts.shape == (100 + n_places, days)
    total = sum(r[3] for r in rows)
    # Every count is in its district's series and in its place's.
    places = series.place_ids > 0
    assert series.counts[places].sum() == total
    assert series.counts[~places].sum() == total
