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

Declared on the workflow kernel (`redline.core.workflow`): each transition names the states it
leaves, the state it reaches, who may take it, the fields it takes and needs, and what must
hold of the hazard besides its state. The kernel applies a step (`services.hazard_transition`
calls `take_step`) with a conditional update, so of two people acting at once only one
succeeds; the hooks in `hazards/steps.py` say what each step changes and who hears of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import (
    Choice,
    Date,
    Machine,
    Messages,
    Money,
    Ref,
    Text,
    Transition,
    either,
    step_fields,
)
from redline.hazards.models import Hazard, HazardEvent
from redline.hazards.vocab import HazardLevel, HazardSource, SupervisionLevel
from redline.hazards.vocab import HazardState as S
from redline.organisations.access import can, is_government_side, role_allows
from redline.organisations.vocab import OrganisationKind

if TYPE_CHECKING:
    from redline.accounts.models import User


def _org(actor: User) -> Any:
    return getattr(actor, "organisation", None)


def unit_staff(actor: User, hazard: Hazard) -> bool:
    """The unit's own people who may write (operators, inspectors, managers)."""
    return own_enterprise(actor, hazard) and (can(actor, "change") or can(actor, "inspect"))


def own_enterprise(actor: User, hazard: Hazard) -> bool:
    """The actor works for the hazard's unit (or is a superuser)."""
    if getattr(actor, "is_superuser", False):
        return True
    org = _org(actor)
    return bool(org and hazard.enterprise_id and org.enterprise_id == hazard.enterprise_id)


def enterprise_operator(actor: User, hazard: Hazard) -> bool:
    return own_enterprise(actor, hazard) and can(actor, "change")


def enterprise_manager(actor: User, hazard: Hazard) -> bool:
    # The manager role (the "archive" action's roles; archiving units is the government's).
    return own_enterprise(actor, hazard) and role_allows(actor, "archive")


def government(actor: User, hazard: Hazard) -> bool:
    """A government body, committee office or department (the hazard is already one the
    actor can see) acting as an inspector or manager."""
    return is_government_side(actor) and can(actor, "inspect")


def department(actor: User, hazard: Hazard) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    org = _org(actor)
    return bool(org and org.kind == OrganisationKind.DEPARTMENT and can(actor, "inspect"))


def acceptor(actor: User, hazard: Hazard) -> bool:
    return enterprise_manager(actor, hazard) or government(actor, hazard)


def _levels(*levels: str) -> Callable[[Hazard], Any]:
    def guard(hazard: Hazard) -> Any:
        if hazard.level not in levels:
            return _("That step is not for a hazard of this level.")
        return None

    return guard


def _has_unit(hazard: Hazard) -> Any:
    return None if hazard.enterprise_id else _("Assign the hazard to a unit first.")


def _not_listed(hazard: Hazard) -> Any:
    return _("This hazard is already under listed supervision.") if hazard.listed else None


def _public_report(hazard: Hazard) -> Any:
    if hazard.source != HazardSource.PUBLIC:
        return _("Only public reports can be dismissed; a unit's hazard is rectified.")
    return None


def _without_unit(hazard: Hazard) -> Any:
    return _("This hazard already belongs to a unit.") if hazard.enterprise_id else None


def _not_the_rectifier(actor: User, hazard: Hazard) -> Any:
    """A major hazard's rectification is accepted by someone other than its rectifier."""
    if hazard.is_major and actor.pk in {hazard.rectified_by_id, hazard.rectifier_id}:
        return _(
            "The person who rectified a major hazard cannot accept it: acceptance needs "
            "someone else."
        )
    return None


GENERAL = _levels("general")
MAJOR = _levels("major")
OPEN = frozenset(S.open_states())
DEADLINE = Date(not_past=_("The deadline cannot be in the past."))
RECTIFIER = Ref(_("Choose a user of this unit."))
PUBLIC_NOTE = Text(limit=2000)
PLAN_FIELDS = {
    "plan_responsible": Text(limit=200),
    "plan_measures": Text(),
    "plan_funds": Money(),
    "plan_deadline": DEADLINE,
    "plan_contingency": Text(),
}
UNIT = Ref(_("Choose a unit in your jurisdiction."))
SUPERVISING_BODY = Ref(
    _(
        "Choose your own body, or a government body or supervising department of this unit "
        "at your level or below."
    )
)
LISTING_FIELDS = {
    "supervising_body": SUPERVISING_BODY,
    "supervision_level": Choice(SupervisionLevel.values),
    "supervision_deadline": Date(not_past=_("The supervision deadline cannot be in the past.")),
}

