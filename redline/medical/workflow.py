"""A capacity alert's life as an explicit state machine.

    (evaluation) crossing a warning or alert level ------------------> open
    open --acknowledge (health authority)----------------------------> acknowledged
    open | acknowledged --close (health authority, with a reason)----> closed
    open | acknowledged --(evaluation) back under the warning level--> closed
    acknowledged --(evaluation) escalates from warning to alert------> open again

The health authority is a public-health body (CDC) or a department whose mandates cover
hospitals or fever clinics, acting as an operator, inspector or manager; the alert is
already one it may see. Governments are told, and read; they do not take these steps.
`services.capacity_alert_transition` applies a step with a conditional update, so of two
people acting at once only one succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import role_refusal
from redline.medical.models import CapacityAlert
from redline.medical.vocab import AlertState
from redline.organisations.access import can, jurisdiction
from redline.organisations.vocab import OrganisationKind


def is_health_authority(actor: Any) -> bool:
    """A public-health body or a department with a mandate over hospitals or fever clinics
    (or a superuser)."""
    if getattr(actor, "is_superuser", False):
        return True
    org = getattr(actor, "organisation", None)
    if org is None or org.is_archived:
        return False
    if org.kind == OrganisationKind.PUBLIC_HEALTH:
        return True
    if org.kind == OrganisationKind.DEPARTMENT:
        # The door makes a department with mandates over hospitals or fever clinics a
        # health authority of those mandates' regions.
        return bool(jurisdiction(actor).key_place_paths)
    return False


def health_authority(actor: Any, alert: CapacityAlert) -> bool:
    return is_health_authority(actor) and (can(actor, "change") or can(actor, "inspect"))


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str
    allowed: Callable[[Any, CapacityAlert], bool]
    who: Any
    needs_comment: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "acknowledge",
            _("Acknowledge"),
            frozenset({AlertState.OPEN}),
            AlertState.ACKNOWLEDGED,
            health_authority,
            _("the health authority (CDC or health commission)"),
        ),
        Transition(
            "close",
            _("Close the alert"),
            frozenset({AlertState.OPEN, AlertState.ACKNOWLEDGED}),
            AlertState.CLOSED,
            health_authority,
            _("the health authority (CDC or health commission)"),
            needs_comment=True,
        ),
    ]
}

# Timeline entries the evaluation writes.
SYSTEM_ACTIONS = {
    "raise": _("Raised"),
    "escalate": _("Escalated to alert level"),
    "auto_close": _("Closed: back under the warning level"),
}


def action_label(action: str) -> Any:
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    return SYSTEM_ACTIONS.get(action, action)


def blocked_reason(transition: Transition, actor: Any, alert: CapacityAlert) -> Any:
    """Why the actor may not take this step now, or None (who they are first)."""
    refused = role_refusal(transition, actor, alert)
    if refused is not None:
        return refused
    if alert.state not in transition.sources:
        return _("This alert is %(state)s; that step is not possible now.") % {
            "state": alert.get_state_display()
        }
    return None


def available(actor: Any, alert: CapacityAlert) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if blocked_reason(t, actor, alert) is None]
