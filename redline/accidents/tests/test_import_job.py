"""An import from the web page runs as an on-demand job (`redline.core.spreadsheet.jobs`):
the page queues the file and answers at once with the run's page; the job imports it as the
user who gave it; a bad file fails the run with every problem listed and a workbook of them,
and saves nothing; a retried upload makes no second run; only the uploader sees the run."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from redline.accidents.models import Accident
from redline.accidents.tests import build
from redline.core import jobs
from redline.core.models import JobRun, JobState
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

HEADER = [
    "日期", "时间", "地点", "单位", "类型(GB 6441-2025)", "死亡人数", "重伤人数", "直接经济损失(元)"
]  # fmt: skip


def _upload(rows: list[list[object]]) -> io.BytesIO:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "accidents.xlsx"
    return out


def _client() -> Client:
    client = Client()
    client.force_login(build.user(build.GOVERNMENT_WRITER))
    return client


def test_an_upload_is_queued_then_imported_by_the_jobs_process(world):
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    day = timezone.localdate() - dt.timedelta(days=1)
    client = _client()
    rows = [[day, "08:30", "装置区", unit.credit_code, "WSA10023", 1, 0, 1000]]
    answer = client.post("/accidents/import/", {"file": _upload(rows), "token": "up-1"})
    run = JobRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/jobs/{run.pk}/"
    assert Accident.objects.count() == 0  # the request wrote nothing
    assert bytes(JobRun.objects.values_list("upload", flat=True).get()).startswith(b"PK")
    again = client.post("/accidents/import/", {"file": _upload(rows), "token": "up-1"})
    assert again["Location"] == answer["Location"] and JobRun.objects.count() == 1

    assert jobs.run_pending() == 1
    run.refresh_from_db()
    assert run.state == JobState.DONE, run.summary
    assert Accident.objects.get().place == "装置区"
    assert JobRun.objects.values_list("upload", flat=True).get() is None  # not kept
    page = client.get(f"/jobs/{run.pk}/").content.decode()
    assert 'id="job-imported"' in page and "导入 1 行" in page
    assert 'href="/accidents/import/"' in page
    assert f"/jobs/{run.pk}/" in client.get("/accidents/import/").content.decode()  # listed
    # Only the uploader sees it.
    other = Client()
    other.force_login(build.user("cityhall-operator"))
    assert other.get(f"/jobs/{run.pk}/").status_code == 404


def test_a_bad_file_fails_the_run_listing_every_problem_and_saves_nothing(world):
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    day = timezone.localdate() - dt.timedelta(days=1)
    client = _client()
    rows = [
        [day, "08:30", "装置区", unit.credit_code, "WSA10023", 1, 0, 1000],
        [day, "09:00", "坏行", unit.credit_code, "WSA10023", -1, 0, 0],
        [day, "09:30", "无此单位", "no such unit", "WSA10023", 0, 1, 10],
    ]
    client.post("/accidents/import/", {"file": _upload(rows), "token": "bad-1"})
    jobs.run_pending()
    run = JobRun.objects.get()
    assert run.state == JobState.FAILED
    assert run.error == "文件有 2 处问题，未保存任何数据。", run.summary
    assert [(e["row"], e["column"]) for e in run.summary["errors"]] == [
        (3, "死亡人数 Deaths"),
        (4, "单位 Unit"),
    ]
    assert Accident.objects.count() == 0
    page = client.get(f"/jobs/{run.pk}/").content.decode()
    assert 'id="import-errors"' in page and "死亡人数 Deaths" in page
    problems = client.get(f"/jobs/{run.pk}/result")
    assert problems.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(problems.content)).active
    found = [row[1:3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert found == [(3, "死亡人数 Deaths"), (4, "单位 Unit")]


def test_a_page_without_a_file_or_the_right_to_import_queues_nothing(world):
    client = _client()
    assert client.post("/accidents/import/", {"token": "x"}).status_code == 422
    viewer = Client()
    viewer.force_login(build.user("d1-viewer"))
    upload = _upload([])
    assert viewer.post("/accidents/import/", {"file": upload, "token": "y"}).status_code == 403
    assert not JobRun.objects.exists()
