"""Importing case counts and key-group counts from files: a real .xlsx round trip through the
downloaded template, CSV in UTF-8 and GB18030 with Chinese or code headers, the row-level
error report (nothing saved), a re-imported file recorded once, files that cannot be read,
and who may import."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from redline.core import jobs
from redline.core.models import ChangeLog, JobRun
from redline.core.spreadsheet import reading
from redline.epidemic.imports import INSTRUCTIONS, SHEET_NAMES, import_counts, read_file
from redline.epidemic.models import CaseCount, IngestBatch, KeyGroupCount
from redline.epidemic.tests.counts_data import NOW, USERS, WRITE_ROLES, WRITERS, epi
from redline.organisations.access import ROLES

pytestmark = pytest.mark.django_db
__all__ = ["epi"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def clock(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def totals():
    return (
        CaseCount.objects.count(),
        KeyGroupCount.objects.count(),
        IngestBatch.objects.count(),
        ChangeLog.objects.count(),
    )


def upload(client, content: bytes, name: str):
    """Give the file on the page, let the jobs process run it, and open the run's page (the
    answer of a refused request, as it is)."""
    file = SimpleUploadedFile(
        name, content, content_type=XLSX if name.endswith("x") else "text/csv"
    )
    asked = client.post("/epidemic/counts/import/", {"file": file})
    if asked.status_code != 302:
        return asked
    assert jobs.run_pending() == 1
    response = client.get(asked["Location"])
    response.run = JobRun.objects.get(pk=response.context["run"].pk)
    return response


def workbook(counts: list[list], groups: list[list] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAMES["rows"]
    sheet.append(
        ["疾病/症候群 condition", "地区代码 region", "重点场所 place", "日期 date", "病例数 count"]
    )
    for row in counts:
        sheet.append(row)
    if groups is not None:
        other = book.create_sheet(SHEET_NAMES["groups"])
        other.append(["region", "place", "group", "count", "as_of", "source"])
        for row in groups:
            other.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_xlsx_template_round_trip(client, epi):
    user = epi.user("cdc_d2", "operator")
    client.force_login(user)
    response = client.get("/epidemic/counts/template/counts.xlsx")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [SHEET_NAMES["rows"], SHEET_NAMES["groups"], INSTRUCTIONS]
    codes = [row[0] for row in book[INSTRUCTIONS].iter_rows(values_only=True) if row]
    assert "hfmd" in codes and "aged_65" in codes
    assert epi.regions["S21"].code in codes and epi.regions["S11"].code not in codes
    d2_school = epi.places["U-S21-school"]
    assert d2_school.pk in codes and epi.places["U-S11-school"].pk not in codes

    counts, groups = book[SHEET_NAMES["rows"]], book[SHEET_NAMES["groups"]]
    s21 = epi.regions["S21"].code
    counts.append(["hfmd", s21, None, dt.date(2026, 3, 9), 3])
    counts.append(["手足口病", s21, None, dt.datetime(2026, 3, 8), 2])
    counts.append(
        ["fever_respiratory_place", d2_school.region.code, d2_school.credit_code, "2026-03-09", 7.0]
    )
    groups.append([s21, None, "aged_65", 3100, dt.date(2026, 3, 9), "户籍登记"])
    groups.append(
        [d2_school.region.code, d2_school.pk, "Residents of the place", 640, "2026-03-09", "花名册"]
    )
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()

    response = upload(client, content, "counts.xlsx")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Recorded: 3 new, 0 corrected, 0 unchanged." in text
    assert "Key groups: 2 new, 0 replaced, 0 unchanged." in text
    batch = IngestBatch.objects.get(source="import")
    assert batch.file_name == "counts.xlsx" and batch.rows == 5
    saved = CaseCount.objects.filter(batch=batch).order_by("day", "condition__code")
    assert [(c.condition.code, c.day.isoformat(), c.count, c.place_id) for c in saved] == [
        ("hfmd", "2026-03-08", 2, None),
        ("fever_respiratory_place", "2026-03-09", 7, d2_school.pk),
        ("hfmd", "2026-03-09", 3, None),
    ]
    school_group = KeyGroupCount.objects.get(place=d2_school, group="residents", as_of="2026-03-09")
    assert (school_group.count, school_group.source) == (640, "花名册")

    # The same file again: recorded once.
    before = totals()
    response = upload(client, content, "counts-again.xlsx")
    assert "already recorded" in response.content.decode()
    assert totals() == before


def test_a_file_with_bad_rows_lists_every_problem_and_saves_nothing(client, epi):
    client.force_login(epi.user("cdc_d2", "manager"))
    s21, s11 = epi.regions["S21"].code, epi.regions["S11"].code
    content = workbook(
        [
            ["hfmd", s21, None, "2026-03-09", 3],
            ["hfmd", s21, None, "2026-03-09", 4],
            ["nope", s11, None, "2026-03-20", -1],
        ],
        [[s21, None, "pets", 10, "2026-03-01", ""]],
    )
    before = totals()
    response = upload(client, content, "bad.xlsx")
    assert response.status_code == 200 and response.run.state == "failed"
    found = [(e["sheet"], e["row"], e["column"]) for e in response.run.summary["errors"]]
    assert found == [
        (SHEET_NAMES["rows"], 3, "日期 date"),
        (SHEET_NAMES["rows"], 4, "疾病/症候群 condition"),
        (SHEET_NAMES["rows"], 4, "地区代码 region"),
        (SHEET_NAMES["rows"], 4, "日期 date"),
        (SHEET_NAMES["rows"], 4, "病例数 count"),
        (SHEET_NAMES["groups"], 2, "重点人群 group"),
        (SHEET_NAMES["groups"], 2, "数据来源 source"),
    ]
    html = response.content.decode()
    assert "The file has 7 problems. Nothing was saved." in html
    assert "Row 2 already gives this disease" in html
    assert totals() == before


def test_csv_counts_with_chinese_headers_and_a_title_row(client, epi):
    client.force_login(epi.user("cdc_d2", "operator"))
    s22 = epi.regions["S22"].code
    text = (
        "\ufeff2026年3月 病例日报,,,,\n"
        "疾病/症候群,地区代码,重点场所,日期,病例数\n"
        f"mumps,{s22},,2026/3/9,2\n"
        "\n"
        f"influenza,{s22},,2026-03-09,11\n"
    )
    response = upload(client, text.encode("utf-8"), "daily.csv")
    assert "Recorded: 2 new" in response.content.decode()
    assert CaseCount.objects.filter(region__code=s22, day="2026-03-09").count() == 2


def test_a_gb18030_csv_of_key_groups(client, epi):
    client.force_login(epi.user("cdc_d2", "operator"))
    s22 = epi.regions["S22"].code
    text = "地区代码,重点场所,重点人群,人数,统计日期,数据来源\n"
    text += f"{s22},,unvaccinated,420,2026-03-05,接种登记\n"
    response = upload(client, text.encode("gb18030"), "groups.csv")
    assert "Key groups: 1 new" in response.content.decode()
    assert KeyGroupCount.objects.get(region__code=s22, group="unvaccinated").source == "接种登记"


def test_the_csv_templates(client, epi):
    client.force_login(epi.user("place11", "operator"))
    counts = client.get("/epidemic/counts/template/counts.csv")
    assert counts.content.decode("utf-8-sig").strip() == "condition,region,place,date,count"
    groups = client.get("/epidemic/counts/template/groups.csv")
    assert groups.content.decode("utf-8-sig").strip() == "region,place,group,count,as_of,source"
    assert client.get("/epidemic/counts/template/other.csv").status_code == 404


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", "old .xls workbook"),
        (b"PK\x03\x04garbage", "broken.xlsx", "could not be read"),
        (b"\x00\x01\x02\xff\xfe", "binary.csv", "neither an .xlsx workbook nor a CSV"),
        (b"a,b,c\n1,2,3\n", "other.csv", "No header row found"),
        (b"condition,region,date,count,colour\n", "extra.csv", "Unknown column."),
        (b"condition,region,place,date,count\n", "header-only.csv", "no rows to import"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(client, epi, content, name, message):
    client.force_login(epi.user("cdc_d2", "operator"))
    before = totals()
    response = upload(client, content, name)
    if content:
        assert response.status_code == 200 and response.run.state == "failed"
    else:  # refused by the page's form, nothing queued
        assert response.status_code == 422 and not JobRun.objects.exists()
    assert message in response.content.decode()
    assert totals() == before


def test_a_file_too_large_is_refused(epi, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 10)
    result = import_counts(user=epi.user("cdc_d2", "operator"), file=b"x" * 11)
    assert not result.ok and "larger than" in result.errors[0].message


def test_two_sheets_of_the_same_kind_are_refused():
    book = Workbook()
    for index in range(2):
        sheet = book.active if index == 0 else book.create_sheet(f"more{index}")
        sheet.append(["condition", "region", "place", "date", "count"])
        sheet.append(["hfmd", "1", "", "2026-03-01", 1])
    out = io.BytesIO()
    book.save(out)
    with translation.override("en"):
        _counts, _groups, errors = read_file(out.getvalue())
    assert len(errors) == 1 and "Only one sheet of each kind" in errors[0].message


@pytest.mark.parametrize("org", USERS)
@pytest.mark.parametrize("role", ROLES)
def test_only_submitters_may_import(client, epi, org, role):
    client.force_login(epi.user(org, role))
    allowed = org in WRITERS and role in WRITE_ROLES
    assert client.get("/epidemic/counts/import/").status_code == (200 if allowed else 403)
    template = client.get("/epidemic/counts/template/counts.xlsx").status_code
    assert template == (200 if allowed else 403)
    if allowed:
        return
    before = totals()
    content = workbook([["hfmd", epi.regions["S21"].code, None, "2026-03-09", 3]])
    assert upload(client, content, "x.xlsx").status_code == 403
    assert totals() == before
