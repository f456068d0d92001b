"""The home dashboard, the change log (page and API) and the notifications cost the same
number of queries with a few rows as with many (STYLE.md); the rows added hang off
different regions, units, actors and records, so an N+1 on any of them shows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from redline.accounts.models import User
from redline.conftest import login
from redline.core.models import ChangeLog, Notification
from redline.core.tests.queries import assert_flat
from redline.engines.credit_code import compose
from redline.epidemic.models import Signal
from redline.epidemic.tests.signal_data import condition
from redline.organisations.models import Enterprise, Region

pytestmark = pytest.mark.django_db

SUBS = ("S11", "S12", "S21", "S22")
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}
serial = itertools.count(1)


def many(step: int) -> int:
    return 1 if step == 0 else 3


def add_everything(world, step: int) -> list[str]:
    """Units of other kinds and sectors, a new mapped community and an open signal, each in
    another subdistrict."""
    now = timezone.now()
    for k in range(many(step)):
        n = next(serial)
        region = Region.objects.get(pk=world.regions[SUBS[(step + k) % 4]])
        community = Region.objects.create(
            code=f"8{n:05d}", name=f"QK社区{n}", level="community", parent=region, boundary=SQUARE
        )
        unit = Enterprise(
            name=f"QK单位{n}",
            credit_code=compose("9", "1", region.code[:6], f"QK{n:06d}"),
            kind=("enterprise", "school", "hospital")[n % 3],
            status=("operating", "suspended")[n % 2],
            region=community,
        )
        unit.sector_list = [("hazchem", "fire", "other")[n % 3]]
        unit.save()
        Signal.objects.create(
            number=f"EW-QK-{n}",
            condition=condition(f"qk-{n}"),
            region=region,
            place=unit if unit.kind == "school" else None,
            method="ears-c2",
            first_date=dt.date(2026, 3, 1),
            last_date=dt.date(2026, 3, 2),
            count=5,
            opened_at=now - dt.timedelta(days=1),
            verify_due_at=now - dt.timedelta(hours=n % 2),
        )
    return []


@pytest.mark.parametrize(
    "username", ["cityhall-viewer", "d1-viewer", "emergency-viewer", "cdc_d2-viewer", "ent-viewer"]
)
def test_the_home_dashboard_costs_the_same_for_more_rows(client, world, username):
    login(client, username)
    assert_flat(client, "/", lambda step: add_everything(world, step))


def add_changes(world, step: int) -> list[str]:
    """Change-log entries by different actors, about records of different units and kinds
    (with ids in their values that the page turns into names)."""
    actors = list(User.objects.filter(username__endswith="-operator").order_by("pk")[:8])
    units = list(Enterprise.objects.order_by("pk")[:12])
    regions = list(Region.objects.order_by("pk")[:6])
    shown = []
    for k in range(many(step)):
        n = next(serial)
        unit = units[(step * 3 + k) % len(units)]
        model = ("organisations.enterprise", "organisations.person", "hazards.hazard")[k % 3]
        ChangeLog.objects.create(
            actor=actors[(step * 3 + k) % len(actors)],
            actor_name="x",
            client=("web", "api")[k % 2],
            action=("update", "create", "state")[k % 3],
            model=model,
            object_id=str(unit.pk),
            object_repr=f"QK记录{n}",
            enterprise=unit,
            before={"region": regions[n % 6].pk, "name": "旧"},
            after={"region": regions[(n + 1) % 6].pk, "name": "新"},
        )
        shown.append(f"QK记录{n}")
    return shown


@pytest.mark.parametrize("url", ["/audit/", "/api/v1/audit"])
@pytest.mark.parametrize("username", ["cityhall-admin", "d1-admin"])
def test_the_change_log_costs_the_same_for_more_entries(client, world, url, username):
    login(client, username)

    def grow(step: int) -> list[str]:
        shown = add_changes(world, step)
        return shown if username.startswith("cityhall") else []

    assert_flat(client, url, grow, params={"q": "QK记录"})


def test_the_notifications_cost_the_same_for_more_of_them(client, world):
    me = User.objects.get(username="d1-manager")
    login(client, "d1-manager")

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(many(step)):
            n = next(serial)
            Notification.objects.create(
                recipient=me,
                key=f"qk-{n}",
                subject=f"QK通知{n}",
                body="—",
                url=f"/hazards/{n}/",
                created_at=timezone.now() - dt.timedelta(minutes=n),
                read_at=timezone.now() if k % 2 else None,
            )
            shown.append(f"QK通知{n}")
        return shown

    assert_flat(client, "/notifications/", grow)
