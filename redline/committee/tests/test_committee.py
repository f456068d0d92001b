"""A key task end to end through the services: deploying it, reporting progress (and the
same report sent twice), completion that needs the office's verification, and the
schedule of reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from redline.committee import services
from redline.committee.models import KeyTask, ProgressReport
from redline.committee.tests import build
from redline.committee.vocab import Cadence, TaskState, add_months, advance, next_due
from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog, Notification
from redline.hazards.models import Photo
from redline.hazards.tests.factories import JPEG

pytestmark = pytest.mark.django_db


def user(name):
    return build.user(name)


# --- the schedule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 15), 1, dt.date(2026, 2, 15)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 2, 28), 1, dt.date(2026, 3, 31)),  # month ends stay at month ends
        (dt.date(2026, 3, 30), 1, dt.date(2026, 4, 30)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2026, 12, 10), 1, dt.date(2027, 1, 10)),
    ],
)
def test_months_are_added_on_the_calendar(day, months, expected):
    assert add_months(day, months) == expected


def test_a_late_report_answers_the_periods_already_past():
    due = dt.date(2026, 3, 31)
    assert advance(due, Cadence.BIWEEKLY) == dt.date(2026, 4, 14)
    assert advance(due, Cadence.QUARTERLY) == dt.date(2026, 6, 30)
    assert next_due(due, Cadence.MONTHLY, dt.date(2026, 3, 20)) == dt.date(2026, 4, 30)
    # Reported on 10 May for the period due 31 March: the next due is 31 May.
    assert next_due(due, Cadence.MONTHLY, dt.date(2026, 5, 10)) == dt.date(2026, 5, 31)


# --- deploying ---------------------------------------------------------------------------


def test_the_office_deploys_a_task_at_a_meeting(world):
    meeting = build.meeting()
    task = build.deploy(world, at=meeting)
    assert task.number.startswith("AW") and task.state == TaskState.DEPLOYED
    assert task.supervisor == meeting.body and task.meeting == meeting
    assert set(task.cooperating.values_list("pk", flat=True)) == {world.orgs["fire_d1"].pk}
    assert [e.action for e in task.events.all()] == ["deploy"]
    logged = ChangeLog.objects.get(model="committee.KeyTask", object_id=str(task.pk))
    assert logged.action == "create" and logged.after["regions"][0][0] == world.regions["D1"]
    assert task.next_report_due == timezone.localdate() + dt.timedelta(days=30)


@pytest.mark.parametrize(
    "name", ["emergency-manager", "d1-manager", "office-operator", "ent-admin"]
)
def test_only_the_citys_office_and_government_managers_deploy(world, name):
    with pytest.raises(PermissionDenied):
        services.key_task_deploy(
            actor=user(name), data=services.KeyTaskInput.of(build.task_data(world))
        )
    assert not KeyTask.objects.exists()


def test_a_task_names_only_bodies_regions_and_people_that_fit_all_named_at_once(world):
    data = build.task_data(
        world,
        lead=world.orgs["ent"].pk,  # a unit's organisation is no department
        cooperating=["999999"],
        regions=["999999"],
        lead_person=999999,
        meeting=999999,
    )
    with pytest.raises(ValidationFailed) as failure:
        services.key_task_deploy(actor=user("office-manager"), data=services.KeyTaskInput.of(data))
    assert set(failure.value.fields) == {"lead", "cooperating", "regions", "lead_person", "meeting"}
    with pytest.raises(ValidationFailed) as failure:
        services.KeyTaskInput.of(
            build.task_data(world, deadline="2020-01-01", cadence="yearly", target_value="lots")
        )
    assert set(failure.value.fields) == {"deadline", "cadence", "target_value"}


# --- progress reports --------------------------------------------------------------------


def test_the_leads_report_answers_the_period_and_a_cooperators_does_not(world):
    task = build.deploy(world)
    due = task.next_report_due
    build.report(task, "fire_d1-operator", text="配合排查。")
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS  # the first report starts the work
    assert task.next_report_due == due and task.figure is None
    KeyTask.objects.filter(pk=task.pk).update(
        report_overdue_since=timezone.now(), escalation_level=1
    )
    report = build.report(task, figure="35.5")
    task.refresh_from_db()
    assert task.next_report_due == add_months(due, 1)
    assert (task.report_overdue_since, task.escalation_level) == (None, 0)
    assert task.figure == Decimal("35.50") and task.progress == 35.5
    assert report.period_due == due and report.organisation_id == world.orgs["emergency"].pk
    event = task.events.filter(action="report").last()
    assert event.data["period"] == due.isoformat() and event.data["figure"] == "35.50"


def test_a_report_sent_twice_with_the_same_key_is_recorded_once(world):
    task = build.deploy(world)
    first = build.report(task, key="phone-1")
    task.refresh_from_db()
    version, due = task.version, task.next_report_due
    again, created = services.progress_report_submit(
        actor=user(build.LEAD_WRITER),
        task_id=task.pk,
        data=services.ProgressReportInput.of({"text": "重发"}),
        idempotency_key="phone-1",
    )
    assert not created and again.pk == first.pk
    task.refresh_from_db()
    assert (task.version, task.next_report_due) == (version, due)
    assert ProgressReport.objects.filter(task=task).count() == 1
    # Another person's key of the same text is theirs.
    build.report(task, "emergency-manager", key="phone-1")
    assert ProgressReport.objects.filter(task=task).count() == 2


def test_who_may_report(world):
    task = build.deploy(world)
    for name, refusal in (
        ("ent-operator", NotFound),  # units see no task
        ("education-operator", NotFound),  # not named, no region
        ("emergency-viewer", PermissionDenied),  # reads it, may not write
        ("office-manager", PermissionDenied),  # supervises; reports only its own tasks
    ):
        with pytest.raises(refusal):
            build.report(task, name)
    for name in ("emergency-operator", "fire_d1-manager", "d1-operator", "s11-admin"):
        build.report(task, name)
    assert ProgressReport.objects.filter(task=task).count() == 4


def test_no_report_on_a_task_awaiting_verification(world):
    task = build.in_state(world, TaskState.COMPLETION_REPORTED)
    with pytest.raises(Conflict):
        build.report(task)


def test_photos_of_a_report_are_seen_only_by_those_who_see_the_task(
    world, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    task = build.deploy(world)
    report, _created = services.progress_report_submit(
        actor=user(build.LEAD_WRITER),
        task_id=task.pk,
        data=services.ProgressReportInput.of({"text": "附照片"}),
        files=[SimpleUploadedFile("site.jpg", JPEG, content_type="image/jpeg")],
    )
    photo = Photo.objects.get(progress_report=report)
    url = reverse("evidence-photo", args=[photo.token])
    for name, status in (("d1-viewer", 200), ("cityhall-viewer", 200), ("education-viewer", 404)):
        client.force_login(user(name))
        assert client.get(url).status_code == status, name
    with pytest.raises(ValidationFailed):
        services.progress_report_submit(
            actor=user(build.LEAD_WRITER),
            task_id=task.pk,
            data=services.ProgressReportInput.of({"text": "坏文件"}),
            files=[SimpleUploadedFile("x.jpg", b"not an image")],
        )


# --- completion needs the office's verification -----------------------------------------


def test_completion_needs_the_offices_verification(world):
    task = build.in_state(world, TaskState.IN_PROGRESS)
    task = build.step(task, build.LEAD_WRITER, "report_completion", comment="完成", figure="100")
    assert task.state == TaskState.COMPLETION_REPORTED and task.verified_at is None
    final = ProgressReport.objects.get(task=task, final=True)
    assert final.figure == Decimal("100.00")
    told = set(
        Notification.objects.filter(key=f"keytask:{task.pk}:v{task.version}").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"office-manager", "office-viewer"} <= told  # the office hears of it
    assert not any(name.startswith("emergency-") for name in told)
    for name in ("emergency-admin", "fire_d1-manager", "d1-admin", "office-operator"):
        with pytest.raises(PermissionDenied):
            build.step(task, name, "verify")
    task = build.step(task, "office-manager", "return", comment="台账不全")
    assert task.state == TaskState.IN_PROGRESS
    task = build.step(task, build.LEAD_WRITER, "report_completion", comment="已补充")
    task = build.step(task, "cityhall-admin", "verify")
    assert task.state == TaskState.VERIFIED and task.verified_at is not None
    actions = list(task.events.values_list("action", flat=True))
    assert actions[-4:] == ["report_completion", "return", "report_completion", "verify"]


def test_the_lead_body_does_not_verify_its_own_completion(world):
    task = build.deploy(world, lead=world.orgs["office"].pk, lead_person=None)
    task = build.step(task, "office-operator", "report_completion", comment="完成")
    with pytest.raises(PermissionDenied):
        build.step(task, "office-manager", "verify")
    assert build.step(task, "cityhall-manager", "verify").state == TaskState.VERIFIED


def test_cancelling_needs_a_reason(world):
    task = build.deploy(world)
    with pytest.raises(ValidationFailed) as failure:
        build.step(task, "office-manager", "cancel")
    assert set(failure.value.fields) == {"comment"}
    assert build.step(task, "office-manager", "cancel", comment="并入").state == "cancelled"


def test_reports_arrive_in_order_of_time_on_a_moved_clock(world):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
        task = build.deploy(world, first_report_due="2026-03-31", deadline="2026-12-31")
    with time_machine.travel(dt.datetime(2026, 5, 10, 9, tzinfo=dt.UTC), tick=False):
        build.report(task)
    task.refresh_from_db()
    assert task.next_report_due == dt.date(2026, 5, 31)
