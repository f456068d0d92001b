"""The generated access matrix (STYLE.md "Access tests are generated"): every page of the URL
conf and every operation of the API's OpenAPI document (`routes.py`), with each method it
takes, is refused to an anonymous caller, and every route that names a record answers 404 to a
user outside the record's jurisdiction and 2xx to one inside it, for the same record.

A new page or operation is covered without a test being written: it is refused to anonymous
callers unless it is added to PUBLIC (with its reason), and a new kind of record id in a path
fails `test_every_id_parameter_has_a_record` until PARAMS (or NOT_YET, with a reason) names
how to make one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from redline.core.models import ChangeLog
from redline.core.tests.access_scene import (
    NOT_YET,
    OTHER_VALUES,
    PARAMS,
    Scene,
    build_scene,
    other_value,
    spec_for,
)
from redline.core.tests.routes import Route, every_route, pages

pytestmark = pytest.mark.django_db

ROUTES = every_route()
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"

# Routes that answer anonymous callers (page templates as routes.py writes them), each with
# its reason. An entry that matches no route fails, so the list stays exact.
PUBLIC: dict[str, str] = {
    "/healthz": "the liveness probe (no data, no session)",
    "/readyz": "the readiness probe (no data, no session)",
    "/metrics": "Prometheus metrics, protected by the caller's address (REDLINE_METRICS_ALLOW)",
    "/i18n/setlang/": "the language switch works before sign-in (the login page offers it)",
    "/favicon.ico": "the site's icon",
    "/accounts/login/": "the login page",
    "/accounts/logout/": "signing out (a signed-out caller is sent to the login page)",
    "/api/v1/": "the API's root: a pointer to the documentation, no data",
    "/api/v1/openapi.json": "the API's OpenAPI document (public: it holds no data)",
    "/api/v1/docs": "the API's documentation page, rendered from the OpenAPI document",
    "/report/": "the public hazard report form (anyone may report a hazard)",
    "/report/track/": "the public report's tracking page (by the reporter's secret code)",
    "/public/inspection-plans/{year}/": "a published double-random plan is public (一公开)",
    "/inspections/offline-worker.js": "the phone checklist's service worker script (no data)",
    "/admin/login/": "the admin's login page",
    "/admin/logout/": "the admin's sign-out: a signed-out caller is sent to the admin's login",
}


def _refused_page(route: Route, method: str, response: Any) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    if response.status_code in (301, 302):
        login = ADMIN_LOGIN if route.template.startswith("/admin/") else LOGIN
        return response["Location"].startswith(login)
    return False


FILLER = {"int": 1, "uuid": uuid.UUID(int=1), "slug": "x", "str": "x", "path": "1"}


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker, world, tmp_path_factory) -> Iterator[Scene]:
    """The records every route names, built once for the module in a transaction rolled
    back afterwards."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        yield build_scene(world)
        transaction.set_rollback(True)


def _values(route: Route, scene: Scene) -> dict[str, Any]:
    """Each path parameter's value: the scene's record where the route names one, else a
    value of the right type."""
    values = {}
    for param in route.params:
        other = other_value(route, param.name, scene) if param.name in NON_ID else None
        if other is not None:
            values[param.name] = other
            continue
        spec = spec_for(route, param.name)
        values[param.name] = spec.value(scene) if spec else FILLER[param.kind]
    return values


def _counts() -> tuple[int, ...]:
    from redline.accidents.models import Accident
    from redline.hazards.models import Hazard
    from redline.inspections.models import Inspection
    from redline.organisations.models import Enterprise, Person

    models = (ChangeLog, Enterprise, Person, Hazard, Inspection, Accident)
    return tuple(model.objects.count() for model in models)


ANONYMOUS = [pytest.param(route, id=route.id) for route in ROUTES if route.template not in PUBLIC]


@pytest.mark.parametrize("route", ANONYMOUS)
def test_anonymous_is_refused(client, scene, route):
    url = route.url(_values(route, scene))
    before = _counts()
    for method in route.methods:
        if route.api:
            response = client.generic(method, url, "{}", content_type="application/json")
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.json()["error"]["code"] == "unauthenticated"
        else:
            response = client.generic(method, url)
            where = response.get("Location")
            assert _refused_page(route, method, response), (
                method,
                url,
                response.status_code,
                where,
            )
    assert _counts() == before, url


