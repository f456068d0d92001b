"""An accident's investigation, as a machine on the workflow kernel.

    reported --supplement (the unit or the government side, while the supplementary window
        of Decree 493 art. 13 is open: the changed casualty figures; the level is computed
        again by the engine)--> reported
    reported --start_investigation (the government side: who investigates)--> investigating
    investigating --supplement--> investigating
    investigating --submit_report (the government side: the findings, the final figures
        and the report as a PDF)--> closed

The level is never a step's input: `steps.prepare` recomputes it from the figures with the
Decree 493 engine, and the database refuses a row whose level disagrees with its figures.
The supplementary window and the investigation report's deadline (art. 29) are swept by
`accidents/deadlines.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from redline.accidents.models import Accident, AccidentEvent
from redline.accidents.readers import Casualties, Yuan
from redline.accidents.vocab import AccidentState, Level
from redline.core.readers import Text
from redline.core.workflow import Machine, Messages, Transition, step_fields
from redline.organisations.access import is_government_side, may

if TYPE_CHECKING:
    from redline.accounts.models import User

S = AccidentState


def writer(actor: User, accident: Accident) -> bool:
    """Writers who may change the accident (the door's "change": its unit's own account, or
    the government side over its unit, region or sector)."""
    return may(actor, "change", accident)


def government_writer(actor: User, accident: Accident) -> bool:
    return is_government_side(actor) and may(actor, "change", accident)


def window_open(accident: Accident) -> Any:
    if timezone.localdate() > accident.supplement_until:
        return _(
            "The supplementary-report window closed on %(date)s; the investigation report "
            "gives the final figures."
        ) % {"date": accident.supplement_until.isoformat()}
    return None


# The sweep's steps that carry the date they are about (`redline.accidents.deadlines`).
DEADLINE_STEPS = frozenset({"window_remind", "window_closed", "remind", "overdue"})


def describe(event: Any) -> list[str]:
    data = event.data or {}
    lines: list[Any] = []
    for name, label in (
        ("deaths", _("Deaths")),
        ("serious_injuries", _("Serious injuries")),
        ("direct_loss_cny", _("Direct economic loss (CNY)")),
    ):
        if name in data:
            lines.append(
                _("%(what)s: %(before)s → %(after)s")
                % {"what": label, "before": data[name][0], "after": data[name][1]}
            )
    # A change of the accident's level is a pair (before, after); an escalation's "level"
    # is how far up it went (a number), shown by "to" below.
    if isinstance(data.get("level"), list | tuple):
        labels = dict(Level.choices)
        before, after = data["level"]
        lines.append(
            _("Level: %(before)s → %(after)s")
            % {"before": labels.get(before, before), "after": labels.get(after, after)}
        )
    if data.get("investigating_body"):
        lines.append(_("Investigated by %(body)s") % {"body": data["investigating_body"]})
    if data.get("report"):
        lines.append(_("Investigation report attached: %(name)s") % {"name": data["report"]})
    if data.get("photos"):
        count = int(data["photos"])
        lines.append(
            ngettext("%(n)d photo as evidence", "%(n)d photos as evidence", count) % {"n": count}
        )
    if data.get("deadline") and event.action in DEADLINE_STEPS:
        lines.append(_("Due %(date)s") % {"date": data["deadline"]})
    if data.get("to"):
        lines.append(_("Escalated to: %(bodies)s") % {"bodies": "、".join(data["to"])})
    return [str(line) for line in lines]


FIGURES = {"deaths": Casualties(), "serious_injuries": Casualties(), "direct_loss_cny": Yuan()}
WRITERS = _("the unit or the government side in charge")
GOVERNMENT = _("the government side in charge")

ACCIDENT = Machine(
    name="accident",
    model=Accident,
    event_model=AccidentEvent,
    event_record="accident",
    transitions={
        t.name: t
        for t in [
            Transition(
                "supplement",
                _("Supplementary report"),
                frozenset({S.REPORTED, S.INVESTIGATING}),
                None,
                writer,
                WRITERS,
                fields=step_fields(**FIGURES),
                required=frozenset({"comment"}),
                guards=(window_open,),
            ),
            Transition(
                "start_investigation",
                _("Start the investigation"),
                frozenset({S.REPORTED}),
                S.INVESTIGATING,
                government_writer,
                GOVERNMENT,
                fields=step_fields(investigating_body=Text(limit=200)),
                required=frozenset({"investigating_body"}),
            ),
            Transition(
                "submit_report",
                _("Submit the investigation report"),
                frozenset({S.INVESTIGATING}),
                S.CLOSED,
                government_writer,
                GOVERNMENT,
                fields=step_fields(**FIGURES),
                required=frozenset({"comment"}),
                photos=True,  # the report (PDF) and photos as evidence
            ),
        ]
    },
    system_actions={
        "record": _("Recorded"),
        "edit": _("Edited"),
        "window_remind": _("Supplementary-report window closing soon: reminder sent"),
        "window_closed": _("Supplementary-report window closed"),
        "window_escalate": _("Escalated: supplementary-report window"),
        "remind": _("Investigation report reminder sent"),
        "overdue": _("Investigation report flagged overdue"),
        "escalate": _("Escalated: investigation report overdue"),
    },
    messages=Messages(
        stale=_(
            "Someone else acted on this accident since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this accident at the same moment. Reload it."),
        wrong_state=_("This accident is %(state)s; that step is not possible now."),
    ),
    hooks="redline.accidents.steps",
    contract="redline.accidents.tests.contract:AccidentContract",
    related=("unit", "region"),
    door_action="view",
    audit_exclude=("updated_at",),
    enterprise_of=lambda accident: accident.unit_id,
    describe=describe,
)
