"""The hazard ledger's typed filters (state, level, sector, source, overdue, listed, unit and
the day ranges) refuse a bad value naming the filter (422 on the page and in the API), never
silently list every hazard as if the filter had not been given."""

from __future__ import annotations

import pytest

from redline.conftest import login
from redline.core.tests.filters import assert_refused_naming

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=nonsense", "state"),
        ("level=3", "level"),
        ("sector=mining", "sector"),
        ("source=rumour", "source"),
        ("overdue=maybe", "overdue"),
        ("listed=2", "listed"),
        ("unit=x", "unit"),
        ("reported_from=2026-13-01", "reported_from"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(client, world, query, field):
    login(client, world.username("cityhall", "viewer"))
    assert_refused_naming(client, field, f"/hazards/?{query}", f"/api/v1/hazards?{query}")


def test_good_values_are_read(client, world):
    login(client, world.username("cityhall", "viewer"))
    good = ("state=open", "state=not_dismissed", "level=major", "overdue=1", "listed=0")
    for query in (*good, "reported_from=2026-01-01&closed_to=2026-12-31"):
        assert client.get(f"/hazards/?{query}").status_code == 200, query
        assert client.get(f"/api/v1/hazards?{query}").status_code == 200, query
