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

The kernel loads the record through the door (an inspection follows its unit), refuses with
one code per reason, applies the step with a conditional update and writes the timeline and
the change log; the hooks in `inspections/steps.py` say what each step changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import Machine, Messages, Text, Transition, step_fields
from redline.inspections.models import (
    Finding,
    FindingEvent,
    Inspection,
    InspectionEvent,
    InspectionInspector,
)
from redline.inspections.vocab import FindingState, InspectionState
from redline.organisations.access import can, role_allows

if TYPE_CHECKING:
    from redline.accounts.models import User

S = InspectionState
F = FindingState


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
