"""Small builders for hazard tests: an inventory chain down to a measure with a cycle, a
tiny valid JPEG and PNG, and a reported hazard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from redline.accounts.models import User
from redline.organisations.models import Enterprise
from redline.risk.models import ControlMeasure, InspectionCycle, RiskEvent, RiskObject, RiskUnit

# The smallest files that start as a JPEG / PNG does (content is sniffed, not decoded).
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def user(name: str) -> User:
    return User.objects.select_related("organisation").get(username=name)


def measure_with_cycle(
    enterprise: Enterprise, *, name: str = "M", **cycle: Any
) -> tuple[ControlMeasure, InspectionCycle]:
    obj = RiskObject.objects.create(enterprise=enterprise, name=f"O-{name}", kind="unit")
    unit = RiskUnit.objects.create(risk_object=obj, name=f"U-{name}")
    event = RiskEvent.objects.create(
        unit=unit,
        enterprise=enterprise,
        name=f"E-{name}",
        method="LEC",
        rule_set="lec-common",
        inherent_factors={"L": 3, "E": 6, "C": 7},
        inherent_score=126,
        inherent_level=3,
        level=3,
    )
    responsible = enterprise.people.first()
    measure = ControlMeasure.objects.create(
        event=event,
        responsible=responsible,
        description=f"Check the valve {name}",
        measure_class="1",
        measure_subclass="1-2",
        control_mode="inspection",
        management_level="team",
        inspection_content="Valve closed, no leak",
    )
    values = {
        "every": 1,
        "unit": "day",
        "starts_at": dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC),
        "day_type": "every",
    } | cycle
    return measure, InspectionCycle.objects.create(measure=measure, **values)


def report(actor: User, enterprise_id: int, **data: Any) -> Any:
    from redline.hazards.services import hazard_report

    fields = {
        "enterprise": enterprise_id,
        "name": "Leaking flange",
        "description": "The flange on line 3 drips.",
        "hazard_type": "equipment",
        "level": "general",
    } | data
    hazard, _created = hazard_report(actor=actor, data=fields)
    return hazard
