"""Inspection tasks: generation is idempotent (twice, or after a crash halfway, gives the
same set), follows the calendar and shutdowns, and recording happens once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.hazards.inspection import (
    TaskRecordInput,
    task_counts,
    task_generate,
    task_record,
    task_status,
)
from redline.hazards.models import CalendarDay, InspectionTask
from redline.hazards.tests.factories import measure_with_cycle, user
from redline.hazards.vocab import TaskStatus
from redline.organisations.models import Enterprise
from redline.risk.models import UnitShutdown

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 9, 28, tzinfo=ZONE)  # a Monday; National Day week follows
END = dt.datetime(2026, 10, 12, tzinfo=ZONE)


def task_set(enterprise_ids=None):
    tasks = InspectionTask.objects.all()
    if enterprise_ids:
        tasks = tasks.filter(enterprise_id__in=enterprise_ids)
    return set(tasks.values_list("measure_id", "due_at", "window_ends_at"))


@pytest.fixture
def cycles(world):
    units = Enterprise.objects.filter(name__in=["U-S11-hazchem", "U-S12-fire", "U-S21-build"])
    made = []
    for index, unit in enumerate(units):
        made.append(measure_with_cycle(unit, name=f"daily{index}")[1])
        made.append(
            measure_with_cycle(
                unit,
                name=f"hourly{index}",
                every=2,
                unit="hour",
                starts_at=dt.datetime(2026, 9, 1, 8, tzinfo=ZONE),
                work_start=dt.time(8),
                work_end=dt.time(18),
                day_type="working",
            )[1]
        )
        made.append(
            measure_with_cycle(
                unit,
                name=f"monthly{index}",
                unit="month",
                starts_at=dt.datetime(2026, 1, 31, 10, tzinfo=ZONE),
            )[1]
        )
    # The shipped 2026 calendar may be edited by the administrator: set the days tested.
    CalendarDay.objects.filter(date__range=(dt.date(2026, 9, 28), dt.date(2026, 10, 12))).delete()
    for day in range(1, 8):
        CalendarDay.objects.create(date=dt.date(2026, 10, day), kind="holiday", name="国庆节")
    CalendarDay.objects.create(date=dt.date(2026, 10, 10), kind="working", name="调休")
    return made


def test_running_twice_gives_the_same_tasks(cycles):
    now = START - dt.timedelta(days=1)
    first = task_generate(start=START, end=END, now=now)
    after_first = task_set()
    second = task_generate(start=START, end=END, now=now)
    assert first.created == len(after_first) > 0
    assert second.created == 0 and second.removed == 0
    assert task_set() == after_first


def test_a_crash_halfway_then_a_rerun_gives_the_same_tasks(cycles):
    now = START - dt.timedelta(days=1)
    task_generate(start=START, end=END, now=now)
    clean = task_set()
    InspectionTask.objects.all().delete()

    class Killed(Exception):
        pass

    def die_after_first(chunk_index):
        if chunk_index == 0:
            raise Killed

    with pytest.raises(Killed):
        task_generate(start=START, end=END, now=now, chunk_size=2, after_chunk=die_after_first)
    partial = task_set()
    assert partial and partial < clean  # the first chunk committed, the rest did not run
    task_generate(start=START, end=END, now=now, chunk_size=2)
    assert task_set() == clean
    # Overlapping periods are harmless too.
    task_generate(start=START + dt.timedelta(days=3), end=END + dt.timedelta(days=2), now=now)
    assert {t for t in task_set() if t[1] < END} == clean


def test_calendar_windows_and_shutdowns(cycles):
    hourly = next(c for c in cycles if c.measure.event.name == "E-hourly0")
    daily = next(c for c in cycles if c.measure.event.name == "E-daily0")
    UnitShutdown.objects.create(
        unit=daily.measure.event.unit,
        starts_at=dt.datetime(2026, 9, 29, tzinfo=ZONE),
        ends_at=dt.datetime(2026, 10, 1, tzinfo=ZONE),
        reason="overhaul",
    )
    task_generate(start=START, end=END, now=START)
    hourly_days = {
        t.astimezone(ZONE).date()
        for t in InspectionTask.objects.filter(measure=hourly.measure).values_list(
            "due_at", flat=True
        )
    }
    assert dt.date(2026, 10, 3) not in hourly_days  # holiday
    assert dt.date(2026, 10, 10) in hourly_days  # a Saturday declared a working day
    assert dt.date(2026, 10, 11) not in hourly_days  # an ordinary Sunday
    hours = sorted(
        t.astimezone(ZONE).hour
        for t in InspectionTask.objects.filter(
            measure=hourly.measure, due_at__date=dt.date(2026, 9, 28)
        ).values_list("due_at", flat=True)
    )
    assert hours == [8, 10, 12, 14, 16]
    daily_days = {
        t.astimezone(ZONE).date()
        for t in InspectionTask.objects.filter(measure=daily.measure).values_list(
            "due_at", flat=True
        )
    }
    assert dt.date(2026, 9, 29) not in daily_days and dt.date(2026, 9, 30) not in daily_days
    assert dt.date(2026, 10, 1) in daily_days


def test_changing_a_cycle_reconciles_future_tasks_only(cycles):
    daily = next(c for c in cycles if c.measure.event.name == "E-daily1")
    now = dt.datetime(2026, 10, 5, 12, tzinfo=ZONE)
    task_generate(start=START, end=END, now=now)
    before = InspectionTask.objects.filter(measure=daily.measure).count()
    daily.every = 7
    daily.save()
    result = task_generate(start=START, end=END, now=now)
    remaining = list(
        InspectionTask.objects.filter(measure=daily.measure).values_list("due_at", flat=True)
    )
    past = [d for d in remaining if d < now]
    future = [d for d in remaining if d >= now]
    assert len(past) == 7  # due 16:00 local, 28 Sep .. 4 Oct: kept as they were
    assert all((d - daily.starts_at).days % 7 == 0 for d in future)
    assert result.removed == before - len(remaining) + result.created


def test_recording_a_task(cycles, world):
    ent = world.orgs["ent"].arg
    task_generate(start=START, end=END, now=START)
    task = (
        InspectionTask.objects.filter(enterprise_id=ent, measure__event__name="E-daily0")
        .order_by("due_at")
        .first()
    )
    with time_machine.travel(task.due_at - dt.timedelta(hours=1), tick=False):
        with pytest.raises(ValidationFailed):
            task_record(
                actor=user("ent-operator"),
                task_id=task.pk,
                data=TaskRecordInput.of({"result": "normal"}),
            )
    with time_machine.travel(task.due_at + dt.timedelta(hours=1), tick=False):
        assert task_status(task) == TaskStatus.DUE
        with pytest.raises(NotFound):
            task_record(
                actor=user("ent2-operator"),
                task_id=task.pk,
                data=TaskRecordInput.of({"result": "normal"}),
            )
        with pytest.raises(PermissionDenied):
            task_record(
                actor=user("emergency-inspector"),
                task_id=task.pk,
                data=TaskRecordInput.of({"result": "normal"}),
            )
        with pytest.raises(ValidationFailed) as failure:
            task_record(
                actor=user("ent-operator"),
                task_id=task.pk,
                data=TaskRecordInput.of({"result": "other"}),
            )
        assert "note" in failure.value.fields
        done = task_record(
            actor=user("ent-operator"),
            task_id=task.pk,
            data=TaskRecordInput.of({"result": "normal"}),
            idempotency_key="k1",
        )
        again = task_record(
            actor=user("ent-operator"),
            task_id=task.pk,
            data=TaskRecordInput.of({"result": "normal"}),
            idempotency_key="k1",
        )
        assert done.pk == again.pk and done.result == "normal"
        with pytest.raises(Conflict):
            task_record(
                actor=user("ent-inspector"),
                task_id=task.pk,
                data=TaskRecordInput.of({"result": "hazard"}),
            )
        assert task_status(done) == TaskStatus.DONE
    with time_machine.travel(END, tick=False):
        counts = task_counts(
            InspectionTask.objects.filter(enterprise_id=ent), dt.datetime.now(dt.UTC)
        )
    assert counts[TaskStatus.DONE] == 1
    assert (
        counts[TaskStatus.MISSED]
        == InspectionTask.objects.filter(enterprise_id=ent).count() - 1 - counts[TaskStatus.DUE]
    )
    assert counts["overdue"] == counts[TaskStatus.MISSED] > 0
