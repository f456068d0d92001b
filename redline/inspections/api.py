"""The inspections API: plan an inspection, send what the team answers on site (answers,
photos, signatures, each with an idempotency key so a phone may resend safely), take the
steps of an inspection and of its findings, and read them through the door."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import PhotoIn, StepIn
from redline.core.errors import NotFound
from redline.core.web import UserRequest
from redline.core.workflow import EventOut, event_out, events_of, steps_description
from redline.inspections import (
    checklist,
    enforcement,
    selectors,
    selectors_audit,
    services,
    services_audit,
)
from redline.inspections.models import AuditSample, EnforcementAction, Finding, Inspection
from redline.inspections.workflow import ENFORCEMENT, FINDING, INSPECTION

router = Router(tags=["inspections"])


class Body(BaseModel):
    """Unknown fields reach the service, which names them (422) rather than drop them."""

    model_config = ConfigDict(extra="allow")


class PlanIn(Body):
    enterprise: int
    kind: str = Field(..., description="enforcement, supervision, audit or joint")
    planned_on: dt.date
    inspectors: list[str] = Field(..., description="User ids of your body; the first leads")
    sector: str | None = None
    template: int | None = Field(
        None, description="Checklist version id (default: the campaign's, else the sector's)"
    )
    campaign: int | None = Field(None, description="The campaign it is made under, if any")


class AnswerIn(Body):
    item: str
    value: Any = None
    note: str | None = None
    answered_at: dt.datetime = Field(..., description="When it was answered on the phone")
    key: str = Field(..., description="Idempotency key of this submission")


class PhotosIn(Body):
    item: str
    key: str
    photos: list[PhotoIn]


class SignatureIn(Body):
    signer: str = Field(..., description="inspector or unit")
    name: str
    key: str
    image: PhotoIn


class TeamOut(Schema):
    user_id: int
    name: str
    lead: bool


class FindingOut(Schema):
    id: int
    number: int
    item_code: str
    text: str
    determination_item: str
    level: str
    outcome: str
    hazard_id: int | None
    state: str
    answer: str
    version: int


class InspectionOut(Schema):
    id: int
    number: str
    enterprise_id: int
    enterprise_name: str
    organisation_id: int
    organisation_name: str
    kind: str
    sector: str
    template_id: int | None
    campaign_id: int | None
    planned_on: dt.date
    state: str
    version: int
    checked_in_at: dt.datetime | None
    check_in_place: str
    completed_at: dt.datetime | None
    closed_at: dt.datetime | None
    score: float | None
    unit_representative: str


class InspectionDetailOut(InspectionOut):
    team: list[TeamOut]
    answers: dict[str, Any]
    findings: list[FindingOut]
    events: list[EventOut]


class InspectionPage(Schema):
    items: list[InspectionOut]
    count: int
    page: int
    page_size: int
    pages: int


class InspectionFilters(Schema):
    state: str | None = None
    enterprise: int | None = None
    kind: str | None = None
    region: str | None = Field(None, description="A region's id: units in its subtree")
    planned_from: dt.date | None = None
    planned_to: dt.date | None = None
    completed_from: dt.date | None = None
    completed_to: dt.date | None = None


def _out(inspection: Inspection) -> dict[str, Any]:
    return {
        "id": inspection.pk,
        "number": inspection.number,
        "enterprise_id": inspection.enterprise_id,
        "enterprise_name": inspection.enterprise.name,
        "organisation_id": inspection.organisation_id,
        "organisation_name": inspection.organisation.name,
        "kind": inspection.kind,
        "sector": inspection.sector,
        "template_id": inspection.template_id,
        "campaign_id": inspection.campaign_id,
        "planned_on": inspection.planned_on,
        "state": inspection.state,
        "version": inspection.version,
        "checked_in_at": inspection.checked_in_at,
        "check_in_place": inspection.check_in_place,
        "completed_at": inspection.completed_at,
        "closed_at": inspection.closed_at,
        "score": float(inspection.score) if inspection.score is not None else None,
        "unit_representative": inspection.unit_representative,
    }


def _detail(request: UserRequest, inspection_id: int) -> dict[str, Any]:
    inspection = get_object_or_404(
        Inspection.objects.restrict(request.user).select_related("enterprise", "organisation"),
        pk=inspection_id,
    )
    team = inspection.team.select_related("user")
    return _out(inspection) | {
        "team": [{"user_id": m.user_id, "name": str(m.user), "lead": m.lead} for m in team],
        "answers": checklist.answers_of(inspection),
        "findings": list(inspection.findings.all()),
        "events": [event_out(INSPECTION, e) for e in events_of(INSPECTION, inspection)],
    }


@router.get("/inspections", response=InspectionPage, summary="Inspections of units you see")
def list_inspections(
    request: UserRequest, filters: Query[InspectionFilters], page: Query[PageParams]
) -> dict[str, Any]:
    wanted = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    result = paginate(selectors.inspection_list(request.user, wanted), page)
    return result | {"items": [_out(i) for i in result["items"]]}


@router.post(
    "/inspections",
    response={200: InspectionDetailOut, 201: InspectionDetailOut},
    summary="Plan an inspection",
)
def plan_inspection(request: UserRequest, payload: PlanIn, idempotency_key: str = "") -> Status:
    data = services.InspectionInput.of(payload.model_dump(exclude_none=True))
    inspection, created = services.inspection_plan(
        actor=request.user, data=data, idempotency_key=idempotency_key
    )
    return Status(201 if created else 200, _detail(request, inspection.pk))


@router.get("/inspections/{inspection_id}", response=InspectionDetailOut)
def get_inspection(request: UserRequest, inspection_id: int) -> dict[str, Any]:
    return _detail(request, inspection_id)


@router.post("/inspections/{inspection_id}/answers", response=dict[str, Any])
def send_answer(request: UserRequest, inspection_id: int, payload: AnswerIn) -> dict[str, Any]:
    data = services.AnswerInput.of(payload.model_dump(exclude_none=True))
    answer = services.answer_record(actor=request.user, inspection_id=inspection_id, data=data)
    return {"item": data.item, "value": answer.value if answer else None, "key": data.key}


@router.post("/inspections/{inspection_id}/photos", response=dict[str, Any])
def send_photos(request: UserRequest, inspection_id: int, payload: PhotosIn) -> dict[str, Any]:
    count = services.photo_add(
        actor=request.user,
        inspection_id=inspection_id,
        item=payload.item,
        files=[p.model_dump() for p in payload.photos],
        key=payload.key,
    )
    return {"item": payload.item, "photos": count, "key": payload.key}


@router.post("/inspections/{inspection_id}/signatures", response=dict[str, Any])
def send_signature(
    request: UserRequest, inspection_id: int, payload: SignatureIn
) -> dict[str, Any]:
    fields = payload.model_dump(exclude={"image"})
    signature = services.signature_add(
        actor=request.user,
        inspection_id=inspection_id,
        data=services.SignatureInput.of(fields),
        image=payload.image.model_dump(),
    )
    return {"signer": payload.signer, "signed": signature is not None, "key": payload.key}


@router.post(
    "/inspections/{inspection_id}/steps/{action}",
    response=InspectionDetailOut,
    summary="Take a step of an inspection",
    description=steps_description(INSPECTION),
)
def inspection_step(
    request: UserRequest, inspection_id: int, action: str, payload: StepIn
) -> dict[str, Any]:
    data = payload.model_dump(exclude={"version"})
    services.inspection_step(
        actor=request.user,
        inspection_id=inspection_id,
        action=action,
        version=payload.version,
        data=data,
    )
    return _detail(request, inspection_id)


@router.post(
    "/findings/{finding_id}/steps/{action}",
    response=FindingOut,
    summary="Take a step of a finding",
    description=steps_description(FINDING),
)
def finding_step(request: UserRequest, finding_id: int, action: str, payload: StepIn) -> Finding:
    services.finding_step(
        actor=request.user,
        finding_id=finding_id,
        action=action,
        version=payload.version,
        data=payload.model_dump(exclude={"version"}),
    )
    return get_object_or_404(Finding.objects.restrict(request.user), pk=finding_id)


# --- enforcement ---------------------------------------------------------------------------


class EnforcementIn(Body):
    inspection: int
    kind: str = Field(..., description="rectify, suspend, fine or seize")
    description: str
    legal_basis: str
    finding: int | None = None
    amount: str | None = Field(None, description="A fine, in CNY")
    deadline: dt.date | None = Field(None, description="For an order to rectify or a suspension")


class EnforcementOut(Schema):
    id: int
    number: str
    inspection_id: int
    finding_id: int | None
    enterprise_id: int
    organisation_id: int
    kind: str
    description: str
    legal_basis: str
    amount: float | None
    deadline: dt.date | None
    state: str
    version: int
    issued_at: dt.datetime
    complied_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue_since: dt.datetime | None
    escalation_level: int


def _enforcement(request: UserRequest, action_id: int) -> EnforcementAction:
    return get_object_or_404(EnforcementAction.objects.restrict(request.user), pk=action_id)


@router.post(
    "/enforcement",
    response={200: EnforcementOut, 201: EnforcementOut},
    summary="Issue an enforcement action on an inspection",
)
def issue_enforcement(
    request: UserRequest, payload: EnforcementIn, idempotency_key: str = ""
) -> Status:
    data = enforcement.EnforcementInput.of(payload.model_dump(exclude_none=True))
    action, created = enforcement.enforcement_issue(
        actor=request.user, data=data, idempotency_key=idempotency_key
    )
    return Status(201 if created else 200, _enforcement(request, action.pk))


@router.get("/enforcement/{action_id}", response=EnforcementOut)
def get_enforcement(request: UserRequest, action_id: int) -> EnforcementAction:
    return _enforcement(request, action_id)


@router.post(
    "/enforcement/{action_id}/steps/{action}",
    response=EnforcementOut,
    summary="Take a step of an enforcement action",
    description=steps_description(ENFORCEMENT),
)
def enforcement_step(
    request: UserRequest, action_id: int, action: str, payload: StepIn
) -> EnforcementAction:
    enforcement.enforcement_step(
        actor=request.user,
        action_id=action_id,
        action=action,
        version=payload.version,
        data=payload.model_dump(exclude={"version"}),
    )
    return _enforcement(request, action_id)


# --- the audit working paper of an audit-style inspection -----------------------------------


class AuditSampleOut(Schema):
    id: int
    kind: str = Field(..., description="task, hazard or measure")
    record_model: str
    record_id: int
    label: str
    position: int
    facts: dict[str, Any] = Field(..., description="What the record said when drawn")
    result: str = Field(..., description="pending, verified or discrepancy")
    note: str
    checked_by_id: int | None
    checked_at: dt.datetime | None
    finding_id: int | None = Field(None, description="The finding a discrepancy became")
    version: int


class AuditPaperOut(Schema):
    inspection_id: int
    seed: int
    drawn_at: dt.datetime
    drawn_by_id: int | None
    period_start: dt.datetime
    period_end: dt.datetime
    sections: dict[str, Any]
    populations: dict[str, Any] = Field(..., description="Per kind: size, sha256, wanted")
    digest: str
    samples: list[AuditSampleOut]


class AuditDrawIn(Body):
    seed: int | None = Field(None, description="0 to 4294967295 (default: the paper's, or new)")
    months: int | None = Field(None, description="Months of records before now (default 12)")


class AuditMarkIn(Body):
    result: str = Field(..., description="verified or discrepancy")
    note: str | None = Field(None, description="What does not match (needed for a discrepancy)")
    outcome: str | None = Field(None, description="A discrepancy becomes a note or a hazard")


def _audit_paper(request: UserRequest, inspection_id: int) -> dict[str, Any]:
    inspection = selectors_audit.inspection_for_paper(request.user, inspection_id)
    paper = selectors_audit.paper_of(request.user, inspection)
    if paper is None:
        raise NotFound(_("No audit working paper has been drawn yet."))
    return {
        "inspection_id": inspection.pk,
        "seed": paper.seed,
        "drawn_at": paper.drawn_at,
        "drawn_by_id": paper.drawn_by_id,
        "period_start": paper.period_start,
        "period_end": paper.period_end,
        "sections": paper.sections,
        "populations": paper.populations,
        "digest": paper.digest,
        "samples": selectors_audit.samples_of(request.user, paper),
    }


@router.get(
    "/inspections/{inspection_id}/audit-paper",
    response=AuditPaperOut,
    summary="The audit working paper of an audit-style inspection (its team and body)",
)
def get_audit_paper(request: UserRequest, inspection_id: int) -> dict[str, Any]:
    return _audit_paper(request, inspection_id)


@router.post(
    "/inspections/{inspection_id}/audit-paper",
    response=AuditPaperOut,
    summary="Draw the audit working paper (again, while planned)",
)
def draw_audit_paper(
    request: UserRequest, inspection_id: int, payload: AuditDrawIn
) -> dict[str, Any]:
    data = services_audit.AuditDrawInput.of(payload.model_dump(exclude_none=True))
    services_audit.audit_paper_draw(
        actor=request.user, inspection_id=inspection_id, seed=data.seed, months=data.months
    )
    return _audit_paper(request, inspection_id)


@router.post(
    "/audit-samples/{sample_id}/mark",
    response=AuditSampleOut,
    summary="Mark a sampled record verified or a discrepancy (the team, on site)",
)
def mark_audit_sample(request: UserRequest, sample_id: int, payload: AuditMarkIn) -> AuditSample:
    data = services_audit.AuditSampleInput.of(payload.model_dump(exclude_none=True))
    return services_audit.audit_sample_mark(actor=request.user, sample_id=sample_id, data=data)