def test_the_admin_is_for_staff_alone(client, scene):
    """The Django admin has no jurisdiction: it is the staff's (superusers'). A signed-in user
    of the city who is not staff, even one who sees everything, is sent to its login."""
    scene.login(client, "cityhall-admin")
    admin = [r for r in pages() if r.template.startswith("/admin/") and r.template not in PUBLIC]
    assert len(admin) > 20
    for route in admin:
        url = route.url(_values(route, scene))
        response = client.get(url)
        assert _refused_page(route, "GET", response), (url, response.status_code)


def test_public_list_is_exact():
    templates = {route.template for route in ROUTES}
    assert set(PUBLIC) - templates == set()


def test_enumeration_covers_the_url_conf_and_the_api():
    from redline.core.tests.routes import api_paths_in_urlconf, operations

    documented = {route.template for route in operations()}
    # Every API operation the URL conf serves is in the OpenAPI document (none hidden), and
    # the enumeration holds both the pages and the operations.
    assert api_paths_in_urlconf() == documented
    assert len(pages()) > 100
    assert len(documented) > 50


# --- outside the jurisdiction -------------------------------------------------------------

NON_ID = {"action", *OTHER_VALUES}


def _id_params(route: Route) -> list[str]:
    return [p.name for p in route.params if p.name not in NON_ID]


def _jurisdictional(route: Route) -> bool:
    return bool(_id_params(route)) and not route.template.startswith("/admin/")


def test_every_id_parameter_has_a_record():
    missing = sorted(
        {
            f"{route.scope}:{name}"
            for route in ROUTES
            if _jurisdictional(route)
            for name in _id_params(route)
            if spec_for(route, name) is None
        }
    )
    assert missing == [], "add each to PARAMS (or NOT_YET, with its reason) in access_scene.py"
    stale = sorted(set(PARAMS) & set(NOT_YET))
    assert stale == []


JURISDICTION = [
    pytest.param(route, method, id=f"{method} {route.template}")
    for route in ROUTES
    if _jurisdictional(route)
    for method in (route.methods if route.api else ("GET", "POST"))
]


def _decisive(route: Route):
    """The route's most specific record: its last id parameter's spec."""
    names = _id_params(route)
    return spec_for(route, names[-1])


# What the user who sees the record gets where that is not 2xx (GET) or is 404, with the reason.
INSIDE: dict[str, tuple[int, str]] = {
    "/jobs/{run_id}/result": (404, "the scene's run has no result file yet: 404 for its owner too"),
    "/campaigns/{campaign_id}/edit/": (403, "a unit reads a campaign covering it, edits none"),
    "/inspections/{inspection_id}/run/": (
        403,
        "the scene's inspection is completed: no longer run, 403 to its body (not 404)",
    ),
}
NOWHERE = {"int": 2**31 - 1, "uuid": uuid.UUID(int=2**64), "str": "nowhere", "slug": "nowhere"}


@pytest.mark.parametrize(("route", "method"), JURISDICTION)
def test_outside_the_jurisdiction_is_404(client, scene, route, method):
    spec = _decisive(route)
    if spec is None or spec.not_yet:
        pytest.skip(f"NOT_YET: {route.template}")
    values = _values(route, scene)
    url = route.url(values)
    before = _counts()
    scene.login(client, spec.outside)
    response = client.generic(method, url, "{}", content_type="application/json")
    status = response.status_code
    if spec.everyone:
        # Read by every signed-in user by design (the spec's reason): so it stays.
        assert status == 200 if method == "GET" else status != 404, (url, status)
    elif status != 404:
        # Answered before the record is looked up (a malformed body, a method the page does
        # not take, a role that may use none of these records, a GET sent on to the record's
        # page): then the answer must be the one for a record that does not exist.
        decisive = next(p for p in route.params if p.name == _id_params(route)[-1])
        nowhere = route.url(values | {decisive.name: NOWHERE[decisive.kind]})
        other = client.generic(method, nowhere, "{}", content_type="application/json")
        assert status in (302, 400, 403, 405, 422) and other.status_code == status, (url, status)
    assert _counts() == before, url
    scene.login(client, spec.inside)
    response = client.generic(method, url, "{}", content_type="application/json")
    status = response.status_code
    expected = INSIDE.get(route.template, (0, ""))[0]
    if method == "GET":
        login = response.get("Location", "").startswith(LOGIN)
        assert status in (200, 302, 405, expected) and not login, (url, status)
    else:
        # The same request from inside reaches the record (refused for its content, or done).
        assert status != 404 or status == expected, (url, status)
