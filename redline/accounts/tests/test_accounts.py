"""Sign-in protection, cookies, personal API tokens."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from redline.accounts.models import ApiToken, User
from redline.organisations.tests.world import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_has_csrf_and_signs_in(world):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login"))
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("login"),
        {"username": "cityhall-viewer", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert client.get("/enterprises/").status_code == 200


def test_login_without_csrf_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "cityhall-viewer", "password": PASSWORD})
    assert response.status_code == 403


def test_repeated_failures_lock_the_account_out(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "d1-viewer", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "d1-viewer", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/enterprises/").status_code == 302  # still signed out
    # another account is not affected
    response = client.post(reverse("login"), {"username": "d1-operator", "password": PASSWORD})
    assert response.status_code == 302


def test_session_and_csrf_cookies_are_secure_httponly_by_default(settings):
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_tokens_are_issued_used_and_revoked(client, world):
    user = User.objects.get(username="ent-operator")
    client.force_login(user)
    page = client.post(reverse("api-tokens"), {"name": "ERP sync"})
    key = page.context["new_key"]
    assert key.startswith("rl_")
    token = ApiToken.objects.get(user=user)
    assert key not in (token.key_hash, token.hint) and len(token.hint) < len(key)

    machine = Client()
    response = machine.get("/api/v1/enterprises", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["items"]] == ["U-S11-hazchem"]
    me = machine.get("/api/v1/me", headers={"authorization": f"Bearer {key}"}).json()
    assert me["username"] == "ent-operator" and me["level"] == "enterprise"

    client.post(reverse("api-token-revoke", args=[token.pk]))
    response = machine.get("/api/v1/enterprises", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_token_writes_are_audited_as_api_without_csrf(world):
    from redline.core.models import ChangeLog
    from redline.organisations.models import Enterprise

    user = User.objects.get(username="cityhall-operator")
    _token, key = ApiToken.issue(user=user, name="bot")
    unit = Enterprise.objects.get(name="U-S22-build")
    machine = Client(enforce_csrf_checks=True)
    response = machine.patch(
        f"/api/v1/enterprises/{unit.pk}",
        data={"version": unit.version, "address": "新地址1号"},
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    entry = ChangeLog.objects.filter(object_id=str(unit.pk)).latest("id")
    assert entry.actor == user and entry.client == "api"


def test_bad_token_is_401(client, world):
    response = client.get("/api/v1/enterprises", headers={"authorization": "Bearer rl_nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_token_name_is_required(client, world):
    client.force_login(User.objects.get(username="cityhall-viewer"))
    response = client.post(reverse("api-tokens"), {"name": "  "})
    assert response.status_code == 422
    assert response.context["error"]
