"""The training API: a unit's compliance, a person's file, training records and certificates
(read through the door; written through the same services as the forms and the import), a
certificate's steps (`/training/certificates/{id}/steps/{action}`) and the per-unit counts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import StepIn
from redline.core.web import UserRequest
from redline.core.workflow import EventOut, event_out, events_of, steps_description
from redline.engines.training_compliance import Finding
from redline.organisations.models import Enterprise
from redline.organisations.selectors import department_filter, region_filter
from redline.training import selectors, services
from redline.training.models import Certificate, TrainingRecord
from redline.training.present import finding_text
from redline.training.workflow import CERTIFICATE

router = Router(tags=["training"])

Days = Annotated[
    int | None,
    Query(
        ge=0,
        le=3660,
        description="Valid certificates expiring within this many days (or already expired)",
    ),
]


class Body(BaseModel):
    """Unknown fields reach the service, which names them (422) rather than drop them."""

    model_config = ConfigDict(extra="allow")


class RecordIn(Body):
    person: int = Field(..., description="A person of a unit you may change")
    course: str
    hours: str | float = Field(..., description="Hours, to one decimal place")
    day: dt.date
    level: str = Field(..., description="company, workshop, team or other")
    purpose: str = Field(..., description="initial, refresher, retraining or other")
    trainer: str | None = None
    trainer_signed: bool = False
    trainee_signed: bool = False


class RecordOut(Schema):
    id: int
    person: int
    person_name: str
    unit: int
    course: str
    hours: str
    day: dt.date
    level: str
    purpose: str
    trainer: str
    trainer_signed: bool
    trainee_signed: bool
    evidence: bool


class RecordPage(Schema):
    items: list[RecordOut]
    count: int
    page: int
    pages: int
    page_size: int


class CertificateIn(Body):
    person: int
    kind: str = Field(
        ...,
        description="special_operation, main_responsible, safety_manager, construction_a, "
        "construction_b or construction_c",
    )
    item: str | None = Field(None, description="A special operation's item code")
    number: str
    issuer: str | None = None
    issued_on: dt.date
    valid_until: dt.date | None = Field(None, description="Default: the kind's validity")
    reviewed_on: dt.date | None = None
    long_service: bool = False


class CertificateOut(Schema):
    id: int
    person: int
    person_name: str
    unit: int
    kind: str
    category: str
    item: str
    number: str
    issuer: str
    issued_on: dt.date
    valid_until: dt.date
    reviewed_on: dt.date | None
    review_due: dt.date | None
    state: str
    version: int
    available_steps: list[str] = Field(
        ..., description="The steps you may take now: POST /training/certificates/{id}/steps/"
    )
    events: list[EventOut] = Field(default_factory=list)


class CertificatePage(Schema):
    items: list[CertificateOut]
    count: int
    page: int
    pages: int
    page_size: int


class ComplianceFindingOut(Schema):
    code: str
    severity: str = Field(..., description="lacking (not compliant) or warning")
    requirement: str
    status: str = Field(..., description="confirmed, partial or unconfirmed")
    sources: list[str]
    text: str


class TrainingPersonOut(Schema):
    id: int
    name: str
    role: str
    unit: int
    started_on: dt.date | None
    operations: list[str]
    compliant: bool
    lacking_hours: bool
    lacking_certificate: bool
    findings: list[ComplianceFindingOut]


class UnitCountsOut(Schema):
    unit_id: int
    unit: str
    region_id: int
    people: int
    compliant: int
    lacking_hours: int
    lacking_certificate: int


class ComplianceFilters(Schema):
    on: dt.date | None = None
    region: str | None = Field(None, description="A region's code (yours or below)")
    unit: int | None = None
    department: int | None = Field(None, description="A department: the units in its competence")


def _record(r: TrainingRecord) -> dict[str, Any]:
    return {
        "id": r.pk,
        "person": r.person_id,
        "person_name": r.person.name,
        "unit": r.person.enterprise_id,
        "course": r.course,
        "hours": str(r.hours),
        "day": r.day,
        "level": r.level,
        "purpose": r.purpose,
        "trainer": r.trainer,
        "trainer_signed": r.trainer_signed,
        "trainee_signed": r.trainee_signed,
        "evidence": bool(r.evidence),
    }


def _certificate(request: UserRequest, c: Certificate, events: bool = False) -> dict[str, Any]:
    return {
        "id": c.pk,
        "person": c.person_id,
        "person_name": c.person.name,
        "unit": c.person.enterprise_id,
        "kind": c.kind,
        "category": c.category,
        "item": c.item,
        "number": c.number,
        "issuer": c.issuer,
        "issued_on": c.issued_on,
        "valid_until": c.valid_until,
        "reviewed_on": c.reviewed_on,
        "review_due": c.review_due,
        "state": c.state,
        "version": c.version,
        "available_steps": [t.name for t in CERTIFICATE.available(request.user, c)],
        "events": [event_out(CERTIFICATE, e) for e in events_of(CERTIFICATE, c)] if events else [],
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity,
        "requirement": f.requirement,
        "status": f.status,
        "sources": list(f.keys),
        "text": finding_text(f),
    }


def _person(status: selectors.PersonStatus) -> dict[str, Any]:
    p, profile = status.person, status.profile
    return {
        "id": p.pk,
        "name": p.name,
        "role": p.role,
        "unit": p.enterprise_id,
        "started_on": profile.started_on if profile else None,
        "operations": profile.operation_list if profile else [],
        "compliant": status.result.compliant,
        "lacking_hours": status.result.lacks_hours,
        "lacking_certificate": status.result.lacks_certificate,
        "findings": [_finding(f) for f in status.result.findings],
    }


@router.get("/training/records", response=RecordPage, summary="Training records you see")
def list_records(
    request: UserRequest, page: Query[PageParams], person: int | None = None
) -> dict[str, Any]:
    found = selectors.records_list(request.user, person=person)
    out = paginate(found, page)
    return out | {"items": [_record(r) for r in out["items"]]}


@router.post("/training/records", response={201: RecordOut}, summary="Record a training")
def add_record(request: UserRequest, payload: RecordIn) -> Status:
    data = services.TrainingRecordInput.of(payload.model_dump(exclude_none=True))
    record = services.training_record_add(actor=request.user, data=data)
    return Status(201, _record(selectors.training_record(request.user, record.pk)))


@router.get("/training/certificates", response=CertificatePage, summary="Certificates you see")
def list_certificates(
    request: UserRequest, page: Query[PageParams], state: str = "", expiring_days: Days = None
) -> dict[str, Any]:
    found = selectors.certificates_list(request.user, state=state, expiring_days=expiring_days)
    out = paginate(found, page)
    return out | {"items": [_certificate(request, c) for c in out["items"]]}


@router.get("/training/certificates/{certificate_id}", response=CertificateOut)
def get_certificate(request: UserRequest, certificate_id: int) -> dict[str, Any]:
    return _certificate(request, selectors.certificate(request.user, certificate_id), True)


@router.post(
    "/training/certificates", response={201: CertificateOut}, summary="Record a certificate"
)
def add_certificate(request: UserRequest, payload: CertificateIn) -> Status:
    data = services.CertificateInput.of(payload.model_dump(exclude_none=True))
    certificate = services.certificate_add(actor=request.user, data=data)
    return Status(201, _certificate(request, selectors.certificate(request.user, certificate.pk)))


@router.post(
    "/training/certificates/{certificate_id}/steps/{action}",
    response=CertificateOut,
    summary="Take a step of a certificate",
    description=steps_description(CERTIFICATE),
)
def certificate_step(
    request: UserRequest, certificate_id: int, action: str, payload: StepIn
) -> dict[str, Any]:
    services.certificate_step(
        actor=request.user,
        certificate_id=certificate_id,
        action=action,
        version=payload.version,
        data=payload.model_dump(exclude={"version"}),
    )
    return _certificate(request, selectors.certificate(request.user, certificate_id), True)


@router.get("/training/people/{person_id}", response=TrainingPersonOut, summary="A person's file")
def get_person(request: UserRequest, person_id: int, on: dt.date | None = None) -> dict[str, Any]:
    return _person(selectors.person_status(request.user, person_id, on))


@router.get(
    "/training/units/{unit_id}/compliance",
    response=list[TrainingPersonOut],
    summary="Each person of a unit: compliant or what they lack, citing the requirement",
)
def unit_compliance(
    request: UserRequest, unit_id: int, on: dt.date | None = None
) -> list[dict[str, Any]]:
    unit = Enterprise.objects.get_for(request.user, pk=unit_id)
    return [_person(s) for s in selectors.unit_statuses(request.user, unit, on)]


@router.get(
    "/training/compliance",
    response=list[UnitCountsOut],
    summary="Per unit: people, compliant, lacking hours, lacking a valid certificate",
)
def compliance(request: UserRequest, filters: Query[ComplianceFilters]) -> list[dict[str, Any]]:
    region = region_filter(request.user, filters.region, codes=True)
    department = department_filter(request.user, filters.department)
    return selectors.compliance(
        request.user, on=filters.on, region=region, unit=filters.unit, department=department
    )


class ProfileIn(Body):
    started_on: dt.date | None = Field(None, description="Hired or appointed")
    operations: list[str] = Field(
        default_factory=list, description="Special-operation item codes the person performs"
    )


class PostChangeIn(Body):
    on: dt.date
    kind: str = Field(..., description="change_post or return")
    absent_days: int | None = Field(None, description="For a return: days away")
    note: str | None = None


@router.put(
    "/training/people/{person_id}/profile",
    response=TrainingPersonOut,
    summary="Set when a person started and the special operations they perform",
)
def set_profile(request: UserRequest, person_id: int, payload: ProfileIn) -> dict[str, Any]:
    data = services.TrainingProfileInput.of(payload.model_dump(exclude_none=True), person=person_id)
    services.training_profile_save(actor=request.user, data=data)
    return _person(selectors.person_status(request.user, person_id))


@router.post(
    "/training/people/{person_id}/post-changes",
    response={201: TrainingPersonOut},
    summary="Record a change of post or a return after absence (re-training triggers)",
)
def add_post_change(request: UserRequest, person_id: int, payload: PostChangeIn) -> Status:
    data = services.PostChangeInput.of(payload.model_dump(exclude_none=True), person=person_id)
    services.post_change_add(actor=request.user, data=data)
    return Status(201, _person(selectors.person_status(request.user, person_id)))
