"""Fixtures of the treatment-capacity tests: the access-test city (redline/conftest.py
`world`) with two hospitals and a fever clinic added, their accounts, the other district's
government, the first district's CDC and the city health commission; a clock that stands
still; and a helper that submits a report.

Who sees what is written down here from the access rules' description (`Med.sees_unit`,
`Med.sees_region`), not computed by the code under test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.utils import translation

from redline.accounts.models import User
from redline.engines.credit_code import compose
from redline.medical.models import CapacityReport
from redline.medical.services import CapacityReportInput, capacity_report_submit
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Organisation, Region, SectorMandate

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 20)
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=ZONE)

FIGURES = {
    "beds": 100,
    "beds_occupied": 70,
    "icu_beds": 10,
    "icu_occupied": 5,
    "icu_convertible": 5,
    "ventilators": 10,
    "ventilators_in_use": 4,
    "fever_clinic_visits": 20,
    "staff_on_roster": 100,
    "staff_absent": 3,
}

# Units added to the world: key, subdistrict, district, kind.
UNITS = {
    "hosp_a": ("S11", "D1", "hospital"),
    "clinic_a": ("S12", "D1", "fever_clinic"),
    "hosp_b": ("S21", "D2", "hospital"),
}
# Every organisation of the matrix and, for each, the units and the region alerts (by the
# region's key: C, D1, D2) it may see.
VISIBLE: dict[str, tuple[set[str], set[str]]] = {
    "cityhall": ({"hosp_a", "clinic_a", "hosp_b"}, {"C", "D1", "D2"}),
    "office": ({"hosp_a", "clinic_a", "hosp_b"}, {"C", "D1", "D2"}),
    "d1": ({"hosp_a", "clinic_a"}, {"D1"}),
    "d2": ({"hosp_b"}, {"D2"}),
    "s11": ({"hosp_a"}, set()),
    "emergency": (set(), set()),
    "fire_d1": (set(), set()),
    "education": (set(), set()),
    "cdc_d1": ({"hosp_a", "clinic_a"}, {"D1"}),
    "cdc_d2": ({"hosp_b"}, {"D2"}),
    "health": ({"hosp_a", "clinic_a", "hosp_b"}, {"C", "D1", "D2"}),
    "ha": ({"hosp_a"}, set()),
    "hb": ({"hosp_b"}, set()),
    "ent": (set(), set()),
    "ent2": (set(), set()),
}
# Health authorities: who may acknowledge and close alerts (with a writing role).
AUTHORITIES = {"cdc_d1", "cdc_d2", "health"}
# The organisations whose users submit a unit's report: its own account.
OWN = {"ha": "hosp_a", "hb": "hosp_b"}


@dataclass
class Med:
    units: dict[str, int] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)
    orgs: dict[str, int] = field(default_factory=dict)

    def sees_unit(self, org: str, unit: str) -> bool:
        return unit in VISIBLE[org][0]

    def sees_region(self, org: str, region: str) -> bool:
        return region in VISIBLE[org][1]

    def user(self, org: str, role: str) -> User:
        return User.objects.select_related("organisation").get(username=f"{org}-{role}")


@pytest.fixture(autouse=True)
def english():
    """Messages in English, so tests can read them (pages follow Accept-Language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client, settings):
    """Pages in English (they follow the language cookie, not Accept-Language)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def med(world, db) -> Med:
    found = Med(
        regions={"C": world.regions["C"], "D1": world.regions["D1"], "D2": world.regions["D2"]}
    )
    for key, (sub, _district, kind) in UNITS.items():
        region = Region.objects.get(pk=world.regions[sub])
        unit = Enterprise(
            name=f"H-{key}",
            credit_code=compose("1", "2", region.code[:6], f"MD{len(found.units) + 1:06d}"),
            kind=kind,
            region=region,
        )
        unit.sector_list = ["other"]
        unit.save()
        found.units[key] = unit.pk
    for key, info in world.orgs.items():
        found.orgs[key] = info.pk
    district = {d: Region.objects.get(pk=world.regions[d]) for d in ("D1", "D2")}
    city = Region.objects.get(pk=world.regions["C"])
    made = {
        "d2": Organisation.objects.create(name="D2政府", kind="government", region=district["D2"]),
        "cdc_d1": Organisation.objects.create(
            name="D1疾控", kind="public_health", region=district["D1"]
        ),
        "health": Organisation.objects.create(
            name="卫健委", kind="department", department_type="health", region=city
        ),
    }
    for kind in ("hospital", "fever_clinic"):
        SectorMandate.objects.create(department=made["health"], region=city, unit_kind=kind)
    for key, unit_key in OWN.items():
        unit = Enterprise.objects.get(pk=found.units[unit_key])
        made[key] = Organisation.objects.create(
            name=unit.name, kind="enterprise", region=unit.region, enterprise=unit
        )
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(username=f"{key}-{role}", password=password, organisation=org, roles=[role])
            for key, org in made.items()
            for role in ROLES
        ]
    )
    for key, org in made.items():
        found.orgs[key] = org.pk
    return found


def submit(user: Any, unit: int | None = None, day: dt.date = TODAY, key: str = "", **changes):
    """A report of `unit` (default: the user's own) for `day` with FIGURES changed."""
    data = CapacityReportInput.of({"day": day, **FIGURES, **changes}, hospital=unit)
    report, _created = capacity_report_submit(actor=user, data=data, idempotency_key=key)
    return report


def seed_history(unit: int, days: int, end: dt.date = TODAY, **changes: int) -> None:
    """Reports of `unit` for the `days` days before `end`, written directly (a known past)."""
    CapacityReport.objects.bulk_create(
        [
            CapacityReport(
                hospital_id=unit,
                day=end - dt.timedelta(days=n),
                **(FIGURES | changes),
                reported_at=NOW - dt.timedelta(days=n),
            )
            for n in range(1, days + 1)
        ]
    )
