"""Reads of the audit working paper (审计式检查 工作底稿): what a paper is computed from,
and a paper as its readers open it. Every read of the unit's records starts from
`restrict(user)`: the paper holds only what the person drawing it may see.

The sections, each over the period [start, end) (end = when the paper is drawn, start = the
same local date and time twelve months earlier, unless given):

- **coverage** of the risk inventory (live records only: not archived, nor under an archived
  parent): analysis units with no risk event; risk events with no control measure; measures
  controlled by inspection (`ControlMode.INSPECTION`) with no live inspection cycle.
- **tasks**: the unit's inspection tasks due in the period, by their status at `end`
  (`hazards.inspection.task_status`): done, done late (recorded at or after the end of their
  window), missed (not recorded by the end of their window), still due; the missed and the
  late ones listed.
- **hazards**: hidden hazards closed in the period with no photo at all (neither of the
  hazard as found nor of its rectification); hazards open and overdue at `end`
  (`hazards.selectors.overdue_q`: reported or being rectified, past their deadline); hazards
  closed in the period on a later local date than their deadline; major hazards (not
  dismissed) that are open at `end` or were reported or closed in the period, each with
  which of its five implementations (`plan_*`) is missing.
- **training**: each person of the unit against the training requirements on the paper's
  day (`training.selectors.audit_section`, in the shape `TRAINING_SHAPE`): the refresher hours
  asked of them and those of the last full year, the certificates they hold, the first
  expiry among those they must hold, whether they meet every requirement (and what they
  lack); and the requirements that apply, with their sources.

The sample's populations (`populations`), each in its stable natural order:

- ``task``: the period's tasks with a recorded result, by due time, then measure id, then id;
- ``hazard``: hazards closed in the period, by id (the ledger number YH<year>-<id>);
- ``measure``: live control measures, by id (a measure has no code of its own).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from redline.core.errors import NotFound, PermissionDenied
from redline.hazards.inspection import status_q, task_counts, task_status
from redline.hazards.models import Hazard, InspectionTask
from redline.hazards.selectors import overdue_q
from redline.hazards.vocab import HazardLevel, HazardState, TaskStatus
from redline.inspections.models import AuditPaper, AuditSample, Inspection
from redline.inspections.vocab import AuditSampleKind
from redline.inspections.workflow import of_the_body, on_the_team
from redline.risk.models import ControlMeasure, RiskEvent, RiskUnit
from redline.risk.vocab import ControlMode
from redline.training.selectors import audit_section

# How many rows a section's list keeps (its count is always complete).
LIST_LIMIT = 200
# How many records of each kind the sample draws.
SAMPLE_SIZES: dict[str, int] = {
    AuditSampleKind.TASK.value: 5,
    AuditSampleKind.HAZARD.value: 5,
    AuditSampleKind.MEASURE.value: 5,
}
FIVE_IMPLEMENTATIONS = (
    "plan_responsible",
    "plan_measures",
    "plan_funds",
    "plan_deadline",
    "plan_contingency",
)
# The training section (`training.selectors.audit_section`): one row per person of the unit.
TRAINING_SHAPE: dict[str, Any] = {
    "available": True,
    "people": [],  # {"person", "post", "required_hours", "hours", "certificate",
    #                 "certificate_valid_until", "meets_requirement", "id", "problems"}
    "requirements": [],  # {"post", "initial_hours", "annual_hours", "certificate", "source",
    #                       "status", "code"}
}

type Row = dict[str, Any]


def may_work_on(user: Any, inspection: Inspection) -> bool:
    """Who reads and draws a paper: the inspection's team and its body's inspectors and
    managers. The unit does not see the sample before the visit."""
    return on_the_team(user, inspection) or of_the_body(user, inspection)


def default_period(end: dt.datetime, months: int = 12) -> tuple[dt.datetime, dt.datetime]:
    """[the same local time `months` earlier (the month's last day when shorter), end)."""
    local = timezone.localtime(end)
    index = local.year * 12 + local.month - 1 - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day), end


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return value.isoformat()


def _listed(rows: QuerySet[Any], row: Callable[[Any], Row]) -> Row:
    return {"count": rows.count(), "items": [row(r) for r in rows[:LIST_LIMIT]]}


# --- the risk inventory -------------------------------------------------------------------


def _live_units(user: Any, unit_id: int) -> QuerySet[RiskUnit]:
    return RiskUnit.objects.restrict(user).filter(
        risk_object__enterprise_id=unit_id, is_archived=False, risk_object__is_archived=False
    )


def _live_events(user: Any, unit_id: int) -> QuerySet[RiskEvent]:
    return RiskEvent.objects.restrict(user).filter(
        enterprise_id=unit_id,
        is_archived=False,
        unit__is_archived=False,
        unit__risk_object__is_archived=False,
    )


def live_measures(user: Any, unit_id: int) -> QuerySet[ControlMeasure]:
    return ControlMeasure.objects.restrict(user).filter(
        event__enterprise_id=unit_id,
        is_archived=False,
        event__is_archived=False,
        event__unit__is_archived=False,
        event__unit__risk_object__is_archived=False,
    )


def coverage(user: Any, unit_id: int) -> Row:
    units = _live_units(user, unit_id)
    events = _live_events(user, unit_id)
    measures = live_measures(user, unit_id)
    by_inspection = measures.filter(control_mode=ControlMode.INSPECTION)
    bare_units = (
        units.annotate(live=Count("events", filter=Q(events__is_archived=False)))
        .filter(live=0)
        .select_related("risk_object")
        .order_by("risk_object__name", "name", "id")
    )
    bare_events = (
        events.annotate(live=Count("measures", filter=Q(measures__is_archived=False)))
        .filter(live=0)
        .select_related("unit")
        .order_by("unit__name", "name", "id")
    )
    no_cycle = (
        by_inspection.filter(Q(cycle__isnull=True) | Q(cycle__is_archived=True))
        .select_related("event")
        .order_by("event__name", "id")
    )
    return {
        "units": units.count(),
        "events": events.count(),
        "measures": measures.count(),
        "inspection_measures": by_inspection.count(),
        "units_without_events": _listed(
            bare_units, lambda u: {"id": u.pk, "name": u.name, "object": u.risk_object.name}
        ),
        "events_without_measures": _listed(
            bare_events, lambda e: {"id": e.pk, "name": e.name, "unit": e.unit.name}
        ),
        "measures_without_cycle": _listed(
            no_cycle,
            lambda m: {"id": m.pk, "description": m.description[:200], "event": m.event.name},
        ),
    }


# --- inspection tasks ---------------------------------------------------------------------


def period_tasks(
    user: Any, unit_id: int, start: dt.datetime, end: dt.datetime
) -> QuerySet[InspectionTask]:
    return InspectionTask.objects.restrict(user).filter(
        enterprise_id=unit_id, due_at__gte=start, due_at__lt=end
    )


def _task_row(task: InspectionTask) -> Row:
    return {
        "id": task.pk,
        "due_at": _iso(task.due_at),
        "window_ends_at": _iso(task.window_ends_at),
        "checked_at": _iso(task.checked_at),
        "measure": task.measure.description[:200],
        "measure_id": task.measure_id,
        "event": task.measure.event.name,
    }


def tasks(user: Any, unit_id: int, start: dt.datetime, end: dt.datetime) -> Row:
    found = period_tasks(user, unit_id, start, end)
    counts = task_counts(found, end)
    ordered = found.select_related("measure__event").order_by("due_at", "measure_id", "id")
    return {
        "counts": {
            "total": sum(counts[s] for s in TaskStatus.values),
            "done": counts[TaskStatus.DONE],
            "late": counts[TaskStatus.DONE_LATE],
            "missed": counts[TaskStatus.MISSED],
            "due": counts[TaskStatus.DUE],
            "done_rate": counts["done_rate"],
        },
        "missed": _listed(ordered.filter(status_q(TaskStatus.MISSED, end)), _task_row),
        "late": _listed(ordered.filter(status_q(TaskStatus.DONE_LATE, end)), _task_row),
    }


# --- hidden hazards -----------------------------------------------------------------------


def closed_in(user: Any, unit_id: int, start: dt.datetime, end: dt.datetime) -> QuerySet[Hazard]:
    return Hazard.objects.restrict(user).filter(
        enterprise_id=unit_id, state=HazardState.CLOSED, closed_at__gte=start, closed_at__lt=end
    )


def _hazard_row(hazard: Hazard) -> Row:
    return {
        "id": hazard.pk,
        "number": hazard.number,
        "name": hazard.name,
        "level": hazard.level,
        "state": hazard.state,
        "deadline": _iso(hazard.deadline),
        "reported_at": _iso(hazard.reported_at),
        "closed_at": _iso(hazard.closed_at),
    }


def missing_implementations(hazard: Hazard) -> list[str]:
    """Which of a major hazard's five implementations (五落实) are not given."""
    # Funds of 0 are given (a plan may need none): only an empty value is missing.
    return [name for name in FIVE_IMPLEMENTATIONS if getattr(hazard, name) in (None, "")]


def _major_row(hazard: Hazard) -> Row:
    missing = missing_implementations(hazard)
    return _hazard_row(hazard) | {"missing": missing, "complete": not missing}


def hazards(user: Any, unit_id: int, start: dt.datetime, end: dt.datetime) -> Row:
    today = timezone.localtime(end).date()
    own = Hazard.objects.restrict(user).filter(enterprise_id=unit_id)
    closed = closed_in(user, unit_id, start, end).order_by("closed_at", "id")
    in_period = Q(reported_at__gte=start, reported_at__lt=end) | Q(
        closed_at__gte=start, closed_at__lt=end
    )
    major = (
        own.filter(level=HazardLevel.MAJOR)
        .exclude(state=HazardState.DISMISSED)
        .filter(Q(state__in=HazardState.open_states()) | in_period)
        .order_by("reported_at", "id")
    )
    listed_major = _listed(major, _major_row)
    listed_major["complete"] = sum(
        1 for h in major.only(*FIVE_IMPLEMENTATIONS) if not missing_implementations(h)
    )
    return {
        "closed": closed.count(),
        "closed_without_photos": _listed(closed.filter(photos__isnull=True), _hazard_row),
        "overdue_open": _listed(
            own.filter(overdue_q(today)).order_by("deadline", "id"), _hazard_row
        ),
        "closed_late": _listed(
            closed.filter(deadline__isnull=False, closed_at__date__gt=F("deadline")), _hazard_row
        ),
        "major": listed_major,
    }


# --- the paper ----------------------------------------------------------------------------


def sections(user: Any, unit_id: int, start: dt.datetime, end: dt.datetime) -> Row:
    """Every section of a paper, as it is stored (machine values)."""
    return {
        "coverage": coverage(user, unit_id),
        "tasks": tasks(user, unit_id, start, end),
        "hazards": hazards(user, unit_id, start, end),
        "training": audit_section(user, unit_id, end),
    }


def populations(
    user: Any, unit_id: int, start: dt.datetime, end: dt.datetime
) -> dict[str, list[int]]:
    """Each kind's population for the sample: record ids in their stable natural order."""
    recorded = period_tasks(user, unit_id, start, end).exclude(result="")
    return {  # plain codes: the text the sample's random generator is seeded with
        AuditSampleKind.TASK.value: list(
            recorded.order_by("due_at", "measure_id", "id").values_list("id", flat=True)
        ),
        AuditSampleKind.HAZARD.value: list(
            closed_in(user, unit_id, start, end).order_by("id").values_list("id", flat=True)
        ),
        AuditSampleKind.MEASURE.value: list(
            live_measures(user, unit_id).order_by("id").values_list("id", flat=True)
        ),
    }


def sampled_records(user: Any, kind: str, ids: Iterable[int], end: dt.datetime) -> dict[int, Row]:
    """The label and facts of each sampled record, as it stands when the paper is drawn."""
    ids = list(ids)
    out: dict[int, Row] = {}
    if kind == AuditSampleKind.TASK:
        for task in (
            InspectionTask.objects.restrict(user)
            .filter(pk__in=ids)
            .select_related("measure__event")
        ):
            due = timezone.localtime(task.due_at)
            out[task.pk] = {
                "model": InspectionTask._meta.label_lower,
                "label": f"{due:%Y-%m-%d %H:%M} {task.measure.description}"[:300],
                "facts": _task_row(task)
                | {
                    "result": task.result,
                    "status": task_status(task, end),
                    "inspector_name": task.inspector_name,
                    "note": task.note[:500],
                },
            }
    elif kind == AuditSampleKind.HAZARD:
        for hazard in (
            Hazard.objects.restrict(user).filter(pk__in=ids).annotate(photo_count=Count("photos"))
        ):
            out[hazard.pk] = {
                "model": Hazard._meta.label_lower,
                "label": f"{hazard.number} {hazard.name}"[:300],
                "facts": _hazard_row(hazard)
                | {"photos": hazard.photo_count, "rectified_at": _iso(hazard.rectified_at)},
            }
    else:
        for measure in (
            ControlMeasure.objects.restrict(user)
            .filter(pk__in=ids)
            .select_related("event__unit", "responsible", "cycle")
        ):
            cycle = getattr(measure, "cycle", None)
            out[measure.pk] = {
                "model": ControlMeasure._meta.label_lower,
                "label": f"{measure.event.name} · {measure.description}"[:300],
                "facts": {
                    "id": measure.pk,
                    "description": measure.description[:500],
                    "event": measure.event.name,
                    "unit": measure.event.unit.name,
                    "control_mode": measure.control_mode,
                    "management_level": measure.management_level,
                    "responsible": str(measure.responsible),
                    "cycle": [cycle.every, cycle.unit]
                    if cycle is not None and not cycle.is_archived
                    else None,
                    "enterprise_id": measure.event.enterprise_id,
                },
            }
    return out


# --- reading a paper ----------------------------------------------------------------------


def inspection_for_paper(user: Any, inspection_id: Any) -> Inspection:
    """The inspection whose paper the user opens: 404 outside their jurisdiction, 403 when
    they are neither on its team nor of its body."""
    inspection = (
        Inspection.objects.restrict(user)
        .select_related("enterprise__region", "organisation")
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise NotFound()
    if not may_work_on(user, inspection):
        raise PermissionDenied()
    return inspection


def paper_of(user: Any, inspection: Inspection) -> AuditPaper | None:
    return (
        AuditPaper.objects.restrict(user)
        .select_related("drawn_by")
        .filter(inspection_id=inspection.pk)
        .first()
    )


def samples_of(user: Any, paper: AuditPaper | None) -> list[AuditSample]:
    if paper is None:
        return []
    return list(
        AuditSample.objects.restrict(user)
        .filter(paper_id=paper.pk)
        .select_related("checked_by", "finding")
        .order_by("id")
    )
