"""The hidden-hazard closed loop as an explicit state machine.

    reported --fix_on_spot (general)--------------------------> awaiting acceptance
    reported --assign (general: deadline) / plan (major: five implementations)--> rectifying
    rectifying --submit (evidence)----------------------------> awaiting acceptance
    awaiting acceptance --accept--> closed, or, under listed supervision, awaiting sign-off
    awaiting sign-off --sign_off (supervising department)--> closed
    awaiting acceptance | awaiting sign-off --reject--> rectifying
    closed --reopen--> rectifying
    reported --dismiss (government; e.g. an unfounded public report)--> dismissed
    any open state of a major hazard --list (government: supervising body, level not above
        the actor's, supervision deadline)--> the same state, listed (once)

Each transition names the states it leaves, the state it reaches, who may take it and what
it needs. `services.hazard_transition` applies it with a conditional update, so of two
people acting at once only one succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import role_refusal
from redline.hazards.models import Hazard
from redline.hazards.vocab import HazardSource
from redline.hazards.vocab import HazardState as S
from redline.organisations.access import can, is_government_side, role_allows
from redline.organisations.vocab import OrganisationKind


def _org(actor: Any) -> Any:
    return getattr(actor, "organisation", None)


def unit_staff(actor: Any, hazard: Hazard) -> bool:
    """The unit's own people who may write (operators, inspectors, managers)."""
    return own_enterprise(actor, hazard) and (can(actor, "change") or can(actor, "inspect"))


def own_enterprise(actor: Any, hazard: Hazard) -> bool:
    """The actor works for the hazard's unit (or is a superuser)."""
    if getattr(actor, "is_superuser", False):
        return True
    org = _org(actor)
    return bool(org and hazard.enterprise_id and org.enterprise_id == hazard.enterprise_id)


def enterprise_operator(actor: Any, hazard: Hazard) -> bool:
    return own_enterprise(actor, hazard) and can(actor, "change")


def enterprise_manager(actor: Any, hazard: Hazard) -> bool:
    # The manager role (the "archive" action's roles; archiving units is the government's).
    return own_enterprise(actor, hazard) and role_allows(actor, "archive")


def government(actor: Any, hazard: Hazard) -> bool:
    """A government body, committee office or department (the hazard is already one the
    actor can see) acting as an inspector or manager."""
    return is_government_side(actor) and can(actor, "inspect")


def department(actor: Any, hazard: Hazard) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    org = _org(actor)
    return bool(org and org.kind == OrganisationKind.DEPARTMENT and can(actor, "inspect"))


def acceptor(actor: Any, hazard: Hazard) -> bool:
    return enterprise_manager(actor, hazard) or government(actor, hazard)


def either(*checks: Callable[[Any, Hazard], bool]) -> Callable[[Any, Hazard], bool]:
    return lambda actor, hazard: any(check(actor, hazard) for check in checks)


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str | None  # None: the state does not change
    allowed: Callable[[Any, Hazard], bool]
    who: Any  # for people: who may take it
    levels: frozenset[str] = frozenset({"general", "major"})
    needs_unit: bool = True
    needs_comment: bool = False


