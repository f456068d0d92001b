"""The risk inventory, the risk map, the parks and their API lists cost the same number of
queries with a few rows as with many (STYLE.md); the rows added hang off different units,
regions, parks and responsible people, so an N+1 on any of them shows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from redline.accounts.models import User
from redline.core.tests.queries import assert_flat
from redline.engines.credit_code import compose
from redline.organisations.models import ChemicalPark, Enterprise, Person, Region
from redline.risk.models import (
    ControlMeasure,
    InspectionCycle,
    MajorHazardInstallation,
    ParkAssessment,
    RiskEvent,
    RiskObject,
    RiskUnit,
)

pytestmark = pytest.mark.django_db

SUBS = ("S11", "S12", "S21", "S22")
serial = itertools.count(1)


def person(unit: Enterprise, role: str = "safety_manager") -> Person:
    return Person.objects.create(name=f"QR人{next(serial)}", role=role, enterprise=unit)


def chain(unit: Enterprise, level: int = 3) -> RiskEvent:
    """An object -> unit -> event -> measure with its cycle, each with its own responsible
    person; returns the event."""
    n = next(serial)
    obj = RiskObject.objects.create(
        enterprise=unit, name=f"QR对象{n}", kind="unit", responsible=person(unit)
    )
    risk_unit = RiskUnit.objects.create(
        risk_object=obj, name=f"QR单元{n}", responsible=person(unit), site_x=10, site_y=20
    )
    event = RiskEvent.objects.create(
        unit=risk_unit,
        enterprise=unit,
        name=f"QR事件{n}",
        method="LEC",
        rule_set="lec-common",
        inherent_factors={"L": 3, "E": 6, "C": 7},
        inherent_score=126,
        inherent_level=level,
        level=level,
    )
    measure = ControlMeasure.objects.create(
        event=event,
        responsible=person(unit),
        description=f"QR措施{n}",
        measure_class="1",
        measure_subclass="1-2",
        control_mode="inspection",
        management_level="team",
        inspection_content="—",
    )
    InspectionCycle.objects.create(
        measure=measure,
        every=1,
        unit="day",
        starts_at=dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC),
        day_type="every",
    )
    return event


def installation(unit: Enterprise, grade: int) -> MajorHazardInstallation:
    n = next(serial)
    return MajorHazardInstallation.objects.create(
        enterprise=unit,
        name=f"QR装置{n}",
        kind="storage",
        people_exposed=10,
        is_major=True,
        grade=grade,
    )


def new_unit(region: Region, park: ChemicalPark | None = None) -> Enterprise:
    n = next(serial)
    unit = Enterprise(
        name=f"QR单位{n}",
        credit_code=compose("9", "1", region.code[:6], f"QR{n:06d}"),
        region=region,
        chemical_park=park,
        latitude=30 + n / 1000,
        longitude=120 + n / 1000,
    )
    unit.sector_list = ["hazchem"]
    unit.save()
    Person.objects.create(name=f"QR负责人{n}", role="main_responsible", enterprise=unit)
    return unit


def region(world, index: int) -> Region:
    return Region.objects.get(pk=world.regions[SUBS[index % len(SUBS)]])


def login(client, username: str) -> None:
    client.force_login(User.objects.get(username=username))


def many(step: int) -> int:
    return 1 if step == 0 else 3


# --- one unit's inventory ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/enterprises/{id}/risks/",
        "/api/v1/enterprises/{id}/risks",
        "/api/v1/enterprises/{id}/installations",
    ],
)
def test_a_units_inventory_costs_the_same_for_more_rows(client, world, url):
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    login(client, "d1-viewer")

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(many(step)):
            event = chain(unit, level=1 + (step + k) % 4)
            built = installation(unit, grade=1 + k % 4)
            shown.append(built.name if "installations" in url else event.name)
        return shown

    assert_flat(client, url.format(id=unit.pk), grow)


# --- the risk map -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/risk-map/", "/api/v1/risk-map", "region"])
def test_the_risk_map_costs_the_same_for_more_rows(client, world, url):
    login(client, "cityhall-viewer")
    city = Region.objects.get(pk=world.regions["C"])

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(many(step)):
            unit = new_unit(region(world, step + k))
            chain(unit, level=1 + k % 4)
            chain(unit, level=2)
            shown.append(unit.name)
        return shown if url == "region" else []

    target = f"/risk-map/regions/{city.pk}/" if url == "region" else url
    assert_flat(client, target, grow)


# --- chemical parks ---------------------------------------------------------------------------


def _park(world, index: int) -> ChemicalPark:
    n = next(serial)
    park = ChemicalPark.objects.create(name=f"QR园区{n}", region=region(world, index))
    ParkAssessment.objects.create(
        park=park, assessed_on=dt.date(2026, 1, 1), score=70, guide="2023", risk_class="C"
    )
    return park


def test_a_park_page_costs_the_same_for_more_enterprises(client, world):
    login(client, "cityhall-viewer")
    park = _park(world, 0)

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(many(step)):
            unit = new_unit(region(world, step + k), park)
            chain(unit, level=1 + k % 4)
            installation(unit, grade=1 + k % 4)
            shown.append(unit.name)
        return shown

    assert_flat(client, f"/parks/{park.pk}/", grow)


def test_the_park_list_costs_the_same_for_more_parks(client, world):
    login(client, "cityhall-viewer")

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(many(step)):
            park = _park(world, step + k)
            unit = new_unit(park.region, park)
            chain(unit)
            installation(unit, grade=2)
            shown.append(park.name)
        return shown

    assert_flat(client, "/parks/", grow)
