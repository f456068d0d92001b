"""Exports never hand a spreadsheet program a formula to run (CSV/formula injection): text
that starts as a formula would is written as text. In an .xlsx the cell's type says so and the
cell shows the text itself (`text_cells`); a CSV has no types, so such text gets a leading
quote (`quote_formula`), which the readers remove again (`cells.as_text`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell

# What a spreadsheet program would run as a formula when a cell starts with it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def quote_formula(value: Any) -> Any:
    """For CSV: text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in FORMULA_START:
        return "'" + value
    return value


def text_cells(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for `sheet` (write-only or not) in which no text is run as a formula: text
    starting as one would (=, +, -, @, a tab, a carriage return), or already quoted for CSV
    by `quote_formula`, goes in as a text cell showing the text itself, marked (quotePrefix)
    so that editing it in Excel keeps it text. Other values go in as they are."""
    return [_text_safe(sheet, value) for value in values]


def _text_safe(sheet: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value[:1] == "'" and value[1:2] in FORMULA_START:
        value = value[1:]  # quoted for CSV: in a workbook the cell's type says it
    elif not value or value[0] not in FORMULA_START:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would take "=..." for a formula
    cell.quotePrefix = True
    return cell
