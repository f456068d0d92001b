"""An inspection's life, and each finding's, as machines on the workflow kernel.

Inspection:

    planned --check_in (an inspector of the team, on site: time and place)--> on site
    on site --complete (every shown item answered, photos where needed, the inspectors'
        and the unit's signatures; non-compliant items become findings)--> awaiting the
        unit's answers, or closed when nothing was found
    awaiting the unit's answers --close (the inspecting body, every finding answered)--> closed
    planned --cancel (the inspecting body's managers, with a reason)--> cancelled

Finding:

    open --answer (the unit)--> answered --accept (the inspecting body)--> closed
    answered --return (the inspecting body, saying why)--> open

Enforcement action (hooks, issuing and deadlines in `inspections/enforcement.py`):

    issued --report_compliance (the unit)--> compliance reported --verify (re-inspection)-->
        closed; compliance reported --reject (a new deadline)--> issued; issued or
        compliance reported --revoke (the body's managers)--> revoked

The kernel loads the record through the door (an inspection follows its unit), refuses with
one code per reason, applies the step with a conditional update and writes the timeline and
the change log; the hooks in `inspections/steps.py` say what each step changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import Date, Machine, Messages, Text, Transition, step_fields
from redline.inspections.models import (
    EnforcementAction,
    EnforcementEvent,
    Finding,
    FindingEvent,
    Inspection,
    InspectionEvent,
    InspectionInspector,
)
from redline.inspections.vocab import EnforcementState, FindingState, InspectionState
from redline.organisations.access import can, role_allows

if TYPE_CHECKING:
    from redline.accounts.models import User

S = InspectionState
F = FindingState
E = EnforcementState


def on_the_team(actor: User, inspection: Inspection) -> bool:
    """One of the inspection's inspectors (who go on site)."""
    if actor.is_superuser:
        return True
    return (
        role_allows(actor, "inspect")
        and InspectionInspector.objects.filter(inspection=inspection, user_id=actor.pk).exists()
    )


def of_the_body(actor: User, inspection: Inspection) -> bool:
    """Staff of the inspecting body who inspect or manage."""
    if actor.is_superuser:
        return True
    return actor.organisation_id == inspection.organisation_id and role_allows(actor, "inspect")


def body_manager(actor: User, inspection: Inspection) -> bool:
    if actor.is_superuser:
        return True
    return actor.organisation_id == inspection.organisation_id and role_allows(actor, "archive")


def the_unit(actor: User, finding: Finding) -> bool:
    """The inspected unit's own people who may act for it."""
    org = actor.organisation
    return (
        org is not None
        and org.enterprise_id == finding.inspection.enterprise_id
        and can(actor, "change")
    )


def inspecting_body(actor: User, finding: Finding) -> bool:
    return of_the_body(actor, finding.inspection)


def _findings_answered(inspection: Inspection) -> Any:
    if Finding.objects.filter(inspection=inspection, state=F.OPEN).exists():
        return _("The unit has not answered every finding yet.")
    return None


TEAM = _("an inspector of the team")
BODY = _("the inspecting body")
UNIT = _("the inspected unit")

INSPECTION = Machine(
    name="inspection",
    model=Inspection,
    event_model=InspectionEvent,
    event_record="inspection",
    transitions={
        t.name: t
        for t in [
            Transition(
                "check_in",
                _("Check in on site"),
                frozenset({S.PLANNED}),
                S.IN_PROGRESS,
                on_the_team,
                TEAM,
                fields=step_fields(place=Text(limit=200)),
                required=frozenset({"place"}),
            ),
            Transition(
                "complete",
                _("Complete the inspection"),
                frozenset({S.IN_PROGRESS}),
                None,  # awaiting the unit's answers, or closed when nothing was found
                on_the_team,
                TEAM,
                fields=step_fields(summary=Text(limit=4000)),
            ),
            Transition(
                "close",
                _("Close the inspection"),
                frozenset({S.AWAITING_UNIT}),
                S.CLOSED,
                of_the_body,
                BODY,
                guards=(_findings_answered,),
            ),
            Transition(
                "cancel",
                _("Cancel the inspection"),
                frozenset({S.PLANNED}),
                S.CANCELLED,
                body_manager,
                _("the inspecting body's managers"),
                required=frozenset({"comment"}),
            ),
        ]
    },
    system_actions={
        "plan": _("Planned"),
        "finding": _("Finding recorded"),
        "audit_paper": _("Audit working paper drawn"),
    },
    messages=Messages(
        stale=_(
            "Someone else acted on this inspection since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this inspection at the same moment. Reload it."),
        wrong_state=_("This inspection is %(state)s; that step is not possible now."),
    ),
    hooks="redline.inspections.steps",
    contract="redline.inspections.tests.contract:InspectionContract",
    related=("enterprise", "organisation", "template"),
    door_action="view",  # who acts is the team's and the body's to say, not the mandate's
    enterprise_of=lambda inspection: inspection.enterprise_id,
    touch=(),
)

