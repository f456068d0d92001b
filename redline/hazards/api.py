"""Hidden-hazard and inspection-task endpoints: the ledger, one hazard with its timeline and
the steps the caller may take now, reporting, the closed loop's steps, the dashboard, and
inspection tasks with their records.

Reads go through the selectors (which apply the caller's jurisdiction), writes through the
services (which decide who may do what and validate every value); this module only shapes
requests and answers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict

from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.utils import timezone, translation
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import PhotoIn, Ref
from redline.core.errors import NotFound
from redline.core.web import UserRequest
from redline.core.workflow import EventOut, event_out, events_of, steps_description
from redline.core.workflow.timeline import PhotoOut, photo_out
from redline.hazards import inspection, selectors, services
from redline.hazards.models import Hazard, InspectionTask
from redline.hazards.vocab import (
    Classification,
    HazardLevel,
    HazardSource,
    HazardState,
    HazardType,
    SupervisionLevel,
    TaskResult,
    TaskStatus,
)
from redline.hazards.workflow import MACHINE
from redline.organisations.vocab import Sector

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

router = Router(tags=["hazards"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="Any unique string per submission: a retry with the same key answers "
        "the first submission's result and creates nothing more.",
    ),
]


def _one_of(choices: Any) -> str:
    return "One of: " + ", ".join(choices.values) + "."


# --- schemas ---------------------------------------------------------------------------


class HazardOut(Schema):
    id: int
    number: str = Field(..., description="The ledger number, YH<year>-<id>.")
    name: str
    enterprise: Ref | None
    region: Ref
    sector: str
    level: str
    hazard_type: str
    source: str
    state: str
    listed: bool
    deadline: dt.date | None
    overdue: bool
    reported_at: dt.datetime
    closed_at: dt.datetime | None
    version: int


class HazardPage(Schema):
    items: list[HazardOut]
    count: int
    page: int
    page_size: int
    pages: int


class CitationOut(Schema):
    id: str
    standard: str
    text: str
    status: str = Field(..., description="confirmed, partial or unconfirmed (its source).")


class RuleOutcomeOut(Schema):
    id: str
    counted: list[str]
    threshold: int
    matched: bool


class FireCompositeOut(Schema):
    place_type: str
    is_major: bool
    rules: list[RuleOutcomeOut]


class HazardDetailOut(HazardOut):
    description: str
    classification: str
    location: str
    measure_id: int | None
    task_id: int | None
    determination_items: list[CitationOut]
    fire_composite: FireCompositeOut | None
    manage_type: str
    plan_responsible: str
    plan_measures: str
    plan_funds: Decimal | None = Field(..., description="10,000 CNY.")
    plan_deadline: dt.date | None
    plan_contingency: str
    rectifier: str | None
    accepted_by: str | None
    signed_off_by: str | None
    listed_by: str | None = Field(..., description="The supervising body's name.")
    listed_at: dt.datetime | None
    supervising_body: Ref | None = Field(
        ..., description="The body supervising the hazard under listed supervision."
    )
    supervision_level: str = Field(
        ..., description="Empty unless listed. " + _one_of(SupervisionLevel)
    )
    supervision_deadline: dt.date | None
    public_note: str = Field(..., description="A public report's note for its reporter.")
    timeline: list[EventOut]
    photos: list[PhotoOut] = Field(..., description="Every photo of the hazard, oldest first.")
    available_steps: list[str] = Field(
        ..., description="The steps you may take now: POST /hazards/{id}/steps/{action}."
    )


class DashboardFilters(Schema):
    q: str | None = Field(None, description="Name or unit contains, or the ledger number")
    level: HazardLevel | None = None
    sector: Sector | None = None
    region: int | None = Field(None, description="Region id: hazards in its subtree")
    overdue: bool | None = None
    source: HazardSource | None = None
    listed: bool | None = None
    unit: int | None = Field(None, description="Enterprise / unit id")
    department: int | None = Field(
        None, description="Department id: the hazards in its competence (its mandates)"
    )


class HazardFilters(DashboardFilters):
    state: Literal["open", "not_dismissed"] | HazardState | None = Field(
        None,
        description='A state, "open" for every state not yet closed, or "not_dismissed" for '
        "every hazard but the dismissed ones (the base of a closure rate)",
    )
    reported_from: str | None = Field(None, description="Reported on or after (YYYY-MM-DD)")
    reported_to: str | None = Field(None, description="Reported on or before (YYYY-MM-DD)")
    closed_from: str | None = Field(None, description="Closed on or after (YYYY-MM-DD)")
    closed_to: str | None = Field(None, description="Closed on or before (YYYY-MM-DD)")


class StrictBody(BaseModel):
    """A request body whose unknown fields reach the service, which refuses them (422,
    naming them) instead of ignoring them. (Ninja's Schema would drop them.)"""

    model_config = ConfigDict(extra="allow")


class HazardReportIn(StrictBody):
    enterprise: int
    name: str
    description: str
    hazard_type: str = Field(..., description=_one_of(HazardType))
    level: str = Field(..., description=_one_of(HazardLevel))
    classification: str | None = Field(None, description=_one_of(Classification))
    source: str | None = Field(None, description="Default: api. " + _one_of(HazardSource))
    location: str | None = None
    measure: int | None = Field(None, description="The control measure that failed")
    task: int | None = Field(None, description="The inspection task that found it")
    determination_items: list[str] = Field(
        default_factory=list, description="Items of a sector's major-hazard standard"
    )
    fire_place_type: str | None = None
    fire_elements: list[str] = Field(
        default_factory=list, description="GB 35181 composite elements found"
    )
    photos: list[PhotoIn] = Field(default_factory=list)


class HazardStepIn(StrictBody):
    """Each step takes only its own fields (see the step's description)."""

    version: int = Field(..., description="The version you read; a stale one answers 409.")
    comment: str | None = None
    deadline: dt.date | None = None
    rectifier: int | None = Field(None, description="A user of the hazard's unit")
    plan_responsible: str | None = None
    plan_measures: str | None = None
    plan_funds: Decimal | None = Field(None, description="10,000 CNY")
    plan_deadline: dt.date | None = None
    plan_contingency: str | None = None
    enterprise: int | None = None
    level: str | None = Field(None, description=_one_of(HazardLevel))
    supervising_body: int | None = Field(
        None, description="list: an organisation id; default: your own body"
    )
    supervision_level: str | None = Field(
        None,
        description="list: not above your own level; default: your level. "
        + _one_of(SupervisionLevel),
    )
    supervision_deadline: dt.date | None = Field(
        None, description="list (required): today or later"
    )
    public_note: str | None = Field(
        None, description="accept, sign_off, dismiss: shown to a public report's reporter"
    )
    photos: list[PhotoIn] = Field(default_factory=list)


class DashboardTotalsOut(Schema):
    total: int
    open_general: int
    open_major: int
    overdue: int
    overdue_major: int
    closed: int
    closed_major: int
    listed_open: int
    dismissed: int
    closure_rate: float | None = Field(..., description="Percent closed of those not dismissed")
    mean_days: dict[str, float | None] = Field(..., description="Mean days to close, by level")


class RegionRowOut(Schema):
    region_id: int
    name: str
    total: int
    open_general: int
    open_major: int
    overdue: int
    closed: int
    closure_rate: float | None


class DashboardOut(Schema):
    totals: DashboardTotalsOut
    regions: list[RegionRowOut]


class MeasureRef(Schema):
    id: int
    description: str


class InspectionTaskOut(Schema):
    id: int
    measure: MeasureRef
    enterprise_id: int
    due_at: dt.datetime
    window_ends_at: dt.datetime
    status: str
    result: str
    checked_at: dt.datetime | None
    inspector_name: str
    note: str


class InspectionTaskPage(Schema):
    items: list[InspectionTaskOut]
    count: int
    page: int
    page_size: int
    pages: int


class InspectionTaskFilters(Schema):
    enterprise: int | None = None
    status: TaskStatus | None = None
    due_from: dt.date | None = Field(None, alias="from", description="Due on or after")
    due_to: dt.date | None = Field(None, alias="to", description="Due on or before")


class TaskRecordIn(StrictBody):
    result: str = Field(..., description=_one_of(TaskResult))
    note: str | None = Field(None, description="Required when not inspected or other")
    checked_at: dt.datetime | None = Field(None, description="Default: now")
    inspector_name: str | None = None
    inspector_phone: str | None = None
    photos: list[PhotoIn] = Field(default_factory=list)


# --- shaping -----------------------------------------------------------------------------


def _fields(payload: StrictBody) -> dict[str, Any]:
    """The body's fields for a service: those sent, without photos; a declared field sent
    as null counts as not sent, while an undeclared one is passed on to be refused."""
    declared = type(payload).model_fields
    sent = payload.model_dump(exclude_unset=True, exclude={"photos"})
    return {k: v for k, v in sent.items() if k not in declared or v is not None}


def _photos(payload: Any) -> list[dict[str, str]]:
    return [photo.model_dump() for photo in payload.photos]


def _person(user: Any) -> str | None:
    return (user.get_full_name() or user.get_username()) if user is not None else None


class _Overdue(TypedDict):
    is_overdue: bool


def _with_overdue(
    hazards: QuerySet[Hazard],
) -> QuerySet[WithAnnotations[Hazard, _Overdue]]:
    overdue = selectors.overdue_q(timezone.localdate())
    return hazards.annotate(is_overdue=ExpressionWrapper(overdue, output_field=BooleanField()))


def _item(hazard: Hazard) -> dict[str, Any]:
    enterprise = hazard.enterprise
    return {
        "id": hazard.pk,
        "number": hazard.number,
        "name": hazard.name,
        "enterprise": {"id": enterprise.pk, "name": str(enterprise)} if enterprise else None,
        "region": {"id": hazard.region_id, "name": str(hazard.region)},
        "sector": hazard.sector,
        "level": hazard.level,
        "hazard_type": hazard.hazard_type,
        "source": hazard.source,
        "state": hazard.state,
        "listed": hazard.listed,
        "deadline": hazard.deadline,
        "overdue": bool(getattr(hazard, "is_overdue", False)),
        "reported_at": hazard.reported_at,
        "closed_at": hazard.closed_at,
        "version": hazard.version,
    }


def _visible(request: UserRequest, hazard_id: int) -> Hazard:
    try:
        hazard = selectors.hazard_get(request.user, hazard_id)
    except Hazard.DoesNotExist:
        raise NotFound() from None
    hazard.is_overdue = (  # type: ignore[attr-defined]
        _with_overdue(Hazard.objects.restrict(request.user).filter(pk=hazard.pk)).values_list(
            "is_overdue", flat=True
        )[0]
    )
    return hazard


def _detail(request: UserRequest, hazard: Hazard) -> dict[str, Any]:
    english = (translation.get_language() or "").startswith("en")
    composite = selectors.fire_composite(hazard)
    return _item(hazard) | {
        "description": hazard.description,
        "classification": hazard.classification,
        "location": hazard.location,
        "measure_id": hazard.measure_id,
        "task_id": hazard.task_id,
        "determination_items": [
            {
                "id": c.item.id,
                "standard": c.item.standard_id,
                "text": c.item.text_en if english else c.item.text_zh,
                "status": c.item.status,
            }
            for c in selectors.citations(hazard)
        ],
        "fire_composite": None
        if composite is None
        else {
            "place_type": composite.place_type,
            "is_major": composite.is_major,
            "rules": [
                {
                    "id": o.rule.id,
                    "counted": list(o.counted),
                    "threshold": o.threshold,
                    "matched": o.matched,
                }
                for o in composite.outcomes
            ],
        },
        "manage_type": hazard.manage_type,
        "plan_responsible": hazard.plan_responsible,
        "plan_measures": hazard.plan_measures,
        "plan_funds": hazard.plan_funds,
        "plan_deadline": hazard.plan_deadline,
        "plan_contingency": hazard.plan_contingency,
        "rectifier": _person(hazard.rectifier),
        "accepted_by": _person(hazard.accepted_by),
        "signed_off_by": _person(hazard.signed_off_by),
        "listed_by": str(hazard.listed_by) if hazard.listed_by else None,
        "listed_at": hazard.listed_at,
        "supervising_body": {"id": hazard.listed_by.pk, "name": str(hazard.listed_by)}
        if hazard.listed_by
        else None,
        "supervision_level": hazard.supervision_level,
        "supervision_deadline": hazard.supervision_deadline,
        "public_note": hazard.public_note,
        "timeline": [event_out(MACHINE, e) for e in events_of(MACHINE, hazard)],
        "photos": [photo_out(p) for p in hazard.photos.all()],
        "available_steps": [t.name for t in MACHINE.available(request.user, hazard)],
    }


def _task(task: InspectionTask, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": task.pk,
        "measure": {"id": task.measure_id, "description": task.measure.description},
        "enterprise_id": task.enterprise_id,
        "due_at": task.due_at,
        "window_ends_at": task.window_ends_at,
        "status": inspection.task_status(task, now),
        "result": task.result,
        "checked_at": task.checked_at,
        "inspector_name": task.inspector_name,
        "note": task.note,
    }


def _local_midnight(day: dt.date) -> dt.datetime:
    # The calendar's first midnight is before the first UTC day east of Greenwich: take the next.
    day = max(day, dt.date.min + dt.timedelta(days=1))
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- hazards -----------------------------------------------------------------------------


@router.get("/hazards", response=HazardPage, summary="The hidden-hazard ledger")
def list_hazards(
    request: UserRequest, filters: Query[HazardFilters], page: Query[PageParams]
) -> dict[str, Any]:
    hazards = selectors.hazard_list(request.user, filters.dict()).order_by("-reported_at", "-id")
    found = paginate(_with_overdue(hazards), page)
    return found | {"items": [_item(h) for h in found["items"]]}


@router.get(
    "/hazards/dashboard",
    response=DashboardOut,
    summary="Open, overdue and closed hazards, by level and by region",
    description="Regions are those one level below the top of your jurisdiction.",
)
def hazard_dashboard(request: UserRequest, filters: Query[DashboardFilters]) -> dict[str, Any]:
    data = selectors.dashboard(request.user, filters.dict())
    return {
        "totals": data["totals"],
        "regions": [
            {
                "region_id": row.region.pk,
                "name": str(row.region),
                "total": row.total,
                "open_general": row.open_general,
                "open_major": row.open_major,
                "overdue": row.overdue,
                "closed": row.closed,
                "closure_rate": row.closure_rate,
            }
            for row in data["regions"]
        ],
    }


@router.get("/hazards/{hazard_id}", response=HazardDetailOut, summary="One hazard")
def get_hazard(request: UserRequest, hazard_id: int) -> dict[str, Any]:
    return _detail(request, _visible(request, hazard_id))


@router.post(
    "/hazards",
    response={200: HazardDetailOut, 201: HazardDetailOut},
    summary="Report a hidden hazard",
    description=(
        "Answers 201 with the new hazard, or 200 with the hazard an earlier request with "
        "the same `Idempotency-Key` created (nothing new is created). A hazard cited under "
        "a determination item, or found major by the fire composite method, is major."
    ),
)
def report_hazard(
    request: UserRequest, payload: HazardReportIn, idempotency_key: IdempotencyKey = ""
) -> Status:
    hazard, created = services.hazard_report(
        actor=request.user,
        data=services.HazardReportInput.of(_fields(payload)),
        photos=_photos(payload),
        idempotency_key=idempotency_key,
        source_default=HazardSource.API,
    )
    return Status(201 if created else 200, _detail(request, _visible(request, hazard.pk)))


@router.post(
    "/hazards/{hazard_id}/steps/{action}",
    response=HazardDetailOut,
    summary="Take a step of the closed loop",
    description=steps_description(MACHINE),
)
def take_step(
    request: UserRequest, hazard_id: int, action: str, payload: HazardStepIn
) -> dict[str, Any]:
    data = _fields(payload)
    data.pop("version")
    services.hazard_transition(
        actor=request.user,
        hazard_id=hazard_id,
        action=action,
        version=payload.version,
        data=data,
        photos=_photos(payload),
    )
    return _detail(request, _visible(request, hazard_id))


# --- inspection tasks --------------------------------------------------------------------


@router.get("/tasks", response=InspectionTaskPage, summary="Inspection tasks in your jurisdiction")
def list_tasks(
    request: UserRequest, filters: Query[InspectionTaskFilters], page: Query[PageParams]
) -> dict[str, Any]:
    now = timezone.now()
    tasks = selectors.tasks_for(request.user).order_by("due_at", "id")
    if filters.enterprise:
        tasks = tasks.filter(enterprise_id=filters.enterprise)
    if filters.status:
        tasks = tasks.filter(inspection.status_q(filters.status, now))
    if filters.due_from:
        tasks = tasks.filter(due_at__gte=_local_midnight(filters.due_from))
    if filters.due_to and filters.due_to < dt.date.max:  # the last day: no bound
        tasks = tasks.filter(due_at__lt=_local_midnight(filters.due_to + dt.timedelta(days=1)))
    found = paginate(tasks, page)
    return found | {"items": [_task(t, now) for t in found["items"]]}


@router.post(
    "/tasks/{task_id}/record",
    response=InspectionTaskOut,
    summary="Record an inspection task's result",
    description=(
        "Once per task: a retry with the same `Idempotency-Key` answers the task as "
        "recorded; another record of a recorded task answers 409."
    ),
)
def record_task(
    request: UserRequest, task_id: int, payload: TaskRecordIn, idempotency_key: IdempotencyKey = ""
) -> dict[str, Any]:
    task = inspection.task_record(
        actor=request.user,
        task_id=task_id,
        data=inspection.TaskRecordInput.of(_fields(payload)),
        photos=_photos(payload),
        idempotency_key=idempotency_key,
    )
    return _task(task, timezone.now())
