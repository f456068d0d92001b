"""One answer for one record everywhere: for each kind of organisation and each kind of
record, the unit's own record (the API's enterprise detail, the key place's page, the
key-place list) and its epidemic data (counts, signals, series, on pages and in the API)
are all visible or all 404 (absent from lists).

The rule (docs/architecture.md, "The one door"): a record of a unit follows the unit; a
region's own records follow the region (its governments and health authorities). A
department with a mandate over hospitals or fever clinics (the health commission) is a
health authority in the mandate's region, as a CDC is in its own. `SEES` below is written
from that rule, never computed by the code under test."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from redline.engines.credit_code import compose
from redline.epidemic.models import Signal
from redline.epidemic.tests.counts_data import add_users
from redline.epidemic.tests.signal_data import ZONE, calm, condition
from redline.organisations.models import Enterprise, Organisation, Region, SectorMandate

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=ZONE)
CODE = "ili-door"

# The records: key places of each kind with their counts, signal and series; a chemical
# enterprise (a unit that is no key place, with no epidemic data); and a district's own
# (place-less) counts, signal and series.
PLACES = ("nursing", "school", "hospital", "workplace")
RECORDS = (*PLACES, "chemical", "district")
ALL = set(RECORDS)
HEALTH = {"nursing", "school", "hospital", "workplace", "district"}
# What each kind of organisation sees (the city's D1 holds S11 and S12, D2 holds S21):
# nursing = U-S11-nursing, school = U-S21-school, hospital = a hospital in S12,
# workplace = a large workplace in S21 registered in the industry sector,
# chemical = U-S11-hazchem, district = D1's own data.
SEES: dict[str, set[str]] = {
    "cityhall": ALL,  # city government
    "office": ALL,  # city Safety Committee office
    "d1": {"nursing", "hospital", "chemical", "district"},  # district government (D1)
    "s11": {"nursing", "chemical"},  # subdistrict office (S11): no district sums
    "emergency": {"chemical", "workplace"},  # hazchem + industry mandates, city-wide
    "fire_d1": set(),  # fire mandate in D1: none of these units is in its sector
    "education": {"school"},  # schools and kindergartens, city-wide
    "health": HEALTH,  # health commission: hospital + fever-clinic mandates, city-wide
    "cdc_city": HEALTH,  # the city CDC
    "cdc_d2": {"school", "workplace"},  # D2's CDC: D2's key places
    "ent": {"chemical"},  # the chemical enterprise's own account
    "hospital_own": {"hospital"},  # the hospital's own account
}


def _unit(name: str, sub: Region, kind: str, sectors: list[str], serial: int) -> Enterprise:
    unit = Enterprise(
        name=name,
        credit_code=compose("1", "2", sub.code[:6], f"DA{serial:06d}"),
        kind=kind,
        region=sub,
    )
    unit.sector_list = sectors
    unit.save()
    return unit


def _signal(number: str, cond, region: Region, place: Enterprise | None) -> Signal:  # type: ignore[no-untyped-def]
    return Signal.objects.create(
        number=number,
        condition=cond,
        region=region,
        place=place,
        method="ears-c2",
        first_date=TODAY - dt.timedelta(days=1),
        last_date=TODAY - dt.timedelta(days=1),
        count=9,
        opened_at=NOW - dt.timedelta(hours=20),
        verify_due_at=NOW + dt.timedelta(hours=4),
    )


def build(world) -> dict:  # type: ignore[no-untyped-def]
    regions = {key: Region.objects.get(pk=pk) for key, pk in world.regions.items()}
    units = {
        "nursing": Enterprise.objects.get(name="U-S11-nursing"),
        "school": Enterprise.objects.get(name="U-S21-school"),
        "hospital": _unit("D-S12-hospital", regions["S12"], "hospital", ["other"], 1),
        "workplace": _unit("D-S21-workplace", regions["S21"], "large_workplace", ["industry"], 2),
        "chemical": Enterprise.objects.get(name="U-S11-hazchem"),
    }
    health = Organisation.objects.create(
        name="卫健委", kind="department", department_type="health", region=regions["C"]
    )
    for kind in ("hospital", "fever_clinic"):
        SectorMandate.objects.create(department=health, region=regions["C"], unit_kind=kind)
    add_users(health, "health")
    cdc = Organisation.objects.create(name="市疾控", kind="public_health", region=regions["C"])
    add_users(cdc, "cdc_city")
    hospital = units["hospital"]
    own = Organisation.objects.create(
        name=hospital.name, kind="enterprise", region=hospital.region, enterprise=hospital
    )
    add_users(own, "hospital_own")

    cond = condition(CODE)
    signals = {}
    for key in PLACES:
        place = units[key]
        calm(cond, place.region, TODAY - dt.timedelta(days=1), place=place)
        signals[key] = _signal(f"EW-DOOR-{key}", cond, place.region, place)
    calm(cond, regions["D1"], TODAY - dt.timedelta(days=1))
    signals["district"] = _signal("EW-DOOR-district", cond, regions["D1"], None)
    return {"units": units, "signals": signals, "d1": regions["D1"]}


@pytest.fixture(scope="module")
def door(django_db_setup, django_db_blocker, world):  # type: ignore[no-untyped-def]
    """This module's records (rolled back after the module)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build(world)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_table_covers_every_kind_of_organisation(world):
    kinds = {
        "cityhall": "city government",
        "office": "committee office",
        "d1": "district government",
        "s11": "subdistrict office",
        "emergency": "emergency department",
        "fire_d1": "fire department",
        "education": "education department",
        "health": "health commission",
        "cdc_city": "city CDC",
        "cdc_d2": "district CDC",
        "ent": "enterprise",
        "hospital_own": "hospital account",
    }
    assert set(kinds) == set(SEES)


