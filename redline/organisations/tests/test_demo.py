"""The demo city is deterministic, valid and usable by every demo login."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction

from redline.accounts.models import User
from redline.engines.credit_code import is_valid
from redline.organisations import demo
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Region, SectorMandate
from redline.organisations.vocab import DepartmentType, Sector, UnitKind

pytestmark = pytest.mark.django_db


def demo_units():
    city = Region.objects.get(code=demo.CITY[2])
    return Enterprise.objects.filter(region__path__startswith=city.path)


def snapshot():
    units = demo_units().order_by("credit_code")
    return list(units.values_list("credit_code", "name", "sectors", "region__code"))


def test_same_seed_same_city_and_every_code_valid():
    with transaction.atomic():
        logins = demo.build(seed=7, scale="small", progress=lambda m: None)
        first = snapshot()
        assert len(first) == demo.SCALES["small"].enterprises + demo.SCALES["small"].key_places
        assert all(is_valid(code) for code, *_rest in first)
        units = demo_units()
        for sector in Sector.values:
            assert units.in_sector(sector).exists(), sector
        for kind in UnitKind.values:
            assert units.filter(kind=kind).exists(), kind
        assert units.filter(chemical_park__isnull=False).exists()
        city = Region.objects.get(code=demo.CITY[2])
        assert all(r.boundary for r in Region.objects.subtree(city))
        for dtype in DepartmentType.values:
            assert SectorMandate.objects.filter(department__department_type=dtype).exists(), dtype
        levels = {entry.level for entry in logins}
        assert levels == {
            "city",
            "committee",
            "district",
            "subdistrict",
            "dept",
            "housing",
            "fire",
            "cdc",
            "enterprise",
            "system",
        }
        assert User.objects.filter(username__in=[e.username for e in logins]).count() == len(logins)
        transaction.set_rollback(True)
    demo.build(seed=7, scale="small", progress=lambda m: None)
    assert snapshot() == first


def test_every_demo_login_sees_what_its_level_promises(client, city):
    logins = list(city.values())  # the small demo city, seed 1 (`core.tests.browser.city`)
    total = Enterprise.objects.filter(is_archived=False).count()
    seen = {}
    for entry in logins:
        client.force_login(User.objects.get(username=entry.username))
        seen[entry.level] = client.get("/api/v1/enterprises").json()["count"]
    assert seen["city"] == seen["committee"] == seen["system"] == total
    assert 0 < seen["subdistrict"] < seen["district"] < total
    assert seen["enterprise"] == 1
    assert 0 < seen["dept"] < total
    assert 0 < seen["cdc"] < total


def test_sector_department_logins_see_their_sectors_units_only(client, monkeypatch):
    """Besides emergency management, a sector department can be tried: the city's housing
    and construction department sees the construction units, the fire rescue department
    the fire-safety key units, each and nothing else."""
    monkeypatch.setattr(demo, "STEPS", [])  # the registry and its users are enough here
    logins = demo.build(seed=1, scale="small", progress=lambda m: None)
    units = demo_units().filter(is_archived=False)
    hazchem_only = units.filter(sectors=f",{Sector.HAZARDOUS_CHEMICALS},").first()
    assert hazchem_only is not None
    for level, sector, dtype in (
        ("housing", Sector.CONSTRUCTION, DepartmentType.HOUSING),
        ("fire", Sector.FIRE_KEY_UNITS, DepartmentType.FIRE),
    ):
        names = {e.username for e in logins if e.level == level}
        assert names == {f"{level}-{role}" for role in ROLES}
        theirs = set(units.in_sector(sector).values_list("pk", flat=True))
        assert theirs
        for username in sorted(names):
            user = User.objects.get(username=username)
            assert user.organisation.department_type == dtype
            assert user.organisation.region.code == demo.CITY[2]
            seen = set(Enterprise.objects.restrict(user, "view").values_list("pk", flat=True))
            assert seen == theirs, username
        client.force_login(User.objects.get(username=f"{level}-viewer"))
        assert client.get("/api/v1/enterprises").json()["count"] == len(theirs)
        inside = min(theirs)
        assert client.get(f"/api/v1/enterprises/{inside}").status_code == 200
        assert client.get(f"/api/v1/enterprises/{hazchem_only.pk}").status_code == 404


def test_printed_logins_stand_under_the_organisation_their_record_names(tmp_path, city):
    """`make run` prints the logins (`redline demo --print-logins`) grouped by organisation;
    the later demo steps' logins (hospital, health commission, district CDC) share levels
    with the first ones, and each must still be shown under its own organisation."""
    logins = list(city.values())
    path = tmp_path / "demo-logins.json"
    path.write_text(json.dumps([entry.as_dict() for entry in logins], ensure_ascii=False))
    out = io.StringIO()
    call_command("demo", print_logins=True, logins_file=str(path), stdout=out)
    shown: dict[str, str] = {}  # username -> the organisation it is printed under
    for line in out.getvalue().splitlines():
        if not line.startswith("  "):
            continue
        label, _space, rest = line.strip().partition(" ")
        organisation, _colon, names = rest.strip().rpartition(": ")
        for username in names.split(", "):
            assert username not in shown and username.rsplit("-", 1)[0] == label, line
            shown[username] = organisation
    records = json.loads(path.read_text())
    assert {"hospital-viewer", "health-viewer", "districtcdc-viewer"} <= set(shown)
    assert shown == {entry["username"]: entry["organisation"] for entry in records}
