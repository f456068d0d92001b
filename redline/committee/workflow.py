"""A Safety Committee key task's life, as a machine on the workflow kernel.

    deployed --start (the lead department) or the first progress report--> in progress
    deployed, in progress --report (a body the task names, or a government of a region it
        reaches: text, figure, photos; the lead department's report answers the period and
        moves the next report due by the cadence)--> in progress
    deployed, in progress --report_completion (the lead department, with evidence)-->
        completion reported
    completion reported --verify (the city Safety Committee office or government, not the
        lead body itself)--> verified and closed
    completion reported --return (the office, saying why)--> in progress
    deployed, in progress, completion reported --cancel (the office, with a reason)-->
        cancelled
    deployed, in progress --amend (the office, with a reason: a new deadline, cadence, next
        report date, outcome or target; a new date is watched afresh by the sweep)--> the
        same state

Completion needs the office's verification: nothing but `verify` closes a task. The kernel
loads the task through the door (what the actor reads), refuses with one code per reason,
applies the step with a conditional update and writes the timeline and the change log; the
hooks in `committee/steps.py` say what each step changes. The sweep of the reporting periods
and of the deadline (reminders, overdue flags, escalation) is declared in
`committee/deadlines.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from redline.committee.models import KeyTask, KeyTaskEvent
from redline.committee.vocab import Cadence, TaskState
from redline.core.readers import Choice, Date, Number
from redline.core.workflow import Machine, Messages, Text, Transition, step_fields
from redline.organisations.access import may, role_allows

if TYPE_CHECKING:
    from redline.accounts.models import User

S = TaskState


def reporter(actor: User, task: KeyTask) -> bool:
    """Someone who may report the task's progress (the door's "report_progress": writers of
    a body the task names, or of a government below the city that it reaches)."""
    return may(actor, "report_progress", task)


def of_the_lead(actor: User, task: KeyTask) -> bool:
    """The lead department's writers."""
    if actor.is_superuser:
        return True
    return actor.organisation_id == task.lead_id and role_allows(actor, "report_progress")


def the_office(actor: User, task: KeyTask) -> bool:
    """The managers of the city Safety Committee office and the city government (the door's
    "manage")."""
    return may(actor, "manage", task)


def _not_the_lead(actor: User, task: KeyTask) -> Any:
    if actor.organisation_id is not None and actor.organisation_id == task.lead_id:
        return _("The lead department cannot verify its own completion.")
    return None


# The sweep's steps that carry the date they are about (`redline.committee.deadlines`).
DEADLINE_STEPS = frozenset({"report_remind", "report_overdue", "remind", "overdue"})


def describe(event: Any) -> list[str]:
    """An event's lines of detail on the timeline."""
    data = event.data or {}
    lines: list[Any] = []
    if data.get("figure") is not None:
        lines.append(_("Figure reported: %(value)s") % {"value": data["figure"]})
    if data.get("period"):
        lines.append(_("Answers the report due %(date)s") % {"date": data["period"]})
    if data.get("next_due"):
        lines.append(_("Next report due %(date)s") % {"date": data["next_due"]})
    if data.get("photos"):
        count = int(data["photos"])
        lines.append(
            ngettext("%(n)d photo as evidence", "%(n)d photos as evidence", count) % {"n": count}
        )
    if data.get("deadline") and event.action in DEADLINE_STEPS:
        lines.append(_("Due %(date)s") % {"date": data["deadline"]})
    if data.get("to"):
        lines.append(_("Escalated to: %(bodies)s") % {"bodies": "、".join(data["to"])})
    for name, (old, new) in sorted((data.get("amended") or {}).items()):
        label = AMENDED.get(name, name)
        lines.append(
            _("%(field)s: %(old)s → %(new)s") % {"field": label, "old": old or "—", "new": new}
        )
    return [str(line) for line in lines]


AMENDED = {
    "deadline": _("To be done before"),
    "next_report_due": _("Next report due"),
    "cadence": _("Reporting cadence"),
    "outcome": _("Measurable outcome"),
    "target_value": _("Target value"),
}
LEAD = _("the lead department")
REPORTERS = _("the bodies the task names and the governments of its regions")
OFFICE = _("the Safety Committee office")

REPORT_FIELDS = step_fields(figure=Number(), key=Text(limit=120))
AMEND_FIELDS = step_fields(
    deadline=Date(not_past=_("The deadline cannot be in the past.")),
    next_report_due=Date(not_past=_("The next report cannot be due in the past.")),
    cadence=Choice(Cadence.values),
    outcome=Text(limit=300),
    target_value=Number(),
)

KEY_TASK = Machine(
    name="keytask",
    model=KeyTask,
    event_model=KeyTaskEvent,
    event_record="task",
    transitions={
        t.name: t
        for t in [
            Transition(
                "start",
                _("Start the work"),
                frozenset({S.DEPLOYED}),
                S.IN_PROGRESS,
                of_the_lead,
                LEAD,
            ),
            Transition(
                "report",
                _("Report progress"),
                frozenset({S.DEPLOYED, S.IN_PROGRESS}),
                S.IN_PROGRESS,
                reporter,
                REPORTERS,
                fields=REPORT_FIELDS,
                required=frozenset({"comment"}),
                photos=True,
            ),
            Transition(
                "report_completion",
                _("Report completion"),
                frozenset({S.DEPLOYED, S.IN_PROGRESS}),
                S.COMPLETION_REPORTED,
                of_the_lead,
                LEAD,
                fields=step_fields(figure=Number()),
                required=frozenset({"comment"}),
                photos=True,
            ),
            Transition(
                "verify",
                _("Verify the completion"),
                frozenset({S.COMPLETION_REPORTED}),
                S.VERIFIED,
                the_office,
                OFFICE,
                separation=_not_the_lead,
            ),
            Transition(
                "return",
                _("Return: not done yet"),
                frozenset({S.COMPLETION_REPORTED}),
                S.IN_PROGRESS,
                the_office,
                OFFICE,
                required=frozenset({"comment"}),
            ),
            Transition(
                "amend",
                _("Amend the task"),
                frozenset({S.DEPLOYED, S.IN_PROGRESS}),
                None,
                the_office,
                OFFICE,
                fields=AMEND_FIELDS,
                required=frozenset({"comment"}),
            ),
            Transition(
                "cancel",
                _("Cancel the task"),
                frozenset({S.DEPLOYED, S.IN_PROGRESS, S.COMPLETION_REPORTED}),
                S.CANCELLED,
                the_office,
                OFFICE,
                required=frozenset({"comment"}),
            ),
        ]
    },
    system_actions={
        "deploy": _("Deployed"),
        "report_remind": _("Progress report reminder sent"),
        "report_overdue": _("Progress report flagged overdue"),
        "report_escalate": _("Escalated: progress report missing"),
        "remind": _("Deadline reminder sent"),
        "overdue": _("Flagged past its deadline"),
        "escalate": _("Escalated: past its deadline"),
    },
    messages=Messages(
        stale=_(
            "Someone else acted on this task since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this task at the same moment. Reload it."),
        wrong_state=_("This task is %(state)s; that step is not possible now."),
    ),
    hooks="redline.committee.steps",
    contract="redline.committee.tests.contract:KeyTaskContract",
    related=("lead", "supervisor__region"),
    door_action="view",  # who acts is the transitions' to say (the door's report / manage)
    audit_exclude=("updated_at",),
    comment_missing=None,
    describe=describe,
)
