"""A client's X-Request-ID is kept only when it is a plain token of at most 64 characters (the
change log's column); anything else is replaced by a fresh id, so an audited write never
fails on it (a 65-character id made every one a 500 on PostgreSQL). The answer carries the id
used, and the change log records it."""

from __future__ import annotations

import json
import re

import pytest

from redline.accounts.models import User
from redline.core.models import ChangeLog
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

FRESH = re.compile(r"[0-9a-f]{32}")


def audited_write(client, world, request_id: str | None):
    """An API edit of a unit by a city operator: one change-log row."""
    client.force_login(User.objects.get(username=world.username("cityhall", "operator")))
    unit = Enterprise.objects.get(pk=world.units[0].pk)
    headers = {} if request_id is None else {"X-Request-ID": request_id}
    before = ChangeLog.objects.count()
    response = client.patch(
        f"/api/v1/enterprises/{unit.pk}",
        data=json.dumps({"version": unit.version, "headcount": unit.headcount + 1}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200, response.content
    assert ChangeLog.objects.count() == before + 1
    return response, ChangeLog.objects.order_by("-id").first()


@pytest.mark.parametrize(
    "given",
    ["a", "req-42", "7f3e.b2_c:d-E", "x" * 64, "0123456789abcdef0123456789abcdef"],
)
def test_a_plain_client_id_is_kept_and_logged(client, world, given):
    response, entry = audited_write(client, world, given)
    assert response["X-Request-ID"] == given
    assert entry.request_id == given


@pytest.mark.parametrize(
    "given",
    [
        "x" * 65,
        "y" * 500,
        "has space",
        "semi;colon",
        "<script>",
        "中文标识",
        "line\tbreak",
        "slash/path",
    ],
)
def test_any_other_client_id_is_replaced_by_a_fresh_one(client, world, given):
    response, entry = audited_write(client, world, given)
    used = response["X-Request-ID"]
    assert used != given and FRESH.fullmatch(used), used
    assert entry.request_id == used


def test_without_a_client_id_each_request_gets_its_own(client, world):
    first, entry = audited_write(client, world, None)
    second, _ = audited_write(client, world, "")
    assert FRESH.fullmatch(first["X-Request-ID"]) and FRESH.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert entry.request_id == first["X-Request-ID"]
