"""Inspection due times: cycles, day types, working windows, shutdowns; reruns agree."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.engines.task_schedule import Cycle, WorkCalendar, due_times

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
# 2026: National Day holiday 10-01..10-07 with working Saturdays 09-27 and 10-10 (example data)
CAL = WorkCalendar(
    holidays=frozenset(dt.date(2026, 10, d) for d in range(1, 8)),
    extra_working_days=frozenset({dt.date(2026, 9, 27), dt.date(2026, 10, 10)}),
)


def at(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def test_daily_on_every_day():
    cycle = Cycle(every=1, unit="day", starts_at=at(2026, 9, 28, 9))
    times = due_times(cycle, CAL, at(2026, 9, 28), at(2026, 10, 3))
    assert [t.day for t in times] == [28, 29, 30, 1, 2]


def test_working_days_skip_holidays_and_keep_declared_working_weekends():
    cycle = Cycle(every=1, unit="day", starts_at=at(2026, 9, 26, 9), day_type="working")
    days = [t.date() for t in due_times(cycle, CAL, at(2026, 9, 26), at(2026, 10, 12))]
    assert dt.date(2026, 9, 27) in days and dt.date(2026, 10, 10) in days  # working weekends
    assert not any(dt.date(2026, 10, d) in days for d in range(1, 8))
    assert dt.date(2026, 9, 26) not in days  # an ordinary Saturday


def test_hourly_inside_the_working_window():
    cycle = Cycle(
        every=2,
        unit="hour",
        starts_at=at(2026, 12, 1, 10),
        work_start=dt.time(8),
        work_end=dt.time(17),
    )
    times = due_times(cycle, CAL, at(2026, 12, 1), at(2026, 12, 3))
    assert [(t.day, t.hour) for t in times] == [
        (1, 10),
        (1, 12),
        (1, 14),
        (1, 16),
        (2, 8),
        (2, 10),
        (2, 12),
        (2, 14),
        (2, 16),
    ]


def test_monthly_keeps_the_day_or_the_months_last_day():
    cycle = Cycle(every=1, unit="month", starts_at=at(2026, 1, 31, 9))
    times = due_times(cycle, CAL, at(2026, 1, 1), at(2026, 5, 1))
    assert [t.date() for t in times] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
    ]


def test_yearly():
    cycle = Cycle(every=1, unit="year", starts_at=at(2024, 2, 29, 9))
    assert [t.date() for t in due_times(cycle, CAL, at(2024, 1, 1), at(2027, 1, 1))] == [
        dt.date(2024, 2, 29),
        dt.date(2025, 2, 28),
        dt.date(2026, 2, 28),
    ]


def test_a_shutdown_suspends_the_cycle():
    cycle = Cycle(
        every=1,
        unit="day",
        starts_at=at(2026, 12, 1, 9),
        shutdowns=((at(2026, 12, 3), at(2026, 12, 5)),),
    )
    times = due_times(cycle, CAL, at(2026, 12, 1), at(2026, 12, 7))
    assert [t.day for t in times] == [1, 2, 5, 6]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"every": 0, "unit": "day"},
        {"every": 1, "unit": "week"},
        {"every": 1, "unit": "hour"},
        {"every": 1, "unit": "hour", "work_start": dt.time(9), "work_end": dt.time(8)},
        {"every": 1, "unit": "day", "day_type": "sometimes"},
    ],
)
def test_bad_cycles_are_refused(kwargs):
    with pytest.raises(ValueError):
        Cycle(starts_at=at(2026, 1, 1), **kwargs)


cycles = st.builds(
    lambda every, unit, hour, day_type: Cycle(
        every=every,
        unit=unit,
        starts_at=at(2026, 1, 1 + hour % 28, 8 + hour % 8),
        day_type=day_type,
        work_start=dt.time(8) if unit == "hour" else None,
        work_end=dt.time(18) if unit == "hour" else None,
    ),
    st.integers(1, 5),
    st.sampled_from(["hour", "day", "month", "year"]),
    st.integers(0, 200),
    st.sampled_from(["every", "working", "non_working"]),
)


@settings(max_examples=80, deadline=None)
@given(cycles, st.integers(1, 200), st.integers(1, 200))
def test_a_period_split_anywhere_gives_the_same_tasks(cycle, cut_days, length_days):
    """What a generator killed at `cut` and rerun from there produces equals one full run."""
    start = at(2026, 1, 1)
    end = start + dt.timedelta(days=cut_days + length_days)
    cut = start + dt.timedelta(days=cut_days, hours=cut_days % 24)
    whole = due_times(cycle, CAL, start, end)
    assert due_times(cycle, CAL, start, cut) + due_times(cycle, CAL, cut, end) == whole
    assert due_times(cycle, CAL, start, end) == whole  # twice: the same
    assert all(CAL.allows(t.date(), cycle.day_type) for t in whole)
    assert whole == sorted(set(whole))


def naive_slots(cycle: Cycle, end: dt.datetime) -> list[dt.datetime]:
    """Every slot counted one by one from the first task: the definition, slowly."""
    slots = []
    if cycle.unit == "hour":
        day = cycle.starts_at.date()
        while True:
            slot = dt.datetime.combine(day, cycle.work_start, tzinfo=cycle.starts_at.tzinfo)
            closing = dt.datetime.combine(day, cycle.work_end, tzinfo=cycle.starts_at.tzinfo)
            if slot >= end:
                return slots
            while slot < closing:
                if cycle.starts_at <= slot < end:
                    slots.append(slot)
                slot += dt.timedelta(hours=cycle.every)
            day += dt.timedelta(days=1)
    k, months = 0, cycle.every * (12 if cycle.unit == "year" else 1)
    while True:
        if cycle.unit == "day":
            slot = cycle.starts_at + dt.timedelta(days=cycle.every * k)
        else:
            index = cycle.starts_at.month - 1 + months * k
            year, month = cycle.starts_at.year + index // 12, index % 12 + 1
            last = [
                31,
                29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ][month - 1]
            slot = cycle.starts_at.replace(
                year=year, month=month, day=min(cycle.starts_at.day, last)
            )
        if slot >= end:
            return slots
        slots.append(slot)
        k += 1


@settings(max_examples=80, deadline=None)
@given(cycles, st.integers(0, 900), st.integers(1, 60))
def test_starting_late_in_a_long_cycle_gives_the_slots_counted_from_the_first(
    cycle, offset_days, length_days
):
    """The generator skips ahead to its period; the slots are still those counted from the
    cycle's first task, however long ago that was."""
    start = at(2026, 1, 1) + dt.timedelta(days=offset_days, hours=offset_days % 24)
    end = start + dt.timedelta(days=length_days)
    every_day = WorkCalendar()
    expected = [
        t
        for t in naive_slots(cycle, end)
        if t >= start and every_day.allows(t.date(), cycle.day_type)
    ]
    assert due_times(cycle, every_day, start, end) == expected
