"""Builders of the Safety Committee's records in the access-test world, through the services
(as the pages and the API make them).

The world's task: the city Safety Committee office deploys it at a plenary meeting; the city's
emergency department leads it, district D1's fire department cooperates, and it is placed in
district D1. Who sees it, by the world's description: the city government and the office (all
tasks), the emergency and D1 fire departments (named on it), D1's government (its region) and
S11's office (its region lies in D1); not education, the D2 CDC or the units."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from redline.accounts.models import User
from redline.committee import services
from redline.committee.models import KeyTask, Meeting
from redline.committee.vocab import TaskState
from redline.organisations.models import Person
from redline.organisations.tests.world import World

SEES = ("cityhall", "office", "emergency", "fire_d1", "d1", "s11")
LEAD_WRITER = "emergency-operator"
OFFICE_MANAGER = "office-manager"


def user(name: str) -> User:
    return User.objects.get(username=name)


def meeting(title: str = "全市安全生产工作会议", **changes: Any) -> Meeting:
    data = {"title": title, "held_on": timezone.localdate(), "kind": "plenary"} | changes
    return services.meeting_record(actor=user(OFFICE_MANAGER), data=services.MeetingInput.of(data))


def task_data(world: World, **changes: Any) -> dict[str, Any]:
    today = timezone.localdate()
    contact = Person.objects.filter(organisation_id=world.orgs["emergency"].pk).first()
    return {
        "title": "重大事故隐患专项排查整治",
        "lead": world.orgs["emergency"].pk,
        "lead_person": contact.pk if contact else None,
        "cooperating": [str(world.orgs["fire_d1"].pk)],
        "regions": [str(world.regions["D1"])],
        "deadline": today + dt.timedelta(days=120),
        "outcome": "重大事故隐患整改率",
        "target_value": "100",
        "unit": "%",
        "cadence": "monthly",
        "first_report_due": today + dt.timedelta(days=30),
    } | changes


def deploy(world: World, *, at: Meeting | None = None, **changes: Any) -> KeyTask:
    data = task_data(world, **changes)
    if at is not None:
        data["meeting"] = at.pk
    data = {k: v for k, v in data.items() if v is not None}
    return services.key_task_deploy(actor=user(OFFICE_MANAGER), data=services.KeyTaskInput.of(data))


def step(task: KeyTask, actor: str, action: str, **data: Any) -> KeyTask:
    task.refresh_from_db()
    return services.key_task_step(
        actor=user(actor), task_id=task.pk, action=action, version=task.version, data=data
    )


def report(task: KeyTask, actor: str | None = LEAD_WRITER, *, key: str = "", **data: Any) -> Any:
    actor = actor or LEAD_WRITER
    fields = {"text": "本月完成排查企业12家，整改隐患30项。"} | data
    found, _created = services.progress_report_submit(
        actor=user(actor),
        task_id=task.pk,
        data=services.ProgressReportInput.of(fields),
        idempotency_key=key,
    )
    return found


def in_state(world: World, state: str, **changes: Any) -> KeyTask:
    """A task in `state`, taken there by the people whose steps those are."""
    task = deploy(world, **changes)
    if state == TaskState.DEPLOYED:
        return task
    if state == TaskState.CANCELLED:
        return step(task, OFFICE_MANAGER, "cancel", comment="任务调整，并入其他专项。")
    task = step(task, LEAD_WRITER, "start")
    if state == TaskState.IN_PROGRESS:
        return task
    task = step(task, LEAD_WRITER, "report_completion", comment="已全部完成，附整改台账。")
    if state == TaskState.COMPLETION_REPORTED:
        return task
    assert state == TaskState.VERIFIED, state
    return step(task, OFFICE_MANAGER, "verify", comment="核查属实。")
