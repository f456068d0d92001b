"""The assessment API: the assessments the caller sees, and one with its scored, ranked
subjects, districts or departments (from the frozen inputs of a published assessment, live
for a draft)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema

from redline.assessment import selectors, services
from redline.assessment.models import Assessment
from redline.assessment.workflow import ASSESSMENT
from redline.core.api_schemas import StepIn
from redline.core.web import UserRequest
from redline.core.workflow import steps_description

router = Router(tags=["assessment"])


class AssessmentOut(Schema):
    id: int
    title: str
    scheme_version: str
    subject_kind: str
    year: int
    period_kind: str
    period_index: int
    period: str
    state: str
    published_at: dt.datetime | None
    measured_at: dt.datetime | None = Field(
        None,
        description="A draft's: when its computed figures were measured from the records "
        "(its scores use them; null: never measured, computed for this answer)",
    )
    version: int


class LineOut(Schema):
    indicator: str
    family: str
    points: float
    max: float
    value: float | None
    missing: bool
    empty: bool


class ScoreOut(Schema):
    subject_id: int = Field(..., description="The district's region id or the department's id")
    subject: str
    region_id: int | None = Field(None, description="The district's id (none for a department)")
    region: str | None = None
    group: str = Field(
        "",
        description="The group the subject is ranked in: empty for the districts (one "
        "ranking); for a department the region path of the city (the city's departments) "
        "or of its district (that district's departments)",
    )
    group_label: str = Field("", description="The group's name, e.g. 市级部门")
    assessable: bool = Field(
        ...,
        description="False for a subject with no records to assess (nothing of the scheme's "
        "computed indicators applies): rank, total, base and grade are then null",
    )
    reason: str = Field("", description='Why not assessable: "no_records"; else empty')
    rank: int | None = Field(..., description="The rank within the subject's group")
    total: float | None
    base: float | None
    bonus: float
    grade: str | None
    vetoes: list[str]
    change: float | None
    lines: list[LineOut] | None  # only where the caller may drill into the subject


class AssessmentDetailOut(AssessmentOut):
    scores: list[ScoreOut]


def _out(record: Assessment) -> dict[str, Any]:
    return {
        "id": record.pk,
        "title": record.title,
        "scheme_version": record.scheme_version,
        "subject_kind": record.subject_kind,
        "year": record.year,
        "period_kind": record.period_kind,
        "period_index": record.period_index,
        "period": record.period_label,
        "state": record.state,
        "published_at": record.published_at,
        "measured_at": None if record.is_published else record.measured_at,
        "version": record.version,
    }


@router.get("/assessments", response=list[AssessmentOut], summary="Assessments you see")
def list_assessments(request: UserRequest) -> list[dict[str, Any]]:
    return [_out(a) for a in selectors.assessment_list(request.user)]


RANKING = (
    "The scores are ranked within groups: the districts in one ranking; the departments of "
    "the city among themselves and each district's departments among themselves (`group`, "
    "`group_label`; `rank` is the rank within the group). The scores come group by group "
    "(the city's first, then the districts' by region path), ranked ones first; a subject "
    "with no records to assess (`assessable` false) has no rank, total or grade and comes "
    "after the ranked ones of its group."
)


@router.get(
    "/assessments/{assessment_id}",
    response=AssessmentDetailOut,
    summary="One assessment with its ranked scores",
    description=RANKING,
)
def get_assessment(request: UserRequest, assessment_id: int) -> dict[str, Any]:
    return _detail(request, assessment_id)


@router.post(
    "/assessments/{assessment_id}/steps/{action}",
    response=AssessmentDetailOut,
    summary="Take a step of an assessment (publish: freeze the inputs)",
    description=steps_description(ASSESSMENT) + "\n\n" + RANKING,
)
def assessment_step(
    request: UserRequest, assessment_id: int, action: str, payload: StepIn
) -> dict[str, Any]:
    services.assessment_step(
        actor=request.user,
        assessment_id=assessment_id,
        action=action,
        version=payload.version,
        data=payload.model_dump(exclude={"version"}),
    )
    return _detail(request, assessment_id)


def _detail(request: UserRequest, assessment_id: int) -> dict[str, Any]:
    record = selectors.assessment_get(request.user, assessment_id)
    table = selectors.table(request.user, record)
    scores = [
        {
            "subject_id": row.subject_id,
            "subject": row.name,
            "region_id": row.region_id,
            "region": row.name if row.region_id is not None else None,
            "group": row.group,
            "group_label": row.group_label,
            "assessable": row.result.assessable,
            "reason": row.result.reason,
            "rank": row.result.rank,
            "total": row.result.total,
            "base": row.result.base,
            "bonus": row.result.bonus,
            "grade": row.result.grade,
            "vetoes": list(row.result.vetoes),
            "change": row.change,
            "lines": [
                {
                    "indicator": line.key,
                    "family": line.family,
                    "points": line.points,
                    "max": line.max,
                    "value": line.value,
                    "missing": line.missing,
                    "empty": line.empty,
                }
                for line in row.result.lines
            ]
            if row.drill
            else None,
        }
        for row in table.rows
    ]
    return _out(record) | {"scores": scores}
