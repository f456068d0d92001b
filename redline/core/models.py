"""The append-only change log of business data, notifications, and the runs of long work."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from redline.organisations.models import ScopedQuerySet

if TYPE_CHECKING:
    from redline.organisations.access import Scope


def who_field(label: Any) -> Any:
    """An optional reference to the user who did something (kept: users are never deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=label,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )


class CaseEvent(models.Model):
    """One entry of a case's timeline (a hazard's, a signal's, an alert's...): who did what,
    when, from which state to which, with what comment and data. Each case type keeps its own
    table (a subclass with the foreign key to its record); the workflow kernel writes them
    (`redline.core.workflow`) and one partial and one API schema show them."""

    at = models.DateTimeField(_("when"))
    actor = who_field(_("who"))
    actor_name = models.CharField(_("who"), max_length=200, blank=True)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=20)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class ChangeLogQuerySet(ScopedQuerySet):
    """The door (`restrict`): an entry follows the unit of the record it is of; entries of
    no unit (campaigns, thresholds, ...) are read by those who see everything."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("The change log is append-only.")

    def delete(self) -> NoReturn:
        raise TypeError("The change log is append-only.")

    def scope_filter(self, scope: Scope) -> models.Q:
        return models.Q(enterprise__isnull=False) & scope.enterprise_q("enterprise__")


class ChangeLog(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("change", "created")
        UPDATE = "update", pgettext_lazy("change", "updated")
        STATE = "state", pgettext_lazy("change", "state changed")
        ARCHIVE = "archive", pgettext_lazy("change", "archived")
        RESTORE = "restore", pgettext_lazy("change", "restored")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("who (as recorded)"), max_length=200, blank=True)
    client = models.CharField(_("client"), max_length=16)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=100)
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=300)
    # The enterprise a record belongs to, so the log is scoped by the same jurisdiction.
    enterprise = models.ForeignKey(
        "organisations.Enterprise",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    objects = ChangeLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id", "-at"])]
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("The change log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("The change log is append-only.")

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field label, before, after) for each field people see changed (`changelog`)."""
        from redline.core.changelog import field_changes

        return list(field_changes(self))


class Notification(models.Model):
    """A message to one user, shown in the app and sent by e-mail. `key` names the event it
    announces, so announcing the same event twice (a retried job) creates nothing new."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=120)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent"), db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    # The e-mail outbox (redline.core.notify.deliver): the address it goes to ("" for none),
    # when it is next tried (None: not to be tried again), how many tries, the last error.
    email_to = models.EmailField(_("e-mail address"), blank=True)
    email_next_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notify_once_per_event")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_next_at"], name="notify_outbox"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"


class JobState(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("job state", "Queued")
    RUNNING = "running", pgettext_lazy("job state", "Running")
    DONE = "done", pgettext_lazy("job state", "Done")
    FAILED = "failed", pgettext_lazy("job state", "Failed")


class JobRun(models.Model):
    """One run of long work a user asked for (a report, say), done by the jobs process
    (`redline.core.jobs`), never in the web request: its parameters, its progress, and its
    result file (and, for an import, the file given and the problems found), kept for its
    requester alone. `token` is the form's one-time token, so a
    retried request finds the run it already made instead of making a second one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60)
    params = models.JSONField(default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_runs"
    )
    token = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=300)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    step = models.PositiveSmallIntegerField(default=0)
    steps = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("requested"), db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(blank=True)
    result_name = models.CharField(max_length=200, blank=True)
    result_type = models.CharField(max_length=120, blank=True)
    result = models.BinaryField(null=True, blank=True, editable=False)
    # What the run reports besides its file (an import: the rows read, every problem).
    summary = models.JSONField(default=dict, blank=True)
    # The file the user gave (an import), kept until the run ends.
    upload = models.BinaryField(null=True, blank=True, editable=False)
    upload_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        constraints = [
            models.UniqueConstraint(fields=["requested_by", "token"], name="job_once_per_token")
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)
