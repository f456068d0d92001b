"""The key-task list's region and state filters (the cockpit's figures link to them): a
region keeps the tasks reaching it (placed in or above it, or city-wide), a district's user
asking for another district gets a 404, and a bad value is refused naming the filter (422 on
the page, 400 or 422 in the API), never a server error."""

from __future__ import annotations

from typing import Any

import pytest

from redline.committee.models import KeyTask
from redline.committee.tests import build
from redline.conftest import login

pytestmark = pytest.mark.django_db


def _numbers(response: Any) -> set[str]:
    assert response.status_code == 200
    return {task.number for task in response.context["page"]}


def test_the_region_filter_keeps_the_tasks_reaching_the_region(client, world):
    in_d1 = build.deploy(world, title="D1任务", regions=[str(world.regions["S11"])])
    in_d2 = build.deploy(world, title="D2任务", regions=[str(world.regions["D2"])])
    citywide = build.deploy(world, title="全市任务", regions=[])
    ours = {in_d1.number, in_d2.number, citywide.number}
    login(client, build.OFFICE_MANAGER)
    assert ours <= _numbers(client.get("/committee/tasks/"))
    d1 = _numbers(client.get(f"/committee/tasks/?region={world.regions['D1']}")) & ours
    assert d1 == {in_d1.number, citywide.number}
    s21 = _numbers(client.get(f"/committee/tasks/?region={world.regions['S21']}")) & ours
    assert s21 == {in_d2.number, citywide.number}  # placed above the subdistrict
    page = client.get(f"/committee/tasks/?region={world.regions['D1']}")
    shown = page.context["page"].paginator.count
    assert f'id="task-count" data-count="{shown}"' in page.content.decode()
    assert (
        shown
        == KeyTask.objects.exclude(pk=in_d2.pk)
        .filter(pk__in=[t.pk for t in page.context["page"]])
        .count()
    )

    # A district's user: another district is outside the jurisdiction (404, as a region
    # that does not exist).
    login(client, world.username("d1", "viewer"))
    assert client.get(f"/committee/tasks/?region={world.regions['D2']}").status_code == 404
    assert client.get("/committee/tasks/?region=999999").status_code == 404
    api = client.get(f"/api/v1/committee/tasks?region={world.regions['D2']}")
    assert api.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [("state=nonsense", "state"), ("overdue=maybe", "overdue"), ("lead=abc", "lead")],
)
def test_a_bad_filter_is_refused_naming_it(client, world, query, field):
    login(client, build.OFFICE_MANAGER)
    page = client.get(f"/committee/tasks/?{query}")
    assert page.status_code == 422
    assert f'data-field="{field}"' in page.content.decode()
    assert client.get(f"/committee/tasks/export.xlsx?{query}").status_code == 422
    # The API: its schema's own check (400) or the selector's (422), naming the filter.
    api = client.get(f"/api/v1/committee/tasks?{query}")
    assert api.status_code in (400, 422)
    assert field in api.content.decode()
