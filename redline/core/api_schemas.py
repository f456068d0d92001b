"""Schemas the API's routers share: a reference to a record, a photo sent in base64, a step's
body, and the one error shape.

The OpenAPI document names a schema after its class, so two classes of one name would be
documented as one (`redline/core/tests/test_api_schemas.py` fails if they are): a schema that
means the same everywhere lives here once, and an app's own schemas carry its domain's name
(`HazardReportIn`, `CapacityReportIn`).
"""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict


class Ref(Schema):
    """A record named by its id and its display name."""

    id: int
    name: str


class PhotoIn(Schema):
    name: str = ""
    content_base64: str = Field(..., description="A JPEG or PNG of at most 5 MB, base64.")


class StepIn(BaseModel):
    """A workflow step's body: the version read, and the step's own fields, which reach the
    service as sent so that an unknown one is refused by name (422) instead of dropped."""

    model_config = ConfigDict(extra="allow")
    version: int = Field(..., description="The version you read; a stale one answers 409.")


class ErrorBody(Schema):
    code: str = Field(
        ...,
        description="bad_request, unauthenticated, permission_denied, not_found, conflict, "
        "validation_error, ...",
    )
    message: str = Field(..., description="In the request's language")
    fields: dict[str, str] = Field(..., description="The refused parameters or fields, by name")


class ErrorOut(Schema):
    """Every failure of the API answers this shape."""

    error: ErrorBody
