"""Early-warning endpoints: signals (list, one with its evidence and timeline, the steps of
verification and response) and detection runs (list, one on demand).

Reads go through the selectors (which apply the caller's jurisdiction), writes through the
services; this module only shapes requests and answers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.utils import timezone, translation
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from redline.core.api_jobs import JobOut, job_out
from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import Ref
from redline.core.errors import NotFound, PermissionDenied
from redline.core.web import UserRequest
from redline.core.workflow import EventOut, event_out, events_of, steps_description
from redline.epidemic import selectors_signals as selectors
from redline.epidemic import services_signals as services
from redline.epidemic.detection import detection_run
from redline.epidemic.messages import translated
from redline.epidemic.models import DetectionRun, Signal
from redline.epidemic.tasks import ask_detection
from redline.epidemic.vocab import SignalState
from redline.epidemic.workflow import MACHINE, may_run_detection

router = Router(tags=["epidemic signals"])


class ConditionRef(Schema):
    id: int
    code: str
    name: str


class SignalOut(Schema):
    id: int
    number: str = Field(..., description="EW-<year>-<serial>")
    condition: ConditionRef
    region: Ref
    place: Ref | None
    series_key: str = Field(..., description="<region id>:<place id or empty>")
    method: str
    params: dict[str, Any]
    first_date: dt.date
    last_date: dt.date
    count: int
    upperbound: float | None
    state: str
    verification: str
    opened_at: dt.datetime
    verify_due_at: dt.datetime
    overdue: bool = Field(..., description="Still awaiting verification after its deadline")
    escalation_level: int
    responsible: Ref | None
    closed_at: dt.datetime | None
    version: int


class SignalPage(Schema):
    items: list[SignalOut]
    count: int
    page: int
    page_size: int
    pages: int


class SignalDetailOut(SignalOut):
    evidence: dict[str, Any] = Field(
        ...,
        description="The data that triggered it: the last periods' dates, counts, upper "
        "bounds and alarms, the method and parameters, and the day the data was known on.",
    )
    verified_at: dt.datetime | None
    verified_by: str | None
    run_id: int | None
    timeline: list[EventOut]
    available_steps: list[str] = Field(
        ..., description="The steps you may take now: POST /epidemic/signals/{id}/steps/{action}."
    )


class SignalFilters(Schema):
    q: str | None = Field(None, description="Number, disease or place contains")
    state: Literal["open"] | SignalState | None = Field(
        None, description='A state, or "open" for every state but closed'
    )
    condition: str | None = Field(None, description="Condition code or id")
    region: int | None = Field(None, description="Region id: signals in its subtree")
    place: int | None = Field(None, description="Key place (unit) id")
    overdue: bool | None = None


class StrictBody(BaseModel):
    """Unknown fields reach the service, which refuses them (422, naming them)."""

    model_config = ConfigDict(extra="allow")


class SignalStepIn(StrictBody):
    version: int = Field(..., description="The version you read; a stale one answers 409.")
    verification: str | None = Field(None, description="verify: true, false or uncertain")
    comment: str | None = Field(
        None, description="Notes; required to verify as false or uncertain, to respond and close"
    )
    cases: int | None = Field(None, description="respond: cases found")
    outcome: str | None = Field(None, description="close: outbreak, cases or no_event")


class RunIn(Schema):
    day: dt.date | None = Field(None, description="Data up to (default: yesterday)")
    as_known_on: dt.date | None = Field(None, description="Default: today")
    wait: bool = Field(
        True,
        description=(
            "false: queue the run for the jobs process (or the workers) and answer 202 at "
            "once with the job to follow (GET /api/v1/jobs/{id})"
        ),
    )
    token: str = Field(
        "",
        max_length=64,
        description="With wait=false: the same token again finds the same job (a retry)",
    )


class RunOut(Schema):
    id: int
    day: dt.date
    as_known_on: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime | None
    requested_by: str | None
    series: int
    alarms: int
    signals_opened: int
    chunks: int
    errors: list[dict[str, Any]] = Field(
        description="Conditions the run could not analyse: `condition`, `method`, `error` (as "
        "recorded, in English) and `message` (the same in the request's language)"
    )


class RunPage(Schema):
    items: list[RunOut]
    count: int
    page: int
    page_size: int
    pages: int


# --- shaping -----------------------------------------------------------------------------


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


def _item(signal: Signal, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": signal.pk,
        "number": signal.number,
        "condition": {
            "id": signal.condition_id,
            "code": signal.condition.code,
            "name": str(signal.condition),
        },
        "region": _ref(signal.region),
        "place": _ref(signal.place),
        "series_key": signal.series_key,
        "method": signal.method,
        "params": signal.params,
        "first_date": signal.first_date,
        "last_date": signal.last_date,
        "count": signal.count,
        "upperbound": signal.upperbound,
        "state": signal.state,
        "verification": signal.verification,
        "opened_at": signal.opened_at,
        "verify_due_at": signal.verify_due_at,
        "overdue": selectors.is_overdue(signal, now),
        "escalation_level": signal.escalation_level,
        "responsible": _ref(signal.responsible),
        "closed_at": signal.closed_at,
        "version": signal.version,
    }


def _detail(request: UserRequest, signal_id: int) -> dict[str, Any]:
    try:
        signal = selectors.signal_get(request.user, signal_id)
    except Signal.DoesNotExist:
        raise NotFound() from None
    verifier = signal.verified_by
    return _item(signal, timezone.now()) | {
        "evidence": signal.evidence,
        "verified_at": signal.verified_at,
        "verified_by": (verifier.get_full_name() or verifier.get_username()) if verifier else None,
        "run_id": signal.run_id,
        "timeline": [event_out(MACHINE, e) for e in events_of(MACHINE, signal)],
        "available_steps": [t.name for t in MACHINE.available(request.user, signal)],
    }


def _run(run: DetectionRun) -> dict[str, Any]:
    user = run.requested_by
    return {
        "id": run.pk,
        "day": run.day,
        "as_known_on": run.as_known_on,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "requested_by": (user.get_full_name() or user.get_username()) if user else None,
        "series": run.series,
        "alarms": run.alarms,
        "signals_opened": run.signals_opened,
        "chunks": len(run.chunks_done),
        "errors": [
            {**e, "message": translated(str(e.get("error", "")))}
            for e in run.errors
            if isinstance(e, dict)
        ],
    }


# --- signals -----------------------------------------------------------------------------


@router.get("/epidemic/signals", response=SignalPage, summary="Early-warning signals")
def list_signals(
    request: UserRequest, filters: Query[SignalFilters], page: Query[PageParams]
) -> dict[str, Any]:
    now = timezone.now()
    signals = selectors.signal_list(request.user, filters.dict(), now=now).order_by(
        "-opened_at", "-id"
    )
    found = paginate(signals, page)
    return found | {"items": [_item(s, now) for s in found["items"]]}


@router.get("/epidemic/signals/{signal_id}", response=SignalDetailOut, summary="One signal")
def get_signal(request: UserRequest, signal_id: int) -> dict[str, Any]:
    return _detail(request, signal_id)


@router.post(
    "/epidemic/signals/{signal_id}/steps/{action}",
    response=SignalDetailOut,
    summary="Take a step of verification and response",
    description=steps_description(MACHINE),
)
def take_step(
    request: UserRequest, signal_id: int, action: str, payload: SignalStepIn
) -> dict[str, Any]:
    declared = type(payload).model_fields
    sent = payload.model_dump(exclude_unset=True)
    data = {k: v for k, v in sent.items() if k not in declared or v is not None}
    data.pop("version", None)
    services.signal_transition(
        actor=request.user,
        signal_id=signal_id,
        action=action,
        version=payload.version,
        data=data,
    )
    return _detail(request, signal_id)


# --- runs --------------------------------------------------------------------------------


@router.get("/epidemic/runs", response=RunPage, summary="Detection runs, newest first")
def list_runs(request: UserRequest, page: Query[PageParams]) -> dict[str, Any]:
    found = paginate(selectors.runs(request.user), page)
    return found | {"items": [_run(r) for r in found["items"]]}


@router.post(
    "/epidemic/runs",
    response={200: RunOut, 201: RunOut, 202: JobOut},
    summary="Run detection now",
    description=(
        "For public-health managers. Analyses every active disease and syndrome on the "
        "counts up to `day` as known on `as_known_on`; an unfinished run of the same day is "
        "resumed, a finished one repeated without duplicating signals. Answers 201 with the "
        "run (200 when it resumed an unfinished one). With `wait: false` the run is queued "
        "for the jobs process (the Celery workers in the scaled configuration) and the answer "
        "is 202 at once, with the job to follow."
    ),
)
def start_run(request: UserRequest, payload: RunIn) -> Status:
    if not may_run_detection(request.user):
        raise PermissionDenied()
    now = timezone.now()
    today = timezone.localdate(now)
    day = payload.day or today - dt.timedelta(days=1)
    known = payload.as_known_on or max(day, today)
    if not payload.wait:
        queued = ask_detection(
            user=request.user,
            day=day,
            as_known_on=known,
            token=payload.token or uuid.uuid4().hex,
            language=translation.get_language() or "",
        )
        return Status(202, job_out(queued))
    resumed = DetectionRun.objects.filter(
        day=day, as_known_on=known, finished_at__isnull=True
    ).exists()
    run = detection_run(day=day, now=now, as_known_on=known, user=request.user)
    return Status(200 if resumed else 201, _run(run))
