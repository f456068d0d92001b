"""The double-random plan's libraries and plans (双随机、一公开): inspectors with their
competences, yearly capacity and recusals; annual plans drafted from the database, previewed
and published. Targets are the registry's units (their sector, region, standardisation grade
and the level of their risk inventory)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from redline.core.models import who_field
from redline.organisations.models import Enterprise, Organisation


class InspectorProfile(models.Model):
    """An inspector in the library (执法检查人员名录库)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="inspector_profile",
    )
    sectors = models.JSONField(_("competent for the sectors"), default=list)
    capacity = models.PositiveIntegerField(_("inspections a year at most"), default=40)
    recusals = models.ManyToManyField(
        Enterprise, verbose_name=_("must not inspect"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("in the library"), default=True)

    class Meta:
        verbose_name = _("inspector profile")
        verbose_name_plural = _("inspector profiles")

    def __str__(self) -> str:
        return str(self.user)


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class InspectionPlan(models.Model):
    """An annual plan drawn by the planner (`redline.engines.inspection_plan`): its seed, the
    digest of its inputs, and the plan document as the command writes it. Published plans
    have their inspections created and are public (targets and outcomes, no personal data)."""

    year = models.PositiveIntegerField(_("year"))
    seed = models.BigIntegerField(_("seed"))
    inputs_sha256 = models.CharField(_("digest of the inputs"), max_length=64)
    document = models.JSONField()
    state = models.CharField(
        _("state"), max_length=12, choices=PlanState.choices, default=PlanState.DRAFT
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+"
    )
    drafted_by = who_field(_("drafted by"))
    drafted_at = models.DateTimeField(_("drafted at"))
    published_by = who_field(_("published by"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-year", "-drafted_at"]
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        constraints = [
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(state="published"),
                name="one_published_plan_a_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} ({self.get_state_display()})"
