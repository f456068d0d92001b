"""When a control measure's inspection falls due (隐患排查任务的生成时刻).

A cycle is "every N hours / days / months / years" from its first task time. Tasks fall
only on the days its day type allows (every day, statutory working days, non-working
days), hourly tasks only inside the daily working window, and none while the unit is shut
down for overhaul. The rule is inferred from the reporting interface's field definitions
(checkCycle, checkCycleUnit, taskStartTime, workStartTime/workEndTime, workDayType); the
domain notes mark the scheduling algorithm itself as UNCONFIRMED.

`due_times(cycle, calendar, start, end)` lists the due times in [start, end). It is a pure
function of its inputs, and splitting a period gives the same times as the whole, so a
generator that runs twice, or dies halfway and runs again, produces the same task set.
Framework-free: no Django.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

UNITS = ("hour", "day", "month", "year")
DAY_TYPES = ("every", "working", "non_working")


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: Monday to Friday, less statutory holidays, plus the weekend days that
    are declared working days (调休). Both lists are data the administrator maintains."""

    holidays: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()

    def is_working(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def allows(self, day: dt.date, day_type: str) -> bool:
        if day_type == "every":
            return True
        working = self.is_working(day)
        return working if day_type == "working" else not working


@dataclass(frozen=True)
class Cycle:
    every: int
    unit: str
    starts_at: dt.datetime
    day_type: str = "every"
    work_start: dt.time | None = None
    work_end: dt.time | None = None
    shutdowns: tuple[tuple[dt.datetime, dt.datetime], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError("every must be at least 1")
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}")
        if self.day_type not in DAY_TYPES:
            raise ValueError(f"day_type must be one of {', '.join(DAY_TYPES)}")
        if self.unit == "hour":
            if self.work_start is None or self.work_end is None:
                raise ValueError("an hourly cycle needs its working window")
            if self.work_end <= self.work_start:
                raise ValueError("the working window must end after it starts")

    def shut_down(self, moment: dt.datetime) -> bool:
        return any(start <= moment < end for start, end in self.shutdowns)


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day of a later month, or that month's last day when it is shorter."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, _calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _months_between(earlier: dt.datetime, later: dt.datetime) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _candidates(cycle: Cycle, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    """Every slot of the cycle from its first task time that falls in [start, end), in
    order. It starts counting near `start` rather than at the first task, so a cycle begun
    years ago costs no more than a new one; the slots are those counted from the first task
    all the same."""
    if cycle.unit == "hour":
        assert cycle.work_start is not None and cycle.work_end is not None
        day = max(cycle.starts_at.date(), start.date() - dt.timedelta(days=1))
        step = dt.timedelta(hours=cycle.every)
        while True:
            slot = dt.datetime.combine(day, cycle.work_start, tzinfo=cycle.starts_at.tzinfo)
            closing = dt.datetime.combine(day, cycle.work_end, tzinfo=cycle.starts_at.tzinfo)
            if slot >= end:
                return
            while slot < closing and slot < end:
                if slot >= cycle.starts_at and slot >= start:
                    yield slot
                slot += step
            day += dt.timedelta(days=1)
    if cycle.unit == "day":
        period = dt.timedelta(days=cycle.every)
        k = max(0, (start - cycle.starts_at) // period - 1)
    else:
        months = cycle.every * (12 if cycle.unit == "year" else 1)
        k = max(0, _months_between(cycle.starts_at, start) // months - 1)
    while True:
        if cycle.unit == "day":
            slot = cycle.starts_at + dt.timedelta(days=cycle.every * k)
        elif cycle.unit == "month":
            slot = _add_months(cycle.starts_at, cycle.every * k)
        else:
            slot = _add_months(cycle.starts_at, 12 * cycle.every * k)
        if slot >= end:
            return
        if slot >= start:
            yield slot
        k += 1


def due_times(
    cycle: Cycle, calendar: WorkCalendar, start: dt.datetime, end: dt.datetime
) -> list[dt.datetime]:
    """The cycle's due times in [start, end): allowed days only, none during a shutdown."""
    return [
        slot
        for slot in _candidates(cycle, start, end)
        if calendar.allows(slot.date(), cycle.day_type) and not cycle.shut_down(slot)
    ]


def due_times_many(
    cycles: Iterable[tuple[int, Cycle]],
    calendar: WorkCalendar,
    start: dt.datetime,
    end: dt.datetime,
) -> list[tuple[int, dt.datetime]]:
    """(cycle key, due time) for many cycles, in key then time order."""
    return [
        (key, moment) for key, cycle in cycles for moment in due_times(cycle, calendar, start, end)
    ]


def period_after(cycle: Cycle, moment: dt.datetime) -> dt.datetime:
    """One cycle period after `moment`: when a task due then stops being doable (the next
    one falls due), whatever days or windows the next slot skips."""
    if cycle.unit == "hour":
        return moment + dt.timedelta(hours=cycle.every)
    if cycle.unit == "day":
        return moment + dt.timedelta(days=cycle.every)
    if cycle.unit == "month":
        return _add_months(moment, cycle.every)
    return _add_months(moment, 12 * cycle.every)
