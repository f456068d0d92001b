"""The guards every API operation shares: an integer the database cannot hold and a parameter
sent twice are refused (422, naming them) and change nothing; a list asked past its end is
empty; a caller who is not signed in gets 401 before any CSRF check, while a signed-in
session's write still needs the CSRF token."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from redline.conftest import login
from redline.core.api import INT_MAX, INT_MIN, api
from redline.hazards.models import Hazard

pytestmark = pytest.mark.django_db

TOO_BIG = str(INT_MAX + 1)  # 9223372036854775808
HUGE = "99999999999999999999"
TOO_SMALL = str(INT_MIN - 1)


def _operations() -> list[tuple[str, str, dict]]:
    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    return [
        (method.upper(), path, operation)
        for path, methods in doc["paths"].items()
        for method, operation in methods.items()
    ]


def _url(path: str) -> str:
    """The path with every path parameter set to 1."""
    return re.sub(r"{[^}]+}", "1", path)


def _paginated() -> list[str]:
    return sorted(
        _url(path)
        for method, path, operation in _operations()
        if method == "GET" and any(p["name"] == "page" for p in operation["parameters"])
    )


def _writes() -> list[tuple[str, str]]:
    return sorted((method, _url(path)) for method, path, _ in _operations() if method != "GET")


def _refused(response, name: str) -> None:
    assert response.status_code == 422, (response.status_code, response.content)
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert name in error["fields"], error


def test_there_are_lists_and_writes_to_check():
    assert len(_paginated()) >= 20 and "/api/v1/tasks" in _paginated()
    assert len(_writes()) >= 30 and ("POST", "/api/v1/hazards") in _writes()


@pytest.mark.parametrize("url", _paginated())
def test_every_list_refuses_a_page_beyond_64_bits_naming_it(client, world, url):
    login(client, "d1-operator")
    _refused(client.get(url, {"page": TOO_BIG}), "page")
    _refused(client.get(url, {"page": TOO_SMALL}), "page")


def test_the_last_64_bit_page_is_an_empty_page(client, world):
    login(client, "d1-operator")
    answer = client.get("/api/v1/enterprises", {"page": str(INT_MAX)})
    assert answer.status_code == 200
    assert answer.json()["items"] == [] and answer.json()["page"] == INT_MAX
    assert answer.json()["count"] > 0


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/tasks", "enterprise"),
        ("/api/v1/epidemic/signals", "place"),
        ("/api/v1/medical/alerts", "hospital"),
        ("/api/v1/chemical-parks", "region"),
        ("/api/v1/hazards", "region"),
        ("/api/v1/regions", "parent"),
        ("/api/v1/training/certificates", "expiring_days"),
    ],
)
def test_a_filter_id_beyond_64_bits_is_refused_naming_it(client, world, url, name):
    login(client, "d1-operator")
    _refused(client.get(url, {name: HUGE}), name)


def test_an_aliased_filter_is_named_as_sent(client, world):
    login(client, "d1-operator")
    answer = client.get("/api/v1/tasks", {"enterprise": "1", "from": "2026-01-01"})
    assert answer.status_code == 200
    _refused(client.get("/api/v1/hazards/dashboard", {"unit": HUGE}), "unit")


def test_a_path_id_beyond_64_bits_is_refused_naming_it(client, world):
    login(client, "d1-operator")
    _refused(client.get(f"/api/v1/hazards/{HUGE}"), "hazard_id")
    _refused(client.get(f"/api/v1/enterprises/{HUGE}/people"), "enterprise_id")


def test_a_body_integer_beyond_64_bits_is_refused_and_creates_nothing(client, world):
    login(client, "d1-inspector")
    before = Hazard.objects.count()
    body = {
        "enterprise": world.units[0].pk,
        "name": "x",
        "description": "y",
        "hazard_type": "equipment",
        "level": "general",
        "photos": [],
        "extra": {"deep": [1, int(HUGE)]},
    }
    answer = client.post("/api/v1/hazards", body, content_type="application/json")
    _refused(answer, "extra.deep.1")
    answer = client.post(
        "/api/v1/hazards", body | {"enterprise": int(HUGE)}, content_type="application/json"
    )
    _refused(answer, "enterprise")
    assert Hazard.objects.count() == before


def test_a_parameter_sent_twice_is_refused_naming_it(client, world):
    login(client, "d1-operator")
    _refused(client.get("/api/v1/chemical-parks?region=1&region=2"), "region")
    _refused(client.get("/api/v1/hazards?level=major&level=general"), "level")
    _refused(client.get("/api/v1/enterprises?page=1&page=2"), "page")
    assert client.get("/api/v1/chemical-parks?region=1").status_code in (200, 404, 422)
    assert client.get(f"/api/v1/chemical-parks?region={world.regions['D1']}").status_code == 200


@pytest.mark.parametrize(("method", "url"), _writes())
def test_an_anonymous_write_is_401_before_the_csrf_check(world, method, url):
    anonymous = Client(enforce_csrf_checks=True)
    answer = anonymous.generic(method, url, "{}", content_type="application/json")
    assert answer.status_code == 401, (url, answer.status_code, answer.content)
    assert answer.json()["error"]["code"] == "unauthenticated"


def test_an_anonymous_read_is_401():
    answer = Client(enforce_csrf_checks=True).get("/api/v1/hazards")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"


def test_a_signed_in_sessions_write_still_needs_csrf(world):
    session = Client(enforce_csrf_checks=True)
    login(session, "d1-inspector")
    before = Hazard.objects.count()
    body = {
        "enterprise": world.units[0].pk,
        "name": "x",
        "description": "y",
        "hazard_type": "equipment",
        "level": "general",
    }
    answer = session.post("/api/v1/hazards", body, content_type="application/json")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"
    assert Hazard.objects.count() == before


def test_a_bad_token_with_no_session_is_401(world):
    anonymous = Client(enforce_csrf_checks=True)
    answer = anonymous.post(
        "/api/v1/hazards", "{}", "application/json", headers={"authorization": "Bearer rl_x"}
    )
    assert answer.status_code == 401


def _dated() -> list[tuple[str, list[str]]]:
    """Each read with day parameters, and their names."""
    found = []
    for method, path, operation in _operations():
        names = [
            p["name"]
            for p in operation["parameters"]
            if p["in"] == "query"
            and any(s.get("format") == "date" for s in [p["schema"], *p["schema"].get("anyOf", [])])
        ]
        if method == "GET" and names:
            found.append((_url(path), names))
    return sorted(found)


@pytest.mark.parametrize(("url", "names"), _dated())
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_calendars_first_and_last_days_are_refused_naming_them(client, world, url, names, day):
    login(client, "cityhall-manager")
    _refused_naming_all(client.get(url, dict.fromkeys(names, day)), names)


def _refused_naming_all(response, names: list[str]) -> None:
    for name in names:
        _refused(response, name)


def test_the_first_and_last_days_taken_are_answered(client, world):
    login(client, "cityhall-manager")
    for day in ("1900-01-01", "2999-12-31"):
        answer = client.get("/api/v1/tasks", {"from": day, "to": day})
        assert answer.status_code == 200, answer.content
    _refused_naming_all(client.get("/api/v1/tasks", {"from": "1899-12-31"}), ["from"])


def test_there_are_day_filters_to_check():
    assert ("/api/v1/tasks", ["from", "to"]) in _dated()
    assert len(_dated()) >= 8
