"""An assessment's life, as a machine on the workflow kernel.

    draft --publish (the city government or the Safety Committee office's managers: the
        door's "manage"; with the publication note, e.g. the document's number)--> published

A draft's computed figures are measured from the records and kept with their time
(`services.assessment_measure`); publishing measures them again and freezes its inputs
(`steps.prepare`: the measured value of every indicator for every subject, the entered
items, bonuses and vetoes, each department's ranking group, and the scheme's data itself),
after which the scores are recomputed from those inputs only, with that scheme.
Only one assessment of a period is published (a guard, and a constraint in the database).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from redline.assessment.models import Assessment, AssessmentEvent, AssessmentState
from redline.core.workflow import Machine, Messages, Transition
from redline.organisations.access import may

if TYPE_CHECKING:
    from redline.accounts.models import User

S = AssessmentState


def the_office(actor: User, record: Assessment) -> bool:
    return may(actor, "manage", record)


def _one_published(record: Assessment) -> Any:
    taken = (
        Assessment.objects.filter(
            state=S.PUBLISHED,
            subject_kind=record.subject_kind,
            year=record.year,
            period_kind=record.period_kind,
            period_index=record.period_index,
        )
        .exclude(pk=record.pk)
        .exists()
    )
    if taken:
        return _("An assessment of this period is already published.")
    return None


ASSESSMENT = Machine(
    name="assessment",
    model=Assessment,
    event_model=AssessmentEvent,
    event_record="assessment",
    transitions={
        "publish": Transition(
            "publish",
            _("Publish and freeze the inputs"),
            frozenset({S.DRAFT}),
            S.PUBLISHED,
            the_office,
            _("the city government and the Safety Committee office"),
            required=frozenset({"comment"}),
            guards=(_one_published,),
        ),
    },
    system_actions={"create": _("Created")},
    messages=Messages(
        stale=_(
            "Someone else acted on this assessment since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this assessment at the same moment. Reload it."),
        wrong_state=_("This assessment is %(state)s; that step is not possible now."),
    ),
    hooks="redline.assessment.steps",
    contract="redline.assessment.tests.contract:AssessmentContract",
    related=("created_by",),
    door_action="view",
    audit_exclude=("inputs",),
)
