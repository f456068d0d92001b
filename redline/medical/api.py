"""Treatment-capacity endpoints: hospitals' daily reports (posting one is idempotent; a
correction is a new version), capacity alerts with the health authority's steps, and the
regional totals of a day.

Reads go through the selectors (which apply the caller's jurisdiction), writes through the
services (which decide who may do what and validate every value); this module only shapes
requests and answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import Ref
from redline.core.errors import NotFound, ValidationFailed
from redline.core.web import UserRequest
from redline.core.workflow import EventOut, event_out, events_of, steps_description
from redline.medical import selectors, services
from redline.medical.models import CapacityAlert, CapacityReport
from redline.medical.vocab import AlertState, Level, Metric, ReportSource, Scope
from redline.medical.workflow import MACHINE
from redline.organisations.models import Region

router = Router(tags=["medical capacity"])
STATES = ", ".join([*AlertState.values, "active", "all"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="Any unique string per submission: a retry with the same key answers "
        "the first submission's report and creates nothing more.",
    ),
]


# --- schemas ---------------------------------------------------------------------------


class StrictBody(BaseModel):
    """Unknown fields are kept, for the endpoint to refuse them by name (422) rather than
    drop them in silence."""

    model_config = ConfigDict(extra="allow")


class CapacityReportIn(StrictBody):
    hospital: int | None = Field(None, description="Default: your own hospital / fever clinic")
    day: dt.date = Field(..., description="The day reported (not in the future)")
    beds: int
    beds_occupied: int
    icu_beds: int = Field(..., description="ICU beds in use as such, converted ones included")
    icu_occupied: int
    icu_convertible: int = Field(..., description="Beds convertible to ICU, not yet converted")
    ventilators: int
    ventilators_in_use: int
    fever_clinic_visits: int
    staff_on_roster: int
    staff_absent: int
    note: str | None = None
    version: int | None = Field(
        None,
        description="The version of this day's report you saw (0: none). A report made since "
        "answers 409. Leave it out to correct whatever is current.",
    )


class CapacityReportOut(Schema):
    id: int
    hospital: Ref
    region: Ref
    day: dt.date
    version: int
    current: bool
    beds: int
    beds_occupied: int
    icu_beds: int
    icu_occupied: int
    icu_convertible: int
    ventilators: int
    ventilators_in_use: int
    fever_clinic_visits: int
    staff_on_roster: int
    staff_absent: int
    note: str
    source: str
    reported_by: str | None
    reported_at: dt.datetime
    superseded_at: dt.datetime | None


class CapacityReportPage(Schema):
    items: list[CapacityReportOut]
    count: int
    page: int
    page_size: int
    pages: int


class CapacityReportFilters(Schema):
    hospital: int | None = None
    region: int | None = Field(None, description="Region id: hospitals in its subtree")
    day: dt.date | None = None
    day_from: dt.date | None = Field(None, alias="from", description="On or after")
    day_to: dt.date | None = Field(None, alias="to", description="On or before")
    history: bool = Field(False, description="Also the superseded versions")


class AlertOut(Schema):
    id: int
    number: str
    scope: str = Field(..., description="hospital or region")
    hospital: Ref | None
    region: Ref
    metric: str
    level: str
    state: str
    value: float = Field(..., description="The metric (%) in the latest report evaluated")
    peak_value: float
    comparison: str
    threshold_value: float
    unconfirmed: str = Field(..., description="Why the threshold is not from a confirmed standard")
    first_day: dt.date
    last_day: dt.date
    cleared_on: dt.date | None
    opened_at: dt.datetime
    escalated_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int


class AlertDetailOut(AlertOut):
    evidence: dict[str, Any]
    timeline: list[EventOut]
    available_steps: list[str] = Field(
        ..., description="The steps you may take now: POST /medical/alerts/{id}/steps/{action}."
    )


class AlertPage(Schema):
    items: list[AlertOut]
    count: int
    page: int
    page_size: int
    pages: int


class AlertFilters(Schema):
    state: str | None = Field(
        None, description="open, acknowledged, closed, active (default: open or acknowledged), all"
    )
    level: Level | None = None
    metric: Metric | None = None
    scope: Scope | None = None
    hospital: int | None = None
    region: int | None = Field(None, description="Region id: alerts in its subtree")


class AlertStepIn(StrictBody):
    version: int = Field(..., description="The version you read; a stale one answers 409.")
    comment: str | None = Field(None, description="Required to close")


class TotalsOut(Schema):
    units: int = Field(..., description="Operating hospitals and fever clinics")
    reporting: int = Field(..., description="Units that reported for the day")
    carried: int = Field(
        ...,
        description="Units without a report that day, counted with their latest of the "
        "two days before",
    )
    beds: int
    beds_occupied: int
    icu_beds: int
    icu_occupied: int
    icu_convertible: int
    icu_capacity: int = Field(..., description="ICU beds plus convertible ICU beds")
    ventilators: int
    ventilators_in_use: int
    fever_clinic_visits: int
    staff_on_roster: int
    staff_absent: int
    bed_occupancy: float | None
    icu_occupancy: float | None
    ventilator_use: float | None
    staff_absence: float | None


class RegionTotalsOut(TotalsOut):
    region: Ref


class RegionsOut(Schema):
    day: dt.date
    region: Ref | None = Field(..., description="The region the rows are under")
    totals: TotalsOut
    regions: list[RegionTotalsOut]


class RegionsQuery(Schema):
    day: dt.date | None = Field(None, description="Default: the latest day reported")
    region: int | None = Field(None, description="Default: the top of your jurisdiction")


# --- shaping ---------------------------------------------------------------------------


def _person(user: Any) -> str | None:
    return (user.get_full_name() or user.get_username()) if user is not None else None


def _report(report: CapacityReport) -> dict[str, Any]:
    hospital = report.hospital
    return {
        "id": report.pk,
        "hospital": {"id": hospital.pk, "name": hospital.name},
        "region": {"id": hospital.region_id, "name": str(hospital.region)},
        "day": report.day,
        "version": report.version,
        "current": report.is_current,
        **report.figures,
        "note": report.note,
        "source": report.source,
        "reported_by": _person(report.reported_by),
        "reported_at": report.reported_at,
        "superseded_at": report.superseded_at,
    }


def _alert(alert: CapacityAlert) -> dict[str, Any]:
    hospital = alert.hospital
    return {
        "id": alert.pk,
        "number": alert.number,
        "scope": Scope.HOSPITAL if hospital else Scope.REGION,
        "hospital": {"id": hospital.pk, "name": hospital.name} if hospital else None,
        "region": {"id": alert.region_id, "name": str(alert.region)},
        "metric": alert.metric,
        "level": alert.level,
        "state": alert.state,
        "value": alert.value,
        "peak_value": alert.peak_value,
        "comparison": alert.comparison,
        "threshold_value": float(alert.threshold_value),
        "unconfirmed": alert.unconfirmed_note,
        "first_day": alert.first_day,
        "last_day": alert.last_day,
        "cleared_on": alert.cleared_on,
        "opened_at": alert.opened_at,
        "escalated_at": alert.escalated_at,
        "acknowledged_at": alert.acknowledged_at,
        "closed_at": alert.closed_at,
        "version": alert.version,
    }


def _alert_detail(request: UserRequest, alert_id: int) -> dict[str, Any]:
    try:
        alert = selectors.alert_get(request.user, alert_id)
    except CapacityAlert.DoesNotExist:
        raise NotFound() from None
    return _alert(alert) | {
        "evidence": alert.evidence,
        "timeline": [event_out(MACHINE, e) for e in events_of(MACHINE, alert)],
        "available_steps": [t.name for t in MACHINE.available(request.user, alert)],
    }


def _region(region: Region | None) -> dict[str, Any] | None:
    return {"id": region.pk, "name": str(region)} if region else None


# --- endpoints -------------------------------------------------------------------------


@router.post(
    "/medical/reports",
    response={200: CapacityReportOut, 201: CapacityReportOut},
    summary="Submit a hospital's daily capacity report",
    description=(
        "Answers 201 with the new report (version 1, or the next version when the day was "
        "already reported: a correction, the earlier version kept), or 200 with the report "
        "an earlier request with the same `Idempotency-Key` made, or with the current one "
        "when nothing changed. Only the hospital's own operators and managers submit."
    ),
)
def submit_report(
    request: UserRequest, payload: CapacityReportIn, idempotency_key: IdempotencyKey = ""
) -> Status:
    # Unknown fields (kept by the schema) are refused by name; a null note is an empty one.
    data = services.CapacityReportInput.of(
        payload.model_dump(exclude_unset=True), note=payload.note or ""
    )
    report, created = services.capacity_report_submit(
        actor=request.user, data=data, idempotency_key=idempotency_key, source=ReportSource.API
    )
    fresh = selectors.report_list(request.user, {"history": True}).get(pk=report.pk)
    return Status(201 if created else 200, _report(fresh))


@router.get("/medical/reports", response=CapacityReportPage, summary="Daily capacity reports")
def list_reports(
    request: UserRequest, filters: Query[CapacityReportFilters], page: Query[PageParams]
) -> dict[str, Any]:
    values = {
        "hospital": filters.hospital,
        "region": filters.region,
        "day": filters.day,
        "from": filters.day_from,
        "to": filters.day_to,
        "history": filters.history,
    }
    reports = selectors.report_list(request.user, values).order_by(
        "-day", "hospital_id", "-version"
    )
    found = paginate(reports, page)
    return found | {"items": [_report(r) for r in found["items"]]}


@router.get("/medical/alerts", response=AlertPage, summary="Capacity alerts")
def list_alerts(
    request: UserRequest, filters: Query[AlertFilters], page: Query[PageParams]
) -> dict[str, Any]:
    state = filters.state or "active"
    if state not in (*AlertState.values, "active", "all"):
        raise ValidationFailed(
            fields={"state": _("Choose one of: %(values)s.") % {"values": STATES}}
        )
    values = filters.dict() | {"state": state}
    alerts = selectors.alert_list(request.user, values).order_by("-opened_at", "-id")
    found = paginate(alerts, page)
    return found | {"items": [_alert(a) for a in found["items"]]}


@router.get("/medical/alerts/{alert_id}", response=AlertDetailOut, summary="One capacity alert")
def get_alert(request: UserRequest, alert_id: int) -> dict[str, Any]:
    return _alert_detail(request, alert_id)


@router.post(
    "/medical/alerts/{alert_id}/steps/{action}",
    response=AlertDetailOut,
    summary="Acknowledge or close a capacity alert",
    description="By the health authority (CDC or a department with a mandate over hospitals). "
    + steps_description(MACHINE),
)
def take_step(
    request: UserRequest, alert_id: int, action: str, payload: AlertStepIn
) -> dict[str, Any]:
    extra = sorted(set(payload.model_dump(exclude_unset=True)) - {"version", "comment"})
    if extra:
        raise ValidationFailed(fields={name: _("Unknown field.") for name in extra})
    services.capacity_alert_transition(
        actor=request.user,
        alert_id=alert_id,
        action=action,
        version=payload.version,
        comment=payload.comment or "",
    )
    return _alert_detail(request, alert_id)


@router.get(
    "/medical/regions",
    response=RegionsOut,
    summary="Capacity against demand per region for a day",
    description=(
        "Totals of the hospitals and fever clinics you may see, for each region one level "
        "below `region` (default: the top of your jurisdiction), and altogether."
    ),
)
def regions(request: UserRequest, query: Query[RegionsQuery]) -> dict[str, Any]:
    day = query.day or selectors.latest_day(request.user)
    view = selectors.regional_view(request.user, day, query.region)
    if query.region and (view.focus is None or view.focus.pk != query.region):
        raise NotFound()
    return {
        "day": view.day,
        "region": _region(view.focus),
        "totals": view.totals.as_dict(),
        "regions": [row.as_dict() | {"region": _region(row.region)} for row in view.rows],
    }
