"""Training records, certificates and what the rules need to know of a person.

One file per person (一人一档): a person of a unit (`organisations.Person`: main responsible
person, safety manager or post holder) has a `TrainingProfile` (when they started, the
special operations they perform), their `PostChange`s (re-training triggers), their
`TrainingRecord`s and their `Certificate`s. All of them follow the person's unit through the
one door: whoever sees the unit sees them, nobody else. A certificate is a case on the
workflow kernel (`training/workflow.py`: reviewed, revoked) and its expiry is swept by the one
deadline sweep (`training/deadlines.py`).
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from redline.core.models import CaseEvent, who_field
from redline.organisations.models import Person, ScopedQuerySet
from redline.training.vocab import CertificateKind, CertificateState, ChangeKind, Level, Purpose


class PersonRecordQuerySet(ScopedQuerySet):
    """A person's training file follows the person's unit."""

    enterprise_path = "person__enterprise__"


class TrainingProfile(models.Model):
    person = models.OneToOneField(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="training_profile",
    )
    started_on = models.DateField(_("started on (hired or appointed)"), null=True, blank=True)
    operations = models.CharField(
        _("special operations performed"),
        max_length=500,
        blank=True,
        help_text=_("Operation item codes, e.g. ,welding-fusion,electrical-lv,"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("training profile")
        verbose_name_plural = _("training profiles")

    def __str__(self) -> str:
        return str(self.person)

    @property
    def operation_list(self) -> list[str]:
        return [code for code in self.operations.split(",") if code]


class PostChange(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="post_changes"
    )
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=ChangeKind.choices)
    absent_days = models.PositiveIntegerField(_("days away"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = who_field(_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"))

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        ordering = ["person", "on", "id"]
        verbose_name = _("post change")
        verbose_name_plural = _("post changes")

    def __str__(self) -> str:
        return f"{self.person.name} {self.get_kind_display()} {self.on}"


def _evidence_path(record: TrainingRecord, filename: str) -> str:
    return f"training/{record.day:%Y}/{filename}"


class TrainingRecord(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="training"
    )
    course = models.CharField(_("course"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    day = models.DateField(_("date"))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    purpose = models.CharField(_("counts for"), max_length=20, choices=Purpose.choices)
    trainer = models.CharField(_("trainer"), max_length=100, blank=True)
    evidence = models.FileField(_("evidence"), upload_to=_evidence_path, max_length=200, blank=True)
    trainer_signed = models.BooleanField(_("signed by the trainer"), default=False)
    trainee_signed = models.BooleanField(_("signed by the trainee"), default=False)
    created_by = who_field(_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"))

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        ordering = ["person", "-day", "-id"]
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0), name="training_record_hours_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person.name} {self.course} {self.day}"


class Certificate(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="certificates"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CertificateKind.choices)
    category = models.CharField(_("operation category"), max_length=40, blank=True)
    item = models.CharField(_("operation item"), max_length=40, blank=True)
    number = models.CharField(_("certificate number"), max_length=60)
    issuer = models.CharField(_("issued by"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    review_due = models.DateField(_("next review due"), null=True, blank=True)
    long_service = models.BooleanField(
        _("≥10 years in the trade without breach (review every 6 years)"), default=False
    )
    state = models.CharField(
        _("state"), max_length=20, choices=CertificateState.choices, default=CertificateState.VALID
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # The one deadline sweep's marks (expiry: reminded before, flagged after).
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_since = models.DateTimeField(null=True, blank=True, editable=False)
    escalation_level = models.PositiveSmallIntegerField(default=0, editable=False)
    created_by = who_field(_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"))

    objects = PersonRecordQuerySet.as_manager()

    class Meta:
        ordering = ["person", "kind", "-valid_until", "id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="certificate_kind_number"),
        ]
        indexes = [models.Index(fields=["state", "valid_until"], name="certificate_expiry")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("training-certificate", args=[self.pk])


class CertificateEvent(CaseEvent):
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("certificate event")
        verbose_name_plural = _("certificate events")
