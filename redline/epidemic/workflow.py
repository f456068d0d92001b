"""A signal's verification and response, as CIDARS practice has it, as a state machine.

    new --verify: true------------------------> investigating (field investigation)
    new --verify: false-----------------------> closed
    new --verify: uncertain-------------------> monitoring
    monitoring --verify (again)---------------> investigating | closed | monitoring
    investigating --respond (findings, measures)--> responding
    investigating | responding --close (conclusion)--> closed
    any state --comment

Verification and the steps after it are the responsible public-health body's (or the city
CDC's) operators and managers; comments are anyone's who may see the signal and write.
`services_signals.signal_transition` applies a step with a conditional update on the
version and state read, so of two people acting at once only one succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import role_refusal
from redline.epidemic.models import Signal
from redline.epidemic.vocab import SignalState as S
from redline.epidemic.vocab import Verification
from redline.organisations.access import can, is_government_side, role_allows
from redline.organisations.vocab import OrganisationKind, RegionLevel

# Where a verification leads.
VERIFIED_STATE = {
    Verification.TRUE: S.INVESTIGATING,
    Verification.FALSE: S.CLOSED,
    Verification.UNCERTAIN: S.MONITORING,
}


def _org(actor: Any) -> Any:
    return getattr(actor, "organisation", None)


def is_city_cdc(org: Any) -> bool:
    return bool(
        org is not None
        and org.kind == OrganisationKind.PUBLIC_HEALTH
        and org.region.level == RegionLevel.CITY
    )


def cdc_staff(actor: Any, signal: Signal) -> bool:
    """An operator or manager of the signal's responsible public-health body, or of the
    city CDC (a superuser too)."""
    if getattr(actor, "is_superuser", False):
        return True
    org = _org(actor)
    if org is None or org.is_archived or org.kind != OrganisationKind.PUBLIC_HEALTH:
        return False
    if not can(actor, "change"):
        return False
    return org.pk == signal.responsible_id or is_city_cdc(org)


def writer(actor: Any, signal: Signal) -> bool:
    """Anyone on the government side (public-health bodies included) who may write."""
    return is_government_side(actor) and (can(actor, "change") or can(actor, "inspect"))


def may_run_detection(actor: Any) -> bool:
    """Who may start a detection run on demand: public-health managers (and superusers)."""
    if getattr(actor, "is_superuser", False):
        return True
    org = _org(actor)
    return bool(
        org is not None
        and not org.is_archived
        and org.kind == OrganisationKind.PUBLIC_HEALTH
        and role_allows(actor, "archive")  # the manager and admin roles
    )


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str | None  # None: the state does not change (verify: decided by the outcome)
    allowed: Callable[[Any, Signal], bool]
    who: Any
    fields: tuple[str, ...]
    needs_comment: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "verify",
            _("Verify the signal"),
            frozenset({S.NEW, S.MONITORING}),
            None,
            cdc_staff,
            _("the responsible CDC's operators or managers, or the city CDC's"),
            ("verification", "comment"),
        ),
        Transition(
            "respond",
            _("Record the field investigation and start the response"),
            frozenset({S.INVESTIGATING}),
            S.RESPONDING,
            cdc_staff,
            _("the responsible CDC's operators or managers, or the city CDC's"),
            ("comment", "cases"),
            needs_comment=True,
        ),
        Transition(
            "close",
            _("Close with a conclusion"),
            frozenset({S.INVESTIGATING, S.RESPONDING}),
            S.CLOSED,
            cdc_staff,
            _("the responsible CDC's operators or managers, or the city CDC's"),
            ("comment", "outcome"),
            needs_comment=True,
        ),
        Transition(
            "comment",
            _("Add a comment"),
            frozenset(S.values),
            None,
            writer,
            _("government and public-health staff who may write"),
            ("comment",),
            needs_comment=True,
        ),
    ]
}

# Timeline entries the system writes (not steps people choose).
SYSTEM_ACTIONS = {
    "raised": _("Signal raised by the daily detection run"),
    "continued": _("Alarm continued"),
    "escalate": _("Verification overdue: escalated"),
}

# How a closed signal ended (the `outcome` of the close step).
OUTCOMES = {
    "outbreak": _("Outbreak confirmed"),
    "cases": _("Cases confirmed, no outbreak"),
    "no_event": _("No public-health event"),
}


def action_label(action: str) -> Any:
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    return SYSTEM_ACTIONS.get(action, action)


def blocked_reason(transition: Transition, actor: Any, signal: Signal) -> Any:
    """Why the actor may not take this step now, or None (who they are first)."""
    refused = role_refusal(transition, actor, signal)
    if refused is not None:
        return refused
    if signal.state not in transition.sources:
        return _("This signal is %(state)s; that step is not possible now.") % {
            "state": signal.get_state_display()
        }
    return None


def available(actor: Any, signal: Signal) -> list[Transition]:
    """The steps this actor may take on this signal now (the service checks again)."""
    return [t for t in TRANSITIONS.values() if blocked_reason(t, actor, signal) is None]
