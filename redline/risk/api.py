"""Risk endpoints: GB 18218-2018 grading of major hazard installations."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Body, Router, Schema, Status

from redline.core.errors import ValidationFailed
from redline.core.web import UserRequest
from redline.engines.gb18218 import GradingError, grade_payload
from redline.organisations.models import Enterprise, Region
from redline.risk import selectors, services
from redline.risk.models import RiskEvent
from redline.risk.standards import gb18218

router = Router(tags=["risk"])

EXAMPLE = {
    "units": [
        {
            "id": "T-01",
            "kind": "storage",
            "people_exposed": 60,
            "substances": [
                {"cas": "7446-09-5", "tonnes": 200},
                {"name": "甲醇", "category": "W5.3", "tonnes": 900},
                {"category": "J1", "tonnes": 3},
            ],
        }
    ]
}


@router.post(
    "/hazard-sources/grade",
    summary="Identify and grade units by GB 18218-2018",
    description=(
        'The same contract as `redline hazard-sources grade`: `{"units": [...]}` in, the '
        "graded units out in the same order. A substance is identified by `cas` or Chinese "
        "`name` (Table 1, `row` where a CAS covers several rows) or only by `category` "
        "(Table 2); `category` also gives beta (Table 4) for a named substance that is not a "
        "Table 3 toxic gas. Bad input answers 422 naming the unit and field."
    ),
)
def grade(request: UserRequest, payload: dict[str, Any] = Body(..., examples=[EXAMPLE])) -> Any:  # noqa: B008
    try:
        return grade_payload(gb18218(), payload)
    except GradingError as error:
        raise ValidationFailed(
            _("Unit %(unit)s: %(field)s is not valid.")
            % {"unit": error.unit, "field": error.field},
            fields={f"{error.unit}.{error.field}": str(error)},
        ) from None


class SummaryOut(Schema):
    level: int | None
    counts: dict[str, int]


class WarningOut(Schema):
    code: str
    field: str
    message: str


class RiskEventOut(Schema):
    id: int
    name: str
    method: str
    rule_set: str
    inherent_factors: dict[str, float]
    inherent_score: float
    inherent_level: int
    residual_factors: dict[str, float] | None
    residual_score: float | None
    residual_level: int | None
    level: int
    version: int
    # E.g. a residual risk higher than the inherent one: saved, but worth a second look.
    warnings: list[WarningOut] = []

    @staticmethod
    def resolve_warnings(obj: RiskEvent) -> list[services.AssessmentWarning]:
        return services.assessment_warnings(obj)


class UnitOut(Schema):
    id: int
    name: str
    summary: SummaryOut
    events: list[RiskEventOut]


class ObjectOut(Schema):
    id: int
    name: str
    kind: str
    summary: SummaryOut
    units: list[UnitOut]


class InventoryOut(Schema):
    enterprise_id: int
    summary: SummaryOut
    objects: list[ObjectOut]


class AssessIn(Schema):
    version: int
    inherent: dict[str, float]
    residual: dict[str, float] | None = None


class InstallationIn(Schema):
    name: str
    code: str = ""
    kind: str
    people_exposed: int
    substances: list[dict[str, Any]]


class InstallationOut(Schema):
    id: int
    enterprise_id: int
    name: str
    code: str
    kind: str
    people_exposed: int
    substances: list[dict[str, Any]]
    ratio_sum: float | None
    is_major: bool
    alpha: float | None
    r_value: float | None
    grade: int | None
    grading_result: dict[str, Any] | None
    version: int


class RegionLevelOut(Schema):
    region_id: int
    name: str
    level: int | None
    counts: dict[str, int]


def _visible_enterprise(request: UserRequest, enterprise_id: int) -> Enterprise:
    return get_object_or_404(Enterprise.objects.restrict(request.user), pk=enterprise_id)


@router.get(
    "/enterprises/{enterprise_id}/risks",
    response=InventoryOut,
    summary="Risk inventory with derived levels",
)
def inventory(request: UserRequest, enterprise_id: int) -> dict[str, Any]:
    enterprise = _visible_enterprise(request, enterprise_id)
    total, tree = selectors.inventory(enterprise)
    return {
        "enterprise_id": enterprise.pk,
        "summary": total.as_dict(),
        "objects": [
            {
                "id": node.item.pk,
                "name": node.item.name,
                "kind": node.item.kind,
                "summary": node.summary.as_dict(),
                "units": [
                    {
                        "id": u.item.pk,
                        "name": u.item.name,
                        "summary": u.summary.as_dict(),
                        "events": u.children,
                    }
                    for u in node.children
                ],
            }
            for node in tree
        ],
    }


@router.post(
    "/risk-events/{event_id}/assess",
    response=RiskEventOut,
    summary="Assess a risk event",
    description=(
        "Inherent and (optional) residual factors under the event's rule set. A residual risk "
        "that scores or grades higher than the inherent one is saved, with a warning "
        "(code `residual_above_inherent`, field `residual`) in `warnings`."
    ),
)
def assess_event(request: UserRequest, event_id: int, payload: AssessIn) -> Any:
    event = get_object_or_404(RiskEvent.objects.restrict(request.user), pk=event_id)
    return services.risk_event_save(
        actor=request.user,
        unit_id=event.unit_id,
        event_id=event.pk,
        version=payload.version,
        data=services.RiskEventInput(inherent=payload.inherent, residual=payload.residual),
    )


@router.get("/risk-map", response=list[RegionLevelOut], summary="Derived risk level per region")
def risk_map(request: UserRequest) -> list[dict[str, Any]]:
    summaries = selectors.region_summaries(request.user)
    regions = Region.objects.restrict(request.user).filter(pk__in=summaries).order_by("path")
    return [{"region_id": r.pk, "name": str(r), **summaries[r.pk].as_dict()} for r in regions]


@router.get("/enterprises/{enterprise_id}/installations", response=list[InstallationOut])
def installations(request: UserRequest, enterprise_id: int) -> Any:
    return selectors.installations_of(_visible_enterprise(request, enterprise_id))


@router.post("/enterprises/{enterprise_id}/installations", response={201: InstallationOut})
def create_installation(
    request: UserRequest, enterprise_id: int, payload: InstallationIn
) -> Status:
    data = services.InstallationInput.of(payload, substances=tuple(payload.substances))
    saved = services.installation_save(actor=request.user, enterprise_id=enterprise_id, data=data)
    return Status(201, saved)


@router.post("/installations/{installation_id}/regrade", response=InstallationOut)
def regrade(request: UserRequest, installation_id: int) -> Any:
    return services.installation_regrade(actor=request.user, installation_id=installation_id)


class RiskRecordOut(Schema):
    id: int
    version: int


class RiskObjectIn(Schema):
    name: str
    kind: str
    code: str = ""
    department: str = ""
    responsible: int | None = None
    installation: int | None = None


class RiskUnitIn(Schema):
    name: str
    responsible: int | None = None
    site_x: float | None = None
    site_y: float | None = None


class RiskEventIn(Schema):
    name: str
    description: str = ""
    method: str
    rule_set: str | None = None
    inherent: dict[str, float]
    residual: dict[str, float] | None = None


class CycleIn(Schema):
    every: int
    unit: str
    starts_at: datetime
    work_start: time | None = None
    work_end: time | None = None
    day_type: str = "every"
    task_type: str = "routine"
    task_item: int | None = None


class MeasureIn(Schema):
    description: str
    measure_class: str
    measure_subclass: str
    custom_class: str = ""
    control_mode: str
    management_level: str
    responsible: int
    inspection_content: str = ""
    cycle: CycleIn | None = None


class ShutdownIn(Schema):
    starts_at: datetime
    ends_at: datetime
    reason: str


@router.post("/enterprises/{enterprise_id}/risk-objects", response={201: RiskRecordOut})
def create_object(request: UserRequest, enterprise_id: int, payload: RiskObjectIn) -> Status:
    saved = services.risk_object_save(
        actor=request.user, enterprise_id=enterprise_id, data=services.RiskObjectInput.of(payload)
    )
    return Status(201, saved)


@router.post("/risk-objects/{object_id}/units", response={201: RiskRecordOut})
def create_unit(request: UserRequest, object_id: int, payload: RiskUnitIn) -> Status:
    data = services.RiskUnitInput.of(payload)
    return Status(201, services.risk_unit_save(actor=request.user, object_id=object_id, data=data))


@router.post("/risk-units/{unit_id}/events", response={201: RiskEventOut})
def create_event(request: UserRequest, unit_id: int, payload: RiskEventIn) -> Status:
    data = services.RiskEventInput.of(payload)
    return Status(201, services.risk_event_save(actor=request.user, unit_id=unit_id, data=data))


@router.post("/risk-events/{event_id}/measures", response={201: RiskRecordOut})
def create_measure(request: UserRequest, event_id: int, payload: MeasureIn) -> Status:
    cycle = services.CycleInput.of(payload.cycle) if payload.cycle is not None else None
    data = services.MeasureInput.of(payload, cycle=cycle)
    return Status(201, services.measure_save(actor=request.user, event_id=event_id, data=data))


@router.post("/risk-units/{unit_id}/shutdowns", response={201: RiskRecordOut})
def create_shutdown(request: UserRequest, unit_id: int, payload: ShutdownIn) -> Status:
    data = services.ShutdownInput.of(payload)
    return Status(201, services.shutdown_save(actor=request.user, unit_id=unit_id, data=data))
