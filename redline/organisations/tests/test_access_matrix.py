"""The generated access matrix: every organisation x role against every page and endpoint
that reads or writes units. Expected visibility comes from the world's description
(tests/world.py), never from the code under test."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from redline.core.models import ChangeLog
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise
from redline.organisations.tests.world import UNIT_SHAPES

pytestmark = pytest.mark.django_db

ORG_KEYS = [
    "cityhall",
    "office",
    "d1",
    "s11",
    "emergency",
    "fire_d1",
    "education",
    "cdc_d2",
    "ent",
    "ent2",
]
CHANGE_ROLES = {"operator", "manager", "admin"}
ARCHIVE_ROLES = {"manager", "admin"}
GOVERNMENT = {k for k in ORG_KEYS if not k.startswith("ent")}
MATRIX = [(org, role) for org in ORG_KEYS for role in ROLES]


def as_user(client, world, org, role):
    from redline.accounts.models import User

    user = User.objects.get(username=world.username(org, role))
    client.force_login(user)
    return user


def names(world, ids):
    return {u.name for u in world.units if u.pk in ids}


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_list_page_shows_exactly_the_jurisdiction(client, world, org, role):
    as_user(client, world, org, role)
    expected = world.visible(org)
    response = client.get("/enterprises/", {"page": 1})
    assert response.status_code == 200
    html = response.content.decode()
    for unit in world.units:
        assert (unit.name in html) == (unit.pk in expected), unit.name
    assert response.context["page"].paginator.count == len(expected)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_detail_pages_answer_404_outside_the_jurisdiction(client, world, org, role):
    as_user(client, world, org, role)
    expected = world.visible(org)
    for unit in world.units:
        status = client.get(f"/enterprises/{unit.pk}/").status_code
        assert status == (200 if unit.pk in expected else 404), (unit.name, status)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_edit_page_404_outside_403_without_role(client, world, org, role):
    as_user(client, world, org, role)
    expected = world.visible(org)
    for unit in world.units:
        status = client.get(f"/enterprises/{unit.pk}/edit/").status_code
        if unit.pk not in expected:
            assert status == 404
        else:
            assert status == (200 if role in CHANGE_ROLES else 403)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_exports_hold_exactly_the_jurisdiction(client, world, org, role):
    as_user(client, world, org, role)
    expected = names(world, world.visible(org))
    response = client.get("/enterprises/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert {row[1] for row in rows} == expected
    response = client.get("/enterprises/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    xlsx_names = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert xlsx_names == expected


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_search_does_not_leak_other_units(client, world, org, role):
    as_user(client, world, org, role)
    expected = world.visible(org)
    for unit in world.units:
        page = client.get("/enterprises/", {"q": unit.name}).context["page"]
        assert page.paginator.count == (1 if unit.pk in expected else 0)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_api_list_and_records(client, world, org, role):
    as_user(client, world, org, role)
    expected = world.visible(org)
    body = client.get("/api/v1/enterprises", {"page_size": 500}).json()
    assert body["count"] == len(expected)
    assert {item["id"] for item in body["items"]} == expected
    for unit in world.units:
        for suffix in ("", "/chain", "/history", "/people"):
            response = client.get(f"/api/v1/enterprises/{unit.pk}{suffix}")
            want = 200 if unit.pk in expected else 404
            assert response.status_code == want, (unit.name, suffix)
            if want == 404:
                assert response.json()["error"]["code"] == "not_found"
                assert unit.name not in response.content.decode()


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_api_writes_are_scoped_and_change_nothing_when_denied(client, world, org, role):
    as_user(client, world, org, role)
    expected = world.visible(org)
    for unit in world.units:
        before = Enterprise.objects.get(pk=unit.pk)
        log_count = ChangeLog.objects.count()
        response = client.patch(
            f"/api/v1/enterprises/{unit.pk}",
            data=json.dumps({"version": before.version, "headcount": before.headcount + 1}),
            content_type="application/json",
        )
        if unit.pk not in expected:
            assert response.status_code == 404
        elif role not in CHANGE_ROLES:
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "permission_denied"
        else:
            assert response.status_code == 200, response.content
        after = Enterprise.objects.get(pk=unit.pk)
        if response.status_code != 200:
            assert after.headcount == before.headcount
            assert after.version == before.version
            assert ChangeLog.objects.count() == log_count
        else:
            assert after.headcount == before.headcount + 1


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_archive_is_for_government_managers_in_jurisdiction(client, world, org, role):
    as_user(client, world, org, role)
    expected = world.visible(org)
    for unit in world.units[:: len(UNIT_SHAPES) - 1]:
        response = client.post(f"/enterprises/{unit.pk}/archive/")
        archived = Enterprise.objects.get(pk=unit.pk).is_archived
        if unit.pk not in expected:
            assert response.status_code == 404
            assert not archived
        elif role in ARCHIVE_ROLES and org in GOVERNMENT:
            assert response.status_code == 302
            assert archived
        else:
            assert response.status_code == 403
            assert not archived


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_registering_a_unit(client, world, org, role):
    """Government operators may register units in their jurisdiction; nobody else."""
    from redline.engines.credit_code import compose

    as_user(client, world, org, role)
    payload = {
        "name": f"新单位-{org}-{role}",
        "credit_code": compose("9", "1", "100100", "NEW00001"),
        "sectors": ["hazchem"],
        "region_id": world.regions["S11"],
    }
    response = client.post("/api/v1/enterprises", data=payload, content_type="application/json")
    created = Enterprise.objects.filter(name=payload["name"]).exists()
    can_see_s11_hazchem = any(
        u.sub == "S11" and "hazchem" in u.sectors for u in world.units if u.pk in world.visible(org)
    )
    if org not in GOVERNMENT or role not in CHANGE_ROLES:
        assert response.status_code == 403
    elif can_see_s11_hazchem:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 422
        assert "region" in response.json()["error"]["fields"]
    assert created == (response.status_code == 201)


def test_anonymous_gets_login_redirect_and_api_401(client, world):
    assert client.get("/enterprises/").status_code == 302
    unit = world.units[0]
    assert client.get(f"/enterprises/{unit.pk}/").status_code == 302
    response = client.get("/api/v1/enterprises")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
