"""Government inspection of units: checklist templates (versioned, from data files), the
inspections that use them, their answers, signatures and findings.

An inspection and a finding are case workflows declared on the kernel
(`inspections/workflow.py`); their timelines are their own event rows. Both follow their
unit through the door: whoever sees the unit sees who inspected it and what was found, so
departments see each other's visits (joint management).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from redline.core.models import CaseEvent, who_field
from redline.hazards.vocab import HazardLevel
from redline.inspections.models_audit import AuditPaper as AuditPaper  # the audit paper's
from redline.inspections.models_audit import AuditSample as AuditSample  # own module
from redline.inspections.models_plan import InspectionPlan as InspectionPlan
from redline.inspections.models_plan import InspectorProfile as InspectorProfile
from redline.inspections.vocab import (
    EnforcementKind,
    EnforcementState,
    FindingOutcome,
    FindingState,
    InspectionKind,
    InspectionState,
    Signer,
)
from redline.organisations.models import Enterprise, Organisation, ScopedQuerySet
from redline.organisations.vocab import Sector


class ChecklistTemplate(models.Model):
    """One version of a checklist, as loaded from its data file
    (`inspections/data/checklists/<code>-v<version>.json`). An inspection keeps the version
    it used; a new version is a new row."""

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    campaign_code = models.CharField(_("campaign"), max_length=40, blank=True)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    status = models.CharField(_("status"), max_length=12)  # confirmed / partial / unconfirmed
    content = models.JSONField()  # the validated data file, as it was loaded
    digest = models.CharField(max_length=64)  # SHA-256 of the content
    loaded_at = models.DateTimeField()
    is_current = models.BooleanField(_("current version"), default=True)

    class Meta:
        ordering = ["sector", "code", "-version"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="checklist_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def title(self) -> str:
        return (
            self.title_zh if (translation.get_language() or "").startswith("zh") else self.title_en
        )


class InspectionQuerySet(ScopedQuerySet):
    enterprise_path = "enterprise__"

    def open(self) -> InspectionQuerySet:
        return self.filter(state__in=InspectionState.open_states())


class Inspection(models.Model):
    """A government inspection of one unit (检查): who inspects, with which checklist, when
    and where they checked in, what they answered and found, and who signed."""

    number = models.CharField(_("number"), max_length=24, unique=True, editable=False)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("inspected unit"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("inspecting body"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InspectionKind.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    template = models.ForeignKey(
        ChecklistTemplate,
        verbose_name=_("checklist"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The special rectification campaign the inspection is made under, if any: its
    # programme's checklist is the default, and the visit counts in its progress.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    planned_on = models.DateField(_("planned for"))
    state = models.CharField(
        _("state"), max_length=16, choices=InspectionState.choices, default=InspectionState.PLANNED
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspectors"),
        through="InspectionInspector",
        related_name="inspections",
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_in_place = models.CharField(_("checked in at (place)"), max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    unit_representative = models.CharField(
        _("the unit's representative"), max_length=100, blank=True
    )
    summary = models.TextField(_("summary"), blank=True)
    created_by = who_field(_("created by"))
    created_at = models.DateTimeField(_("created at"))
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    plan = models.ForeignKey(
        "inspections.InspectionPlan",
        verbose_name=_("annual plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )

    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [
            models.Index(fields=["enterprise", "planned_on"]),
            models.Index(fields=["organisation", "state", "planned_on"]),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("inspection-detail", args=[self.pk])


class InspectionInspector(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT
    )
    lead = models.BooleanField(_("leads the inspection"), default=False)

    class Meta:
        ordering = ["-lead", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "user"], name="inspector_once")
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.user_id}"


class InspectionEvent(CaseEvent):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("inspection event")
        verbose_name_plural = _("inspection events")


class Answer(models.Model):
    """The current answer to one checklist item. Answers arrive from the inspector's phone,
    possibly late and out of order: the one answered last (by the phone's clock) stands."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    item_code = models.CharField(_("item"), max_length=20)
    value = models.JSONField(_("answer"), null=True)
    note = models.TextField(_("note"), blank=True)
    answered_by = who_field(_("answered by"))
    answered_at = models.DateTimeField(_("answered at"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["inspection", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item_code"], name="answer_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}/{self.item_code}"


class Receipt(models.Model):
    """A submission from a phone, by its idempotency key: a retried one is recognised and
    changes nothing (an answer, a photo, a signature, a check-in)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    what = models.CharField(max_length=40)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inspection", "key"], name="receipt_once")]

    def __str__(self) -> str:
        return self.key


class Signature(models.Model):
    """A signature drawn on the phone (a PNG stored as evidence, `hazards.Photo`)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="signatures")
    signer = models.CharField(_("signer"), max_length=12, choices=Signer.choices)
    user = who_field(_("inspector"))
    name = models.CharField(_("name"), max_length=100)
    photo = models.OneToOneField(
        "hazards.Photo", on_delete=models.PROTECT, related_name="signature"
    )
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_signer_display()}: {self.name}"


class FindingQuerySet(ScopedQuerySet):
    enterprise_path = "inspection__enterprise__"


class Finding(models.Model):
    """Something an inspection found wrong: a non-compliant checklist item, or a
    discrepancy in an audit's sample. It becomes a hidden hazard (the hazard loop), an
    enforcement action, or a note; the unit answers every finding."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    number = models.PositiveIntegerField(_("number"))
    item_code = models.CharField(_("checklist item"), max_length=20, blank=True)
    text = models.TextField(_("finding"))
    determination_item = models.CharField(_("determination item"), max_length=40, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=HazardLevel.choices)
    outcome = models.CharField(_("becomes"), max_length=16, choices=FindingOutcome.choices)
    hazard = models.ForeignKey(
        "hazards.Hazard",
        verbose_name=_("hidden hazard"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    state = models.CharField(
        _("state"), max_length=12, choices=FindingState.choices, default=FindingState.OPEN
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    answer = models.TextField(_("the unit's answer"), blank=True)
    answered_by = who_field(_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["inspection", "number"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "number"], name="finding_number"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection.number}-{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("finding-detail", args=[self.pk])


class FindingEvent(CaseEvent):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("finding event")
        verbose_name_plural = _("finding events")


class EnforcementQuerySet(ScopedQuerySet):
    enterprise_path = "enterprise__"

    def open(self) -> EnforcementQuerySet:
        return self.filter(state__in=[EnforcementState.ISSUED, EnforcementState.COMPLIED])


class EnforcementAction(models.Model):
    """An enforcement action taken on an inspection (执法措施): an order to rectify by a
    deadline, a suspension, a fine, a seizure. The unit reports compliance; the body's
    re-inspection closes it or sends it back. Deadlines are swept like hazards'."""

    number = models.CharField(_("number"), max_length=24, unique=True, editable=False)
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="enforcement_actions"
    )
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enforcement_actions",
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EnforcementKind.choices)
    description = models.TextField(_("what is ordered"))
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=EnforcementState.choices,
        default=EnforcementState.ISSUED,
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    issued_by = who_field(_("issued by"))
    issued_at = models.DateTimeField(_("issued at"))
    complied_at = models.DateTimeField(_("compliance reported at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    objects = EnforcementQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("enforcement action")
        verbose_name_plural = _("enforcement actions")
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("enforcement-detail", args=[self.pk])


class EnforcementEvent(CaseEvent):
    action_record = models.ForeignKey(
        EnforcementAction, on_delete=models.CASCADE, related_name="events"
    )

    class Meta(CaseEvent.Meta):
        verbose_name = _("enforcement event")
        verbose_name_plural = _("enforcement events")


def enterprise_of(record: Any) -> int | None:
    """The unit a record of this app belongs to (for the change log)."""
    if isinstance(record, Inspection | EnforcementAction):
        return record.enterprise_id
    return record.inspection.enterprise_id if isinstance(record, Finding) else None
