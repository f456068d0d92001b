"""The registry's list pages, exports and API lists cost the same number of queries with
a few rows as with many (STYLE.md); the rows added hang off different regions, parks,
departments and people, so an N+1 on any of them shows."""

from __future__ import annotations

import itertools

import pytest

from redline.accounts.models import User
from redline.core.models import ChangeLog
from redline.core.tests.queries import assert_flat
from redline.engines.credit_code import compose
from redline.organisations.models import (
    ChemicalPark,
    Enterprise,
    Organisation,
    Person,
    Region,
    SectorMandate,
)

pytestmark = pytest.mark.django_db

SUBS = ("S11", "S12", "S21", "S22")
serial = itertools.count(1)


def _region(world, step: int, subs: tuple[str, ...] = SUBS) -> Region:
    return Region.objects.get(pk=world.regions[subs[step % len(subs)]])


def add_units(world, step: int, subs: tuple[str, ...] = SUBS, show: str = "unit") -> list[str]:
    """One unit in step 0, three more later: each in another subdistrict, with its own park
    and people. Returns the names of the units (or of the parks, or nothing) to be shown."""
    names = []
    for k in range(1 if step == 0 else 3):
        region = _region(world, step + k, subs)
        n = next(serial)
        park = ChemicalPark.objects.create(name=f"QC园区{n}", region=region)
        unit = Enterprise(
            name=f"QC单位{n}",
            credit_code=compose("9", "1", region.code[:6], f"QN{n:06d}"),
            region=region,
            chemical_park=park,
        )
        unit.sector_list = ["hazchem", "fire"]
        unit.save()
        Person.objects.create(name=f"QC负责人{n}", role="main_responsible", enterprise=unit)
        names.append({"unit": unit.name, "park": park.name}.get(show, ""))
    return [name for name in names if name]


def add_parks(world, step: int) -> list[str]:
    return add_units(world, step, show="park")


def add_units_unnamed(world, step: int) -> list[str]:
    """More units where the page shows counts, not names (the region tree)."""
    return add_units(world, step, show="")


def add_regions(world, step: int) -> list[str]:
    names = []
    for k in range(1 if step == 0 else 3):
        n = next(serial)
        parent = _region(world, step + k)
        region = Region.objects.create(
            code=f"9{n:05d}", name=f"QC社区{n}", level="community", parent=parent
        )
        names.append(region.name)
    return names


def add_departments(world, step: int) -> list[str]:
    """Departments in different regions, each with mandates and a contact."""
    names = []
    for k in range(1 if step == 0 else 3):
        n = next(serial)
        region = _region(world, step + k)
        department = Organisation.objects.create(
            name=f"QC部门{n}", kind="department", department_type="emergency", region=region
        )
        SectorMandate.objects.create(department=department, region=region, sector="hazchem")
        SectorMandate.objects.create(department=department, region=region.parent, sector="fire")
        Person.objects.create(
            name=f"QC联系人{n}", role="gov_contact", organisation=department, phone="1"
        )
        names.append(department.name)
    return names


def login(client, username: str) -> None:
    client.force_login(User.objects.get(username=username))


@pytest.mark.parametrize(
    ("url", "params", "grow"),
    [
        ("/enterprises/", {"q": "QC单位"}, add_units),
        ("/enterprises/", {}, add_units),
        ("/api/v1/enterprises", {"q": "QC单位"}, add_units),
        ("/api/v1/chemical-parks", {}, add_parks),
        ("/regions/", {}, add_units_unnamed),
        ("/regions/", {}, add_regions),
        ("/regions/", {}, add_departments),
        ("/api/v1/regions", {}, add_regions),
        ("/api/v1/organisations", {}, add_departments),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_registry_lists_cost_the_same_for_more_rows(client, world, url, params, grow):
    login(client, "cityhall-viewer")
    if url == "/enterprises/" and not params:
        # The first page is full with the world's units: more rows must not cost more.
        assert_flat(client, url, lambda step: (add_units(world, step), [])[1], params=params)
        return
    assert_flat(client, url, lambda step: grow(world, step), params=params)


@pytest.mark.parametrize("url", ["/enterprises/export.csv", "/enterprises/export.xlsx"])
def test_exports_cost_the_same_for_more_rows(client, world, url):
    login(client, "cityhall-viewer")
    assert_flat(
        client,
        url,
        lambda step: add_units(world, step),
        params={"q": "QC单位"},
        check_text=url.endswith(".csv"),
    )


@pytest.mark.parametrize(
    "url", ["/enterprises/", "/api/v1/enterprises", "/api/v1/chemical-parks", "/regions/"]
)
def test_lists_scoped_to_a_district_cost_the_same(client, world, url):
    """A district government (not everything in scope) sees its own rows."""
    login(client, "d1-viewer")
    listed = "enterprises" in url
    assert_flat(
        client,
        url,
        lambda step: add_units(world, step, ("S11", "S12"), "unit" if listed else ""),
        params={"q": "QC单位"} if listed else {},
    )


# --- one unit's people, chain and history ---------------------------------------------------


def _grow_unit(world, unit: Enterprise):
    actors = list(User.objects.filter(username__endswith="-operator").order_by("pk"))

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(1 if step == 0 else 3):
            n = next(serial)
            Person.objects.create(
                name=f"QC岗位{n}", role="post_holder", post="操作工", enterprise=unit
            )
            Person.objects.create(name=f"QC安全{n}", role="safety_manager", enterprise=unit)
            shown.append(f"QC岗位{n}")
            # A supervising department with a contact in another region of the chain.
            region = unit.region if k % 2 else unit.region.parent
            department = Organisation.objects.create(
                name=f"QC监管{n}", kind="department", department_type="fire", region=region
            )
            SectorMandate.objects.create(department=department, region=region, sector="hazchem")
            Person.objects.create(name=f"QC监管人{n}", role="gov_contact", organisation=department)
            ChangeLog.objects.create(
                actor=actors[(step * 3 + k) % len(actors)],
                actor_name="x",
                client="web",
                action="update",
                model="organisations.enterprise",
                object_id=str(unit.pk),
                object_repr=unit.name,
                enterprise=unit,
                before={"address": f"旧{n}"},
                after={"address": f"新{n}"},
            )
        return shown

    return grow


@pytest.mark.parametrize(
    "path", ["/enterprises/{id}/", "/api/v1/enterprises/{id}/people", "chain", "history"]
)
def test_one_units_lists_cost_the_same_for_more_rows(client, world, path):
    unit = Enterprise.objects.select_related("region__parent").get(name="U-S11-hazchem")
    url = {
        "chain": "/api/v1/enterprises/{id}/chain",
        "history": "/api/v1/enterprises/{id}/history",
    }.get(path, path)
    login(client, "cityhall-viewer")
    assert_flat(
        client,
        url.format(id=unit.pk),
        _grow_unit(world, unit),
        check_text=path != "history",
    )


def test_the_sector_vocabulary_costs_a_fixed_number_of_queries(client, world):
    """A fixed list from code: only the session and the user are read, however many units."""
    login(client, "cityhall-viewer")
    queries, text = assert_flat(
        client, "/api/v1/sectors", lambda step: add_units(world, step, show="")
    )
    assert queries == 2 and '"hazchem"' in text