MACHINE = Machine(
    name="hazard",
    model=Hazard,
    event_model=HazardEvent,
    event_record="hazard",
    transitions={
        t.name: t
        for t in [
            Transition(
                "fix_on_spot",
                _("Rectified on the spot"),
                frozenset({S.REPORTED}),
                S.AWAITING_ACCEPTANCE,
                enterprise_operator,
                _("the unit's operators"),
                guards=(GENERAL, _has_unit),
                photos=True,
            ),
            Transition(
                "assign",
                _("Set a rectification deadline"),
                frozenset({S.REPORTED}),
                S.RECTIFYING,
                either(enterprise_operator, government),
                _("the unit's operators or a government inspector"),
                fields=step_fields(deadline=DEADLINE, rectifier=RECTIFIER),
                required=frozenset({"deadline"}),
                guards=(GENERAL, _has_unit),
                photos=True,
            ),
            Transition(
                "plan",
                _("Submit the rectification plan (five implementations)"),
                frozenset({S.REPORTED, S.RECTIFYING}),
                S.RECTIFYING,
                enterprise_operator,
                _("the unit's operators"),
                fields=step_fields(**PLAN_FIELDS, rectifier=RECTIFIER),
                required=frozenset(PLAN_FIELDS),
                guards=(MAJOR, _has_unit),
                photos=True,
            ),
            Transition(
                "submit",
                _("Submit the rectification for acceptance"),
                frozenset({S.RECTIFYING}),
                S.AWAITING_ACCEPTANCE,
                enterprise_operator,
                _("the unit's operators"),
                required=frozenset({"comment"}),
                guards=(_has_unit,),
                photos=True,
            ),
            Transition(
                "accept",
                _("Accept the rectification"),
                frozenset({S.AWAITING_ACCEPTANCE}),
                S.CLOSED,  # or awaiting sign-off when listed: see steps.prepare
                acceptor,
                _("the unit's managers or a government inspector (not the rectifier)"),
                fields=step_fields(public_note=PUBLIC_NOTE),
                guards=(_has_unit,),
                separation=_not_the_rectifier,
                photos=True,
            ),
            Transition(
                "sign_off",
                _("Sign off (supervising department)"),
                frozenset({S.AWAITING_SIGNOFF}),
                S.CLOSED,
                department,
                _("the supervising department"),
                fields=step_fields(public_note=PUBLIC_NOTE),
                guards=(MAJOR, _has_unit),
                photos=True,
            ),
            Transition(
                "reject",
                _("Reject: back to rectification"),
                frozenset({S.AWAITING_ACCEPTANCE, S.AWAITING_SIGNOFF}),
                S.RECTIFYING,
                acceptor,
                _("the unit's managers or a government inspector"),
                required=frozenset({"comment"}),
                guards=(_has_unit,),
                photos=True,
            ),
            Transition(
                "reopen",
                _("Re-open"),
                frozenset({S.CLOSED}),
                S.RECTIFYING,
                either(enterprise_manager, government),
                _("the unit's managers or a government inspector"),
                fields=step_fields(deadline=DEADLINE),
                required=frozenset({"comment"}),
                guards=(_has_unit,),
                photos=True,
            ),
            Transition(
                "list",
                _("Place under listed supervision"),
                OPEN,
                None,
                government,
                _("a government inspector or manager"),
                fields=step_fields(**LISTING_FIELDS),
                # The body and level default to the actor's own.
                required=frozenset({"comment", "supervision_deadline"}),
                guards=(MAJOR, _has_unit, _not_listed),
            ),
            Transition(
                "dismiss",
                _("Dismiss"),
                frozenset({S.REPORTED}),
                S.DISMISSED,
                government,
                _("a government inspector or manager"),
                fields=step_fields(public_note=PUBLIC_NOTE),
                required=frozenset({"comment"}),
                guards=(_public_report,),
            ),
            Transition(
                "assign_unit",
                _("Assign to a unit"),
                frozenset({S.REPORTED}),
                None,
                government,
                _("a government inspector or manager"),
                fields=step_fields(
                    enterprise=UNIT,
                    level=Choice(HazardLevel.values),
                ),
                required=frozenset({"enterprise"}),
                guards=(_without_unit,),
            ),
            Transition(
                "comment",
                _("Add a comment or evidence"),
                frozenset(S.values),
                None,
                either(unit_staff, government),
                _("the unit or a government inspector"),
                required=frozenset({"comment"}),
                photos=True,
            ),
        ]
    },
    # Timeline-only actions the system takes (not transitions people choose).
    system_actions={
        "report": _("Reported"),
        "auto_report": _("Reported to the supervising department and the territorial government"),
        "remind": _("Deadline reminder sent"),
        "overdue": _("Deadline passed: overdue"),
        "escalate": _("Escalated"),
    },
    messages=Messages(
        stale=_(
            "Someone else acted on this hazard since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this hazard at the same moment. Reload it and check."),
        wrong_state=_("This hazard is %(state)s; that step is not possible now."),
    ),
    hooks="redline.hazards.steps",
    contract="redline.hazards.tests.contract:HazardContract",
    related=("enterprise", "region"),
    enterprise_of=lambda hazard: hazard.enterprise_id,
    touch=("updated_at",),
    describe=lambda event: describe(event),
)


def describe(event: HazardEvent) -> list[str]:
    """An event's lines of detail on the timeline."""
    data = event.data
    lines = []
    if data.get("to"):
        lines.append(f"{_('To:')} {'、'.join(data['to'])}")
    if data.get("deadline"):
        lines.append(f"{_('Deadline:')} {data['deadline']}")
    if data.get("enterprise"):
        lines.append(f"{_('Unit:')} {data['enterprise']}")
    if data.get("supervising_body"):
        parts = [str(data["supervising_body"])]
        level = data.get("supervision_level", "")
        if level in SupervisionLevel.values:
            parts.append(str(SupervisionLevel(level).label))
        if data.get("supervision_deadline"):
            parts.append(f"{_('Supervision deadline:')} {data['supervision_deadline']}")
        lines.append(f"{_('Supervising body:')} {' · '.join(parts)}")
    if data.get("public_note"):
        lines.append(f"{_('Note for the reporter:')} {data['public_note']}")
    return lines
