"""The ledger's declaration: its columns, their types, and what an import reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from redline.core.spreadsheet import (
    XLSX,
    Choice,
    Column,
    Integer,
    Number,
    RowError,
    Spreadsheet,
    Table,
    Time,
    Within,
)
from redline.risk import vocab

SHEET_TITLE = "风险分级管控清单 Risk inventory"
CONTENT_TYPE = XLSX
FACTORS = ("L", "E", "C", "S", "M")
STAGES = {"inherent": ("固有", "Inherent"), "residual": ("剩余", "Residual")}


def _factor_columns(stage: str, help: Promise) -> list[Column]:
    zh, en = STAGES[stage]
    return [
        Column(f"{stage}_{name}", f"{zh}{name}", f"{en} {name}", help, Number()) for name in FACTORS
    ]


def _of_class(code: str, klass: str) -> bool:
    return code.startswith(f"{klass}-")


COMPUTED_HELP = gettext_lazy("Computed by Redline on export; ignored on import.")
COLUMNS: tuple[Column, ...] = (
    Column(
        "object",
        "分析对象",
        "Analysis object",
        gettext_lazy("Required. Matched by name within the enterprise."),
        required=True,
    ),
    Column(
        "object_kind",
        "对象类型",
        "Object kind",
        gettext_lazy(
            "Code (mhi, unit, area, activity) or label. Required for a new object; "
            "left as it is when empty."
        ),
        Choice(vocab.ObjectKind),
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
    Column(
        "method",
        "评价方法",
        "Method",
        gettext_lazy("LEC, LS or MES; required for an event."),
        Choice(vocab.Method),
    ),
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
    Column(
        "measure_class",
        "措施分类",
        "Measure class",
        gettext_lazy("Code (1-4) or label."),
        Choice(vocab.MeasureClass),
    ),
    Column(
        "measure_subclass",
        "措施子类",
        "Measure sub-class",
        gettext_lazy("Code (for example 1-1) or label; it must belong to the class."),
        Choice(
            vocab.MeasureSubclass,
            Within(
                "measure_class",
                _of_class,
                gettext_lazy("This sub-class belongs to another class."),
            ),
        ),
    ),
    Column(
        "control_mode",
        "管控方式",
        "Control mode",
        gettext_lazy("monitoring or inspection, or its label."),
        Choice(vocab.ControlMode),
    ),
    Column(
        "management_level",
        "管控层级",
        "Management level",
        gettext_lazy("company, workshop, team or post, or its label."),
        Choice(vocab.ManagementLevel),
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
        Integer(minimum=1),
    ),
    Column(
        "cycle_unit",
        "周期单位",
        "Cycle unit",
        gettext_lazy("hour, day, month or year, or its label."),
        Choice(vocab.CycleUnit),
    ),
    Column(
        "work_start",
        "工作开始",
        "Work start",
        gettext_lazy("HH:MM; the working window of an hourly cycle."),
        Time(),
    ),
    Column(
        "work_end",
        "工作结束",
        "Work end",
        gettext_lazy("HH:MM, after the start; the working window of an hourly cycle."),
        Time(),
    ),
    Column(
        "day_type",
        "日期类型",
        "Day type",
        gettext_lazy("every, working or non_working, or its label. Empty: every day."),
        Choice(vocab.DayType),
    ),
    Column(
        "task_type",
        "任务类型",
        "Task type",
        gettext_lazy("routine, principal, technical or operating, or its label. Empty: routine."),
        Choice(vocab.TaskType),
    ),
    Column(
        "task_item",
        "任务清单项",
        "Task item",
        gettext_lazy(
            "Item of the package-responsibility task list (1-9; operating 1-10); only for "
            "those task types."
        ),
        Integer(minimum=1),
    ),
    Column("inherent_score", "固有分值", "Inherent score", COMPUTED_HELP, computed=True),
    Column("inherent_level", "固有等级", "Inherent level", COMPUTED_HELP, computed=True),
    Column("residual_score", "剩余分值", "Residual score", COMPUTED_HELP, computed=True),
    Column("residual_level", "剩余等级", "Residual level", COMPUTED_HELP, computed=True),
)
LEDGER = Table(SHEET_TITLE, COLUMNS, needed=("unit", "event", "method"))
COLUMNS = LEDGER.columns
COLUMN = LEDGER.by_key
FILE = Spreadsheet((LEDGER,), csv=False, all_sheets=False)
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
# Where a service's error field lands in the sheet, per kind of record, where it is not the
# column of the same name (or with "_" for ".": inherent.L, cycle.unit).
SERVICE_FIELDS = {
    "object": {"name": "object", "kind": "object_kind"},
    "unit": {"name": "unit"},
    "event": {"name": "event"},
    "measure": {
        "description": "measure",
        "cycle": "cycle_every",
        **{f"cycle.{name}": name for name in CYCLE_FIELDS[2:]},
    },
}


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.errors
