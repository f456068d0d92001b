"""The Safety Committee's meetings and the key tasks deployed at them (安委会 / 督办).

A key task is an organisation's affair, not a unit's: it is read through the one door by the
bodies it names (its lead department and the cooperating ones), by the governments of the
regions it reaches, and by the city government and the Safety Committee office, which see and
supervise every task (`Scope.organisation_id`, `Scope.region_paths`; see `tasks_q`). A task is
a case workflow on the kernel (`committee/workflow.py`); its timeline is its own event rows.
Its progress reports follow it, and so does a meeting: whoever sees one of a meeting's tasks
sees the meeting.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from redline.committee.vocab import Cadence, MeetingKind, TaskState
from redline.core.models import CaseEvent, who_field
from redline.organisations.models import Organisation, Person, Region, ScopedQuerySet

if TYPE_CHECKING:
    from redline.organisations.access import Scope


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of a region and of every region above it."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def tasks_q(scope: Scope, prefix: str = "") -> models.Q:
    """A filter on KeyTask (reached through `prefix`) for a scope that does not see
    everything: the tasks naming the scope's organisation (lead or cooperating), and those
    reaching the scope's regions (placed in their subtrees or above them, or city-wide)."""
    parts: list[models.Q] = []
    if scope.organisation_id:
        cooperating = KeyTask.cooperating.through.objects.filter(
            organisation_id=scope.organisation_id
        ).values("keytask_id")
        parts.append(
            models.Q(**{f"{prefix}lead_id": scope.organisation_id})
            | models.Q(**{f"{prefix}pk__in": cooperating})
        )
    if scope.region_paths:
        parts.append(reaching_q(scope.region_paths, prefix))
    if not parts:
        return models.Q(**{f"{prefix}pk__in": []})
    return reduce(or_, parts)


def reaching_q(region_paths: Iterable[str], prefix: str = "") -> models.Q:
    """A filter on KeyTask (reached through `prefix`): the tasks reaching any of these
    regions, placed in their subtrees or above them, or city-wide (no region named)."""
    paths = list(region_paths)
    below = [models.Q(region__path__startswith=p) for p in paths]
    above = [a for p in paths for a in ancestor_paths(p)]
    placed = KeyTask.regions.through.objects.filter(
        reduce(or_, below) | models.Q(region__path__in=above)
    ).values("keytask_id")
    placed_anywhere = KeyTask.regions.through.objects.values("keytask_id")
    return models.Q(**{f"{prefix}pk__in": placed}) | ~models.Q(
        **{f"{prefix}pk__in": placed_anywhere}
    )


class MeetingQuerySet(ScopedQuerySet):
    """A meeting is seen by the body that held it and by whoever sees one of its tasks."""

    def scope_filter(self, scope: Scope) -> models.Q:
        tasks = KeyTask.objects.filter(tasks_q(scope)).values("meeting_id")
        held = models.Q(body_id=scope.organisation_id) if scope.organisation_id else None
        seen = models.Q(pk__in=tasks)
        return seen | held if held is not None else seen


