"""Medical treatment capacity: the daily capacity reports of hospitals and fever clinics
(every correction kept), the thresholds that watch them (data, editable in the admin) and the
capacity alerts they raise, with their timelines.

History of reports: a correction of a day is a new row with the next version; the row it
replaces is kept and marked `superseded_at` (as `epidemic.CaseCount` does). At most one row
per hospital and day is current.

Who sees what (one door, `restrict(user, action)`):
- reports and a hospital's alerts follow the hospital's jurisdiction (`Scope.place_q`):
  governments their region subtree, public-health bodies the key places (hospitals are key
  places) of their region, departments whose mandates cover the hospital, the hospital's
  own account itself;
- a region's alerts are seen by the governments and public-health bodies whose region
  holds that region, and by the departments with mandates over hospitals or fever clinics
  there.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from redline.core.language import in_language
from redline.core.models import CaseEvent, who_field
from redline.medical.vocab import (
    REPORT_FIELDS,
    AlertState,
    Comparison,
    Level,
    Metric,
    ReportSource,
    Scope,
)
from redline.organisations.models import Enterprise, Region, ScopedQuerySet

if TYPE_CHECKING:
    from redline.organisations.access import Scope as Jurisdiction


def _count(label: Any) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label)


# A unit that has not reported on a day counts in its region's figures for that day with its
# latest report of this many days before (a region's totals do not drop because a hospital
# is late).
CARRY_DAYS = 2


class CapacityReportQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Jurisdiction) -> Q:
        # A report follows its hospital, as a key place's epidemic record (`Scope.place_q`).
        return scope.place_q("hospital__")

    def current(self) -> Self:
        return self.filter(superseded_at__isnull=True)

    def latest_within(self, day: Any, days: int = CARRY_DAYS) -> Self:
        """Of these reports, each unit's current one of `day`, or, when it has none, its
        latest current one of the `days` days before."""
        start = day - dt.timedelta(days=days)
        newest = (
            CapacityReport.objects.current()
            .filter(hospital=OuterRef("hospital_id"), day__gte=start, day__lte=day)
            .order_by("-day")
            .values("pk")[:1]
        )
        return self.current().filter(day__gte=start, day__lte=day, pk=Subquery(newest))


class CapacityReport(models.Model):
    """One hospital's (or fever clinic's) capacity on one day, as reported. Never updated
    except to mark it superseded by a correction (a new row, the next version)."""

    hospital = models.ForeignKey(
        Enterprise,
        verbose_name=_("hospital / fever clinic"),
        on_delete=models.PROTECT,
        related_name="capacity_reports",
    )
    day = models.DateField(_("day"))
    version = models.PositiveIntegerField(_("version"), default=1)
    beds = _count(_("beds"))
    beds_occupied = _count(_("occupied beds"))
    icu_beds = _count(_("ICU beds"))
    icu_occupied = _count(_("occupied ICU beds"))
    icu_convertible = _count(_("convertible ICU beds"))
    ventilators = _count(_("ventilators"))
    ventilators_in_use = _count(_("ventilators in use"))
    fever_clinic_visits = _count(_("fever clinic visits"))
    staff_on_roster = _count(_("staff on the roster"))
    staff_absent = _count(_("staff absent"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    source = models.CharField(
        _("source"), max_length=8, choices=ReportSource.choices, default=ReportSource.FORM
    )
    reported_by = who_field(_("reported by"))
    reported_at = models.DateTimeField(_("reported"))
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    objects = CapacityReportQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "hospital", "-version"]
        verbose_name = _("capacity report")
        verbose_name_plural = _("capacity reports")
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "day", "version"], name="medical_report_version_once"
            ),
            models.UniqueConstraint(
                fields=["hospital", "day"],
                condition=Q(superseded_at__isnull=True),
                name="medical_report_one_current",
            ),
            models.CheckConstraint(
                condition=Q(beds_occupied__lte=F("beds")), name="medical_beds_occupied_le_beds"
            ),
            models.CheckConstraint(
                condition=Q(icu_occupied__lte=F("icu_beds")), name="medical_icu_occupied_le_icu"
            ),
            models.CheckConstraint(
                condition=Q(ventilators_in_use__lte=F("ventilators")),
                name="medical_ventilators_in_use_le_total",
            ),
            models.CheckConstraint(
                condition=Q(staff_absent__lte=F("staff_on_roster")),
                name="medical_absent_le_roster",
            ),
        ]
        indexes = [
            models.Index(fields=["day", "hospital"], name="medical_report_day"),
            models.Index(fields=["hospital", "day"], name="medical_report_hospital"),
        ]

    def __str__(self) -> str:
        return f"{self.hospital_id} {self.day} v{self.version}"

    @property
    def figures(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in REPORT_FIELDS}

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class CapacityThreshold(models.Model):
    """A level at which a metric raises a capacity alert, for hospitals or for regions.
    Shipped as data (`data/thresholds.yaml`); the administrator may change them (audited)."""

    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    scope = models.CharField(_("applies to"), max_length=8, choices=Scope.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    comparison = models.CharField(_("comparison"), max_length=4, choices=Comparison.choices)
    value = models.DecimalField(_("value (%)"), max_digits=7, decimal_places=2)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    source_en = models.CharField(_("source (English)"), max_length=300, blank=True)
    unconfirmed = models.CharField(
        _("unconfirmed"),
        max_length=300,
        blank=True,
        help_text=_("Why the value is not from a confirmed standard (empty when it is)."),
    )
    unconfirmed_en = models.CharField(_("unconfirmed (English)"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["scope", "metric", "level"]
        verbose_name = _("capacity threshold")
        verbose_name_plural = _("capacity thresholds")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "scope", "level"], name="medical_threshold_once"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_metric_display()} · {self.get_scope_display()} · "
            f"{self.get_level_display()} {self.get_comparison_display()} {self.value}"
        )

    @property
    def source_note(self) -> str:
        return in_language(self.source, self.source_en)

    @property
    def unconfirmed_note(self) -> str:
        return in_language(self.unconfirmed, self.unconfirmed_en)


class CapacityAlertQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Jurisdiction) -> Q:
        # A hospital's alert follows the hospital; a region's, the region (`Scope.area_q`:
        # its governments and health authorities).
        hospitals = Q(hospital__isnull=False) & scope.place_q("hospital__")
        return hospitals | (Q(hospital__isnull=True) & scope.area_q("region__path"))

    def active(self) -> Self:
        return self.filter(state__in=AlertState.active())


def subject_key(hospital_id: int | None, region_id: int) -> str:
    """An alert's subject: a hospital ("h:<id>") or a region's hospitals together ("r:<id>")."""
    return f"h:{hospital_id}" if hospital_id else f"r:{region_id}"


class CapacityAlert(models.Model):
    """A metric of a hospital or a region past a threshold. A continuing crossing is one
    alert (its level may rise from warning to alert); it closes itself when a later report
    brings the metric back under the warning level, or a health authority closes it."""

    hospital = models.ForeignKey(
        Enterprise,
        verbose_name=_("hospital / fever clinic"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="capacity_alerts",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    subject_key = models.CharField(max_length=24, editable=False)
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=AlertState.choices, default=AlertState.OPEN
    )
    comparison = models.CharField(_("comparison"), max_length=4, choices=Comparison.choices)
    threshold_value = models.DecimalField(_("threshold (%)"), max_digits=7, decimal_places=2)
    unconfirmed = models.CharField(_("unconfirmed"), max_length=300, blank=True)
    unconfirmed_en = models.CharField(_("unconfirmed (English)"), max_length=300, blank=True)
    value = models.FloatField(_("latest value (%)"))
    peak_value = models.FloatField(_("worst value (%)"))
    first_day = models.DateField(_("first crossed on"))
    last_day = models.DateField(_("latest report evaluated"))
    evidence = models.JSONField(_("figures"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("raised"))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = who_field(_("acknowledged by"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = who_field(_("closed by"))
    cleared_on = models.DateField(_("back under the warning level on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CapacityAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("capacity alert")
        verbose_name_plural = _("capacity alerts")
        constraints = [
            # A continuing crossing is one open alert per subject and metric.
            models.UniqueConstraint(
                fields=["subject_key", "metric"],
                condition=~Q(state=AlertState.CLOSED),
                name="medical_alert_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "region"], name="medical_alert_state"),
            models.Index(fields=["hospital", "state"], name="medical_alert_hospital"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_metric_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.subject_key = subject_key(self.hospital_id, self.region_id)
        super().save(*args, **kwargs)

    @property
    def number(self) -> str:
        year = self.opened_at.year if self.opened_at else ""
        return f"CA{year}-{self.pk or 0:06d}"

    @property
    def subject(self) -> Any:
        return self.hospital if self.hospital_id else self.region

    @property
    def is_active(self) -> bool:
        return self.state != AlertState.CLOSED

    @property
    def unconfirmed_note(self) -> str:
        return in_language(self.unconfirmed, self.unconfirmed_en)


class CapacityAlertEvent(CaseEvent):
    """One step of an alert's timeline."""

    alert = models.ForeignKey(CapacityAlert, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("capacity alert event")
        verbose_name_plural = _("capacity alert events")

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
