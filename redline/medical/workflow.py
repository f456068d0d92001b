"""A capacity alert's life as an explicit state machine.

    (evaluation) crossing a warning or alert level ------------------> open
    open --acknowledge (health authority)----------------------------> acknowledged
    open | acknowledged --close (health authority, with a reason)----> closed
    open | acknowledged --(evaluation) back under the warning level--> closed
    acknowledged --(evaluation) escalates from warning to alert------> open again

The health authority is a public-health body (CDC) or a department whose mandates cover
hospitals or fever clinics, acting as an operator, inspector or manager; the alert is
already one it may see. Governments are told, and read; they do not take these steps.
Declared on the workflow kernel (`redline.core.workflow`), which applies a step with a
conditional update, so of two people acting at once only one succeeds; the hooks in
`medical/steps.py` say what each step changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import Machine, Messages, Transition
from redline.medical.models import CapacityAlert, CapacityAlertEvent
from redline.medical.vocab import AlertState, Level
from redline.organisations.access import can, is_health_authority

if TYPE_CHECKING:
    from redline.accounts.models import User


def health_authority(actor: User, alert: CapacityAlert) -> bool:
    return is_health_authority(actor) and (can(actor, "change") or can(actor, "inspect"))


AUTHORITY = _("the health authority (CDC or health commission)")
LEVELS = dict(Level.choices)


def describe(event: CapacityAlertEvent) -> list[str]:
    """An event's lines of detail on the timeline."""
    data = event.data
    lines: list[Any] = []
    if data.get("level") in LEVELS:
        lines.append(LEVELS[data["level"]])
    if data.get("value") is not None and data.get("day"):
        line = _("Report of %(d)s: %(v)s%%") % {"d": data["day"], "v": f"{data['value']:.1f}"}
        if data.get("threshold"):
            line = f"{line} ({data['threshold']}%)"
        lines.append(line)
    if data.get("to"):
        lines.append(f"{_('To:')} {'、'.join(data['to'])}")
    return lines


MACHINE = Machine(
    name="capacity_alert",
    model=CapacityAlert,
    event_model=CapacityAlertEvent,
    event_record="alert",
    transitions={
        t.name: t
        for t in [
            Transition(
                "acknowledge",
                _("Acknowledge"),
                frozenset({AlertState.OPEN}),
                AlertState.ACKNOWLEDGED,
                health_authority,
                AUTHORITY,
            ),
            Transition(
                "close",
                _("Close the alert"),
                frozenset({AlertState.OPEN, AlertState.ACKNOWLEDGED}),
                AlertState.CLOSED,
                health_authority,
                AUTHORITY,
                required=frozenset({"comment"}),
            ),
        ]
    },
    # Timeline entries the evaluation writes.
    system_actions={
        "raise": _("Raised"),
        "escalate": _("Escalated to alert level"),
        "auto_close": _("Closed: back under the warning level"),
    },
    messages=Messages(
        stale=_(
            "Someone else acted on this alert since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this alert at the same moment. Reload it and check."),
        wrong_state=_("This alert is %(state)s; that step is not possible now."),
    ),
    hooks="redline.medical.steps",
    contract="redline.medical.tests.contract:CapacityAlertContract",
    related=("hospital", "region"),
    enterprise_of=lambda alert: alert.hospital_id,
    comment_missing=_("Say why."),
    describe=describe,
)
