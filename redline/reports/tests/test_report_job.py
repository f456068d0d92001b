"""The situation report asked for from the web page is written by the jobs machinery, not in
the request: the page checks the request and queues a run (a bad one queues nothing), a retried
request finds its run, the run's file is the command's file for the same user and period, in
the language of the page it was asked from, and only its requester can fetch it."""

from __future__ import annotations

import io
import re

import openpyxl
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from redline.accounts.models import User
from redline.core import jobs
from redline.core.models import JobRun, JobState
from redline.organisations.models import Region
from redline.organisations.vocab import RegionLevel
from redline.reports.figures import Period


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _sheet_values(body: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def test_the_report_file_is_written_by_the_jobs_process_for_its_requester(city, tmp_path):
    period = Period.parse("2026")
    client = _client("city-manager")
    page = client.get(f"/reports/situation/?period={period.code}")
    token = re.search(r'name="token" value="([0-9a-f]+)"', page.content.decode()).group(1)
    form = {"period": period.code, "format": "xlsx", "action": "file", "token": token}

    asked = client.post("/reports/situation/", form)
    assert asked.status_code == 302
    run = JobRun.objects.get()
    assert asked["Location"] == f"/jobs/{run.pk}/"
    assert run.state == JobState.QUEUED and run.kind == "reports.situation"
    # The request answered without writing anything; a retry finds the same run.
    again = client.post("/reports/situation/", form)
    assert again["Location"] == asked["Location"]
    assert JobRun.objects.count() == 1
    listed = client.get("/reports/situation/").content.decode()
    assert f"/jobs/{run.pk}/" in listed

    assert jobs.run_pending() == 1
    run.refresh_from_db()
    assert run.state == JobState.DONE, run.error
    assert run.step == run.steps == 10  # nine sections, then the file
    download = client.get(f"/jobs/{run.pk}/result")
    assert download.status_code == 200
    assert download["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f"situation-{period.code}-all.xlsx" in download["Content-Disposition"]
    # The same file as the command writes for the same user and period.
    path = tmp_path / "cli.xlsx"
    call_command(
        "report", "situation", "--period", period.code, "--format", "xlsx",
        "--output", str(path), "--user", "city-manager", stdout=io.StringIO(),
    )  # fmt: skip
    assert _sheet_values(download.content) == _sheet_values(path.read_bytes())
    assert _sheet_values(download.content)[0][0].startswith("安全生产形势分析")  # zh-Hans

    # Only its requester fetches it.
    assert _client("district-viewer").get(f"/jobs/{run.pk}/result").status_code == 404
    assert _client("district-viewer").get(f"/jobs/{run.pk}/").status_code == 404


def test_a_report_asked_for_in_english_is_written_in_english(city):
    client = _client("city-manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(
        "/reports/situation/",
        {"period": "2026", "format": "xlsx", "action": "file", "token": "en-1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    run = JobRun.objects.get()
    assert run.params["language"] == "en"
    jobs.run_pending()
    run.refresh_from_db()
    rows = _sheet_values(client.get(f"/jobs/{run.pk}/result").content)
    assert "Production safety situation analysis" in rows[0][0]


def test_a_district_users_report_is_its_districts_and_bad_requests_queue_nothing(city):
    client = _client("district-viewer")
    district = User.objects.get(username="district-viewer").organisation.region
    other = Region.objects.filter(level=RegionLevel.DISTRICT).exclude(pk=district.pk).first()
    base = {"period": "2026", "format": "pdf", "action": "file"}
    bad_format = client.post("/reports/situation/", base | {"format": "odt", "token": "a"})
    assert bad_format.status_code == 422
    assert 'id="format-error"' in bad_format.content.decode()
    bad_period = client.post("/reports/situation/", base | {"period": "2026-Q5", "token": "b"})
    assert bad_period.status_code == 422
    assert 'id="period-error"' in bad_period.content.decode()
    outside = client.post("/reports/situation/", base | {"region": other.pk, "token": "c"})
    assert outside.status_code == 404
    assert not JobRun.objects.exists()

    client.post("/reports/situation/", base | {"token": "d"})
    jobs.run_pending()
    run = JobRun.objects.get()
    assert run.state == JobState.DONE, run.error
    assert run.result_name == "situation-2026-all.pdf"
    assert bytes(run.result).startswith(b"%PDF")
    assert str(district) in run.title


def test_the_preview_button_opens_the_preview_of_the_period_and_region(city):
    client = _client("city-manager")
    region = Region.objects.filter(level=RegionLevel.DISTRICT).first()
    answer = client.post(
        "/reports/situation/",
        {"period": "2026-Q1", "region": region.pk, "format": "pdf", "action": "preview"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/reports/situation/?period=2026-Q1&region={region.pk}"
    assert not JobRun.objects.exists()
