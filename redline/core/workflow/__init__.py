"""The workflow kernel: every case workflow (hidden hazards, epidemic signals, capacity
alerts, and the next ones) is a `Machine` declared as data in its app's `workflow` module and
taken one step at a time by `take_step`. One timeline (`timeline`, the partial
`core/timeline.html`, the API's `EventOut`), one "next steps" partial (`core/steps.html`),
one contract suite (`redline/core/tests/test_workflow_contract.py`) run over every machine.
See docs/architecture.md, "Case workflows".
"""

from redline.core.readers import (
    Choice,
    Count,
    Date,
    Money,
    Reader,
    Ref,
    Text,
    step_fields,
)
from redline.core.workflow.machine import (
    Machine,
    Messages,
    Prepared,
    Transition,
    either,
    ensure_allowed,
    machines,
    role_refusal,
)
from redline.core.workflow.step import (
    Step,
    actor_name,
    event_row,
    organisation_name,
    system_event,
    take_step,
    write_event,
)
from redline.core.workflow.timeline import (
    EventOut,
    event_out,
    events_of,
    steps_description,
    timeline,
)

__all__ = [
    "Choice",
    "Count",
    "Date",
    "EventOut",
    "Machine",
    "Messages",
    "Money",
    "Prepared",
    "Reader",
    "Ref",
    "Step",
    "Text",
    "Transition",
    "actor_name",
    "either",
    "ensure_allowed",
    "event_out",
    "event_row",
    "events_of",
    "machines",
    "organisation_name",
    "role_refusal",
    "step_fields",
    "steps_description",
    "system_event",
    "take_step",
    "timeline",
    "write_event",
]
