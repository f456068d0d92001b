"""Inspection tasks (隐患排查任务): generated from the control measures' cycles, done by
the units' staff, and counted in their statistics.

Generation reconciles a period: for every live cycle, the tasks due in [start, end) are
exactly the engine's due times; missing ones are inserted, and future unrecorded ones the
cycle no longer calls for (it was changed or archived) are removed. Each chunk of cycles
commits on its own and inserts ignore existing rows (one task per measure and due time,
enforced by the database), so running twice, or again after a crash halfway, yields the
same task set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.core import audit
from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.readers import Choice, DateTime, Text
from redline.engines.task_schedule import Cycle, WorkCalendar, due_times, period_after
from redline.hazards import evidence
from redline.hazards.models import CalendarDay, InspectionTask
from redline.hazards.vocab import CalendarDayKind, TaskResult, TaskStatus
from redline.organisations.access import can
from redline.risk.models import InspectionCycle, UnitShutdown
from redline.risk.vocab import ControlMode

if TYPE_CHECKING:
    from redline.accounts.models import User


def work_calendar() -> WorkCalendar:
    rows = list(CalendarDay.objects.values_list("date", "kind"))
    return WorkCalendar(
        holidays=frozenset(d for d, k in rows if k == CalendarDayKind.HOLIDAY),
        extra_working_days=frozenset(d for d, k in rows if k == CalendarDayKind.WORKING),
    )


def _live_cycles() -> QuerySet[InspectionCycle]:
    return InspectionCycle.objects.filter(
        is_archived=False,
        measure__is_archived=False,
        measure__control_mode=ControlMode.INSPECTION,
        measure__event__is_archived=False,
        measure__event__unit__is_archived=False,
    )


def engine_cycle(cycle: InspectionCycle, shutdowns: Iterable[UnitShutdown], zone: Any) -> Cycle:
    """The engine's view of a cycle, in local time (working windows are local)."""
    return Cycle(
        every=cycle.every,
        unit=cycle.unit,
        starts_at=cycle.starts_at.astimezone(zone),
        day_type=cycle.day_type,
        work_start=cycle.work_start,
        work_end=cycle.work_end,
        shutdowns=tuple(
            (s.starts_at.astimezone(zone), s.ends_at.astimezone(zone)) for s in shutdowns
        ),
    )


@dataclass
class GenerationResult:
    cycles: int = 0
    created: int = 0
    removed: int = 0


def task_generate(
    *,
    start: dt.datetime,
    end: dt.datetime,
    enterprise_ids: Iterable[int] | None = None,
    chunk_size: int = 200,
    now: dt.datetime | None = None,
    after_chunk: Callable[[int], None] | None = None,
) -> GenerationResult:
    """Bring the tasks due in [start, end) in line with the cycles (see the module note)."""
    if end <= start:
        raise ValidationFailed(fields={"end": _("The period must end after it starts.")})
    now = now or timezone.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    calendar = work_calendar()
    cycles = _live_cycles()
    if enterprise_ids is not None:
        cycles = cycles.filter(measure__event__enterprise_id__in=list(enterprise_ids))
    ids = list(cycles.order_by("pk").values_list("pk", flat=True))
    result = GenerationResult()
    for index in range(0, len(ids), chunk_size):
        chunk = ids[index : index + chunk_size]
        created, removed = _generate_chunk(chunk, local_start, local_end, calendar, zone, now)
        result.cycles += len(chunk)
        result.created += created
        result.removed += removed
        if after_chunk is not None:
            after_chunk(index // chunk_size)
    return result


@transaction.atomic
def _generate_chunk(
    cycle_ids: list[int],
    start: dt.datetime,
    end: dt.datetime,
    calendar: WorkCalendar,
    zone: Any,
    now: dt.datetime,
) -> tuple[int, int]:
    cycles = list(
        InspectionCycle.objects.filter(pk__in=cycle_ids).select_related("measure", "measure__event")
    )
    unit_ids = {c.measure.event.unit_id for c in cycles}
    shutdowns: dict[int, list[UnitShutdown]] = {}
    for shutdown in UnitShutdown.objects.filter(unit_id__in=unit_ids, is_archived=False):
        shutdowns.setdefault(shutdown.unit_id, []).append(shutdown)
    wanted: dict[tuple[int, dt.datetime], InspectionTask] = {}
    for cycle in cycles:
        measure = cycle.measure
        engine = engine_cycle(cycle, shutdowns.get(measure.event.unit_id, []), zone)
        for moment in due_times(engine, calendar, start, end):
            due = moment.astimezone(dt.UTC)
            wanted[(measure.pk, due)] = InspectionTask(
                measure=measure,
                enterprise_id=measure.event.enterprise_id,
                due_at=due,
                window_ends_at=period_after(engine, moment).astimezone(dt.UTC),
            )
    measure_ids = [c.measure_id for c in cycles]
    existing = InspectionTask.objects.filter(
        measure_id__in=measure_ids, due_at__gte=start, due_at__lt=end
    )
    have = {
        (m, d.astimezone(dt.UTC)): pk
        for pk, m, d in existing.values_list("pk", "measure_id", "due_at")
    }
    stale = [pk for key, pk in have.items() if key not in wanted and key[1] >= now]
    removed = 0
    if stale:
        removed, _detail = InspectionTask.objects.filter(
            pk__in=stale, result="", hazards__isnull=True, photos__isnull=True
        ).delete()
    fresh = [task for key, task in wanted.items() if key not in have]
    InspectionTask.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=1000)
    return len(fresh), removed


