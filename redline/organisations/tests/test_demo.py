"""The demo city is deterministic, valid and usable by every demo login."""

from __future__ import annotations

import pytest

from redline.accounts.models import User
from redline.engines.credit_code import is_valid
from redline.organisations import demo
from redline.organisations.models import Enterprise, Organisation, Region, SectorMandate
from redline.organisations.vocab import DepartmentType, Sector, UnitKind

pytestmark = pytest.mark.django_db


def snapshot():
    return list(
        Enterprise.objects.order_by("credit_code").values_list("credit_code", "name", "sectors")
    )


def test_same_seed_same_city_and_every_code_valid(django_db_blocker):
    logins = demo.build(seed=7, scale="small", progress=lambda m: None)
    first = snapshot()
    assert len(first) == demo.SCALES["small"].enterprises + demo.SCALES["small"].key_places
    assert all(is_valid(code) for code, _name, _sectors in first)
    for sector in Sector.values:
        assert Enterprise.objects.in_sector(sector).exists(), sector
    for kind in UnitKind.values:
        assert Enterprise.objects.filter(kind=kind).exists(), kind
    assert Enterprise.objects.filter(chemical_park__isnull=False).exists()
    assert all(r.boundary for r in Region.objects.all())
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
    assert User.objects.count() == len(logins)
    # rebuild from scratch with the same seed: identical
    Organisation.objects.all().update(enterprise=None)
    for model in (User, SectorMandate):
        model.objects.all().delete()
    from redline.organisations.models import ChemicalPark, Person

    Person.objects.all().delete()
    Organisation.objects.all().delete()
    Enterprise.objects.all().delete()
    ChemicalPark.objects.all().delete()
    for region in Region.objects.order_by("-path"):
        region.delete()
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
