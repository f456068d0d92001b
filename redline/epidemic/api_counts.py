"""Surveillance-data endpoints: post a batch of daily case counts (idempotent), read the
counts in your jurisdiction (as known now or on a past day), and read the disease/syndrome
catalogue.

Reads go through the selectors (the caller's jurisdiction), writes through the services
(who may submit what, every row checked); this module only shapes requests and answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from pydantic import BaseModel, ConfigDict

from redline.core.api import api, error_response
from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import ErrorBody, Ref
from redline.core.web import UserRequest
from redline.epidemic import selectors, services
from redline.epidemic.models import CaseCount, Condition
from redline.epidemic.vocab import CountSource

router = Router(tags=["epidemic"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="Required. Any unique string per batch (at most 80 characters are kept "
        "readable): a retry with the same key answers the first batch's result (200) and "
        "records nothing more; the same key with other rows answers 409.",
    ),
]


# --- schemas -----------------------------------------------------------------------------


class CountRowIn(BaseModel):
    """One day's count. Values are checked by the service, so that every problem comes back
    with its row number (from 1) and field."""

    model_config = ConfigDict(extra="forbid")

    condition: str | None = Field(None, description="Catalogue code (GET /epidemic/conditions)")
    region: str | int | None = Field(None, description="The region's administrative code")
    place: str | int | None = Field(
        None,
        description="Optional: a key place's id or unified social credit code, in the given "
        "region (the place's own). Without it, the count is the region's.",
    )
    date: str | None = Field(None, description="YYYY-MM-DD, not in the future")
    count: int | float | str | None = Field(None, description="Whole number of cases, >= 0")


class CountBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[CountRowIn] = Field(
        ...,
        max_length=services.MAX_ROWS,
        description=f"At most {services.MAX_ROWS} rows; all are recorded, or none.",
    )


class BatchOut(Schema):
    key: str = Field(..., description="The Idempotency-Key the batch was recorded under")
    received_at: dt.datetime
    rows: int
    created: int = Field(..., description="Counts recorded for a day not reported before")
    corrected: int = Field(..., description="Counts that replaced a different earlier value")
    unchanged: int = Field(..., description="Counts equal to the value already known")


class RowErrorOut(Schema):
    row: int
    field: str
    message: str


class CountsErrorBody(ErrorBody):
    rows: list[RowErrorOut] = Field(
        default_factory=list, description="Every problem of a rejected batch, in row order"
    )


class CountsErrorOut(Schema):
    error: CountsErrorBody


class RegionRef(Ref):
    code: str


class CountOut(Schema):
    id: int
    condition: str = Field(..., description="Catalogue code")
    region: RegionRef
    place: Ref | None
    date: dt.date
    count: int
    known_from: dt.date = Field(..., description="The day this value became known")
    superseded_on: dt.date | None = Field(
        ..., description="The day a correction replaced it (null: still current then)"
    )
    source: str | None = Field(..., description="form, api, import or demo")


class CountPage(Schema):
    items: list[CountOut]
    count: int
    page: int
    page_size: int
    pages: int


class CountFilters(Schema):
    condition: str | None = Field(None, description="Catalogue code")
    region: str | None = Field(None, description="Region code or id: counts in its subtree")
    place: int | None = Field(None, description="Key place id")
    date_from: dt.date | None = Field(None, alias="from", description="First day (inclusive)")
    date_to: dt.date | None = Field(None, alias="to", description="Last day (inclusive)")
    as_known_on: dt.date | None = Field(
        None,
        description="The counts as they were known at the end of this day (corrections made "
        "later are left out). Default: the current values.",
    )


class ConditionOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    disease_class: str
    method: str
    params: dict[str, Any] = Field(..., description="The method's parameters (engine names)")
    aggregation: str
    verify_hours: int
    is_active: bool
    source: str = Field(..., description="Where the entry comes from (Chinese)")
    source_en: str = Field(..., description="Where the entry comes from (English)")
    unconfirmed: str = Field(
        ..., description="Facts behind the entry that are not verified (Chinese)"
    )
    unconfirmed_en: str = Field(
        ..., description="Facts behind the entry that are not verified (English)"
    )


# --- endpoints ---------------------------------------------------------------------------


def _rows_invalid(request: UserRequest, invalid: services.RowsInvalid) -> HttpResponse:
    body = {
        "error": {
            "code": invalid.code,
            "message": invalid.message,
            "fields": invalid.fields,
            "rows": [
                {"row": e.row, "field": e.field, "message": e.message} for e in invalid.errors
            ],
        }
    }
    return api.create_response(request, body, status=422)


def _batch(result: dict[str, Any]) -> dict[str, Any]:
    return {name: result[name] for name in BatchOut.model_fields}


@router.post(
    "/epidemic/counts",
    response={
        200: BatchOut,
        201: BatchOut,
        400: CountsErrorOut,
        409: CountsErrorOut,
        422: CountsErrorOut,
    },
    summary="Record a batch of daily case counts",
    description=(
        "All rows are checked first; if any is bad, nothing is recorded and 422 lists every "
        "problem (`error.rows`: row number from 1, field, message; `error.fields` has the "
        "same keyed `rows.<row>.<field>`). A count different from the value known for that "
        "day is a correction (the earlier value stays readable with `as_known_on`). Answers "
        "201 the first time and 200 with the same body when the `Idempotency-Key` was "
        "already recorded (header `Idempotent-Replayed: true`). Public-health bodies submit "
        "for their region subtree, a key place for itself; others get 403."
    ),
)
def post_counts(
    request: UserRequest, payload: CountBatchIn, idempotency_key: IdempotencyKey = ""
) -> HttpResponse:
    if not idempotency_key.strip():
        message = _("Send an Idempotency-Key header: a unique string per batch.")
        return error_response(request, 400, "bad_request", message, {"Idempotency-Key": message})
    try:
        recorded = services.case_counts_record(
            rows=[row.model_dump() for row in payload.rows],
            source=CountSource.API,
            key=idempotency_key,
            user=request.user,
        )
    except services.RowsInvalid as invalid:
        return _rows_invalid(request, invalid)
    response = api.create_response(
        request, _batch(recorded.result), status=200 if recorded.replayed else 201
    )
    if recorded.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _count(row: CaseCount) -> dict[str, Any]:
    return {
        "id": row.pk,
        "condition": row.condition.code,
        "region": {"id": row.region_id, "name": str(row.region), "code": row.region.code},
        "place": {"id": row.place_id, "name": row.place.name} if row.place else None,
        "date": row.day,
        "count": row.count,
        "known_from": row.known_from,
        "superseded_on": row.superseded_on,
        "source": row.batch.source if row.batch else None,
    }


@router.get(
    "/epidemic/counts",
    response=CountPage,
    summary="Daily case counts in your jurisdiction",
    description="Ordered by date, condition, region and place. With `as_known_on`, the "
    "values as known at the end of that day (for re-running past detection).",
)
def list_counts(
    request: UserRequest, filters: Query[CountFilters], page: Query[PageParams]
) -> dict[str, Any]:
    counts = (
        selectors.case_counts(request.user, filters.dict())
        .select_related("batch")
        .order_by("day", "condition__code", "region__path", "place_id", "id")
    )
    found = paginate(counts, page)
    return found | {"items": [_count(row) for row in found["items"]]}


@router.get(
    "/epidemic/conditions",
    response=list[ConditionOut],
    summary="The disease and syndrome catalogue",
    description="Each condition's detection method, parameters, aggregation and time to "
    "verify a signal; `unconfirmed` says which facts behind it are not verified.",
)
def list_conditions(request: UserRequest, include_inactive: bool = False) -> list[Condition]:
    return list(selectors.conditions(active_only=not include_inactive).order_by("code"))