def _visible(response) -> bool:  # type: ignore[no-untyped-def]
    """A detail answers 200 or 404, and nothing else."""
    assert response.status_code in (200, 404), response.status_code
    return response.status_code == 200


@pytest.mark.parametrize("org", list(SEES))
def test_each_record_is_all_visible_or_all_404(client, door, org):
    client.force_login(door_user(org))
    units, signals = door["units"], door["signals"]

    signal_page = {s.pk for s in client.get(reverse("epidemic:signal-list")).context["rows"]}
    signal_api = {
        item["id"] for item in client.get("/api/v1/epidemic/signals?page_size=100").json()["items"]
    }
    for record in RECORDS:
        expected = record in SEES[org]
        answers: dict[str, bool] = {}

        if record in units:
            unit = units[record]
            answers["api enterprise"] = _visible(client.get(f"/api/v1/enterprises/{unit.pk}"))
        if record in PLACES:
            unit = units[record]
            page = client.get(reverse("epidemic:place", args=[unit.pk]))
            answers["place page"] = _visible(page)
            if page.status_code == 200:
                # the place's page shows its counts and its open signal
                answers["counts on its page"] = bool(page.context["recent"])
                answers["signal on its page"] = signals[record] in page.context["signals"]
            listed = client.get(reverse("epidemic:places"), {"q": unit.name})
            answers["place list"] = unit.pk in {p.pk for p in listed.context["page"].object_list}
            counts = client.get("/api/v1/epidemic/counts", {"place": unit.pk})
            answers["counts api"] = counts.json()["count"] > 0
            count_page = client.get(reverse("epidemic:counts"), {"place": unit.pk})
            answers["counts page"] = bool(count_page.context["page"].object_list)
            by_place = client.get("/api/v1/epidemic/signals", {"place": unit.pk}).json()
            answers["signals api by place"] = signals[record].pk in {
                item["id"] for item in by_place["items"]
            }
            series = reverse("epidemic:series-place", args=[CODE, unit.region_id, unit.pk])
            answers["series"] = _visible(client.get(series))
        if record == "chemical":
            # no key place: its unit has no place page for anybody
            assert client.get(reverse("epidemic:place", args=[units[record].pk])).status_code == (
                404
            )
        if record == "district":
            d1 = door["d1"]
            day = (TODAY - dt.timedelta(days=1)).isoformat()
            counts = client.get(
                "/api/v1/epidemic/counts", {"region": d1.code, "from": day, "to": day}
            )
            answers["counts api"] = any(
                item["place"] is None and item["region"]["id"] == d1.pk
                for item in counts.json()["items"]
            )
            series = reverse("epidemic:series", args=[CODE, d1.pk])
            answers["series"] = _visible(client.get(series))
        if record in signals:
            signal = signals[record]
            answers["signal page"] = _visible(
                client.get(reverse("epidemic:signal-detail", args=[signal.pk]))
            )
            answers["signal api"] = _visible(client.get(f"/api/v1/epidemic/signals/{signal.pk}"))
            answers["signal list"] = signal.pk in signal_page
            answers["signal list api"] = signal.pk in signal_api

        wrong = {path: seen for path, seen in answers.items() if seen != expected}
        assert not wrong, f"{org} / {record}: expected {'all' if expected else 'none'}: {wrong}"


def door_user(org: str):  # type: ignore[no-untyped-def]
    from redline.accounts.models import User

    return User.objects.select_related("organisation").get(username=f"{org}-viewer")