class Meeting(models.Model):
    """A meeting of the Safety Committee (a plenary, its liaison officers, a special one) or
    a government's safety work conference: who held it, when, who attended, the minutes,
    and the key tasks deployed there."""

    body = models.ForeignKey(
        Organisation,
        verbose_name=_("held by"),
        on_delete=models.PROTECT,
        related_name="committee_meetings",
    )
    held_on = models.DateField(_("held on"))
    kind = models.CharField(_("kind of meeting"), max_length=12, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    attendees = models.TextField(_("attendees"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = who_field(_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"))

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("committee meeting")
        verbose_name_plural = _("committee meetings")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("committee-meeting", args=[self.pk])


class KeyTaskQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> models.Q:
        return tasks_q(scope)

    def open(self) -> KeyTaskQuerySet:
        return self.filter(state__in=TaskState.open_states())


class KeyTask(models.Model):
    """A key task deployed by the Safety Committee (at a meeting, or on its own): who leads
    it, who cooperates, where, by when, what it must achieve and how often its progress is
    reported. The office supervises it (督办): reminders, the overdue flag and escalation for
    each reporting period and for the deadline (`committee/deadlines.py`), and it verifies
    completion."""

    number = models.CharField(_("number"), max_length=24, unique=True, editable=False)
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("deployed at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    supervisor = models.ForeignKey(
        Organisation,
        verbose_name=_("supervising body"),
        on_delete=models.PROTECT,
        related_name="supervised_key_tasks",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(
        Organisation,
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        related_name="led_key_tasks",
    )
    lead_person = models.ForeignKey(
        Person,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cooperating = models.ManyToManyField(
        Organisation,
        verbose_name=_("cooperating departments"),
        blank=True,
        related_name="cooperating_key_tasks",
    )
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("regions"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for the whole city."),
    )
    deadline = models.DateField(_("deadline"))
    outcome = models.CharField(_("measurable outcome"), max_length=300)
    target_value = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    figure = models.DecimalField(
        _("latest figure"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    cadence = models.CharField(_("reporting cadence"), max_length=12, choices=Cadence.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=TaskState.choices, default=TaskState.DEPLOYED
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # Supervision of the reporting periods: the next report due, and what was done about
    # the current period (cleared by the lead department's report).
    next_report_due = models.DateField(_("next report due"), null=True, blank=True)
    last_report_at = models.DateTimeField(_("last report"), null=True, blank=True)
    report_reminded_at = models.DateTimeField(null=True, blank=True)
    report_overdue_since = models.DateTimeField(_("report overdue since"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("report escalation level"), default=0)
    # Supervision of the task's deadline.
    deadline_reminded_at = models.DateTimeField(null=True, blank=True)
    deadline_overdue_since = models.DateTimeField(
        _("past its deadline since"), null=True, blank=True
    )
    deadline_escalation_level = models.PositiveSmallIntegerField(
        _("deadline escalation level"), default=0
    )
    completion_reported_at = models.DateTimeField(_("completion reported"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    created_by = who_field(_("deployed by"))
    created_at = models.DateTimeField(_("deployed at (time)"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = KeyTaskQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("key task")
        verbose_name_plural = _("key tasks")
        indexes = [
            models.Index(fields=["state", "next_report_due"], name="keytask_state_due"),
            models.Index(fields=["state", "deadline"], name="keytask_state_deadline"),
            models.Index(fields=["lead", "state"], name="keytask_lead_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("committee-task", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state in TaskState.open_states()

    @property
    def overdue(self) -> bool:
        """Left unreported past its period, or open past its deadline (as flagged)."""
        return self.is_open and bool(self.report_overdue_since or self.deadline_overdue_since)

    @property
    def progress(self) -> float | None:
        """The latest figure as a share of the target, in percent (one decimal)."""
        if self.figure is None or not self.target_value:
            return None
        return round(float(100 * self.figure / self.target_value), 1)


class KeyTaskEvent(CaseEvent):
    task = models.ForeignKey(KeyTask, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("key task event")
        verbose_name_plural = _("key task events")


class ProgressReportQuerySet(ScopedQuerySet):
    """A progress report follows its task."""

    def scope_filter(self, scope: Scope) -> models.Q:
        return models.Q(task__in=KeyTask.objects.filter(tasks_q(scope)).values("pk"))


class ProgressReport(models.Model):
    """A body's report on a key task's progress (or the lead department's report that it is
    done, `final`): what was done, the figure reached toward the target, photos as evidence
    (`hazards.Photo.progress_report`). `period_due` is the report-due date in force when it
    came: the lead department's report answers that period."""

    task = models.ForeignKey(KeyTask, on_delete=models.CASCADE, related_name="reports")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("reporting body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    period_due = models.DateField(_("period (report due)"), null=True, blank=True)
    text = models.TextField(_("progress"))
    figure = models.DecimalField(
        _("figure"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    final = models.BooleanField(_("completion report"), default=False)
    reported_by = who_field(_("reported by"))
    reported_at = models.DateTimeField(_("reported at"))
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        indexes = [models.Index(fields=["task", "reported_at"], name="report_task_time")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.reported_at:%Y-%m-%d}"


def audit_extra(task: KeyTask) -> dict[str, Any]:
    """A task's many-to-many fields as the change log keeps them: (id, name) pairs."""
    return {
        "cooperating": [[o.pk, str(o)] for o in task.cooperating.all()],
        "regions": [[r.pk, str(r)] for r in task.regions.all()],
    }
