"""The inspection list's filters (the situation report's and the cockpit's figures link to
them): region (the unit's), the days planned for and the days completed on; a district's
user asking for another district gets a 404, and a bad value is refused naming the filter
(422), never a server error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from redline.conftest import login
from redline.core.tests.filters import assert_refused_naming
from redline.inspections.models import Inspection
from redline.inspections.tests import build

pytestmark = pytest.mark.django_db


def _numbers(response: Any) -> set[str]:
    assert response.status_code == 200
    return {i.number for i in response.context["page"]}


def test_region_and_day_filters(client, world):
    d1 = build.planned(build.Team.of(world, "U-S11-hazchem"))
    d2 = build.planned(build.Team.of(world, "U-S21-hazchem"))
    Inspection.objects.filter(pk=d1.pk).update(planned_on=dt.date(2026, 3, 10))
    Inspection.objects.filter(pk=d2.pk).update(
        planned_on=dt.date(2026, 4, 1),
        completed_at=dt.datetime(2026, 4, 2, 23, 30, tzinfo=timezone.get_current_timezone()),
    )
    ours = {d1.number, d2.number}
    login(client, world.username("cityhall", "viewer"))
    assert ours <= _numbers(client.get("/inspections/"))
    assert _numbers(client.get(f"/inspections/?region={world.regions['D1']}")) & ours == {d1.number}
    march = "/inspections/?planned_from=2026-03-01&planned_to=2026-03-31"
    assert _numbers(client.get(march)) & ours == {d1.number}
    # A moment late on the last day is inside the range (the server's time zone).
    april2 = "/inspections/?completed_from=2026-04-02&completed_to=2026-04-02"
    assert _numbers(client.get(april2)) & ours == {d2.number}
    assert not _numbers(client.get("/inspections/?completed_to=2026-04-01")) & ours
    page = client.get(march)
    count = page.context["page"].paginator.count
    assert f'id="inspection-count" data-count="{count}"' in page.content.decode()

    login(client, world.username("d1", "viewer"))
    assert client.get(f"/inspections/?region={world.regions['D2']}").status_code == 404
    api = client.get(f"/api/v1/inspections?region={world.regions['D2']}")
    assert api.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=nonsense", "state"),
        ("kind=nonsense", "kind"),
        ("planned_from=2026-13-01", "planned_from"),
        ("planned_from=2026-05-01&planned_to=2026-04-01", "planned_to"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(client, world, query, field):
    login(client, world.username("cityhall", "viewer"))
    assert_refused_naming(client, field, f"/inspections/?{query}", f"/api/v1/inspections?{query}")
