"""Builders of accidents in the access-test world (`organisations/tests/world.py`), through
the services (as the pages, the API and the import make them).

The world's accident is at U-S11-hazchem (a hazardous-chemicals unit in subdistrict S11 of
district D1). Who sees it, by the world's description: the city government and the Safety
Committee office (everything), D1's government and S11's office (its region), the emergency
department (hazardous chemicals, city-wide) and the unit's own account; not the D1 fire
department, education, the D2 CDC or the other unit.

An accident in no registered unit, in S12 and the construction sector, is seen by the city
government, the office and D1's government only (no department has the construction sector,
and S11 is another subdistrict)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from redline.accidents import services
from redline.accidents.models import Accident
from redline.accidents.vocab import AccidentState
from redline.accidents.workflow import ACCIDENT
from redline.accounts.models import User
from redline.core.workflow import take_step
from redline.organisations.models import Enterprise
from redline.organisations.tests.world import World

SEES = ("cityhall", "office", "d1", "s11", "emergency", "ent")
SEES_REGIONAL = ("cityhall", "office", "d1")
GOVERNMENT_WRITER = "d1-operator"
UNIT_WRITER = "ent-operator"


def user(name: str) -> User:
    return User.objects.get(username=name)


def data(world: World | None = None, **changes: Any) -> dict[str, Any]:
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    return {
        "occurred_at": timezone.now() - dt.timedelta(hours=2),
        "place": "储罐区",
        "unit": unit.pk,
        "type_1986": "19",
        "type_2025": "WSA10023",
        "deaths": 1,
        "serious_injuries": 2,
        "direct_loss_cny": Decimal("350000.00"),
        "narrative": "检修作业中发生中毒。",
    } | changes


def record(world: World | None = None, *, by: str = GOVERNMENT_WRITER, **changes: Any) -> Accident:
    values = {k: v for k, v in data(world, **changes).items() if v is not None}
    return services.accident_record(actor=user(by), data=services.AccidentInput.of(values))


def regional(world: World, **changes: Any) -> Accident:
    """An accident in no registered unit: S12, construction."""
    return record(world, unit=None, region=world.regions["S12"], sector="construction", **changes)


def step(accident: Accident, by: str, action: str, **fields: Any) -> Accident:
    found: Accident = take_step(
        ACCIDENT,
        actor=user(by),
        pk=accident.pk,
        action=action,
        version=accident.version,
        data=fields,
    )
    return found


def in_state(world: World, state: str) -> Accident:
    accident = record(world)
    if state == AccidentState.REPORTED:
        return accident
    accident = step(
        accident, GOVERNMENT_WRITER, "start_investigation", investigating_body="区政府事故调查组"
    )
    if state == AccidentState.INVESTIGATING:
        return accident
    assert state == AccidentState.CLOSED, state
    return step(accident, GOVERNMENT_WRITER, "submit_report", comment="违章作业导致。")
