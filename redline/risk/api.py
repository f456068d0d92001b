"""Risk endpoints: GB 18218-2018 grading of major hazard installations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Router

from redline.core.errors import ValidationFailed
from redline.engines.gb18218 import GradingError, grade_payload
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
def grade(request: HttpRequest, payload: dict[str, Any] = Body(..., examples=[EXAMPLE])) -> Any:  # noqa: B008
    try:
        return grade_payload(gb18218(), payload)
    except GradingError as error:
        raise ValidationFailed(
            _("Unit %(unit)s: %(field)s is not valid.")
            % {"unit": error.unit, "field": error.field},
            fields={f"{error.unit}.{error.field}": str(error)},
        ) from None
