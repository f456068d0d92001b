"""Supervision of the Safety Committee's key tasks (督办), declared on the one deadline sweep
(`redline.core.deadlines`): for each reporting period and for the task's deadline, a reminder
before, the overdue flag after, and escalation at REDLINE_COMMITTEE_ESCALATION_DAYS to the
Safety Committee office of the task's level (level 1), then to its government, the leader in
charge (level 2). Each happens once per period and deadline: the lead department's report
clears the period's marks and moves the report due (`committee/steps.py`), so the next
period is supervised afresh. Run by the scheduler (`redline jobs`, `committee/tasks.py`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext_lazy

from redline.committee.models import KeyTask
from redline.committee.vocab import TaskState
from redline.committee.workflow import KEY_TASK
from redline.core.deadlines import Actions, Deadlines, Subjects, sweep
from redline.core.notify import users_of
from redline.organisations import selectors as org_selectors
from redline.organisations.models import Organisation
from redline.organisations.vocab import OrganisationKind

if TYPE_CHECKING:
    from redline.accounts.models import User

# Who is told at each escalation level: the office of the task's level, then its government.
ESCALATION_KINDS = {1: OrganisationKind.COMMITTEE_OFFICE, 2: OrganisationKind.GOVERNMENT}


def escalation_bodies(task: KeyTask, level: int) -> list[Organisation]:
    """The bodies of an escalation level, at the level of the task's supervising body (its
    region): the Safety Committee office (1), then the government (2); the supervising body
    itself when its region has no body of that kind."""
    region = task.supervisor.region
    at_level = org_selectors.governments_at(region, (region.level,))
    kind = ESCALATION_KINDS.get(level, OrganisationKind.GOVERNMENT)
    chosen = [o for o in at_level if o.region_id == region.pk and o.kind == kind]
    return chosen or [task.supervisor]


def _who(task: KeyTask, level: int) -> tuple[list[User], list[str]]:
    if not level:
        return users_of([task.lead_id]), []
    bodies = escalation_bodies(task, level)
    return users_of([o.pk for o in bodies]), [str(o) for o in bodies]


def _name(task: KeyTask) -> str:
    return f"{task.number} {task.title}"


def _body(task: KeyTask, level: int) -> str:
    return str(task.lead) if level else ""


def _reporting() -> Any:
    return KeyTask.objects.filter(state__in=TaskState.reporting_states())


REPORTS = Deadlines(
    machine=KEY_TASK,
    late=_reporting,
    due="next_report_due",
    remind_days=lambda: settings.REDLINE_COMMITTEE_REMIND_DAYS,
    escalation_days=lambda: settings.REDLINE_COMMITTEE_ESCALATION_DAYS,
    subjects=Subjects(
        remind=gettext_lazy("Progress report due by %(date)s: %(name)s"),
        overdue=gettext_lazy("Progress report overdue: %(name)s (due %(date)s)"),
        escalate=gettext_lazy("Escalated: no progress report on %(name)s (due %(date)s)"),
    ),
    who=_who,
    name=_name,
    url=lambda task: task.get_absolute_url(),
    key="keytask-report",
    body=_body,
    actions=Actions("report_remind", "report_overdue", "report_escalate"),
    reminded="report_reminded_at",
    overdue="report_overdue_since",
    level="escalation_level",
    related=("lead", "supervisor__region"),
)

DEADLINES = Deadlines(
    machine=KEY_TASK,
    late=_reporting,
    due="deadline",
    remind_days=lambda: settings.REDLINE_COMMITTEE_DEADLINE_REMIND_DAYS,
    escalation_days=lambda: settings.REDLINE_COMMITTEE_ESCALATION_DAYS,
    subjects=Subjects(
        remind=gettext_lazy("Key task due by %(date)s: %(name)s"),
        overdue=gettext_lazy("Key task past its deadline: %(name)s (deadline %(date)s)"),
        escalate=gettext_lazy("Escalated: %(name)s is past its deadline (%(date)s)"),
    ),
    who=_who,
    name=_name,
    url=lambda task: task.get_absolute_url(),
    key="keytask-deadline",
    body=_body,
    reminded="deadline_reminded_at",
    overdue="deadline_overdue_since",
    level="deadline_escalation_level",
    related=("lead", "supervisor__region"),
)


def key_task_supervision_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Both sweeps: the reporting periods, then the deadlines (counts by rule and step)."""
    counts: dict[str, int] = {}
    for prefix, rule in (("report", REPORTS), ("deadline", DEADLINES)):
        for step, n in sweep(rule, now=now).items():
            counts[f"{prefix}_{step}"] = n
    return counts
