"""The campaign list and a campaign's progress page cost the same number of queries with a
few rows as with many (STYLE.md); the campaigns added cover different sectors and regions,
the records added hang off different units, so an N+1 on any of them shows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine

from redline.campaigns.tests.data import at, build_fire_records, fire_campaign, hazard, task, unit
from redline.conftest import login
from redline.core.tests.queries import assert_flat

pytestmark = pytest.mark.django_db

NOW = "2026-06-15 10:00"
SECTORS = (["fire"], ["hazchem", "industry"], ["construction"], ["fire", "construction"])
SUBS = ("S11", "S12", "S21", "S22")
FIRE_UNITS = [f"U-{s}-{tag}" for s in SUBS for tag in ("fire", "mixed")]
serial = itertools.count(1)


def many(step: int) -> int:
    return 1 if step == 0 else 3


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("username", ["office-viewer", "d1-viewer"])
def test_the_campaign_list_costs_the_same_for_more_campaigns(client, world, username):
    build_fire_records()
    login(client, username)
    district = "D1" if username.startswith("d1") else None

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(many(step)):
            n = next(serial)
            sub = ("S11", "S12")[k % 2] if district else SUBS[(step + k) % 4]
            campaign = fire_campaign(
                name=f"QC专项{n}",
                sectors=SECTORS[(step + k) % 4],
                standards=[] if "fire" not in SECTORS[(step + k) % 4] else ["gb35181-2017"],
                regions=[world.regions[sub]] if k % 2 else [],
            )
            shown.append(campaign.name)
        return shown if district is None else []

    assert_flat(client, "/campaigns/", grow)


@time_machine.travel(NOW, tick=False)
def test_a_campaigns_page_costs_the_same_for_more_records(client, world):
    campaign = fire_campaign()
    login(client, "office-manager")

    def grow(step: int) -> list[str]:
        if step == 0:
            build_fire_records()
            return []
        for k in range(many(step)):
            n = next(serial)
            where = unit(FIRE_UNITS[(step * 3 + k) % len(FIRE_UNITS)])
            hazard(
                where,
                name=f"QC隐患{n}",
                level="major" if k % 2 else "general",
                state=("reported", "closed", "rectifying")[k],
                deadline=dt.date(2026, 5, n % 28 + 1),
                reported_at=at(3, n % 28 + 1),
                closed_at=at(5, 1) if k == 1 else None,
            )
            task(where, at(4, n % 28 + 1), ("normal", "not_inspected")[k % 2])
        return []

    assert_flat(client, f"/campaigns/{campaign.pk}/", grow)