FINDING = Machine(
    name="finding",
    model=Finding,
    event_model=FindingEvent,
    event_record="finding",
    transitions={
        t.name: t
        for t in [
            Transition(
                "answer",
                _("Answer the finding"),
                frozenset({F.OPEN}),
                F.ANSWERED,
                the_unit,
                UNIT,
                required=frozenset({"comment"}),
            ),
            Transition(
                "accept",
                _("Accept the answer"),
                frozenset({F.ANSWERED}),
                F.CLOSED,
                inspecting_body,
                BODY,
            ),
            Transition(
                "return",
                _("Return: the answer is not enough"),
                frozenset({F.ANSWERED}),
                F.OPEN,
                inspecting_body,
                BODY,
                required=frozenset({"comment"}),
            ),
        ]
    },
    system_actions={"found": _("Found on inspection")},
    messages=Messages(
        stale=_(
            "Someone else acted on this finding since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this finding at the same moment. Reload it."),
        wrong_state=_("This finding is %(state)s; that step is not possible now."),
    ),
    hooks="redline.inspections.steps",
    contract="redline.inspections.tests.contract:FindingContract",
    related=("inspection", "inspection__enterprise"),
    door_action="view",
    enterprise_of=lambda finding: finding.inspection.enterprise_id,
)


def _the_unit(actor: User, action: EnforcementAction) -> bool:
    org = actor.organisation
    return org is not None and org.enterprise_id == action.enterprise_id and can(actor, "change")


def _the_body(actor: User, action: EnforcementAction) -> bool:
    return of_the_body(actor, action.inspection)


def _body_manager(actor: User, action: EnforcementAction) -> bool:
    return body_manager(actor, action.inspection)


ISSUER = _("the issuing body")
NEW_DEADLINE = Date(not_past=_("The deadline cannot be in the past."))

ENFORCEMENT = Machine(
    name="enforcement",
    model=EnforcementAction,
    event_model=EnforcementEvent,
    event_record="action_record",
    transitions={
        t.name: t
        for t in [
            Transition(
                "report_compliance",
                _("Report compliance"),
                frozenset({E.ISSUED}),
                E.COMPLIED,
                _the_unit,
                _("the unit"),
                required=frozenset({"comment"}),
                photos=True,
            ),
            Transition(
                "verify",
                _("Re-inspected: complied"),
                frozenset({E.COMPLIED}),
                E.CLOSED,
                _the_body,
                ISSUER,
                photos=True,
            ),
            Transition(
                "reject",
                _("Re-inspected: not complied (new deadline)"),
                frozenset({E.COMPLIED}),
                E.ISSUED,
                _the_body,
                ISSUER,
                fields=step_fields(deadline=NEW_DEADLINE),
                required=frozenset({"comment"}),
                photos=True,
            ),
            Transition(
                "revoke",
                _("Revoke"),
                frozenset({E.ISSUED, E.COMPLIED}),
                E.REVOKED,
                _body_manager,
                _("the issuing body's managers"),
                required=frozenset({"comment"}),
            ),
        ]
    },
    system_actions={
        "issue": _("Issued"),
        "remind": _("Deadline reminder sent"),
        "overdue": _("Deadline passed: overdue"),
        "escalate": _("Escalated"),
    },
    messages=Messages(
        stale=_(
            "Someone else acted on this enforcement action since you opened it (it is now "
            "%(state)s). Reload it and check before acting."
        ),
        raced=_("Someone else acted on this enforcement action at the same moment."),
        wrong_state=_("This enforcement action is %(state)s; that step is not possible now."),
    ),
    hooks="redline.inspections.enforcement",
    contract="redline.inspections.tests.contract:EnforcementContract",
    related=("inspection", "enterprise"),
    door_action="view",
    enterprise_of=lambda action: action.enterprise_id,
)
