"""Writing from a declaration: the workbook an import reads -- empty, it is the template;
filled, an export that can be edited and imported again -- with one sheet per table, the
labels as its header, and an instructions sheet (each column's help, then the codes the
reader may use); a CSV template of one table; and an import's problems as a workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from redline.core.spreadsheet.formulas import text_cells
from redline.core.spreadsheet.reading import Spreadsheet
from redline.core.spreadsheet.table import RowError, Table


class ChoiceLabels:
    """The display labels of a model's choice fields, translated once for a whole export:
    `labels(record, "state")` is `record.get_state_display()` (the value itself when it is
    not one of the choices), without Django's per-call work of translating and hashing
    every choice of the field again (most of an export's time at tens of thousands of
    rows)."""

    def __init__(self, model: Any, *fields: str) -> None:
        self.labels = {
            name: {value: str(label) for value, label in model._meta.get_field(name).flatchoices}
            for name in fields
        }

    def __call__(self, record: Any, name: str) -> Any:
        value = getattr(record, name)
        return self.labels[name].get(value, value)


BOLD = Font(bold=True)
GREY = PatternFill("solid", fgColor="E7E9EC")  # columns an export computes
INSTRUCTION_WIDTHS = {"A": 28, "B": 40, "C": 30, "D": 16}


def workbook(
    spreadsheet: Spreadsheet,
    rows: Mapping[Table, Iterable[Mapping[str, Any]]] | None = None,
    *,
    intro: str = "",
    sections: Sequence[tuple[str, Iterable[Sequence[Any]]]] = (),
) -> bytes:
    """The .xlsx: each table's sheet with `rows` (values by column key; formula-like text
    written as text, `text_cells`) under its header; the instructions sheet when the
    spreadsheet names one: `intro`, each table's columns with their help, then each of
    `sections` (a heading and its rows, such as the codes of a vocabulary)."""
    book = Workbook(write_only=True)
    for table in spreadsheet.tables:
        sheet = book.create_sheet(table.name)
        sheet.freeze_panes = "A2"
        header = []
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(column.label) + 4)
            header.append(_cell(sheet, column.label, bold=True, grey=column.computed))
        sheet.append(header)
        for values in (rows or {}).get(table, ()):
            sheet.append(text_cells(sheet, (values.get(c.key, "") for c in table.columns)))
    if spreadsheet.instructions:
        info = book.create_sheet(spreadsheet.instructions)
        for letter, width in INSTRUCTION_WIDTHS.items():
            info.column_dimensions[letter].width = width
        if intro:
            info.append([intro])
        columns = [
            (table.name, [[c.label, str(c.en), str(c.help)] for c in table.read_columns])
            for table in spreadsheet.tables
        ]
        for heading, lines in (*columns, *sections):
            info.append([])
            info.append([_cell(info, heading, bold=True)])
            for line in lines:
                info.append(text_cells(info, line))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problems_workbook(errors: Iterable[RowError]) -> bytes:
    """An import's problems as an .xlsx to keep or pass on: sheet, row, column, problem."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Problems"))
    sheet.freeze_panes = "A2"
    for letter, width in (("A", 28), ("B", 8), ("C", 32), ("D", 80)):
        sheet.column_dimensions[letter].width = width
    sheet.append(
        [_cell(sheet, str(h), bold=True) for h in (_("Sheet"), _("Row"), _("Column"), _("Problem"))]
    )
    for error in errors:
        sheet.append(text_cells(sheet, (error.sheet, error.row, error.column, error.message)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(sheet: Any, value: Any, *, bold: bool, grey: bool = False) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = BOLD
    if grey:
        cell.fill = GREY
    return cell


def csv_template(table: Table) -> bytes:
    """A CSV (UTF-8 with a BOM, for Excel) holding the table's header: the keys of a coded
    table, else the labels."""
    out = io.StringIO()
    header = [c.key if table.coded else c.label for c in table.read_columns]
    csv.writer(out, lineterminator="\r\n").writerow(header)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
