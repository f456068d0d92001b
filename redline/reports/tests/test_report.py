"""The situation report on the demo city: its figures equal what the dashboards and list
pages show for the same scope (read through their pages' contexts and their selectors), a
district's user gets its district and a 404 for another, and `redline report situation`
writes a PDF of several readable pages (rendered to images here), a .docx and an .xlsx of the
same period with the same numbers. Bad options exit non-zero and write nothing."""

from __future__ import annotations

import io

import openpyxl
import pypdfium2
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation
from docx import Document

from redline.accidents import selectors as accident_selectors
from redline.accounts.models import User
from redline.core.errors import NotFound
from redline.hazards import selectors as hazard_selectors
from redline.organisations.models import Region
from redline.organisations.vocab import RegionLevel
from redline.reports import documents
from redline.reports.figures import Period, compute
from redline.reports.statements import generate
from redline.training import selectors as training_selectors


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _blank(image) -> bool:  # type: ignore[no-untyped-def]
    """A page with (almost) no ink."""
    grey = image.convert("L")
    dark = sum(grey.histogram()[:200])
    return dark < 0.002 * grey.width * grey.height


def test_the_report_equals_the_dashboards_and_is_written_in_three_formats(city, tmp_path):
    today = timezone.localdate()
    period = Period.parse(str(today.year - 1))
    reader = User.objects.get(username="city-manager")
    figures = compute(reader, period)
    values = figures.values()

    # -- the same numbers as the pages show for the same scope -------------------------------
    client = _client("city-manager")
    hazards_page = client.get("/hazards/dashboard/").context["data"]["totals"]
    for name in ("open_general", "open_major", "overdue", "overdue_major", "listed_open"):
        assert values[f"hazards.{name}"] == hazards_page[name], name
    assert values["hazards.closure_rate"] == hazards_page["closure_rate"]
    committee_page = client.get("/committee/").context["data"]
    assert values["committee.total"] == committee_page.total
    assert values["committee.open"] == committee_page.open
    assert values["committee.overdue"] == len(committee_page.overdue)
    listed = client.get(f"/accidents/?year={period.start.year}").context["page"].paginator.count
    assert values["accidents.total"] == listed > 0
    last = client.get(f"/accidents/?year={period.start.year - 1}").context["page"].paginator.count
    assert values["accidents.last_year.total"] == last
    risk_rows = client.get("/risk-map/").context["rows"]
    for level, colour in ((1, "red"), (2, "orange"), (3, "yellow"), (4, "blue")):
        assert values[f"risk.{colour}"] == sum(s.counts[level] for _r, s in risk_rows)
    epidemic_page = client.get("/epidemic/").context["data"]
    assert values["epidemic.signals_open"] == epidemic_page.total_open
    assert values["epidemic.signals_overdue"] == epidemic_page.overdue_count
    rows = training_selectors.compliance(reader, on=figures.as_at)
    assert values["training.people"] == sum(r["people"] for r in rows) > 0
    assert values["training.lacking_certificate"] == sum(r["lacking_certificate"] for r in rows)
    # Reproducible: the same data and period give the same figures.
    assert compute(reader, period).values() == values

    # -- a district's user: its district, the same as the city's view of that district ------
    district_user = User.objects.get(username="district-viewer")
    district = district_user.organisation.region
    mine = compute(district_user, period).values()
    citys_view = compute(reader, period, district.code).values()
    for key in ("accidents.total", "accidents.deaths", "hazards.overdue", "hazards.open_major"):
        assert mine[key] == citys_view[key], key
    assert mine["hazards.overdue"] == hazard_selectors.dashboard(district_user)["totals"]["overdue"]
    district_total = next(
        t
        for t in accident_selectors.tally(reader, period.start, period.end, by="region")
        if t.key == str(district.pk)
    )
    assert mine["accidents.total"] == district_total.accidents
    other = Region.objects.filter(level=RegionLevel.DISTRICT).exclude(pk=district.pk).first()
    assert other is not None
    with pytest.raises(NotFound) as refused:
        compute(district_user, period, other.code)
    assert set(refused.value.fields) == {"region"}
    district_client = _client("district-viewer")
    page = district_client.get(f"/reports/situation/?period={period.code}&region={other.pk}")
    assert page.status_code == 404
    page = district_client.get(f"/reports/situation/?period={period.code}")
    assert page.status_code == 200
    # Besides the published assessment ranking (which names every district), its own only.
    assert other.name not in page.content.decode().split('id="section-assessment"')[0]
    assert district_client.get("/reports/situation/?period=2027-Q7").status_code == 422

    # -- statements cite their figures ------------------------------------------------------
    statements = generate(figures)
    assert statements
    for statement in statements:
        for key, value in statement.refs:
            assert values[key] == value

    # -- the command: PDF, DOCX, XLSX of the same period -------------------------------------
    pdf_path, docx_path, xlsx_path = (tmp_path / f"r.{x}" for x in ("pdf", "docx", "xlsx"))
    for path, fmt in ((pdf_path, "pdf"), (docx_path, "docx"), (xlsx_path, "xlsx")):
        out = io.StringIO()
        call_command(
            "report", "situation", "--period", period.code, "--format", fmt,
            "--output", str(path), "--user", "city-manager", stdout=out,
        )  # fmt: skip
        assert path.exists() and path.stat().st_size > 0

    pdf = pypdfium2.PdfDocument(str(pdf_path))
    assert len(pdf) >= 4
    text = ""
    for number in range(len(pdf)):
        image = pdf[number].render(scale=0.5).to_pil()
        assert not _blank(image), f"page {number + 1} is blank"
        text += pdf[number].get_textpage().get_text_range()
    with translation.override("zh-hans"):
        heading = translation.gettext("Hidden hazards")
    assert heading == "隐患" or "隐患" in heading
    assert heading in text  # Chinese text is text, not pictures of it
    assert str(district) in text
    assert "hazards.overdue" in text  # the notes cite the figures by key

    book = openpyxl.load_workbook(xlsx_path)
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            if len(row) >= 3 and isinstance(row[2], str) and row[2] in values:
                found[row[2]] = row[1]
    assert found["hazards.overdue"] == values["hazards.overdue"]
    assert isinstance(found["accidents.total"], int)
    assert found["accidents.total"] == values["accidents.total"]

    docx = Document(str(docx_path))
    paragraphs = "\n".join(p.text for p in docx.paragraphs)
    for section in figures.sections:
        assert section.title in paragraphs
    assert len(docx.inline_shapes) >= 3  # the charts
    cells = {c.text for t in docx.tables for r in t.rows for c in r.cells}
    assert str(values["accidents.total"]) in cells

    # English on request.
    english = tmp_path / "en.xlsx"
    call_command(
        "report", "situation", "--period", period.code, "--format", "xlsx",
        "--output", str(english), "--language", "en", stdout=io.StringIO(),
    )  # fmt: skip
    book = openpyxl.load_workbook(english)
    assert "Production safety situation analysis" in book.worksheets[0]["A1"].value
    assert "Hidden hazards" in book.sheetnames


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--period", "2027-Q5", "--period"),
        ("--format", "odt", "--format"),
        ("--region", "999999999999", "--region"),
        ("--user", "nobody-here", "--user"),
        ("--language", "fr", "--language"),
    ],
)
def test_bad_options_exit_naming_the_option_and_write_nothing(tmp_path, option, value, named):
    target = tmp_path / "report.pdf"
    options = {"--period": "2027-Q1", "--format": "pdf", option: value}
    arguments = [part for pair in options.items() for part in pair]
    with pytest.raises(CommandError) as failure:
        call_command("report", "situation", *arguments, "--output", str(target))
    assert named in str(failure.value)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_formats_offered():
    assert set(documents.FORMATS) == {"pdf", "docx", "xlsx"}
