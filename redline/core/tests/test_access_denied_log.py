"""Denied accesses are logged: one WARNING line on `redline.access.denied` per refused request,
with the user's id, the path and the reason (the door's, or the refusal's code)."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from redline.accounts.models import User
from redline.conftest import login
from redline.core.errors import NotFound, PermissionDenied
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

LOGGER = "redline.access.denied"


def denied(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


def test_a_record_outside_the_jurisdiction(client, world, caplog):
    unit = world.orgs["ent"].arg
    login(client, "ent2-admin")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    path = reverse("enterprise-detail", args=[unit])
    assert client.get(path).status_code == 404
    (line,) = denied(caplog)
    user = User.objects.get(username="ent2-admin")
    assert line.levelno == logging.WARNING
    assert (line.user_id, line.request_path, line.reason) == (
        user.pk,
        path,
        "outside_jurisdiction",
    )
    assert f"user={user.pk} path={path} reason=outside_jurisdiction" in line.getMessage()
    assert "model=organisations.Enterprise" in line.getMessage()


def test_a_record_that_does_not_exist_is_no_denial(client, world, caplog):
    login(client, "ent2-admin")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert client.get(reverse("enterprise-detail", args=[10**9])).status_code == 404
    assert denied(caplog) == []


def test_an_action_the_role_may_not_take(client, world, caplog):
    unit = world.orgs["ent"].arg
    viewer = User.objects.get(username="cityhall-viewer")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert Enterprise.objects.get_for(viewer, "view", pk=unit).pk == unit
    assert denied(caplog) == []  # an allowed read logs nothing
    with pytest.raises(PermissionDenied):
        Enterprise.objects.get_for(viewer, "change", pk=unit)
    (line,) = denied(caplog)
    assert (line.user_id, line.request_path, line.reason) == (
        viewer.pk,
        "-",  # outside a request
        "action_not_allowed:change",
    )


def test_the_door_outside_a_request(world, caplog):
    outsider = User.objects.get(username="ent2-admin")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with pytest.raises(NotFound):
        Enterprise.objects.get_for(outsider, pk=world.orgs["ent"].arg)
    (line,) = denied(caplog)
    assert (line.user_id, line.request_path, line.reason) == (
        outsider.pk,
        "-",
        "outside_jurisdiction",
    )


def test_a_page_s_own_refusal_is_logged_once(client, world, caplog):
    """A view's 403 (not through the door) is logged by the middleware, with its reason;
    a refusal the door logged is not logged again."""
    login(client, "cityhall-viewer")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    path = reverse("enterprise-edit", args=[world.orgs["ent"].arg])
    assert client.get(path).status_code == 403
    (line,) = denied(caplog)
    assert line.request_path == path and line.reason == "action_not_allowed:change"
    caplog.clear()
    path = reverse("accident-new")
    assert client.get(path).status_code == 403
    (line,) = denied(caplog)
    viewer = User.objects.get(username="cityhall-viewer")
    assert (line.user_id, line.request_path, line.reason) == (viewer.pk, path, "PermissionDenied")


def test_an_api_refusal(client, world, caplog):
    unit = world.orgs["ent"].arg
    path = f"/api/v1/enterprises/{unit}/archive"
    body = {"comment": "closed down"}
    login(client, "ent2-admin")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert client.post(path, body, content_type="application/json").status_code == 404
    (line,) = denied(caplog)
    assert (line.request_path, line.reason) == (path, "outside_jurisdiction")
    caplog.clear()
    login(client, "cityhall-viewer")
    assert client.post(path, body, content_type="application/json").status_code == 403
    (line,) = denied(caplog)
    assert (line.request_path, line.reason) == (path, "action_not_allowed:archive")
    assert Enterprise.objects.get(pk=unit).status != "archived"


def test_an_allowed_request_logs_nothing(client, world, caplog):
    login(client, "ent-admin")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert client.get(reverse("enterprise-detail", args=[world.orgs["ent"].arg])).status_code == 200
    assert denied(caplog) == []
