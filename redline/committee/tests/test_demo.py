"""The demo's Safety Committee work: this year's conference as a plenary meeting with its key
tasks for the demo departments, reports on cadence, one task verified, one awaiting
verification, and one left unreported past its period, flagged and escalated once."""

from __future__ import annotations

import pytest

from redline.accounts.models import User
from redline.committee.deadlines import key_task_supervision_sweep
from redline.committee.demo import build_committee
from redline.committee.models import KeyTask, Meeting, ProgressReport
from redline.committee.vocab import TaskState
from redline.hazards.models import Photo
from redline.organisations import demo

pytestmark = pytest.mark.django_db


def test_the_demo_holds_the_conference_its_tasks_and_their_supervision(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    demo.build_city(seed=1, scale="small", progress=lambda m: None, steps=[build_committee])
    conference = Meeting.objects.get(kind="plenary")
    assert conference.title.endswith("全市安全生产工作会议") and "审计式" in conference.minutes
    tasks = list(conference.tasks.all())
    assert 6 <= len(tasks) <= 10
    assert all("\u4e00" <= task.title[0] <= "\u9fff" for task in tasks)  # in Chinese
    states = [t.state for t in KeyTask.objects.all()]
    assert states.count(TaskState.VERIFIED) == 1
    assert states.count(TaskState.COMPLETION_REPORTED) == 1
    assert TaskState.DEPLOYED in states and TaskState.IN_PROGRESS in states
    late = KeyTask.objects.filter(report_overdue_since__isnull=False)
    assert late.count() == 1 and late.get().escalation_level == 1
    assert list(late.get().events.values_list("action", flat=True)).count("report_escalate") == 1
    assert key_task_supervision_sweep()["report_escalated"] == 0  # once
    on_time = KeyTask.objects.filter(state=TaskState.IN_PROGRESS, report_overdue_since=None)
    assert on_time.exists()
    reports = ProgressReport.objects.all()
    assert reports.filter(final=False).count() > 10 and reports.filter(final=True).count() == 2
    leads = set(reports.values_list("task__lead_id", flat=True))
    assert set(reports.values_list("organisation_id", flat=True)) - leads  # others report too
    assert Photo.objects.filter(progress_report__isnull=False).exists()
    client.force_login(User.objects.get(username="committee-viewer"))
    page = client.get("/committee/")
    assert page.status_code == 200 and len(page.context["data"].overdue) == 1
    client.force_login(User.objects.get(username="dept-operator"))
    mine = client.get("/api/v1/committee/tasks").json()["count"]
    assert 0 < mine < KeyTask.objects.count()
