"""The Safety Committee API: meetings and key tasks read through the door, deploying a task,
its steps (`/committee/tasks/{id}/steps/{action}`), progress reports (with an
`Idempotency-Key`, so a retried submission creates nothing more) and what each body owes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from redline.committee import selectors, services
from redline.committee.models import KeyTask, Meeting, ProgressReport
from redline.committee.workflow import KEY_TASK
from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import PhotoIn, Ref
from redline.core.web import UserRequest
from redline.core.workflow import EventOut, event_out, events_of, steps_description
from redline.core.workflow.timeline import PhotoOut, photo_out

router = Router(tags=["committee"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="Any unique string per submission: a retry with the same key answers "
        "the first submission's result and creates nothing more.",
    ),
]


class Body(BaseModel):
    """Unknown fields reach the service, which names them (422) rather than drop them."""

    model_config = ConfigDict(extra="allow")


class MeetingIn(Body):
    title: str
    held_on: dt.date
    kind: str = Field(..., description="plenary, liaison or special")
    body: int | None = Field(None, description="The office or government that held it")
    attendees: str | None = None
    minutes: str | None = None


class KeyTaskIn(Body):
    title: str
    description: str | None = None
    meeting: int | None = None
    lead: int = Field(..., description="The lead department (an organisation id)")
    lead_person: int | None = Field(None, description="A contact of the lead department")
    cooperating: list[str] = Field(default_factory=list, description="Organisation ids")
    regions: list[str] = Field(default_factory=list, description="Region ids; none: the city")
    deadline: dt.date
    outcome: str
    target_value: str | float | None = Field(None, description="A number")
    unit: str | None = None
    cadence: str = Field(..., description="biweekly, monthly or quarterly")
    first_report_due: dt.date | None = None


class KeyTaskStepIn(Body):
    version: int = Field(..., description="The version you read; a stale one answers 409.")
    photos: list[PhotoIn] = Field(default_factory=list)


class ProgressReportIn(Body):
    text: str
    figure: str | float | None = Field(None, description="The value reached toward the target")
    photos: list[PhotoIn] = Field(default_factory=list)


class ChainOut(Schema):
    level: str
    title: str
    body: str
    people: list[str]


class ProgressReportOut(Schema):
    id: int
    task_id: int
    organisation: str
    period_due: dt.date | None
    text: str
    figure: float | None
    final: bool
    reported_by: str
    reported_at: dt.datetime
    photos: list[PhotoOut]


class KeyTaskOut(Schema):
    id: int
    number: str
    title: str
    meeting_id: int | None
    supervisor: Ref
    lead: Ref
    lead_person: str | None
    cooperating: list[Ref]
    regions: list[Ref]
    deadline: dt.date
    outcome: str
    target_value: float | None
    figure: float | None
    unit: str
    cadence: str
    state: str
    version: int
    next_report_due: dt.date | None
    last_report_at: dt.datetime | None
    report_overdue_since: dt.datetime | None
    escalation_level: int
    deadline_overdue_since: dt.datetime | None
    deadline_escalation_level: int
    completion_reported_at: dt.datetime | None
    verified_at: dt.datetime | None


class KeyTaskDetailOut(KeyTaskOut):
    description: str
    chain: list[ChainOut]
    reports: list[ProgressReportOut]
    events: list[EventOut]


class KeyTaskPage(Schema):
    items: list[KeyTaskOut]
    count: int
    page: int
    page_size: int
    pages: int


class KeyTaskFilters(Schema):
    state: str | None = Field(None, description="A state, or `open`")
    lead: int | None = None
    body: int | None = Field(None, description="Tasks this body leads or cooperates on")
    person: int | None = None
    meeting: int | None = None
    overdue: bool | None = None
    region: str | None = Field(
        None, description="A region's id: the tasks reaching it (placed in or above it)"
    )
    q: str | None = None


class MeetingOut(Schema):
    id: int
    title: str
    held_on: dt.date
    kind: str
    body: Ref
    attendees: str
    minutes: str
    version: int


class MeetingPage(Schema):
    items: list[MeetingOut]
    count: int
    page: int
    page_size: int
    pages: int


class OwedOut(Schema):
    body: Ref | None
    person: str | None
    leading: int
    cooperating: int
    next_due: dt.date | None
    reports_overdue: int
    past_deadline: int
    tasks: list[int]


class OwedAllOut(Schema):
    bodies: list[OwedOut]
    people: list[OwedOut]


def _ref(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "name": str(obj)}


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _out(task: KeyTask) -> dict[str, Any]:
    return {
        "id": task.pk,
        "number": task.number,
        "title": task.title,
        "meeting_id": task.meeting_id,
        "supervisor": _ref(task.supervisor),
        "lead": _ref(task.lead),
        "lead_person": task.lead_person.name if task.lead_person else None,
        "cooperating": [_ref(o) for o in task.cooperating.all()],
        "regions": [_ref(r) for r in task.regions.all()],
        "deadline": task.deadline,
        "outcome": task.outcome,
        "target_value": _number(task.target_value),
        "figure": _number(task.figure),
        "unit": task.unit,
        "cadence": task.cadence,
        "state": task.state,
        "version": task.version,
        "next_report_due": task.next_report_due,
        "last_report_at": task.last_report_at,
        "report_overdue_since": task.report_overdue_since,
        "escalation_level": task.escalation_level,
        "deadline_overdue_since": task.deadline_overdue_since,
        "deadline_escalation_level": task.deadline_escalation_level,
        "completion_reported_at": task.completion_reported_at,
        "verified_at": task.verified_at,
    }


def _report(report: ProgressReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "task_id": report.task_id,
        "organisation": str(report.organisation) if report.organisation else "",
        "period_due": report.period_due,
        "text": report.text,
        "figure": _number(report.figure),
        "final": report.final,
        "reported_by": str(report.reported_by) if report.reported_by else "",
        "reported_at": report.reported_at,
        "photos": [photo_out(p) for p in report.photos.all()],
    }


def _detail(request: UserRequest, task_id: int) -> dict[str, Any]:
    task = selectors.task_get(request.user, task_id)
    chain = selectors.chains(request.user, [task])[task.pk]
    return _out(task) | {
        "description": task.description,
        "chain": [
            {
                "level": link.level,
                "title": link.title,
                "body": link.body,
                "people": [p.name for p in link.people],
            }
            for link in chain
        ],
        "reports": [_report(r) for r in selectors.reports_of(request.user, task)],
        "events": [event_out(KEY_TASK, e) for e in events_of(KEY_TASK, task)],
    }


def _meeting(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "held_on": meeting.held_on,
        "kind": meeting.kind,
        "body": _ref(meeting.body),
        "attendees": meeting.attendees,
        "minutes": meeting.minutes,
        "version": meeting.version,
    }


# --- meetings ------------------------------------------------------------------------------


@router.get("/committee/meetings", response=MeetingPage, summary="Committee meetings you see")
def list_meetings(request: UserRequest, page: Query[PageParams]) -> dict[str, Any]:
    found = paginate(selectors.meetings_visible(request.user), page)
    return found | {"items": [_meeting(m) for m in found["items"]]}


@router.get("/committee/meetings/{meeting_id}", response=MeetingOut)
def get_meeting(request: UserRequest, meeting_id: int) -> dict[str, Any]:
    return _meeting(selectors.meeting_get(request.user, meeting_id))


@router.post(
    "/committee/meetings",
    response={201: MeetingOut},
    summary="Record a meeting (the city Safety Committee office or government)",
)
def record_meeting(request: UserRequest, payload: MeetingIn) -> Status:
    data = services.MeetingInput.of(payload.model_dump(exclude_none=True))
    meeting = services.meeting_record(actor=request.user, data=data)
    return Status(201, _meeting(selectors.meeting_get(request.user, meeting.pk)))


# --- key tasks -----------------------------------------------------------------------------


@router.get("/committee/tasks", response=KeyTaskPage, summary="Key tasks you see")
def list_tasks(
    request: UserRequest, filters: Query[KeyTaskFilters], page: Query[PageParams]
) -> dict[str, Any]:
    wanted = {k: v for k, v in filters.dict().items() if v not in (None, "", False)}
    found = paginate(selectors.task_list(request.user, wanted), page)
    return found | {"items": [_out(t) for t in found["items"]]}


@router.get("/committee/tasks/{task_id}", response=KeyTaskDetailOut, summary="One key task")
def get_task(request: UserRequest, task_id: int) -> dict[str, Any]:
    return _detail(request, task_id)


@router.post(
    "/committee/tasks",
    response={201: KeyTaskDetailOut},
    summary="Deploy a key task (the city Safety Committee office or government)",
)
def deploy_task(request: UserRequest, payload: KeyTaskIn) -> Status:
    data = services.KeyTaskInput.of(payload.model_dump(exclude_none=True))
    task = services.key_task_deploy(actor=request.user, data=data)
    return Status(201, _detail(request, task.pk))


@router.post(
    "/committee/tasks/{task_id}/steps/{action}",
    response=KeyTaskDetailOut,
    summary="Take a step of a key task",
    description=steps_description(KEY_TASK),
)
def task_step(
    request: UserRequest, task_id: int, action: str, payload: KeyTaskStepIn
) -> dict[str, Any]:
    data = payload.model_dump(exclude={"version", "photos"})
    services.key_task_step(
        actor=request.user,
        task_id=task_id,
        action=action,
        version=payload.version,
        data=data,
        files=[p.model_dump() for p in payload.photos],
    )
    return _detail(request, task_id)


@router.get("/committee/tasks/{task_id}/reports", response=list[ProgressReportOut])
def list_reports(request: UserRequest, task_id: int) -> list[dict[str, Any]]:
    task = selectors.task_get(request.user, task_id)
    return [_report(r) for r in selectors.reports_of(request.user, task)]


@router.post(
    "/committee/tasks/{task_id}/reports",
    response={200: ProgressReportOut, 201: ProgressReportOut},
    summary="Report a key task's progress",
    description=(
        "Answers 201 with the new report, or 200 with the report an earlier request with the "
        "same `Idempotency-Key` created (nothing new is created). The lead department's "
        "report answers the current period: the next report is due a period later and the "
        "overdue flag and escalation are cleared. Outside your jurisdiction 404; a body "
        "that may not report 403; a task that takes no report now 409; a bad field 422."
    ),
)
def report_progress(
    request: UserRequest,
    task_id: int,
    payload: ProgressReportIn,
    idempotency_key: IdempotencyKey = "",
) -> Status:
    data = services.ProgressReportInput.of(payload.model_dump(exclude={"photos"}))
    report, created = services.progress_report_submit(
        actor=request.user,
        task_id=task_id,
        data=data,
        files=[p.model_dump() for p in payload.photos],
        idempotency_key=idempotency_key,
    )
    return Status(201 if created else 200, _report(selectors.report_get(request.user, report.pk)))


# --- what each owes ------------------------------------------------------------------------


def _owed(row: selectors.Owed) -> dict[str, Any]:
    return {
        "body": _ref(row.body) if row.body else None,
        "person": row.person.name if row.person else None,
        "leading": row.leading,
        "cooperating": row.cooperating,
        "next_due": row.next_due,
        "reports_overdue": row.reports_overdue,
        "past_deadline": row.past_deadline,
        "tasks": [t.pk for t in row.tasks],
    }


@router.get(
    "/committee/owed",
    response=OwedAllOut,
    summary="What each body and responsible person owes (open tasks you see)",
)
def owed(request: UserRequest) -> dict[str, Any]:
    bodies, people = selectors.owed(request.user)
    return {"bodies": [_owed(b) for b in bodies], "people": [_owed(p) for p in people]}
