"""The campaign list's filters (the situation report's "campaigns running" links to them):
region (the campaigns reaching it: placed in or above it, or city-wide) and the days they run
on; a district's user asking for another district gets a 404, and a bad value is refused
naming the filter (422), never a server error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from redline.campaigns.tests.data import fire_campaign
from redline.conftest import login
from redline.core.tests.filters import assert_refused_naming

pytestmark = pytest.mark.django_db


def _names(response: Any) -> set[str]:
    assert response.status_code == 200
    return {head.campaign.name for head in response.context["rows"]}


def test_region_and_running_filters(client, world):
    fire_campaign(name="D1", regions=[world.regions["D1"]])
    fire_campaign(name="S21", regions=[world.regions["S21"]])
    fire_campaign(name="全市", starts_on=dt.date(2026, 7, 1))
    login(client, world.username("cityhall", "viewer"))
    assert _names(client.get("/campaigns/")) == {"D1", "S21", "全市"}
    assert _names(client.get(f"/campaigns/?region={world.regions['D1']}")) == {"D1", "全市"}
    assert _names(client.get(f"/campaigns/?region={world.regions['D2']}")) == {"S21", "全市"}
    assert _names(client.get(f"/campaigns/?region={world.regions['S11']}")) == {"D1", "全市"}
    first_half = "/campaigns/?running_from=2026-01-01&running_to=2026-06-30"
    assert _names(client.get(first_half)) == {"D1", "S21"}
    assert _names(client.get("/campaigns/?running_from=2026-07-01")) == {"D1", "S21", "全市"}
    assert _names(client.get("/campaigns/?running_from=2027-01-01")) == set()

    login(client, world.username("d1", "viewer"))
    assert client.get(f"/campaigns/?region={world.regions['D2']}").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("running_from=yesterday", "running_from"),
        ("running_from=2026-05-01&running_to=2026-04-01", "running_to"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(client, world, query, field):
    login(client, world.username("cityhall", "viewer"))
    assert_refused_naming(client, field, f"/campaigns/?{query}")
