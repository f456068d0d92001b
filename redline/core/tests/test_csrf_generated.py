"""CSRF on every state-changing form, generated from the URL conf: a signed-in user's POST
without the CSRF token is refused (403, the CSRF failure) on every page, and changes nothing;
the few pages that take no token are listed with their reason. A new page is covered
without anyone writing a test for it."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from redline.accounts.models import User
from redline.core.models import ChangeLog
from redline.core.tests.routes import pages

# Pages a POST reaches without a CSRF token, and why that is safe.
EXEMPT = {
    "/healthz": "a probe: GET and HEAD only (405), no session is read",
    "/readyz": "a probe: GET and HEAD only (405), no session is read",
    "/metrics": "Prometheus' scrape: GET only (405), protected by address or token",
}
FILLER = {"int": 1, "uuid": uuid.UUID(int=1), "slug": "x", "str": "x", "path": "1"}
ROUTES = [pytest.param(route, id=route.template) for route in pages()]

pytestmark = pytest.mark.django_db


def _url(route):
    return route.url({p.name: FILLER[p.kind] for p in route.params})


@pytest.fixture
def signed_in(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username=world.username("cityhall", "admin")))
    return client


@pytest.mark.parametrize("route", ROUTES)
def test_a_post_without_the_csrf_token_is_refused(signed_in, route):
    before = ChangeLog.objects.count()
    response = signed_in.post(_url(route), {"name": "x", "title": "x"})
    if route.template in EXEMPT:
        assert response.status_code == 405, (route.template, response.status_code)
    else:
        assert response.status_code == 403, (route.template, response.status_code)
        assert b"CSRF" in response.content, route.template
    assert ChangeLog.objects.count() == before


def test_the_exempt_list_is_exact():
    templates = {route.template for route in pages()}
    assert set(EXEMPT) <= templates, set(EXEMPT) - templates
