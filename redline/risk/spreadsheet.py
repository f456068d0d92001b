"""Excel (.xlsx) import and export of an enterprise's risk inventory, in the ledger layout
enterprises keep (风险分级管控清单): one sheet, one row per control measure.

An event without measures is one row with empty measure columns; a unit without events,
or an object without units, is a row with only its own columns, so an export holds the
whole inventory. Headers are bilingual ("分析对象 Analysis object"); an import accepts the
Chinese part, the English part or the whole label. Vocabulary cells take the code or the
label in any of the site's languages.

An import is all or nothing. Every row is read and checked first, and every problem is
reported with its Excel row and column; only a clean file is applied, in one transaction,
through the services (which check access, validate and audit again). Records are matched
by name: an object within the enterprise, a unit within its object, an event within its
unit, a measure by its text within its event (the n-th repeat of a text matches the n-th
oldest such measure). Records that are already as the file says are not written; nothing
absent from the file is archived.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from redline.core.errors import DomainError
from redline.engines.risk_methods import RuleSet
from redline.organisations.exports import _cell as quoted
from redline.organisations.models import Enterprise, Person
from redline.organisations.services import enterprise_for
from redline.risk import selectors, services
from redline.risk.models import ControlMeasure, InspectionCycle, RiskEvent, RiskObject, RiskUnit
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
    RiskLevel,
    TaskType,
)

SHEET_TITLE = "风险分级管控清单 Risk inventory"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
HEADER_SCAN = 10  # the header may sit under a title: it is the first row naming a column
FACTORS = ("L", "E", "C", "S", "M")
STAGES = {"inherent": ("固有", "Inherent"), "residual": ("剩余", "Residual")}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what organisations.exports quotes


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    help: Promise
    computed: bool = False  # written by the export, ignored by the import

    @property
    def label(self) -> str:
        return f"{self.zh} {self.en}"


def _factor_columns(stage: str, help: Promise) -> list[Column]:
    zh, en = STAGES[stage]
    return [Column(f"{stage}_{name}", f"{zh}{name}", f"{en} {name}", help) for name in FACTORS]


COMPUTED_HELP = gettext_lazy("Computed by Redline on export; ignored on import.")
COLUMNS: tuple[Column, ...] = (
    Column(
        "object",
        "分析对象",
        "Analysis object",
        gettext_lazy("Required. Matched by name within the enterprise."),
    ),
    Column(
        "object_kind",
        "对象类型",
        "Object kind",
        gettext_lazy(
            "Code (mhi, unit, area, activity) or label. Required for a new object; "
            "left as it is when empty."
        ),
    ),
    Column("unit", "分析单元", "Analysis unit", gettext_lazy("Matched by name within its object.")),
    Column(
        "event",
        "风险事件",
        "Risk event",
        gettext_lazy(
            "Matched by name within its unit. Every row of the same event carries the same "
            "assessment."
        ),
    ),
    Column("method", "评价方法", "Method", gettext_lazy("LEC, LS or MES; required for an event.")),
    Column(
        "rule_set",
        "判定准则",
        "Rule set",
        gettext_lazy(
            "Id of the rule set (for example lec-common). Empty: the event's current one, "
            "or the method's default."
        ),
    ),
    *_factor_columns(
        "inherent",
        gettext_lazy(
            "Inherent risk: give exactly the factors of the method (LEC: L, E, C; LS: L, S; "
            "MES: M, E, S), with values the rule set allows."
        ),
    ),
    *_factor_columns(
        "residual",
        gettext_lazy("Residual risk after the measures: every factor of the method, or none."),
    ),
    Column(
        "measure",
        "管控措施",
        "Control measure",
        gettext_lazy(
            "Matched by its text within the event. Leave the measure columns empty for an "
            "event without measures."
        ),
    ),
    Column("measure_class", "措施分类", "Measure class", gettext_lazy("Code (1-4) or label.")),
    Column(
        "measure_subclass",
        "措施子类",
        "Measure sub-class",
        gettext_lazy("Code (for example 1-1) or label; it must belong to the class."),
    ),
    Column(
        "control_mode",
        "管控方式",
        "Control mode",
        gettext_lazy("monitoring or inspection, or its label."),
    ),
    Column(
        "management_level",
        "管控层级",
        "Management level",
        gettext_lazy("company, workshop, team or post, or its label."),
    ),
    Column(
        "responsible",
        "责任人",
        "Responsible person",
        gettext_lazy("The name of a person of the enterprise."),
    ),
    Column(
        "inspection_content",
        "排查内容",
        "Inspection content",
        gettext_lazy("What the inspection checks; required for measures checked by inspection."),
    ),
    Column(
        "cycle_every",
        "排查周期",
        "Cycle every",
        gettext_lazy("Measures checked by inspection: inspect every N units (a whole number)."),
    ),
    Column(
        "cycle_unit",
        "周期单位",
        "Cycle unit",
        gettext_lazy("hour, day, month or year, or its label."),
    ),
    Column(
        "work_start",
        "工作开始",
        "Work start",
        gettext_lazy("HH:MM; the working window of an hourly cycle."),
    ),
    Column(
        "work_end",
        "工作结束",
        "Work end",
        gettext_lazy("HH:MM, after the start; the working window of an hourly cycle."),
    ),
    Column(
        "day_type",
        "日期类型",
        "Day type",
        gettext_lazy("every, working or non_working, or its label. Empty: every day."),
    ),
    Column(
        "task_type",
        "任务类型",
        "Task type",
        gettext_lazy("routine, principal, technical or operating, or its label. Empty: routine."),
    ),
    Column(
        "task_item",
        "任务清单项",
        "Task item",
        gettext_lazy(
            "Item of the package-responsibility task list (1-9; operating 1-10); only for "
            "those task types."
        ),
    ),
    Column("inherent_score", "固有分值", "Inherent score", COMPUTED_HELP, computed=True),
    Column("inherent_level", "固有等级", "Inherent level", COMPUTED_HELP, computed=True),
    Column("residual_score", "剩余分值", "Residual score", COMPUTED_HELP, computed=True),
    Column("residual_level", "剩余等级", "Residual level", COMPUTED_HELP, computed=True),
)
COLUMN = {column.key: column for column in COLUMNS}
REQUIRED_COLUMNS = ("object", "unit", "event", "method")
ASSESSMENT_KEYS = (
    "method",
    "rule_set",
    *(f"{stage}_{name}" for stage in STAGES for name in FACTORS),
)
MEASURE_KEYS = (
    "measure",
    "measure_class",
    "measure_subclass",
    "control_mode",
    "management_level",
    "responsible",
    "inspection_content",
)
CYCLE_KEYS = (
    "cycle_every",
    "cycle_unit",
    "work_start",
    "work_end",
    "day_type",
    "task_type",
    "task_item",
)
MEASURE_FIELDS = (
    "measure_class",
    "measure_subclass",
    "control_mode",
    "management_level",
    "inspection_content",
)
CYCLE_FIELDS = ("every", "unit", "work_start", "work_end", "day_type", "task_type", "task_item")
# Where a service's error field lands in the sheet, per kind of record.
SERVICE_FIELDS = {
    "object": {"name": "object", "kind": "object_kind"},
    "unit": {"name": "unit"},
    "event": {"name": "event", "method": "method", "rule_set": "rule_set"},
    "measure": {
        "description": "measure",
        **{name: name for name in MEASURE_FIELDS},
        "responsible": "responsible",
        "cycle": "cycle_every",
        **{f"cycle.{name}": f"cycle_{name}" for name in ("every", "unit")},
        **{f"cycle.{name}": name for name in CYCLE_FIELDS[2:]},
    },
}


@dataclass(frozen=True)
class RowError:
    row: int | None  # the row number as Excel shows it; None for the file as a whole
    column: str  # the column's bilingual label, or the header text for an unknown column
    message: str


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------------------------------
# Export


def export_inventory(enterprise: Enterprise) -> bytes:
    """The enterprise's live inventory as the ledger; the caller has checked access."""
    _total, tree = selectors.inventory(enterprise)
    measures: dict[int, list[ControlMeasure]] = defaultdict(list)
    for measure in (
        ControlMeasure.objects.filter(event__enterprise=enterprise, is_archived=False)
        .select_related("responsible", "cycle")
        .order_by("event_id", "id")
    ):
        measures[measure.event_id].append(measure)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    sheet.freeze_panes = "A2"
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="E7E9EC")
    header = []
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.label) + 4)
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.font = bold
        if column.computed:
            cell.fill = grey
        header.append(cell)
    sheet.append(header)
    for values in _ledger_rows(tree, measures):
        sheet.append([quoted(values.get(column.key, "")) for column in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ledger_rows(
    tree: list[selectors.InventoryNode], measures: dict[int, list[ControlMeasure]]
) -> Iterator[dict[str, Any]]:
    for object_node in tree:
        obj = object_node.item
        head = {"object": obj.name, "object_kind": obj.get_kind_display()}
        if not object_node.children:
            yield head
        for unit_node in object_node.children:
            unit = {**head, "unit": unit_node.item.name}
            if not unit_node.children:
                yield unit
            for event in unit_node.children:
                row = {**unit, **_event_values(event)}
                for measure in measures.get(event.pk) or [None]:
                    yield {**row, **_measure_values(measure)} if measure else row


def _plain(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


def _event_values(event: RiskEvent) -> dict[str, Any]:
    values: dict[str, Any] = {
        "event": event.name,
        "method": event.method,
        "rule_set": event.rule_set,
        "inherent_score": _plain(event.inherent_score),
        "inherent_level": str(RiskLevel(event.inherent_level).label),
    }
    for stage in STAGES:
        for name, value in (getattr(event, f"{stage}_factors") or {}).items():
            values[f"{stage}_{name}"] = _plain(value)
    if event.residual_level:
        values["residual_score"] = _plain(event.residual_score)
        values["residual_level"] = str(RiskLevel(event.residual_level).label)
    return values


def _measure_values(measure: ControlMeasure) -> dict[str, Any]:
    values: dict[str, Any] = {
        "measure": measure.description,
        "measure_class": measure.get_measure_class_display(),
        "measure_subclass": measure.get_measure_subclass_display(),
        "control_mode": measure.get_control_mode_display(),
        "management_level": measure.get_management_level_display(),
        "responsible": measure.responsible.name,
        "inspection_content": measure.inspection_content,
    }
    cycle = getattr(measure, "cycle", None)
    if cycle is not None:
        values.update(
            {
                "cycle_every": cycle.every,
                "cycle_unit": cycle.get_unit_display(),
                "work_start": cycle.work_start.strftime("%H:%M") if cycle.work_start else "",
                "work_end": cycle.work_end.strftime("%H:%M") if cycle.work_end else "",
                "day_type": cycle.get_day_type_display(),
                "task_type": cycle.get_task_type_display(),
                "task_item": cycle.task_item if cycle.task_item is not None else "",
            }
        )
    return values


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


# ---------------------------------------------------------------------------------------
# Matching against the inventory and planning the writes


@dataclass
class _Step:
    kind: str  # object | unit | event | measure
    row: int
    key: tuple[str, ...]
    parent: tuple[str, ...] | None
    instance: Any  # the record to update; None to create
    data: dict[str, Any]
    cycle: str = ""  # "created" / "updated" when the measure's cycle is written


def _by(items: list[Any], key: Callable[[Any], Any]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped


def _same_factors(stored: dict[str, Any] | None, given: dict[str, float] | None) -> bool:
    if not stored or not given:
        return not stored and not given
    return set(stored) == set(given) and all(float(stored[k]) == given[k] for k in given)


class _Planner:
    """Turns checked lines into service calls against the inventory as it is now."""

    def __init__(self, actor: Any, enterprise: Enterprise, errors: list[RowError]) -> None:
        self.errors = errors
        self.steps: list[_Step] = []
        self.ids: dict[tuple[str, ...], int] = {}
        live = {"is_archived": False}
        self.objects = _by(
            list(RiskObject.objects.restrict(actor).filter(enterprise=enterprise, **live)),
            lambda o: o.name,
        )
        self.units = _by(
            list(
                RiskUnit.objects.restrict(actor).filter(risk_object__enterprise=enterprise, **live)
            ),
            lambda u: (u.risk_object_id, u.name),
        )
        self.events = _by(
            list(RiskEvent.objects.restrict(actor).filter(enterprise=enterprise, **live)),
            lambda e: (e.unit_id, e.name),
        )
        self.measures = _by(
            list(
                ControlMeasure.objects.restrict(actor)
                .filter(event__enterprise=enterprise, **live)
                .select_related("responsible")
                .order_by("id")
            ),
            lambda m: (m.event_id, m.description),
        )
        self.cycles = {
            c.measure_id: c
            for c in InspectionCycle.objects.restrict(actor).filter(
                measure__event__enterprise=enterprise
            )
        }
        self.people = _by(
            list(Person.objects.restrict(actor).filter(enterprise=enterprise, **live)),
            lambda p: p.name,
        )
        self.first: dict[tuple[str, ...], _Line] = {}
        self.repeats: Counter[tuple[str, ...]] = Counter()

    def error(self, line: _Line, key: str, message: str) -> None:
        self.errors.append(RowError(line.row, COLUMN[key].label, message))

    def plan(self, lines: list[_Line]) -> None:
        kinds: dict[str, tuple[str, int]] = {}
        for line in lines:
            if not line.kind:
                continue
            kind, row = kinds.setdefault(line.object, (line.kind, line.row))
            if kind != line.kind:
                self.error(
                    line,
                    "object_kind",
                    _("Row %(row)d gives this object another kind.") % {"row": row},
                )
        for line in lines:
            if not line.object:
                continue
            self._object(line, kinds.get(line.object, ("", 0))[0])
            if line.unit:
                self._unit(line)
            if line.unit and line.event:
                self._event(line)
                if line.measure is not None:
                    self._measure(line)

    def _match(self, line: _Line, key: str, found: list[Any], message: str) -> Any:
        """The one record of that name; an error when several share it."""
        if len(found) > 1:
            self.error(line, key, message % {"n": len(found), "name": found[0].name})
        return found[0] if len(found) == 1 else None

    def _seen(self, key: tuple[str, ...], line: _Line) -> _Line | None:
        first = self.first.get(key)
        if first is None:
            self.first[key] = line
        return first

    def _object(self, line: _Line, kind: str) -> None:
        key = ("object", line.object)
        if self._seen(key, line):
            return
        found = self.objects.get(line.object, [])
        obj = self._match(
            line,
            "object",
            found,
            _("%(n)d analysis objects of this enterprise are named “%(name)s”: rename them first."),
        )
        if obj is not None:
            self.ids[key] = obj.pk
            if kind and kind != obj.kind:
                self._step("object", line, key, None, obj, {"kind": kind})
        elif not found:
            if not kind and line.kind is not None:
                self.error(line, "object_kind", _("Give the kind of a new analysis object."))
            self._step("object", line, key, None, None, {"name": line.object, "kind": kind})

    def _unit(self, line: _Line) -> None:
        parent = ("object", line.object)
        key = ("unit", line.object, line.unit)
        if self._seen(key, line):
            return
        found = self.units.get((self.ids.get(parent), line.unit), [])
        unit = self._match(
            line,
            "unit",
            found,
            _("%(n)d units of this analysis object are named “%(name)s”: rename them first."),
        )
        if unit is not None:
            self.ids[key] = unit.pk
        elif not found:
            self._step("unit", line, key, parent, None, {"name": line.unit})

    def _event(self, line: _Line) -> None:
        parent = ("unit", line.object, line.unit)
        key = ("event", line.object, line.unit, line.event)
        first = self._seen(key, line)
        if first is not None:
            if first.assessment and line.assessment and first.assessment["method"]:
                for column in ASSESSMENT_KEYS:
                    if first.assessment[column] != line.assessment[column]:
                        self.error(
                            line,
                            column,
                            _("Row %(row)d assesses the same event differently.")
                            % {"row": first.row},
                        )
            return
        found = self.events.get((self.ids.get(parent), line.event), [])
        event = self._match(
            line,
            "event",
            found,
            _("%(n)d risk events of this unit are named “%(name)s”: rename them first."),
        )
        if event is not None:
            self.ids[key] = event.pk
        elif found:
            return
        data = self._assessed(line, event)
        if data is None:
            return
        if event is None:
            self._step("event", line, key, parent, None, {"name": line.event, **data})
        elif (
            data["method"] != event.method
            or data["rule_set"] != event.rule_set
            or not _same_factors(event.inherent_factors, data["inherent"])
            or not _same_factors(event.residual_factors, data["residual"])
        ):
            self._step("event", line, key, parent, event, data)

    def _assessed(self, line: _Line, event: RiskEvent | None) -> dict[str, Any] | None:
        """The event's service data, after checking each factor against its rule set."""
        values = line.assessment
        if not values or not values["method"]:
            return None
        method = values["method"]
        if values["rule_set"]:
            rule_set = rule_sets()[values["rule_set"]]
        elif event is not None and event.method == method and event.rule_set in rule_sets():
            rule_set = rule_sets()[event.rule_set]
        else:
            rule_set = default_rule_set(method)
        data: dict[str, Any] = {"method": method, "rule_set": rule_set.id}
        for stage in STAGES:
            factors = {name: values[f"{stage}_{name}"] for name in rule_set.factors}
            for name, value in factors.items():
                allowed = rule_set.factors[name]
                if value is not None and value not in allowed:
                    self.error(
                        line,
                        f"{stage}_{name}",
                        _(
                            "%(value)s is not allowed for %(factor)s by rule set %(rule_set)s: "
                            "give one of %(allowed)s."
                        )
                        % {
                            "value": f"{value:g}",
                            "factor": name,
                            "rule_set": rule_set.id,
                            "allowed": ", ".join(f"{v:g}" for v in allowed),
                        },
                    )
            given = None not in factors.values()
            data[stage] = factors if given else None
        return data

    def _measure(self, line: _Line) -> None:
        assert line.measure is not None
        parent = ("event", line.object, line.unit, line.event)
        given = dict(line.measure)
        description = given["description"]
        if not description:
            return
        self.repeats[(*parent, description)] += 1
        nth = self.repeats[(*parent, description)] - 1
        found = self.measures.get((self.ids.get(parent), description), [])
        measure = found[nth] if parent in self.ids and nth < len(found) else None
        # By name; a namesake of the measure's current person keeps that person.
        person = given.pop("responsible")
        current = measure.responsible if measure is not None else None
        if current is None or current.name != person:
            people = self.people.get(person, [])
            if len(people) == 1:
                given["responsible"] = people[0].pk
            elif person and not people:
                message = _("No person of this enterprise is named “%(name)s”.")
                self.error(line, "responsible", message % {"name": person})
            elif person:
                message = _("%(n)d people of this enterprise are named “%(name)s”.")
                self.error(line, "responsible", message % {"n": len(people), "name": person})
        cycle = given.pop("cycle", None)
        existing = self.cycles.get(measure.pk) if measure is not None else None
        written = ""
        if cycle is not None and None not in (cycle["every"], cycle["unit"]):
            if existing is None:
                written = "created"
                given["cycle"] = {**cycle, "starts_at": _first_task_at(cycle)}
            elif any(getattr(existing, name) != cycle[name] for name in CYCLE_FIELDS):
                written = "updated"
                given["cycle"] = {**cycle, "version": existing.version}
        if measure is None:
            self._step("measure", line, parent, parent, None, given, written)
        elif (
            written
            or "responsible" in given
            or any(getattr(measure, name) != given[name] for name in MEASURE_FIELDS)
        ):
            self._step("measure", line, parent, parent, measure, given, written)

    def _step(
        self,
        kind: str,
        line: _Line,
        key: tuple[str, ...],
        parent: tuple[str, ...] | None,
        instance: Any,
        data: dict[str, Any],
        cycle: str = "",
    ) -> None:
        self.steps.append(_Step(kind, line.row, key, parent, instance, data, cycle))


def _first_task_at(cycle: dict[str, Any]) -> dt.datetime:
    """A new cycle's first task: tomorrow, at the start of its working window if it has one."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(tomorrow, cycle["work_start"] or dt.time()))


# ---------------------------------------------------------------------------------------
# Applying


class _Abort(Exception):
    """A service refused a write: the import's transaction is rolled back."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__()


def _service_errors(step: _Step, failure: DomainError) -> list[RowError]:
    columns = SERVICE_FIELDS[step.kind]
    errors = []
    for name, message in failure.fields.items():
        stage, _dot, factor = name.partition(".")
        key = f"{stage}_{factor}" if stage in STAGES and factor in FACTORS else columns.get(name)
        if key is None and name != "__all__":
            message = f"{name}: {message}"
        errors.append(RowError(step.row, COLUMN[key].label if key else "", message))
    return errors or [RowError(step.row, "", failure.message)]


def _apply(actor: Any, enterprise: Enterprise, planner: _Planner, result: ImportResult) -> None:
    ids: dict[Any, int] = planner.ids
    for step in planner.steps:
        instance = step.instance
        at = {"version": instance.version} if instance is not None else {}
        try:
            if step.kind == "object":
                saved: Any = services.risk_object_save(
                    actor=actor,
                    enterprise_id=enterprise.pk,
                    data=step.data,
                    object_id=instance.pk if instance else None,
                    **at,
                )
            elif step.kind == "unit":
                saved = services.risk_unit_save(
                    actor=actor,
                    object_id=ids[step.parent],
                    data=step.data,
                )
            elif step.kind == "event":
                saved = services.risk_event_save(
                    actor=actor,
                    unit_id=ids[step.parent],
                    data=step.data,
                    event_id=instance.pk if instance else None,
                    **at,
                )
            else:
                saved = services.measure_save(
                    actor=actor,
                    event_id=ids[step.parent],
                    data=step.data,
                    measure_id=instance.pk if instance else None,
                    **at,
                )
        except DomainError as failure:
            raise _Abort(_service_errors(step, failure)) from failure
        if step.kind != "measure":
            ids[step.key] = saved.pk
        (result.updated if instance is not None else result.created)[f"{step.kind}s"] += 1
        if step.cycle:
            (result.created if step.cycle == "created" else result.updated)["cycles"] += 1


def import_inventory(*, actor: Any, enterprise_id: int, file: Any) -> ImportResult:
    """Read, check and (only if every row is right) apply a ledger; see the module doc.

    Raises NotFound / PermissionDenied when the actor may not change the enterprise;
    every other problem is in the result's errors, and then nothing was saved.
    """
    enterprise = enterprise_for(actor, enterprise_id, "change")
    result = ImportResult()
    try:
        grid = _grid(file)
        index, columns, header_errors = _header(grid)
    except _Rejected as rejected:
        result.errors.append(RowError(None, "", str(rejected)))
        return result
    if header_errors:
        result.errors.extend(header_errors)
        return result
    lines: list[_Line] = []
    errors: list[RowError] = []
    for offset, cells in enumerate(grid[index + 1 :], start=index + 2):
        values = {
            column.key: cells[position]
            for position, column in columns.items()
            if not column.computed and position < len(cells)
        }
        if any(_text(value) for value in values.values()):
            lines.append(_line(_Row(offset, values, errors)))
    result.rows = len(lines)
    if not lines:
        result.errors.append(RowError(None, "", _("The sheet has no rows under its header.")))
        return result
    if len(lines) > MAX_ROWS:
        result.errors.append(
            RowError(None, "", _("Import at most %(n)d rows at a time.") % {"n": MAX_ROWS})
        )
        return result
    try:
        with transaction.atomic():
            planner = _Planner(actor, enterprise, errors)
            planner.plan(lines)
            if errors:
                raise _Abort(errors)
            _apply(actor, enterprise, planner, result)
    except _Abort as abort:
        order = {column.label: i for i, column in enumerate(COLUMNS)}
        result.errors = sorted(
            abort.errors, key=lambda e: (e.row or 0, order.get(e.column, len(order)))
        )
        result.created.clear()
        result.updated.clear()
    return result
