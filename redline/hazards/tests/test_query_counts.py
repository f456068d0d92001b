"""The hazard ledger, its export, the dashboard, the task lists and their API lists cost the
same number of queries with a few rows as with many (STYLE.md); the rows added hang off
different units, regions, measures and people, so an N+1 on any of them shows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from redline.accounts.models import User
from redline.campaigns.tests.data import hazard
from redline.core.tests.queries import assert_flat
from redline.hazards.models import InspectionTask
from redline.hazards.tests.factories import measure_with_cycle
from redline.organisations.models import Enterprise, Person

pytestmark = pytest.mark.django_db

# Units of district D1 in different subdistricts, sectors and kinds.
UNITS = ("U-S11-hazchem", "U-S12-fire", "U-S11-mixed", "U-S12-build", "U-S11-school")
serial = itertools.count(1)


def login(client, username: str) -> None:
    client.force_login(User.objects.get(username=username))


def many(step: int) -> int:
    return 1 if step == 0 else 3


def add_hazards(step: int) -> list[str]:
    """Hazards of different units, levels and states (open, closed, overdue)."""
    shown = []
    now = timezone.now()
    for k in range(many(step)):
        n = next(serial)
        unit = Enterprise.objects.select_related("region").get(name=UNITS[(step + k) % 5])
        state = ("reported", "rectifying", "closed")[n % 3]
        made = hazard(
            unit,
            name=f"QH隐患{n}",
            level="major" if n % 2 else "general",
            sector=unit.sector_list[0],
            state=state,
            deadline=timezone.localdate() - dt.timedelta(days=n % 4 - 1),
            reported_at=now - dt.timedelta(hours=n),
            closed_at=now if state == "closed" else None,
        )
        shown.append(made.name)
    return shown


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/hazards/", {"q": "QH隐患"}),
        ("/hazards/", {}),
        ("/hazards/export.xlsx", {}),
        ("/hazards/dashboard/", {}),
        ("/api/v1/hazards", {}),
        ("/api/v1/hazards/dashboard", {}),
    ],
)
@pytest.mark.parametrize("username", ["d1-viewer", "ent-viewer"])
def test_hazard_lists_cost_the_same_for_more_rows(client, world, url, params, username):
    login(client, username)
    own = Enterprise.objects.get(pk=world.orgs["ent"].arg).name

    def grow(step: int) -> list[str]:
        names = add_hazards(step)
        if username.startswith("ent"):
            # A unit's own account sees its own hazards only: add some of its own too.
            names = [
                hazard(
                    Enterprise.objects.select_related("region").get(name=own),
                    name=f"QH隐患本单位{next(serial)}",
                    sector="hazchem",
                    level=("general", "major")[k % 2],
                    reported_at=timezone.now() - dt.timedelta(minutes=k),
                ).name
                for k in range(many(step))
            ]
        listed = url in ("/hazards/", "/api/v1/hazards") and (params or url.startswith("/api"))
        return names if listed else []

    assert_flat(client, url, grow, params=params, check_text=not url.endswith(".xlsx"))


# --- inspection tasks ---------------------------------------------------------------------------


def add_tasks(units: tuple[str, ...], step: int, status: str) -> list[str]:
    """Tasks of different units and measures (each with its own responsible person), due now,
    missed yesterday or done."""
    now = timezone.now()
    shown = []
    for k in range(many(step)):
        n = next(serial)
        unit = Enterprise.objects.get(name=units[(step + k) % len(units)])
        Person.objects.create(
            name=f"QH岗位{n}", role="safety_manager", enterprise=unit, phone=str(n)
        )
        measure, _cycle = measure_with_cycle(unit, name=f"QH{n}")
        measure.responsible = unit.people.order_by("-id").first()
        measure.inspection_content = measure.description = f"QH检查{n}"
        measure.save()
        due = {
            "due": now - dt.timedelta(hours=1),
            "missed": now - dt.timedelta(days=1, hours=n % 20),
        }
        done = status == "done"
        InspectionTask.objects.create(
            measure=measure,
            enterprise=unit,
            due_at=due.get(status, now - dt.timedelta(hours=n % 20 + 2)),
            window_ends_at=now + dt.timedelta(hours=2)
            if status == "due"
            else now - dt.timedelta(hours=n % 20 + 1),
            result="normal" if done else "",
            checked_at=now - dt.timedelta(minutes=30) if done else None,
            recorded_at=now - dt.timedelta(minutes=30) if done else None,
        )
        shown.append(measure.inspection_content)
    return shown


@pytest.mark.parametrize("status", ["due", "missed"])
def test_a_units_own_task_list_costs_the_same_for_more_tasks(client, world, status):
    own = Enterprise.objects.get(pk=world.orgs["ent"].arg).name
    login(client, "ent-operator")
    assert_flat(client, "/tasks/", lambda step: add_tasks((own,), step, status))


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/tasks/", "missed"),
        ("/api/v1/tasks", "missed"),
        ("/api/v1/tasks", "due"),
        ("/enterprises/{id}/tasks/", "missed"),
        ("/enterprises/{id}/tasks/", "done"),
    ],
)
def test_government_task_lists_cost_the_same_for_more_tasks(client, world, url, status):
    login(client, "d1-inspector")
    unit = Enterprise.objects.get(name="U-S12-fire")
    units = (unit.name,) if "{id}" in url else UNITS

    def grow(step: int) -> list[str]:
        shown = add_tasks(units, step, status)
        return [] if status == "done" else shown

    assert_flat(client, url.format(id=unit.pk), grow)


# --- one hazard's timeline and photos -----------------------------------------------------------


@pytest.mark.parametrize("url", ["/hazards/{id}/", "/api/v1/hazards/{id}"])
def test_a_hazards_timeline_costs_the_same_for_more_steps(client, world, url):
    """A long timeline (steps by different people, each with its photos) reads in as many
    queries as a short one."""
    from redline.hazards.models import HazardEvent, Photo

    unit = Enterprise.objects.select_related("region").get(name=UNITS[0])
    made = hazard(
        unit,
        name="QH时间线",
        sector="hazchem",
        state="rectifying",
        deadline=timezone.localdate() + dt.timedelta(days=5),
        reported_at=timezone.now() - dt.timedelta(days=3),
    )
    actors = list(User.objects.filter(username__startswith="d1-").order_by("pk"))
    login(client, "d1-viewer")

    def grow(step: int) -> list[str]:
        shown = []
        for k in range(many(step)):
            n = next(serial)
            actor = actors[n % len(actors)]
            event = HazardEvent.objects.create(
                hazard=made,
                at=timezone.now() - dt.timedelta(hours=50 - n),
                actor=actor,
                actor_name=actor.username,
                organisation_name="QH机构",
                action="comment",
                from_state="rectifying",
                to_state="rectifying",
                comment=f"QH说明{n}",
            )
            Photo.objects.create(
                token=f"qh{n:030d}",
                file=f"evidence/2026/01/qh{n}.jpg",
                content_type="image/jpeg",
                size=10,
                original_name=f"qh{n}.jpg",
                uploaded_by=actor,
                uploaded_at=timezone.now(),
                hazard=made,
                event=event if k % 2 == 0 else None,
            )
            shown.append(f"QH说明{n}")
        return shown

    assert_flat(client, url.format(id=made.pk), grow)
