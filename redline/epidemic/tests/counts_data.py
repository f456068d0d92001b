"""Builders for the surveillance-data tests, on top of the access-test world
(redline/organisations/tests/world.py): the catalogue, a D2 government and a key place's own
account, and counts, key-group counts and signals whose visibility each kind of user is
known from this description (never from the code under test).

`epi_data` is built once per test module inside a transaction that is rolled back at the
end of the module (each test runs in a savepoint inside it), like Django's setUpTestData.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from redline.accounts.models import User
from redline.epidemic.models import CaseCount, Condition, KeyGroupCount, Signal, series_key
from redline.epidemic.services import condition_catalogue_load
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Organisation, Region

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=ZONE)
DAY = dt.date(2026, 3, 1)
DISTRICT = {"C": None, "D1": "D1", "D2": "D2", "S11": "D1", "S12": "D1", "S21": "D2", "S22": "D2"}
KEY_PLACES = [f"U-{s}-{tag}" for s in ("S11", "S12", "S21", "S22") for tag in ("school", "nursing")]
PLACE_KIND = {
    name: ("school" if name.endswith("school") else "nursing_home") for name in KEY_PLACES
}
# The kinds of user the access tests walk through (org key of the world or added here).
USERS = ["cityhall", "d1", "d2", "cdc_d2", "education", "place11", "ent"]
WRITERS = {"cdc_d2", "place11"}
WRITE_ROLES = {"operator", "manager", "admin"}


def sees(org: str, region: str, place: str | None) -> bool:
    """Whether a user of `org` may read a record of `region` (and key place `place`)."""
    if org == "cityhall":
        return True
    if org in ("d1", "d2", "cdc_d2"):
        return DISTRICT[region] == {"d1": "D1", "d2": "D2", "cdc_d2": "D2"}[org]
    if org == "education":
        return place is not None and PLACE_KIND[place] == "school"
    if org == "place11":
        return place == "U-S11-school"
    return False


def sees_place(org: str, place: str) -> bool:
    return sees(org, place.split("-")[1], place)


@dataclass
class EpiData:
    regions: dict[str, Region] = field(default_factory=dict)
    places: dict[str, Enterprise] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    # record id -> (region key, place name or None)
    counts: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    groups: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    signals: dict[int, tuple[str, str | None, bool]] = field(default_factory=dict)

    def user(self, org: str, role: str) -> User:
        return User.objects.select_related("organisation").get(username=f"{org}-{role}")


def add_users(org: Organisation, key: str) -> None:
    User.objects.bulk_create(
        [
            User(username=f"{key}-{role}", organisation=org, roles=[role], password="!")
            for role in ROLES
        ]
    )


def build(world) -> EpiData:  # type: ignore[no-untyped-def]
    data = EpiData()
    data.regions = {key: Region.objects.get(pk=pk) for key, pk in world.regions.items()}
    data.places = {p.name: p for p in Enterprise.objects.filter(name__in=KEY_PLACES)}
    condition_catalogue_load()
    data.conditions = {c.code: c for c in Condition.objects.all()}
    d2 = Organisation.objects.create(name="D2政府", kind="government", region=data.regions["D2"])
    add_users(d2, "d2")
    school = data.places["U-S11-school"]
    own = Organisation.objects.create(
        name=school.name, kind="enterprise", region=school.region, enterprise=school
    )
    add_users(own, "place11")

    hfmd = data.conditions["hfmd"]
    fever = data.conditions["fever_respiratory_place"]
    for n, region in enumerate(("S11", "S21", "D1", "D2"), start=1):
        row = count(hfmd, data.regions[region], None, DAY, n)
        data.counts[row.pk] = (region, None)
        group = KeyGroupCount.objects.create(
            region=data.regions[region],
            group="aged_65",
            count=1000 * n,
            as_of=DAY,
            source="户籍登记",
        )
        data.groups[group.pk] = (region, None)
    for n, name in enumerate(KEY_PLACES, start=1):
        place = data.places[name]
        region = name.split("-")[1]
        row = count(fever, place.region, place, DAY, n)
        data.counts[row.pk] = (region, name)
        group = KeyGroupCount.objects.create(
            region=place.region,
            place=place,
            group="residents",
            count=100 + n,
            as_of=DAY,
            source="花名册",
        )
        data.groups[group.pk] = (region, name)
    for n, (name, closed) in enumerate(
        [("U-S11-school", False), ("U-S21-nursing", False), ("U-S11-school", True)], start=1
    ):
        place = data.places[name]
        signal = Signal.objects.create(
            number=f"EW-TEST-{n}",
            condition=data.conditions["fever_respiratory_place" if n != 3 else "gastro_place"],
            region=place.region,
            place=place,
            method="ears-c2",
            first_date=DAY,
            last_date=DAY + dt.timedelta(days=1),
            count=5,
            opened_at=NOW - dt.timedelta(days=8),
            verify_due_at=NOW - dt.timedelta(days=7),
            state="closed" if closed else "new",
        )
        data.signals[signal.pk] = (name.split("-")[1], name, closed)
    return data


def count(
    condition: Condition,
    region: Region,
    place: Enterprise | None,
    day: dt.date,
    value: int,
    *,
    known_from: dt.date | None = None,
) -> CaseCount:
    return CaseCount.objects.create(
        condition=condition,
        region=region,
        place=place,
        series_key=series_key(region.pk, place.pk if place else None),
        day=day,
        count=value,
        known_from=known_from or day,
        recorded_at=NOW,
    )


@pytest.fixture(scope="module")
def epi(django_db_setup, django_db_blocker, world):  # type: ignore[no-untyped-def]
    """The surveillance data of this module's tests (rolled back after the module)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build(world)
        transaction.set_rollback(True)
