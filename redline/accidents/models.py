"""Production safety accidents (生产安全事故) and the annual control indicators (控制指标).

An accident belongs to a registered unit when it happened in one, and then follows the unit's
jurisdiction (whoever may open the unit sees it); an accident in no registered unit is the
region's, seen by the governments whose region subtree holds it and by the departments whose
mandate covers its sector there; an enterprise sees its own. Its level is never entered:
`save()` sets it from the figures by the Decree 493 engine (`redline.engines.
accident_level`), and a database check constraint refuses any row whose level disagrees
with its figures (an `update()` that bypasses `save()` included). Its investigation is a case
workflow on the kernel (`accidents/workflow.py`); the reporting and investigation deadlines
are swept by `core.deadlines` (`accidents/deadlines.py`).
"""

from __future__ import annotations

from decimal import Decimal
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from redline.accidents import rules
from redline.accidents.vocab import (
    AccidentState,
    Level,
    ReportingClass,
    type_choices_1986,
    type_choices_2025,
)
from redline.core.models import CaseEvent, who_field
from redline.engines.accident_level import BANDS, classify
from redline.organisations.models import Enterprise, Region, ScopedQuerySet
from redline.organisations.vocab import Sector

if TYPE_CHECKING:
    from redline.organisations.access import Scope


def accidents_q(scope: Scope, prefix: str = "") -> Q:
    """A filter on Accident (reached through `prefix`) for a scope that does not see
    everything: a unit's accidents follow the unit; the others their region (a government's
    subtree) and sector (a department's mandate over that sector in that region)."""
    parts = [Q(**{f"{prefix}unit__isnull": False}) & scope.enterprise_q(f"{prefix}unit__")]
    regional: list[Q] = [
        Q(**{f"{prefix}region__path__startswith": path}) for path in scope.region_paths
    ]
    for path, (sectors, _kinds) in scope.mandates_by_path().items():
        if sectors:
            regional.append(
                Q(**{f"{prefix}region__path__startswith": path, f"{prefix}sector__in": sectors})
            )
    if regional:
        parts.append(Q(**{f"{prefix}unit__isnull": True}) & reduce(or_, regional))
    return reduce(or_, parts)


def _band_q(level: str) -> Q:
    bounds = BANDS[level]
    return (
        Q(deaths__gte=bounds["deaths"])
        | Q(serious_injuries__gte=bounds["serious_injuries"])
        | Q(direct_loss_cny__gte=bounds["direct_loss_cny"])
    )


def level_agrees_q() -> Q:
    """The level a row's figures give (Decree 493 art. 3), as a check constraint."""
    ps, se, la = _band_q("particularly_serious"), _band_q("serious"), _band_q("larger")
    return (
        (Q(level=Level.PARTICULARLY_SERIOUS) & ps)
        | (Q(level=Level.SERIOUS) & ~ps & se)
        | (Q(level=Level.LARGER) & ~se & la)
        | (Q(level=Level.GENERAL) & ~la)
    )


class AccidentQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        return accidents_q(scope)


