"""Reading a ledger's rows (read cell by cell by the declaration) into lines: what each row
says of its object, unit, event and measure, and the checks across its cells."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from redline.core.spreadsheet import Row
from redline.engines.risk_methods import RuleSet
from redline.risk.spreadsheet.columns import (
    ASSESSMENT_KEYS,
    CYCLE_KEYS,
    FACTORS,
    MEASURE_KEYS,
    STAGES,
)
from redline.risk.standards import default_rule_set, rule_sets
from redline.risk.vocab import TASK_ITEMS, ControlMode, CycleUnit, DayType, TaskType


@dataclass
class _Line:
    row: Row
    object: str
    kind: str | None  # "" when not given, None when unreadable
    unit: str
    event: str
    assessment: dict[str, Any] | None  # by column key: method, rule_set, factors
    measure: dict[str, Any] | None  # service data; responsible as a name; cycle


def _given(row: Row, key: str) -> Any:
    """A cell's value; "" when it is empty, None when it could not be read."""
    return row[key] if row.filled(key) else ""


def _line(row: Row) -> _Line:
    line = _Line(
        row=row,
        object=row.text("object"),
        kind=_given(row, "object_kind"),
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


def _assessment(row: Row) -> dict[str, Any]:
    row.require("method")
    method = row["method"]
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
            values[key] = row[key]
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


def _measure(row: Row) -> dict[str, Any]:
    row.require(*MEASURE_KEYS[:-1])  # all but the inspection content
    mode = row["control_mode"]
    data: dict[str, Any] = {
        "description": row.text("measure"),
        "measure_class": row["measure_class"],
        "measure_subclass": row["measure_subclass"],
        "control_mode": mode,
        "management_level": row["management_level"],
        "responsible": row.text("responsible"),
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


def _cycle(row: Row) -> dict[str, Any]:
    every = row["cycle_every"]
    if not row.filled("cycle_every"):
        row.error("cycle_every", _("A measure checked by inspection needs its cycle."))
    row.require("cycle_unit")
    unit = row["cycle_unit"]
    start, end = row["work_start"], row["work_end"]
    if unit == CycleUnit.HOUR:
        for key in ("work_start", "work_end"):
            if not row.filled(key):
                row.error(key, _("An hourly cycle needs its working window."))
        if start is not None and end is not None and end <= start:
            row.error("work_end", _("The window must end after it starts."))
    task_type = _given(row, "task_type")
    item = row["task_item"]
    if task_type not in (None, "", TaskType.ROUTINE):
        most = TASK_ITEMS[TaskType(task_type)]
        if not row.filled("task_item") or (item is not None and item > most):
            row.error("task_item", _("Give the task-list item (1-%(n)d).") % {"n": most})
    elif task_type is not None and row.filled("task_item"):
        row.error("task_item", _("Only package-responsibility tasks have a task-list item."))
    return {
        "every": every,
        "unit": unit,
        "work_start": start,
        "work_end": end,
        "day_type": row["day_type"] or DayType.EVERY_DAY,
        "task_type": task_type or TaskType.ROUTINE,
        "task_item": item,
    }
