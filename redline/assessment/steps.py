"""What publishing an assessment changes: the hook of the machine in
`assessment/workflow.py`, which the workflow kernel calls."""

from __future__ import annotations

from redline.assessment import selectors
from redline.assessment.models import Assessment
from redline.core.workflow import Prepared, Step


def prepare(step: Step) -> Prepared:
    record: Assessment = step.record
    if step.action == "publish":
        # The inputs as the publisher reads the records (the managers see everything).
        inputs = selectors.live_inputs(step.actor, record)
        return Prepared(
            {"inputs": inputs, "published_at": step.now, "published_by": step.actor},
            {f"{record.subject_kind}s": len(inputs["subjects"])},
        )
    return Prepared()
