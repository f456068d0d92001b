"""Writing an enterprise's inventory as a ledger: the declaration's workbook, filled."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from redline.core import spreadsheet
from redline.organisations.models import Enterprise
from redline.risk import selectors
from redline.risk.models import ControlMeasure, RiskEvent
from redline.risk.spreadsheet.columns import FILE, LEDGER, STAGES
from redline.risk.vocab import RiskLevel


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
    return spreadsheet.workbook(FILE, {LEDGER: _ledger_rows(tree, measures)})


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
                found = measures.get(event.pk)
                if not found:
                    yield row
                for measure in found or ():
                    yield {**row, **_measure_values(measure)}


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
