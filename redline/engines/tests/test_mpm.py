"""CIDARS moving percentile method on constructed series whose baseline values are known,
on 29 February, on weekly data, and for its invariants against an independent computation."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.engines.detection.mpm import UNCONFIRMED_BLOCKS, mpm

DAY = dt.timedelta(days=1)


def daily(first: dt.date, last: dt.date, marks: dict[dt.date, int]):
    dates = [first + i * DAY for i in range((last - first).days + 1)]
    return dates, [marks.get(day, 0) for day in dates]


def same_day(day: dt.date, back: int) -> dt.date:
    try:
        return day.replace(year=day.year - back)
    except ValueError:
        return day.replace(year=day.year - back, day=28)


def marked_baseline(day: dt.date, values: list[int]) -> dict[dt.date, int]:
    """One marked day per baseline window (its last day): the 15 default windows (7-day
    blocks ending on the same date of each of 3 past years, ±2 blocks) then sum to `values`."""
    marks = {}
    ends = [same_day(day, back) + 7 * j * DAY for back in (1, 2, 3) for j in range(-2, 3)]
    for end, value in zip(ends, values, strict=True):
        marks[end] = value
    return marks


VALUES = [5 * v for v in (7, 3, 12, 1, 15, 9, 4, 14, 2, 11, 6, 13, 8, 10, 5)]  # 5..75


def run_at(day, current, **params):
    marks = marked_baseline(day, VALUES)
    marks[day] = current
    dates, counts = daily(dt.date(2019, 12, 1), day, marks)
    result = mpm(counts, dates=dates, freq=365, **params)
    assert result.periods[-1] == len(dates) - 1
    return result, -1


def test_threshold_is_the_median_of_the_fifteen_windows():
    day = dt.date(2023, 6, 15)
    result, at = run_at(day, 40)
    assert result.current[at] == 40
    assert result.upperbound[at] == 40  # the 8th of 5, 10, ..., 75
    assert result.expected[at] == 40
    assert result.alarm[at] == 0  # strict: equal to the threshold is no signal
    assert run_at(day, 41)[0].alarm[at] == 1


@pytest.mark.parametrize(
    ("percentile", "threshold"),
    # type 7: 5 + 5 * 14 * p / 100
    [(0, 5), (50, 40), (60, 47), (70, 54), (72.5, 55.75), (90, 68), (100, 75)],
)
def test_percentile_is_type_7_and_exact(percentile, threshold):
    day = dt.date(2023, 6, 15)
    result, at = run_at(day, 0, percentile=percentile)
    assert result.upperbound[at] == threshold
    assert result.upperbound[at] == pytest.approx(np.percentile(VALUES, percentile))
    # numpy's interpolation gives 53.99999999999999 for P70; a sum of 54 must not signal
    equal = int(threshold) if threshold == int(threshold) else None
    if equal is not None:
        assert run_at(day, equal, percentile=percentile)[0].alarm[at] == 0
    assert run_at(day, int(threshold) + 1, percentile=percentile)[0].alarm[at] == 1


def test_current_is_the_seven_day_sum_ending_on_the_day():
    day = dt.date(2023, 6, 15)
    marks = marked_baseline(day, VALUES)
    for back, count in zip(range(7), [1, 2, 3, 4, 5, 6, 7], strict=True):
        marks[day - back * DAY] = count
    marks[day - 7 * DAY] = 100  # just outside the window
    dates, counts = daily(dt.date(2019, 12, 1), day, marks)
    result = mpm(counts, dates=dates, freq=365)
    assert result.current[-1] == 28
    assert result.alarm[-1] == 0  # 28 <= 40


def test_29_february_uses_28_february_of_earlier_years():
    leap = dt.date(2024, 2, 29)
    marks = marked_baseline(leap, VALUES)  # windows end on 28 Feb 2023, 2022, 2021 (± weeks)
    marks[leap] = 41
    dates, counts = daily(dt.date(2020, 1, 1), leap, marks)
    result = mpm(counts, dates=dates, freq=365)
    assert dates[result.periods[-1]] == leap
    assert result.upperbound[-1] == 40 and result.alarm[-1] == 1
    # 28 Feb 2024 looks at the same dates: the same baseline
    assert dates[result.periods[-2]] == dt.date(2024, 2, 28)
    assert result.upperbound[-2] == 40 and result.expected[-2] == 40


def test_weekly_data_looks_52_periods_back():
    n = 52 * 3 + 2 + 5
    counts = [0] * n
    t = n - 1
    for (back, j), value in zip(
        [(b, j) for b in (1, 2, 3) for j in range(-2, 3)], VALUES, strict=True
    ):
        counts[t - 52 * back + j] = value
    counts[t] = 41
    dates = [dt.date(2020, 1, 6) + 7 * i * DAY for i in range(n)]
    result = mpm(counts, dates=dates, freq=52)
    assert result.periods.tolist() == list(range(158, n))  # from 3·52 + 2 on
    assert result.current[-1] == 41
    assert result.upperbound[-1] == 40 and result.alarm[-1] == 1
    # a two-week window: sums of two weeks, blocks step two weeks
    two = mpm(counts, dates=dates, freq=52, window=14)
    assert two.periods[0] == 52 * 3 + 2 * 2 + 1
    assert two.current[-1] == 41 + counts[t - 1]


def test_only_periods_with_a_full_baseline_are_evaluated():
    dates, counts = daily(dt.date(2020, 1, 1), dt.date(2023, 3, 31), {})
    result = mpm(counts, dates=dates, freq=365)
    # 2023-01-21: three years back is 2020-01-21; its earliest window ends 14 days before,
    # on 2020-01-07, and starts on 2020-01-01, the first day
    assert dates[result.periods[0]] == dt.date(2023, 1, 21)
    assert result.periods.tolist() == list(range(result.periods[0], len(dates)))
    assert result.unconfirmed == (UNCONFIRMED_BLOCKS,)
    assert "UNCONFIRMED" in UNCONFIRMED_BLOCKS


def test_refusals():
    dates, counts = daily(dt.date(2020, 1, 1), dt.date(2023, 1, 20), {})
    with pytest.raises(ValueError, match="too short"):
        mpm(counts, dates=dates, freq=365)
    monthly = [dt.date(2020, m, 1) for m in range(1, 13)]
    with pytest.raises(ValueError, match="daily or weekly"):
        mpm([1] * 12, dates=monthly, freq=12)
    weekly = [dt.date(2020, 1, 6) + 7 * i * DAY for i in range(200)]
    with pytest.raises(ValueError, match="window"):
        mpm([1] * 200, dates=weekly, freq=52, window=10)
    with pytest.raises(ValueError, match="blocks"):
        mpm([1] * 200, dates=weekly, freq=52, blocks=52)
    for params, name in [
        ({"window": 0}, "window"),
        ({"years": 0}, "years"),
        ({"blocks": -1}, "blocks"),
        ({"percentile": 100.5}, "percentile"),
        ({"percentile": float("nan")}, "percentile"),
    ]:
        with pytest.raises(ValueError, match=f"^{name} "):
            mpm(counts, dates=dates, freq=365, **params)


def exact_percentile(values: list[int], percentile: float) -> Fraction:
    ordered = sorted(values)
    position = (len(ordered) - 1) * Fraction(str(percentile)) / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@settings(max_examples=60, deadline=None)
@given(
    weekly=st.booleans(),
    start=st.dates(dt.date(2019, 1, 1), dt.date(2021, 12, 31)),
    window_units=st.integers(1, 9),
    years=st.integers(1, 2),
    blocks=st.integers(0, 3),
    percentile=st.integers(0, 1000).map(lambda v: v / 10),
    extra=st.integers(0, 60),
    seed=st.integers(0, 2**32 - 1),
)
def test_alarm_is_current_above_the_percentile_of_the_baseline(
    weekly, start, window_units, years, blocks, percentile, extra, seed
):
    if weekly:
        window_units = min(window_units, 3)
        step, year, window, span = 7, 52, 7 * window_units, window_units
    else:
        step, year, window, span = 1, 366, window_units, window_units
    n = years * year + (blocks + 1) * span + extra
    dates = [start + i * step * DAY for i in range(n)]
    counts = np.random.default_rng(seed).poisson(3, n).tolist()
    result = mpm(
        counts,
        dates=dates,
        freq=52 if weekly else 365,
        window=window,
        years=years,
        blocks=blocks,
        percentile=percentile,
    )

    def window_sum(end_index: int) -> int | None:
        if end_index - span + 1 < 0:
            return None
        return sum(counts[end_index - span + 1 : end_index + 1])

    def baseline(t: int) -> list[int] | None:
        values = []
        for back in range(1, years + 1):
            if weekly:
                anchor = t - 52 * back
            else:
                anchor_day = same_day(dates[t], back)
                if anchor_day < start:
                    return None
                anchor = (anchor_day - start).days
            for j in range(-blocks, blocks + 1):
                value = window_sum(anchor + j * span)
                if value is None:
                    return None
                values.append(value)
        return values

    evaluated = set(result.periods.tolist())
    for t in range(n):
        values = baseline(t)
        assert (t in evaluated) == (values is not None)
    for i, t in enumerate(result.periods.tolist()):
        values = baseline(t)
        assert values is not None and len(values) == years * (2 * blocks + 1)
        current = window_sum(t)
        assert result.current[i] == current
        threshold = exact_percentile(values, percentile)
        assert result.alarm[i] == float(current > threshold)
        assert result.upperbound[i] == pytest.approx(float(threshold), abs=1e-9)
        assert result.upperbound[i] == pytest.approx(
            np.percentile(values, percentile, method="linear"), abs=1e-9
        )
        assert result.expected[i] == np.median(values)