# --- status and statistics ---------------------------------------------------------------


def task_status(task: InspectionTask, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if task.result:
        late = task.checked_at is not None and task.checked_at >= task.window_ends_at
        return TaskStatus.DONE_LATE if late else TaskStatus.DONE
    if now < task.due_at:
        return TaskStatus.UPCOMING
    if now < task.window_ends_at:
        return TaskStatus.DUE
    return TaskStatus.MISSED


def status_q(status: str, now: dt.datetime) -> Q:
    """A filter on InspectionTask for a status at `now`."""
    undone = Q(result="")
    if status == TaskStatus.UPCOMING:
        return undone & Q(due_at__gt=now)
    if status == TaskStatus.DUE:
        return undone & Q(due_at__lte=now, window_ends_at__gt=now)
    if status == TaskStatus.MISSED:
        return undone & Q(window_ends_at__lte=now)
    if status == TaskStatus.DONE_LATE:
        return ~undone & Q(checked_at__gte=F("window_ends_at"))
    if status == TaskStatus.DONE:
        return ~undone & Q(checked_at__lt=F("window_ends_at"))
    raise ValueError(status)


def task_counts(queryset: QuerySet[InspectionTask], now: dt.datetime) -> dict[str, int]:
    """Tasks by status (and recorded results) in one query."""
    aggregates: dict[str, Any] = {
        s: Count("pk", filter=status_q(s, now)) for s in TaskStatus.values
    }
    aggregates |= {f"result_{r}": Count("pk", filter=Q(result=r)) for r in TaskResult.values}
    counts = queryset.aggregate(**aggregates)
    due_so_far = (
        counts[TaskStatus.DONE]
        + counts[TaskStatus.DONE_LATE]
        + counts[TaskStatus.MISSED]
        + counts[TaskStatus.DUE]
    )
    counts["overdue"] = counts[TaskStatus.MISSED]
    counts["done_rate"] = (
        round(100 * (counts[TaskStatus.DONE] + counts[TaskStatus.DONE_LATE]) / due_so_far, 1)
        if due_so_far
        else None
    )
    return counts


# --- recording -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TaskRecordInput(Input):
    """An inspection task's result as the unit's inspector gives it."""

    result: str = read(Choice(TaskResult.values, _lazy("Choose the result.")))
    checked_at: dt.datetime | None = read(DateTime(), None)  # default: now
    note: str = read(Text(), "")
    inspector_name: str = read(Text(), "")
    inspector_phone: str = read(Text(), "")


@transaction.atomic
def task_record(
    *,
    actor: User,
    task_id: int,
    data: TaskRecordInput,
    photos: Iterable[Any] = (),
    idempotency_key: str = "",
) -> InspectionTask:
    """Record a task's result, once. A retry with the same idempotency key returns the
    task as recorded; a second, different record is refused (409)."""
    key = f"{actor.pk}:{idempotency_key.strip()}"[:120] if idempotency_key.strip() else None
    try:
        task = (
            InspectionTask.objects.restrict(actor)
            .select_related("measure", "enterprise")
            .get(pk=task_id)
        )
    except InspectionTask.DoesNotExist:
        raise NotFound() from None
    if key and task.idempotency_key == key:
        return task
    org = getattr(actor, "organisation", None)
    own = getattr(actor, "is_superuser", False) or (
        org is not None and org.enterprise_id == task.enterprise_id
    )
    if not own or not (can(actor, "change") or can(actor, "inspect")):
        raise PermissionDenied(_("Only the unit's own staff record its inspection tasks."))
    result = data.result
    now = timezone.now()
    checked_at = data.checked_at or now
    if checked_at > now + dt.timedelta(minutes=5):
        raise ValidationFailed(fields={"checked_at": _("The inspection cannot be in the future.")})
    if now < task.due_at:
        raise ValidationFailed(_("This task is not due yet."))
    note = data.note
    if result in (TaskResult.NOT_INSPECTED, TaskResult.OTHER) and not note:
        raise ValidationFailed(fields={"note": _("Say why.")})
    uploads = evidence.check_uploads(photos)
    values = {
        "result": result,
        "checked_at": checked_at,
        "recorded_at": now,
        "inspector_id": actor.pk,
        "inspector_name": data.inspector_name[:100]
        or actor.get_full_name()
        or actor.get_username(),
        "inspector_phone": (data.inspector_phone or actor.phone or "").strip()[:30],
        "note": note,
        "idempotency_key": key,
    }
    try:
        with transaction.atomic():
            updated = InspectionTask.objects.filter(pk=task.pk, result="").update(
                **values, version=F("version") + 1
            )
    except IntegrityError:
        raise Conflict(_("That submission key was already used for another task.")) from None
    if updated != 1:
        task.refresh_from_db()
        raise Conflict(
            _("This task was already recorded by %(name)s.") % {"name": task.inspector_name}
        )
    before = audit.snapshot(task)
    task.refresh_from_db()
    evidence.store(uploads, actor=actor, task=task)
    audit.record(
        actor=actor,
        action="update",
        instance=task,
        before=before,
        after=audit.snapshot(task),
        enterprise_id=task.enterprise_id,
    )
    return task
