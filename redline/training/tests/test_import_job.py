"""The training import from its web page runs as an on-demand job: the page queues the
workbook and answers with the run's page; the job saves the rows as the uploader."""

from __future__ import annotations

import pytest
from django.test import Client

from redline.core import jobs
from redline.core.models import JobRun, JobState
from redline.training.models import TrainingRecord
from redline.training.tests.test_training import _workbook, unit_people, user  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_import_page_queues_the_workbook_and_the_job_saves_it(world, unit_people):  # noqa: F811
    unit, *_ = unit_people
    client = Client()
    client.force_login(user(world, "d1", "operator"))
    row = [unit.credit_code, "甲", "年度再培训", 12, "2025-05-01", "company", "refresher"]
    before = TrainingRecord.objects.count()
    answer = client.post("/training/import/", {"file": _workbook([row], []), "token": "t"})
    run = JobRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/jobs/{run.pk}/"
    assert TrainingRecord.objects.count() == before
    jobs.run_pending()
    run.refresh_from_db()
    assert run.state == JobState.DONE, run.summary
    assert run.summary == {"rows": 1, "errors": []}
    assert TrainingRecord.objects.count() == before + 1
    assert "/training/import/" in client.get(f"/jobs/{run.pk}/").content.decode()
