"""The demo city is deterministic, valid and usable by every demo login."""

from __future__ import annotations

import pytest
from django.db import transaction

from redline.accounts.models import User
from redline.engines.credit_code import is_valid
from redline.organisations import demo
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
            "cdc",
            "enterprise",
            "system",
        }
        assert User.objects.filter(username__in=[e.username for e in logins]).count() == len(logins)
        transaction.set_rollback(True)
    demo.build(seed=7, scale="small", progress=lambda m: None)
    assert snapshot() == first


def test_every_demo_login_sees_what_its_level_promises(client):
    logins = demo.build(seed=1, scale="small", progress=lambda m: None)
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
