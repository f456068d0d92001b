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
Declared on the workflow kernel (`redline.core.workflow`), which applies a step with a
conditional update on the version and state read, so of two people acting at once only one
succeeds; the hooks in `epidemic/steps.py` say what each step changes and who hears of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import Choice, Count, Machine, Messages, Transition, step_fields
from redline.epidemic.models import Signal, SignalEvent
from redline.epidemic.vocab import SignalState as S
from redline.epidemic.vocab import Verification
from redline.organisations.access import can, is_government_side, role_allows
from redline.organisations.vocab import OrganisationKind, RegionLevel

if TYPE_CHECKING:
    from redline.accounts.models import User

# Where a verification leads.
VERIFIED_STATE = {
    Verification.TRUE: S.INVESTIGATING,
    Verification.FALSE: S.CLOSED,
    Verification.UNCERTAIN: S.MONITORING,
}


def _org(actor: User) -> Any:
    return getattr(actor, "organisation", None)


def is_city_cdc(org: Any) -> bool:
    return bool(
        org is not None
        and org.kind == OrganisationKind.PUBLIC_HEALTH
        and org.region.level == RegionLevel.CITY
    )


def cdc_staff(actor: User, signal: Signal) -> bool:
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


def writer(actor: User, signal: Signal) -> bool:
    """Anyone on the government side (public-health bodies included) who may write."""
    return is_government_side(actor) and (can(actor, "change") or can(actor, "inspect"))


def may_run_detection(actor: User) -> bool:
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


CDC = _("the responsible CDC's operators or managers, or the city CDC's")


# How a closed signal ended (the `outcome` of the close step).
OUTCOMES = {
    "outbreak": _("Outbreak confirmed"),
    "cases": _("Cases confirmed, no outbreak"),
    "no_event": _("No public-health event"),
}


VERIFICATION_LABELS = dict(Verification.choices)


def describe(event: SignalEvent) -> list[str]:
    """An event's lines of detail on the timeline."""
    data = event.data
    lines: list[Any] = []
    if data.get("verification") in VERIFICATION_LABELS:
        lines.append(VERIFICATION_LABELS[data["verification"]])
    if data.get("period"):
        line = _("Period %(p)s: %(n)s cases") % {"p": data["period"], "n": data.get("count")}
        if data.get("upperbound") is not None:
            bound = _("upper bound %(u)s") % {"u": f"{data['upperbound']:.2f}"}
            line = f"{line} · {bound}"
        lines.append(line)
    if data.get("to"):
        lines.append(f"{_('To:')} {'、'.join(data['to'])}")
    if event.action == "respond" and "cases" in data:
        lines.append(_("Cases found: %(n)s") % {"n": data["cases"]})
    if data.get("outcome") in OUTCOMES:
        lines.append(OUTCOMES[data["outcome"]])
    return lines


MACHINE = Machine(
    name="signal",
    model=Signal,
    event_model=SignalEvent,
    event_record="signal",
    transitions={
        t.name: t
        for t in [
            Transition(
                "verify",
                _("Verify the signal"),
                frozenset({S.NEW, S.MONITORING}),
                None,  # where the verification leads (VERIFIED_STATE)
                cdc_staff,
                CDC,
                fields=step_fields(verification=Choice(Verification.values)),
                required=frozenset({"verification"}),
            ),
            Transition(
                "respond",
                _("Record the field investigation and start the response"),
                frozenset({S.INVESTIGATING}),
                S.RESPONDING,
                cdc_staff,
                CDC,
                fields=step_fields(cases=Count()),
                required=frozenset({"comment"}),
            ),
            Transition(
                "close",
                _("Close with a conclusion"),
                frozenset({S.INVESTIGATING, S.RESPONDING}),
                S.CLOSED,
                cdc_staff,
                CDC,
                fields=step_fields(outcome=Choice(OUTCOMES)),
                required=frozenset({"comment"}),
            ),
            Transition(
                "comment",
                _("Add a comment"),
                frozenset(S.values),
                None,
                writer,
                _("government and public-health staff who may write"),
                required=frozenset({"comment"}),
            ),
        ]
    },
    # Timeline entries the system writes (not steps people choose).
    system_actions={
        "raised": _("Signal raised by the daily detection run"),
        "continued": _("Alarm continued"),
        "escalate": _("Verification overdue: escalated"),
    },
    messages=Messages(
        stale=_(
            "Someone else acted on this signal since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this signal at the same moment. Reload it and check."),
        wrong_state=_("This signal is %(state)s; that step is not possible now."),
    ),
    hooks="redline.epidemic.steps",
    contract="redline.epidemic.tests.contract:SignalContract",
    related=("condition", "region", "place", "responsible"),
    audit_exclude=("evidence",),  # the triggering data is on the signal itself, not in the log
    enterprise_of=lambda signal: signal.place_id,
    describe=describe,
)
