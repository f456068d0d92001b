"""What each step of a key task changes: the hooks of the machine in
`committee/workflow.py`, which the workflow kernel calls."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from redline.committee.deadlines import escalation_bodies
from redline.committee.models import KeyTask, ProgressReport
from redline.committee.vocab import next_due
from redline.core.errors import Conflict, ValidationFailed
from redline.core.notify import notify, users_of
from redline.core.records import log_change
from redline.core.workflow import Prepared, Step
from redline.hazards import evidence


def is_lead(step: Step) -> bool:
    """The step is the lead department's (a superuser acts for it)."""
    return bool(step.actor.is_superuser or step.actor.organisation_id == step.record.lead_id)


def report_key(step: Step) -> str | None:
    """The report's idempotency key as stored: the actor's, so two people's keys never meet."""
    key = str(step.values.get("key") or "").strip()
    return f"{step.actor.pk}:{key}"[:120] if key else None


def prepare(step: Step) -> Prepared:
    task: KeyTask = step.record
    if step.action in ("report", "report_completion"):
        return _prepare_report(step, task)
    if step.action == "verify":
        return Prepared({"verified_at": step.now})
    if step.action == "cancel":
        return Prepared({"cancelled_at": step.now})
    if step.action == "amend":
        return _prepare_amend(step, task)
    return Prepared()


# A new date is watched afresh: what the sweep did about the old one is cleared.
_RESETS = {
    "deadline": {
        "deadline_reminded_at": None,
        "deadline_overdue_since": None,
        "deadline_escalation_level": 0,
    },
    "next_report_due": {
        "report_reminded_at": None,
        "report_overdue_since": None,
        "escalation_level": 0,
    },
}


def _prepare_amend(step: Step, task: KeyTask) -> Prepared:
    """The office changes what it deployed (the reason is the step's comment); a field left
    out or given as it was is not a change, and a step changing nothing is refused."""
    changes: dict[str, Any] = {}
    amended: dict[str, list[str]] = {}
    for name, value in step.values.items():
        if name == "comment":
            continue
        old = getattr(task, name)
        if value == old:
            continue
        changes[name] = value
        changes |= _RESETS.get(name, {})
        amended[name] = [_shown(old), _shown(value)]
    if not amended:
        raise ValidationFailed(fields={"deadline": _("Change at least one of the task's terms.")})
    return Prepared(changes, {"amended": amended})


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _prepare_report(step: Step, task: KeyTask) -> Prepared:
    key = report_key(step)
    if key and ProgressReport.objects.filter(idempotency_key=key).exists():
        raise Conflict(_("This report has been received already."))
    step.extra["uploads"] = evidence.check_uploads(step.files)
    step.extra["key"] = key
    step.extra["period"] = task.next_report_due
    figure = step.values.get("figure")
    changes: dict[str, Any] = {"last_report_at": step.now}
    shown: dict[str, Any] = {}
    if figure is not None:
        shown["figure"] = str(figure)
    if step.extra["uploads"]:
        shown["photos"] = len(step.extra["uploads"])
    if is_lead(step):
        # The lead department's report answers the period: the next one is due a period
        # later, and what the sweep did about this period is cleared.
        if figure is not None:
            changes["figure"] = figure
        changes |= {"report_reminded_at": None, "report_overdue_since": None}
        changes["escalation_level"] = 0
        due = task.next_report_due
        if due is not None:
            shown["period"] = due.isoformat()
            if step.action == "report":
                following = next_due(due, task.cadence, timezone.localdate(step.now))
                changes["next_report_due"] = following
                shown["next_due"] = following.isoformat()
    if step.action == "report_completion":
        changes["completion_reported_at"] = step.now
    return Prepared(changes, shown)


def within(step: Step) -> None:
    if step.action not in ("report", "report_completion"):
        return
    task: KeyTask = step.record
    report = ProgressReport.objects.create(
        task=task,
        organisation=step.actor.organisation,
        period_due=step.extra["period"],
        text=step.comment,
        figure=step.values.get("figure"),
        final=step.action == "report_completion",
        reported_by=step.actor,
        reported_at=step.now,
        idempotency_key=step.extra.get("key"),
    )
    evidence.store(step.extra["uploads"], actor=step.actor, progress_report=report)
    log_change(step.actor, "create", report, None, enterprise_id=None)


def after(step: Step) -> None:
    """Who hears of a step: the supervising body and the office of the task's level of a
    completion to verify; the lead department (and the cooperating ones) of a return, a
    verification or a cancellation."""
    task: KeyTask = step.record
    if step.action not in ("report_completion", "verify", "return", "cancel"):
        return
    if step.action == "report_completion":
        bodies = [task.supervisor_id, *(o.pk for o in escalation_bodies(task, 1))]
    else:
        bodies = [task.lead_id, *task.cooperating.values_list("pk", flat=True)]
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(name)s: %(state)s") % {"name": str(task), "state": task.get_state_display()}
    notify(
        users_of(bodies),
        key=f"keytask:{task.pk}:v{task.version}",
        subject=subject,
        body=step.comment,
        url=task.get_absolute_url(),
    )