class Accident(models.Model):
    """One production safety accident: when, where, in which unit (or region) and sector, its
    type, its figures and the level they give, the narrative, and its investigation."""

    number = models.CharField(_("number"), max_length=24, unique=True, editable=False)
    occurred_at = models.DateTimeField(_("time of the accident"))
    place = models.CharField(_("place"), max_length=300)
    unit = models.ForeignKey(
        Enterprise,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accidents",
        help_text=_("Leave empty when the accident is in no registered unit."),
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    reporting_class = models.CharField(
        _("kind of accident"),
        max_length=16,
        choices=ReportingClass.choices,
        default=ReportingClass.OTHER,
        help_text=_("Road traffic and fire accidents have a 7-day supplementary window."),
    )
    type_1986 = models.CharField(
        _("type (GB 6441-1986)"), max_length=4, blank=True, choices=type_choices_1986
    )
    type_2025 = models.CharField(
        _("type (GB 6441-2025)"), max_length=10, blank=True, choices=type_choices_2025
    )
    deaths = models.PositiveIntegerField(_("deaths"))
    serious_injuries = models.PositiveIntegerField(
        _("serious injuries"), help_text=_("Including acute industrial poisoning.")
    )
    direct_loss_cny = models.DecimalField(
        _("direct economic loss (CNY)"), max_digits=14, decimal_places=2
    )
    level = models.CharField(_("level"), max_length=24, choices=Level.choices, editable=False)
    deciding = models.CharField(_("deciding criteria"), max_length=60, editable=False)
    narrative = models.TextField(_("narrative"), blank=True)
    reported_at = models.DateTimeField(_("reported to the regulator at"))
    report_due = models.DateTimeField(_("report due by"), editable=False)
    supplement_until = models.DateField(_("supplementary window until"), editable=False)
    investigation_due = models.DateField(_("investigation report due"), editable=False)
    investigating_body = models.CharField(_("investigated by"), max_length=200, blank=True)
    findings = models.TextField(_("investigation findings"), blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=AccidentState.choices, default=AccidentState.REPORTED
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # The sweeps (`accidents/deadlines.py`): the supplementary window closing, and the
    # investigation report's deadline.
    supplement_reminded_at = models.DateTimeField(null=True, blank=True)
    supplement_closed_at = models.DateTimeField(
        _("supplementary window closed"), null=True, blank=True
    )
    supplement_level = models.PositiveSmallIntegerField(default=0)
    investigation_reminded_at = models.DateTimeField(null=True, blank=True)
    investigation_overdue_since = models.DateTimeField(
        _("investigation overdue since"), null=True, blank=True
    )
    investigation_escalation_level = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = who_field(_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AccidentQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("accident")
        verbose_name_plural = _("accidents")
        constraints = [
            models.CheckConstraint(condition=level_agrees_q(), name="accident_level_agrees"),
            models.CheckConstraint(
                condition=Q(direct_loss_cny__gte=0), name="accident_loss_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["occurred_at"], name="accident_time"),
            models.Index(fields=["region", "occurred_at"], name="accident_region_time"),
            models.Index(fields=["state", "investigation_due"], name="accident_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.place}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.compute()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("accident", args=[self.pk])

    def compute(self) -> None:
        """The level and the dates that follow from the figures and the time (the one place
        they are set: every save passes here)."""
        found = classify(
            deaths=int(self.deaths),
            serious_injuries=int(self.serious_injuries),
            direct_loss_cny=Decimal(self.direct_loss_cny),
        )
        self.level = found.level
        self.deciding = ",".join(found.deciding)
        if self.occurred_at is not None:
            day = timezone.localtime(self.occurred_at).date()
            self.report_due = rules.report_due(self.occurred_at, self.level)
            self.supplement_until = rules.supplement_until(day, self.reporting_class)
            self.investigation_due = rules.investigation_due(day)

    @property
    def deciding_list(self) -> list[str]:
        return [c for c in self.deciding.split(",") if c]

    @property
    def reported_late(self) -> bool:
        return bool(self.reported_at and self.report_due and self.reported_at > self.report_due)

    @property
    def is_open(self) -> bool:
        return self.state in AccidentState.open_states()


class AccidentEvent(CaseEvent):
    accident = models.ForeignKey(Accident, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("accident event")
        verbose_name_plural = _("accident events")


class AccidentFileQuerySet(ScopedQuerySet):
    """A photo or report follows its accident."""

    def scope_filter(self, scope: Scope) -> Q:
        return accidents_q(scope, "accident__")


def _file_path(instance: AccidentFile, filename: str) -> str:
    return f"accidents/{instance.uploaded_at:%Y/%m}/{instance.token}{instance.extension}"


class AccidentFile(models.Model):
    """A photo of the accident (JPEG/PNG) or its investigation report (PDF), served only
    through the accident's door."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("photo")
        REPORT = "report", _("investigation report")

    accident = models.ForeignKey(Accident, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    token = models.CharField(max_length=32, unique=True, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    file = models.FileField(_("file"), upload_to=_file_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    uploaded_by = who_field(_("uploaded by"))
    uploaded_at = models.DateTimeField()

    objects = AccidentFileQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("accident file")
        verbose_name_plural = _("accident files")

    def __str__(self) -> str:
        return self.original_name or self.token


class ControlIndicatorQuerySet(ScopedQuerySet):
    """An indicator is a region's: read by the governments whose subtree holds its region
    and by the departments with a mandate over its sector there. Units read none."""

    def scope_filter(self, scope: Scope) -> Q:
        parts = [Q(region__path__startswith=path) for path in scope.region_paths]
        for path, (sectors, _kinds) in scope.mandates_by_path().items():
            if sectors:
                parts.append(Q(region__path__startswith=path, sector__in=sectors))
        return reduce(or_, parts) if parts else Q(pk__in=[])


class ControlIndicator(models.Model):
    """An annual ceiling of accidents and deaths (控制指标) for a region (the city or a
    district) and a sector (empty: every sector)."""

    year = models.PositiveSmallIntegerField(_("year"))
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    max_accidents = models.PositiveIntegerField(_("accident ceiling"))
    max_deaths = models.PositiveIntegerField(_("death ceiling"))
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = who_field(_("set by"))
    created_at = models.DateTimeField(_("set at"))

    objects = ControlIndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "region__path", "sector"]
        verbose_name = _("control indicator")
        verbose_name_plural = _("control indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "region", "sector"], name="control_indicator_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region} {self.get_sector_display() or ''}".strip()
