"""Reading a ledger: opening the file, finding the header, checking each cell."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from redline.engines.risk_methods import RuleSet
from redline.organisations.exports import FORMULA_START
from redline.risk.spreadsheet.columns import (
    ASSESSMENT_KEYS,
    COLUMN,
    COLUMNS,
    CYCLE_KEYS,
    FACTORS,
    HEADER_SCAN,
    MAX_BYTES,
    MEASURE_KEYS,
    REQUIRED_COLUMNS,
    STAGES,
    Column,
    RowError,
)
from redline.risk.standards import default_rule_set, rule_sets
from redline.risk.vocab import (
    TASK_ITEMS,
    ControlMode,
    CycleUnit,
    DayType,
    ManagementLevel,
    MeasureClass,
    MeasureSubclass,
    Method,
    ObjectKind,
    TaskType,
)

# ---------------------------------------------------------------------------------------
# Reading cells


def _norm(value: Any) -> str:
    """How headers and vocabulary cells are compared: no spaces, no case, no stars."""
    return re.sub(r"[\s*＊]+", "", str(value)).casefold()


HEADERS: dict[str, Column] = {
    _norm(alias): column for column in COLUMNS for alias in (column.zh, column.en, column.label)
}


def _text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", the export's formula quote removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


class _Vocabulary:
    """The codes of a choices class, found by code or by label in any site language."""

    def __init__(self, choices: type[models.Choices]) -> None:
        self.choices = choices
        self.codes = {_norm(value): str(value) for value in choices.values}
        self.labels: dict[str, set[str]] = defaultdict(set)
        for value, label in choices.choices:
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    self.labels[_norm(str(label))].add(str(value))

    def find(self, text: str, within: Callable[[str], bool]) -> set[str]:
        code = self.codes.get(_norm(text))
        found = {code} if code else self.labels.get(_norm(text), set())
        return {value for value in found if within(value)}

    def shown(self, within: Callable[[str], bool]) -> str:
        return ", ".join(
            f"{value} ({label})" for value, label in self.choices.choices if within(str(value))
        )


@cache
def _vocabularies() -> dict[str, _Vocabulary]:
    return {
        "object_kind": _Vocabulary(ObjectKind),
        "method": _Vocabulary(Method),
        "measure_class": _Vocabulary(MeasureClass),
        "measure_subclass": _Vocabulary(MeasureSubclass),
        "control_mode": _Vocabulary(ControlMode),
        "management_level": _Vocabulary(ManagementLevel),
        "cycle_unit": _Vocabulary(CycleUnit),
        "day_type": _Vocabulary(DayType),
        "task_type": _Vocabulary(TaskType),
    }


def _anything(_code: str) -> bool:
    return True


TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


class _Row:
    """One data row of the sheet; every reader records its own errors and returns None
    for a cell it cannot read, "" for an empty optional cell."""

    def __init__(self, number: int, cells: dict[str, Any], errors: list[RowError]) -> None:
        self.excel_row = number
        self.cells = cells
        self.errors = errors

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.excel_row, COLUMN[key].label, message))

    def text(self, key: str) -> str:
        value = self.cells.get(key)
        if key == "measure_subclass" and isinstance(value, dt.date):
            return f"{value.month}-{value.day}"  # Excel turns a typed 1-1 into 1 January
        return _text(value)

    def filled(self, key: str) -> bool:
        return self.text(key) != ""

    def required(self, key: str) -> str:
        text = self.text(key)
        if not text:
            self.error(key, _("This cell is required."))
        return text

    def choice(
        self, key: str, *, required: bool = True, within: Callable[[str], bool] = _anything
    ) -> str | None:
        text = self.text(key)
        if not text:
            if required:
                self.error(key, _("This cell is required."))
                return None
            return ""
        vocabulary = _vocabularies()[key]
        found = vocabulary.find(text, within)
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            self.error(key, _("“%(value)s” is ambiguous here: give the code.") % {"value": text})
        elif vocabulary.find(text, _anything):
            self.error(key, _("This sub-class belongs to another class."))
        else:
            self.error(
                key,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": vocabulary.shown(within)},
            )
        return None

    def number(self, key: str) -> float | None:
        value = self.cells.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        text = self.text(key)
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            self.error(key, _("Give a number."))
            return None

    def integer(self, key: str, *, minimum: int = 1) -> int | None:
        number = self.number(key)
        if number is None:
            return None
        if not number.is_integer() or number < minimum:
            self.error(key, _("Give a whole number from %(minimum)d.") % {"minimum": minimum})
            return None
        return int(number)

    def time(self, key: str) -> dt.time | None:
        value = self.cells.get(key)
        if isinstance(value, dt.datetime):
            return value.time().replace(second=0, microsecond=0)
        if isinstance(value, dt.time):
            return value.replace(second=0, microsecond=0)
        if isinstance(value, float) and 0 <= value < 1:  # a time typed as a day's fraction
            minutes = round(value * 24 * 60)
            return dt.time(minutes // 60 % 24, minutes % 60)
        text = self.text(key)
        if not text:
            return None
        match = TIME.match(text)
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return dt.time(int(match[1]), int(match[2]))
        self.error(key, _("Give a time as HH:MM."))
        return None


# ---------------------------------------------------------------------------------------
# Opening the file


class _Rejected(Exception):
    """A file that cannot be read as a ledger at all."""


def _grid(file: Any) -> list[list[Any]]:
    """The first sheet's values, merged cells filled from their top-left cell."""
    if file is None:
        raise _Rejected(_("Choose an .xlsx file to import."))
    data = file if isinstance(file, bytes) else file.read(MAX_BYTES + 1)
    if not data:
        raise _Rejected(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _Rejected(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _Rejected(
            _("This is an old .xls workbook. Save it as .xlsx (Excel 2007 or later) first.")
        )
    if data[:4] != b"PK\x03\x04":
        raise _Rejected(_("This is not an Excel .xlsx workbook."))
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
        sheet = book.worksheets[0]
        grid = [list(row) for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)]
        for merged in sheet.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    grid[r - 1][c - 1] = value
    except Exception:  # an untrusted file: whatever breaks the reader, the file is unusable
        raise _Rejected(_("The workbook could not be read. Is it a valid .xlsx file?")) from None
    return grid


def _header(grid: list[list[Any]]) -> tuple[int, dict[int, Column], list[RowError]]:
    """The header row's index, the column of each cell index, and the header's errors."""
    for index, cells in enumerate(grid[:HEADER_SCAN]):
        if not any(_norm(_text(value)) in HEADERS for value in cells):
            continue
        number, errors = index + 1, []
        columns: dict[int, Column] = {}
        for position, value in enumerate(cells):
            text = _text(value)
            if not text:
                continue
            column = HEADERS.get(_norm(text))
            if column is None:
                errors.append(RowError(number, text, _("Unknown column.")))
            elif any(c.key == column.key for c in columns.values()):
                errors.append(RowError(number, column.label, _("This column appears twice.")))
            else:
                columns[position] = column
        present = {column.key for column in columns.values()}
        for key in REQUIRED_COLUMNS:
            if key not in present:
                errors.append(RowError(number, COLUMN[key].label, _("This column is missing.")))
        return index, columns, errors
    raise _Rejected(
        _("No header row found: the first rows must name the columns, e.g. “%(label)s”.")
        % {"label": COLUMN["object"].label}
    )


# ---------------------------------------------------------------------------------------
# Reading rows (no database)


@dataclass
class _Line:
    row: int
    object: str
    kind: str | None  # "" when not given, None when unreadable
    unit: str
    event: str
    assessment: dict[str, Any] | None  # by column key: method, rule_set, factors
    measure: dict[str, Any] | None  # service data; responsible as a name; cycle


def _line(row: _Row) -> _Line:
    line = _Line(
        row=row.excel_row,
        object=row.required("object"),
        kind=row.choice("object_kind", required=False),
        unit=row.text("unit"),
        event=row.text("event"),
        assessment=None,
        measure=None,
    )
    if line.event and not line.unit:
        row.error("unit", _("Give the analysis unit of the risk event."))
    has_assessment = any(row.filled(key) for key in ASSESSMENT_KEYS)
    has_measure = any(row.filled(key) for key in MEASURE_KEYS + CYCLE_KEYS)
    if line.event:
        line.assessment = _assessment(row)
    elif has_assessment or has_measure:
        row.error("event", _("Give the risk event these cells belong to."))
    if line.event and has_measure:
        line.measure = _measure(row)
    return line


def _rule_set(text: str) -> RuleSet | None:
    return next((r for r in rule_sets().values() if r.id.casefold() == text.casefold()), None)


def _assessment(row: _Row) -> dict[str, Any]:
    method = row.choice("method")
    values: dict[str, Any] = {"method": method, "rule_set": ""}
    text = row.text("rule_set")
    if text:
        rule_set = _rule_set(text)
        if rule_set is None:
            row.error("rule_set", _("No such rule set: %(id)s.") % {"id": text})
        elif method and rule_set.method != method:
            row.error(
                "rule_set",
                _("Rule set %(id)s is for %(its)s, not %(method)s.")
                % {"id": rule_set.id, "its": rule_set.method, "method": method},
            )
        else:
            values["rule_set"] = rule_set.id
    names = tuple(default_rule_set(method).factors) if method else ()
    for stage in STAGES:
        keys = {name: f"{stage}_{name}" for name in FACTORS}
        for name, key in keys.items():
            values[key] = row.number(key)
            if method and name not in names and row.filled(key):
                message = _("%(method)s has no factor %(factor)s.")
                row.error(key, message % {"method": method, "factor": name})
        if not method:
            continue
        missing = [name for name in names if not row.filled(keys[name])]
        if stage == "inherent":
            for name in missing:
                row.error(keys[name], _("The inherent risk must be assessed: give this factor."))
        elif missing and len(missing) < len(names):
            for name in missing:
                row.error(keys[name], _("Give every residual factor of the method, or none."))
    return values


def _measure(row: _Row) -> dict[str, Any]:
    klass = row.choice("measure_class")
    subclass = row.choice(
        "measure_subclass", within=lambda code: not klass or code.startswith(f"{klass}-")
    )
    mode = row.choice("control_mode")
    data: dict[str, Any] = {
        "description": row.required("measure"),
        "measure_class": klass,
        "measure_subclass": subclass,
        "control_mode": mode,
        "management_level": row.choice("management_level"),
        "responsible": row.required("responsible"),
        "inspection_content": row.text("inspection_content"),
    }
    if mode == ControlMode.INSPECTION:
        if not data["inspection_content"]:
            row.error("inspection_content", _("Say what the inspection checks."))
        data["cycle"] = _cycle(row)
    elif mode == ControlMode.MONITORING:
        for key in CYCLE_KEYS:
            if row.filled(key):
                row.error(key, _("Only measures checked by inspection have a cycle."))
    return data


def _cycle(row: _Row) -> dict[str, Any]:
    every = row.integer("cycle_every")
    if every is None and not row.filled("cycle_every"):
        row.error("cycle_every", _("A measure checked by inspection needs its cycle."))
    unit = row.choice("cycle_unit")
    start, end = row.time("work_start"), row.time("work_end")
    if unit == CycleUnit.HOUR:
        for key in ("work_start", "work_end"):
            if not row.filled(key):
                row.error(key, _("An hourly cycle needs its working window."))
        if start is not None and end is not None and end <= start:
            row.error("work_end", _("The window must end after it starts."))
    day_type = row.choice("day_type", required=False)
    task_type = row.choice("task_type", required=False)
    item = row.integer("task_item")
    if task_type not in (None, "", TaskType.ROUTINE):
        most = TASK_ITEMS[TaskType(task_type)]
        if (item is None and not row.filled("task_item")) or (item is not None and item > most):
            row.error("task_item", _("Give the task-list item (1-%(n)d).") % {"n": most})
    elif task_type is not None and row.filled("task_item"):
        row.error("task_item", _("Only package-responsibility tasks have a task-list item."))
    return {
        "every": every,
        "unit": unit,
        "work_start": start,
        "work_end": end,
        "day_type": day_type or DayType.EVERY_DAY,
        "task_type": task_type or TaskType.ROUTINE,
        "task_item": item,
    }
