"""The accidents API: the list and one accident read through the door, recording one (the same
typed input and service as the form and the spreadsheet, so the Decree 493 engine sets its
level), editing it, its steps (`/accidents/{id}/steps/{action}`), the tally and the control
indicators' progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from redline.accidents import selectors, services
from redline.accidents.models import Accident
from redline.accidents.workflow import ACCIDENT
from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import Ref
from redline.core.errors import ValidationFailed
from redline.core.web import UserRequest
from redline.core.workflow import EventOut, event_out, events_of, steps_description, take_step

router = Router(tags=["accidents"])


class Body(BaseModel):
    """Values reach the service's readers as sent (so 2.0 or true is refused as a count, not
    turned into one); unknown fields are named there (422)."""

    model_config = ConfigDict(extra="allow")


class AccidentIn(Body):
    occurred_at: Any = Field(..., description="ISO 8601 date and time of the accident")
    place: Any = Field(..., description="Where it happened")
    unit: Any = Field(None, description="The registered unit (id), if it happened in one")
    region: Any = Field(None, description="The region (id): required without a unit")
    sector: Any = Field(None, description="Sector code (default: the unit's first sector)")
    reporting_class: Any = Field(None, description="other, road_traffic or fire")
    type_1986: Any = Field(None, description="GB 6441-1986 type code 01-20 (before 2026-07-01)")
    type_2025: Any = Field(None, description="GB 6441-2025 type code WSA1xxxx (from 2026-07-01)")
    deaths: Any = Field(..., description="Whole number")
    serious_injuries: Any = Field(
        ..., description="Whole number, including acute industrial poisoning"
    )
    direct_loss_cny: Any = Field(..., description="CNY (yuan), to the cent")
    narrative: Any = None
    reported_at: Any = Field(None, description="When it was reported to the regulator")


class AccidentPatch(Body):
    version: int
    occurred_at: Any = None
    place: Any = None
    sector: Any = None
    reporting_class: Any = None
    type_1986: Any = None
    type_2025: Any = None
    narrative: Any = None
    reported_at: Any = None


class FileIn(Schema):
    name: str = ""
    content_base64: str = Field(
        ..., description="A PDF (the investigation report) or a JPEG/PNG photo, at most 5 MB"
    )


class AccidentStepIn(Body):
    version: int
    photos: list[FileIn] = Field(
        default_factory=list,
        description="submit_report: the investigation report (one PDF) and photos",
    )


class AccidentOut(Schema):
    id: int
    number: str
    occurred_at: dt.datetime
    place: str
    unit: Ref | None
    region: Ref
    sector: str
    reporting_class: str
    type_1986: str
    type_2025: str
    deaths: int
    serious_injuries: int
    direct_loss_cny: str
    level: str
    deciding: list[str]
    state: str
    reported_at: dt.datetime
    report_due: dt.datetime
    reported_late: bool
    supplement_until: dt.date
    investigation_due: dt.date
    version: int


class AccidentDetailOut(AccidentOut):
    narrative: str
    investigating_body: str
    findings: str
    events: list[EventOut]


class AccidentPage(Schema):
    items: list[AccidentOut]
    count: int
    page: int
    page_size: int
    pages: int


class AccidentFilters(Schema):
    q: str | None = None
    level: str | None = None
    state: str | None = Field(None, description="A state, or `open`")
    sector: str | None = None
    region: str | None = None
    department: int | None = Field(
        None, description="A department: the accidents in its competence"
    )
    year: int | None = None
    occurred_from: dt.date | None = None
    occurred_to: dt.date | None = None
    serious: bool | None = Field(None, description="Only the serious and particularly serious")
    unit: int | None = None
    indicator: str | None = Field(
        None,
        description="Control indicator ids, comma-separated: the accidents counted against "
        "them (in each one's region subtree and sector); one you do not see is refused (422)",
    )


class TallyOut(Schema):
    key: str
    accidents: int
    deaths: int
    serious_injuries: int


class ProgressOut(Schema):
    id: int
    year: int
    region: Ref
    sector: str
    max_accidents: int
    max_deaths: int
    accidents: int
    deaths: int
    accident_share: float | None
    death_share: float | None
    accident_flag: str
    death_flag: str


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


def _out(accident: Accident) -> dict[str, Any]:
    return {
        "id": accident.pk,
        "number": accident.number,
        "occurred_at": accident.occurred_at,
        "place": accident.place,
        "unit": _ref(accident.unit),
        "region": _ref(accident.region),
        "sector": accident.sector,
        "reporting_class": accident.reporting_class,
        "type_1986": accident.type_1986,
        "type_2025": accident.type_2025,
        "deaths": accident.deaths,
        "serious_injuries": accident.serious_injuries,
        "direct_loss_cny": f"{accident.direct_loss_cny:.2f}",
        "level": accident.level,
        "deciding": accident.deciding_list,
        "state": accident.state,
        "reported_at": accident.reported_at,
        "report_due": accident.report_due,
        "reported_late": accident.reported_late,
        "supplement_until": accident.supplement_until,
        "investigation_due": accident.investigation_due,
        "version": accident.version,
    }


def _detail(request: UserRequest, accident_id: int) -> dict[str, Any]:
    accident = selectors.accident_get(request.user, accident_id)
    return _out(accident) | {
        "narrative": accident.narrative,
        "investigating_body": accident.investigating_body,
        "findings": accident.findings,
        "events": [event_out(ACCIDENT, e) for e in events_of(ACCIDENT, accident)],
    }


def _given(payload: BaseModel, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields the request set (extra ones included, for the service to name)."""
    values = payload.model_dump(exclude_unset=True)
    return {k: v for k, v in values.items() if k not in exclude}