OPEN = frozenset(S.open_states())

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "fix_on_spot",
            _("Rectified on the spot"),
            frozenset({S.REPORTED}),
            S.AWAITING_ACCEPTANCE,
            enterprise_operator,
            _("the unit's operators"),
            levels=frozenset({"general"}),
        ),
        Transition(
            "assign",
            _("Set a rectification deadline"),
            frozenset({S.REPORTED}),
            S.RECTIFYING,
            either(enterprise_operator, government),
            _("the unit's operators or a government inspector"),
            levels=frozenset({"general"}),
        ),
        Transition(
            "plan",
            _("Submit the rectification plan (five implementations)"),
            frozenset({S.REPORTED, S.RECTIFYING}),
            S.RECTIFYING,
            enterprise_operator,
            _("the unit's operators"),
            levels=frozenset({"major"}),
        ),
        Transition(
            "submit",
            _("Submit the rectification for acceptance"),
            frozenset({S.RECTIFYING}),
            S.AWAITING_ACCEPTANCE,
            enterprise_operator,
            _("the unit's operators"),
            needs_comment=True,
        ),
        Transition(
            "accept",
            _("Accept the rectification"),
            frozenset({S.AWAITING_ACCEPTANCE}),
            S.CLOSED,  # or awaiting sign-off when listed: see services
            acceptor,
            _("the unit's managers or a government inspector (not the rectifier)"),
        ),
        Transition(
            "sign_off",
            _("Sign off (supervising department)"),
            frozenset({S.AWAITING_SIGNOFF}),
            S.CLOSED,
            department,
            _("the supervising department"),
            levels=frozenset({"major"}),
        ),
        Transition(
            "reject",
            _("Reject: back to rectification"),
            frozenset({S.AWAITING_ACCEPTANCE, S.AWAITING_SIGNOFF}),
            S.RECTIFYING,
            acceptor,
            _("the unit's managers or a government inspector"),
            needs_comment=True,
        ),
        Transition(
            "reopen",
            _("Re-open"),
            frozenset({S.CLOSED}),
            S.RECTIFYING,
            either(enterprise_manager, government),
            _("the unit's managers or a government inspector"),
            needs_comment=True,
        ),
        Transition(
            "list",
            _("Place under listed supervision"),
            OPEN,
            None,
            government,
            _("a government inspector or manager"),
            levels=frozenset({"major"}),
            needs_comment=True,
        ),
        Transition(
            "dismiss",
            _("Dismiss"),
            frozenset({S.REPORTED}),
            S.DISMISSED,
            government,
            _("a government inspector or manager"),
            needs_unit=False,
            needs_comment=True,
        ),
        Transition(
            "assign_unit",
            _("Assign to a unit"),
            frozenset({S.REPORTED}),
            None,
            government,
            _("a government inspector or manager"),
            needs_unit=False,
        ),
        Transition(
            "comment",
            _("Add a comment or evidence"),
            frozenset(S.values),
            None,
            either(unit_staff, government),
            _("the unit or a government inspector"),
            needs_unit=False,
            needs_comment=True,
        ),
    ]
}

# Timeline-only actions the system takes (not transitions people choose).
SYSTEM_ACTIONS = {
    "report": _("Reported"),
    "auto_report": _("Reported to the supervising department and the territorial government"),
    "remind": _("Deadline reminder sent"),
    "overdue": _("Deadline passed: overdue"),
    "escalate": _("Escalated"),
}


def action_label(action: str) -> Any:
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    return SYSTEM_ACTIONS.get(action, action)


def available(actor: Any, hazard: Hazard) -> list[Transition]:
    """The transitions this actor may take on this hazard now (for showing the buttons;
    the service checks again when one is taken)."""
    return [t for t in TRANSITIONS.values() if blocked_reason(t, actor, hazard) is None]


def blocked_reason(transition: Transition, actor: Any, hazard: Hazard) -> Any:
    """Why the actor may not take this transition now, or None (who they are first)."""
    refused = role_refusal(transition, actor, hazard)
    if refused is not None:
        return refused
    if hazard.state not in transition.sources:
        return _("This hazard is %(state)s; that step is not possible now.") % {
            "state": hazard.get_state_display()
        }
    if hazard.level not in transition.levels:
        return _("That step is not for a hazard of this level.")
    if transition.needs_unit and not hazard.enterprise_id:
        return _("Assign the hazard to a unit first.")
    if transition.name == "list" and hazard.listed:
        return _("This hazard is already under listed supervision.")
    if transition.name == "dismiss" and hazard.source != HazardSource.PUBLIC:
        return _("Only public reports can be dismissed; a unit's hazard is rectified.")
    if transition.name == "assign_unit" and hazard.enterprise_id:
        return _("This hazard already belongs to a unit.")
    return None
