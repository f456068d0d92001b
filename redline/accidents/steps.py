"""What each step of an accident's investigation changes: the hooks of the machine in
`accidents/workflow.py`, which the workflow kernel calls."""

from __future__ import annotations

import copy
from typing import Any

from redline.accidents import files
from redline.accidents.models import Accident
from redline.core.workflow import Prepared, Step

FIGURES = ("deaths", "serious_injuries", "direct_loss_cny")


def prepare(step: Step) -> Prepared:
    accident: Accident = step.record
    changes: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    if step.action in ("supplement", "submit_report"):
        changes, shown = refigured(accident, step.values)
    if step.action == "start_investigation":
        body = step.values["investigating_body"]
        changes["investigating_body"] = body
        shown["investigating_body"] = body
    if step.action == "submit_report":
        changes["findings"] = step.comment
        changes["closed_at"] = step.now
        report, photos = files.check_report(step.files)
        step.extra["report"], step.extra["photos"] = report, photos
        if report is not None:
            shown["report"] = report.name
        if photos:
            shown["photos"] = len(photos)
    return Prepared(changes, shown)


def refigured(accident: Accident, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed figures and what follows from them (the level by the engine, the report
    deadline), and what the timeline shows (each change, before -> after)."""
    updated = copy.copy(accident)
    for name in FIGURES:
        if name in values:
            setattr(updated, name, values[name])
    updated.compute()
    changes: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for name in (*FIGURES, "level", "deciding", "report_due"):
        before, after = getattr(accident, name), getattr(updated, name)
        if before != after:
            changes[name] = after
            if name in (*FIGURES, "level"):
                shown[name] = [str(before), str(after)]
    return changes, shown


def within(step: Step) -> None:
    if step.action != "submit_report":
        return
    report = step.extra.get("report")
    reports = [report] if report is not None else []
    stored = files.store(reports, accident=step.record, actor=step.actor, kind="report")
    stored += files.store(
        step.extra.get("photos", []), accident=step.record, actor=step.actor, kind="photo"
    )
    files.log_stored(step.actor, stored, enterprise_id=step.record.unit_id)
