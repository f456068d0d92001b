"""What each step of a capacity alert changes: the hooks of the alert machine
(`medical/workflow.py`), which the workflow kernel calls."""

from __future__ import annotations

from redline.core.workflow import Prepared, Step


def prepare(step: Step) -> Prepared:
    alert, actor = step.record, step.actor
    changes = {}
    if step.action == "acknowledge":
        changes = {"acknowledged_at": step.now, "acknowledged_by": actor}
    elif step.action == "close":
        changes = {"closed_at": step.now, "closed_by": actor}
    # The alert's level and value when the step was taken, on its timeline.
    return Prepared(changes, {"level": alert.level, "value": alert.value})