@router.get("/accidents", response=AccidentPage, summary="Accidents you see")
def list_accidents(
    request: UserRequest, filters: Query[AccidentFilters], page: Query[PageParams]
) -> dict[str, Any]:
    wanted = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    found = paginate(selectors.accident_list(request.user, wanted), page)
    return found | {"items": [_out(a) for a in found["items"]]}


@router.get("/accidents/tally", response=list[TallyOut], summary="Accidents and deaths")
def accident_tally(
    request: UserRequest, start: dt.date, end: dt.date, by: str | None = None
) -> list[dict[str, Any]]:
    """From `start` (included) to `end` (excluded), grouped by level, sector, region
    (district) or month, or one total row."""
    if by is not None and by not in selectors.BY:
        raise ValidationFailed(fields={"by": "level, sector, region or month"})
    rows = selectors.tally(request.user, start, end, by=by)
    return [vars(row) for row in rows]


@router.get(
    "/accidents/indicators", response=list[ProgressOut], summary="Control indicators' progress"
)
def indicators(request: UserRequest, year: int) -> list[dict[str, Any]]:
    found = selectors.indicators_visible(request.user, year)
    out = []
    for p in selectors.indicator_progress(request.user, found):
        i = p.indicator
        out.append(
            {
                "id": i.pk,
                "year": i.year,
                "region": _ref(i.region),
                "sector": i.sector,
                "max_accidents": i.max_accidents,
                "max_deaths": i.max_deaths,
                "accidents": p.accidents,
                "deaths": p.deaths,
                "accident_share": p.accident_share,
                "death_share": p.death_share,
                "accident_flag": p.accident_flag,
                "death_flag": p.death_flag,
            }
        )
    return out


@router.get("/accidents/{accident_id}", response=AccidentDetailOut, summary="One accident")
def get_accident(request: UserRequest, accident_id: int) -> dict[str, Any]:
    return _detail(request, accident_id)


@router.post(
    "/accidents",
    response={201: AccidentDetailOut},
    summary="Record an accident (its level is computed by Decree 493, never given)",
)
def record_accident(request: UserRequest, payload: AccidentIn) -> Status:
    data = services.AccidentInput.of(_given(payload))
    accident = services.accident_record(actor=request.user, data=data)
    return Status(201, _detail(request, accident.pk))


@router.patch("/accidents/{accident_id}", response=AccidentDetailOut, summary="Edit an accident")
def edit_accident(request: UserRequest, accident_id: int, payload: AccidentPatch) -> dict[str, Any]:
    data = services.AccidentUpdateInput.of(_given(payload, exclude=frozenset({"version"})))
    services.accident_update(
        actor=request.user, accident_id=accident_id, version=payload.version, data=data
    )
    return _detail(request, accident_id)


@router.post(
    "/accidents/{accident_id}/steps/{action}",
    response=AccidentDetailOut,
    summary="Take a step of an accident's investigation",
    description=steps_description(ACCIDENT),
)
def accident_step(
    request: UserRequest, accident_id: int, action: str, payload: AccidentStepIn
) -> dict[str, Any]:
    take_step(
        ACCIDENT,
        actor=request.user,
        pk=accident_id,
        action=action,
        version=payload.version,
        data=_given(payload, exclude=frozenset({"version", "photos"})),
        files=[p.model_dump() for p in payload.photos],
    )
    return _detail(request, accident_id)
