"""An assessment (考核) of the districts, or of the departments, for a period against a
versioned scheme of that kind of subject (`data/scheme-*.json`, scored by
`redline.engines.assessment`).

A draft's computed figures are measured from the records by the jobs process and kept with
the time they were taken (`measured`, `measured_at`; measured again when a manager opens the
draft and they are older than `services.MEASURE_AGAIN_AFTER`, or asks), so its pages read
them at once; the office's entered items are always read as they stand. Publishing measures
again and freezes the inputs (`inputs`: per subject the measured value of every indicator, the
office's entered points, bonuses and vetoes, and a department's ranking group; and the
scheme's data, `scheme_data`), so a published assessment recomputes from what it kept and
gives the same result whatever happens to the records, or to the scheme's file, afterwards."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from redline.core.models import CaseEvent, who_field
from redline.organisations.models import Organisation, Region, ScopedQuerySet
from redline.organisations.vocab import OrganisationKind

if TYPE_CHECKING:
    from redline.organisations.access import Scope


class AssessmentState(models.TextChoices):
    DRAFT = "draft", _("Draft: measured from the records")
    PUBLISHED = "published", _("Published: inputs frozen")


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")


class SubjectKind(models.TextChoices):
    DISTRICT = "district", _("Districts")
    DEPARTMENT = "department", _("Departments")


class AssessmentQuerySet(ScopedQuerySet):
    """The door: the city government and the city Safety Committee office (who see
    everything) read every assessment and manage them; every other government body and every
    department read the published ones (rankings are published to all of them: `Scope.
    campaigns == "all"` is exactly that set of bodies); units and public-health bodies none."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.campaigns == "all":
            return Q(state=AssessmentState.PUBLISHED)
        return Q(pk__in=[])


class Assessment(models.Model):
    title = models.CharField(_("title"), max_length=200)
    scheme_version = models.CharField(_("scheme version"), max_length=20)
    subject_kind = models.CharField(
        _("assessed"), max_length=12, choices=SubjectKind.choices, default=SubjectKind.DISTRICT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_index = models.PositiveSmallIntegerField(
        _("quarter or month"), default=0, help_text=_("1-4 for a quarter, 1-12 for a month")
    )
    state = models.CharField(
        _("state"), max_length=12, choices=AssessmentState.choices, default=AssessmentState.DRAFT
    )
    inputs = models.JSONField(_("frozen inputs"), default=dict, blank=True)
    # A draft's computed figures per subject (`measures.measure`) and when they were taken.
    measured = models.JSONField(_("measured figures"), default=dict, blank=True, editable=False)
    measured_at = models.DateTimeField(_("measured at"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = who_field(_("created by"))
    created_at = models.DateTimeField(_("created at"))
    published_by = who_field(_("published by"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-period_kind", "-period_index", "-created_at"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "year", "period_kind", "period_index"],
                condition=Q(state="published"),
                name="one_published_assessment_a_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period_label})"

    @property
    def period_label(self) -> str:
        if self.period_kind == PeriodKind.QUARTER:
            return f"{self.year}-Q{self.period_index}"
        if self.period_kind == PeriodKind.MONTH:
            return f"{self.year}-{self.period_index:02d}"
        return str(self.year)

    @property
    def start(self) -> dt.date:
        if self.period_kind == PeriodKind.QUARTER:
            return dt.date(self.year, 3 * self.period_index - 2, 1)
        if self.period_kind == PeriodKind.MONTH:
            return dt.date(self.year, self.period_index, 1)
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        """The day after the period (excluded)."""
        if self.period_kind == PeriodKind.QUARTER:
            month = 3 * self.period_index + 1
        elif self.period_kind == PeriodKind.MONTH:
            month = self.period_index + 1
        else:
            month = 13
        return dt.date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def is_published(self) -> bool:
        return self.state == AssessmentState.PUBLISHED


class AssessmentEvent(CaseEvent):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("assessment event")
        verbose_name_plural = _("assessment events")


class AssessmentEntryQuerySet(ScopedQuerySet):
    """An entered item follows its assessment, and of a published one only the managers and
    the governments over the subject (and a department, its own) read the evidence
    (`selectors.entries_of`)."""

    def scope_filter(self, scope: Scope) -> Q:
        return Q(assessment__in=Assessment.objects.filter(Assessment.objects.scope_filter(scope)))


def _evidence_path(entry: AssessmentEntry, filename: str) -> str:
    return f"assessment/{entry.assessment_id}/{filename}"


class AssessmentEntry(models.Model):
    """The office's mark for one subject (a district: `region`; a department:
    `organisation`) on one entered indicator, bonus item or veto, with the evidence behind
    it."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="entries", verbose_name=_("assessment")
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("district"),
        null=True,
        blank=True,
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
        null=True,
        blank=True,
        limit_choices_to={"kind": OrganisationKind.DEPARTMENT},
    )
    item = models.CharField(_("item"), max_length=40)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, null=True, blank=True)
    triggered = models.BooleanField(_("veto applies"), default=False)
    note = models.TextField(_("note"), blank=True)
    evidence = models.FileField(_("evidence"), upload_to=_evidence_path, max_length=200)
    entered_by = who_field(_("entered by"))
    entered_at = models.DateTimeField(_("entered at"))

    objects = AssessmentEntryQuerySet.as_manager()

    class Meta:
        ordering = ["region__path", "organisation__name", "item"]
        verbose_name = _("assessment entry")
        verbose_name_plural = _("assessment entries")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "region", "item"], name="one_entry_per_item"
            ),
            models.UniqueConstraint(
                fields=["assessment", "organisation", "item"],
                name="one_department_entry_per_item",
            ),
            models.CheckConstraint(
                condition=Q(region__isnull=True, organisation__isnull=False)
                | Q(region__isnull=False, organisation__isnull=True),
                name="entry_of_a_district_or_a_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.subject_id} {self.item}"

    @property
    def subject_id(self) -> int:
        """The district's or the department's id (the key of its subject in the inputs)."""
        found = self.region_id if self.region_id is not None else self.organisation_id
        assert found is not None
        return found

    @property
    def subject(self) -> Region | Organisation | None:
        return self.region if self.region_id is not None else self.organisation

    def as_input(self) -> dict[str, Any]:
        return {
            "points": float(self.points) if self.points is not None else None,
            "triggered": self.triggered,
        }
