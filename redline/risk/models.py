"""The dual-prevention risk inventory: enterprise -> analysis object -> analysis unit ->
risk event -> control measures (with inspection cycles); unit shutdowns; major hazard
installations graded by GB 18218-2018.

Levels are derived, never typed: an event's level comes from its assessment through a
rule set (services), and everything above it (unit, object, enterprise, park, region)
is computed from the events when read (selectors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from redline.organisations.models import ChemicalPark, Enterprise, Person, ScopedQuerySet

if TYPE_CHECKING:
    from redline.organisations.access import Scope
from redline.risk.vocab import (
    TASK_ITEMS,
    ControlMode,
    CycleUnit,
    DayType,
    ManagementLevel,
    MeasureClass,
    MeasureSubclass,
    Method,
    ObjectKind,
    RiskLevel,
    TaskType,
)


class Versioned(models.Model):
    is_archived = models.BooleanField(_("archived"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class EnterpriseScoped(ScopedQuerySet):
    enterprise_path = "enterprise__"


class InstallationQuerySet(EnterpriseScoped):
    pass


class MajorHazardInstallation(Versioned):
    """A production or storage unit identified and graded by GB 18218-2018 (重大危险源)."""

    class Kind(models.TextChoices):
        PRODUCTION = "production", _("Production unit")
        STORAGE = "storage", _("Storage unit")

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="installations",
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("hazard source code"), max_length=40, blank=True)
    kind = models.CharField(_("unit kind"), max_length=12, choices=Kind.choices)
    people_exposed = models.PositiveIntegerField(_("people within 500 m"))
    # The substances as entered ({"cas"|"name"|"category", "row", "tonnes"}), the exact
    # input of the last grading, and its result: re-grading is reproducible.
    substances = models.JSONField(_("substances"), default=list)
    ratio_sum = models.FloatField(_("S = Σ q/Q"), null=True, blank=True)
    is_major = models.BooleanField(_("major hazard installation"), default=False)
    alpha = models.FloatField(null=True, blank=True)
    r_value = models.FloatField(_("R value"), null=True, blank=True)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)
    grading_input = models.JSONField(null=True, blank=True)
    grading_result = models.JSONField(null=True, blank=True)

    objects = InstallationQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "name", "id"]
        verbose_name = _("major hazard installation")
        verbose_name_plural = _("major hazard installations")

    def __str__(self) -> str:
        return self.name


class RiskObject(Versioned):
    """安全风险分析对象: an installation, unit, area or activity of an enterprise."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="risk_objects",
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=ObjectKind.choices)
    code = models.CharField(_("code"), max_length=40, blank=True)
    department = models.CharField(_("responsible department"), max_length=100, blank=True)
    responsible = models.ForeignKey(
        Person,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    installation = models.OneToOneField(
        MajorHazardInstallation,
        verbose_name=_("major hazard installation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_object",
    )

    objects = EnterpriseScoped.as_manager()

    class Meta:
        ordering = ["enterprise", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "name"],
                condition=models.Q(is_archived=False),
                name="risk_object_name_unique",
                violation_error_message=_("This enterprise already has an object of that name."),
            )
        ]
        verbose_name = _("risk analysis object")
        verbose_name_plural = _("risk analysis objects")

    def __str__(self) -> str:
        return self.name


class RiskUnitQuerySet(ScopedQuerySet):
    enterprise_path = "risk_object__enterprise__"


class RiskUnit(Versioned):
    """安全风险分析单元."""

    risk_object = models.ForeignKey(
        RiskObject,
        verbose_name=_("analysis object"),
        on_delete=models.PROTECT,
        related_name="units",
    )
    name = models.CharField(_("name"), max_length=200)
    responsible = models.ForeignKey(
        Person,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Where the unit sits on the enterprise's site plan, as fractions of its width/height.
    site_x = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    site_y = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )

    objects = RiskUnitQuerySet.as_manager()

    class Meta:
        ordering = ["risk_object", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["risk_object", "name"],
                condition=models.Q(is_archived=False),
                name="risk_unit_name_unique",
                violation_error_message=_("This object already has a unit of that name."),
            )
        ]
        verbose_name = _("risk analysis unit")
        verbose_name_plural = _("risk analysis units")

    def __str__(self) -> str:
        return self.name


class RiskEvent(Versioned):
    """安全风险事件, with its inherent and residual assessment."""

    unit = models.ForeignKey(
        RiskUnit, verbose_name=_("analysis unit"), on_delete=models.PROTECT, related_name="events"
    )
    # Denormalised from unit -> object -> enterprise by the services, for scoping and maps.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="risk_events", editable=False
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    method = models.CharField(_("method"), max_length=4, choices=Method.choices)
    rule_set = models.CharField(_("rule set"), max_length=40)
    inherent_factors = models.JSONField(_("inherent risk factors"))
    inherent_score = models.FloatField(_("inherent score"))
    inherent_level = models.PositiveSmallIntegerField(
        _("inherent level"), choices=RiskLevel.choices
    )
    residual_factors = models.JSONField(_("residual risk factors"), null=True, blank=True)
    residual_score = models.FloatField(_("residual score"), null=True, blank=True)
    residual_level = models.PositiveSmallIntegerField(
        _("residual level"), choices=RiskLevel.choices, null=True, blank=True
    )
    # The level that counts: the residual one once assessed, else the inherent one.
    level = models.PositiveSmallIntegerField(_("level"), choices=RiskLevel.choices, db_index=True)

    objects = EnterpriseScoped.as_manager()

    class Meta:
        ordering = ["unit", "name", "id"]
        indexes = [models.Index(fields=["enterprise", "is_archived", "level"])]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "name"],
                condition=models.Q(is_archived=False),
                name="risk_event_name_unique",
                violation_error_message=_("This unit already has a risk event of that name."),
            )
        ]
        verbose_name = _("risk event")
        verbose_name_plural = _("risk events")

    def __str__(self) -> str:
        return self.name


class MeasureQuerySet(ScopedQuerySet):
    enterprise_path = "event__enterprise__"


class ControlMeasure(Versioned):
    """安全风险管控措施."""

    event = models.ForeignKey(
        RiskEvent, verbose_name=_("risk event"), on_delete=models.PROTECT, related_name="measures"
    )
    description = models.TextField(_("measure"))
    measure_class = models.CharField(_("class"), max_length=2, choices=MeasureClass.choices)
    measure_subclass = models.CharField(
        _("sub-class"), max_length=4, choices=MeasureSubclass.choices
    )
    custom_class = models.CharField(_("enterprise's own class"), max_length=100, blank=True)
    control_mode = models.CharField(_("controlled by"), max_length=12, choices=ControlMode.choices)
    management_level = models.CharField(
        _("management level"), max_length=10, choices=ManagementLevel.choices
    )
    responsible = models.ForeignKey(
        Person, verbose_name=_("responsible person"), on_delete=models.PROTECT, related_name="+"
    )
    inspection_content = models.TextField(_("what to inspect"), blank=True)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("control measure")
        verbose_name_plural = _("control measures")

    def __str__(self) -> str:
        return self.description[:80]

    def clean(self) -> None:
        if self.measure_subclass and self.measure_class:
            if not self.measure_subclass.startswith(f"{self.measure_class}-"):
                raise ValidationError(
                    {"measure_subclass": _("This sub-class belongs to another class.")}
                )
        if self.control_mode == ControlMode.INSPECTION and not self.inspection_content:
            raise ValidationError({"inspection_content": _("Say what the inspection checks.")})


class CycleQuerySet(ScopedQuerySet):
    enterprise_path = "measure__event__enterprise__"


class InspectionCycle(Versioned):
    """How often a measure controlled by inspection is checked (隐患排查任务周期)."""

    measure = models.OneToOneField(
        ControlMeasure, on_delete=models.CASCADE, related_name="cycle", verbose_name=_("measure")
    )
    every = models.PositiveIntegerField(_("every"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=6, choices=CycleUnit.choices)
    starts_at = models.DateTimeField(_("first task at"))
    work_start = models.TimeField(_("working window from"), null=True, blank=True)
    work_end = models.TimeField(_("working window until"), null=True, blank=True)
    day_type = models.CharField(
        _("days"), max_length=12, choices=DayType.choices, default=DayType.EVERY_DAY
    )
    task_type = models.CharField(
        _("task type"), max_length=10, choices=TaskType.choices, default=TaskType.ROUTINE
    )
    task_item = models.PositiveSmallIntegerField(_("task list item"), null=True, blank=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection cycle")
        verbose_name_plural = _("inspection cycles")

    def __str__(self) -> str:
        return f"{self.every} {self.get_unit_display()}"

    def clean(self) -> None:
        errors: dict[str, str | Promise] = {}
        if self.unit == CycleUnit.HOUR:
            if self.work_start is None:
                errors["work_start"] = _("An hourly cycle needs its working window.")
            if self.work_end is None:
                errors["work_end"] = _("An hourly cycle needs its working window.")
            elif self.work_start is not None and self.work_end <= self.work_start:
                errors["work_end"] = _("The window must end after it starts.")
        if self.task_type != TaskType.ROUTINE:
            most = TASK_ITEMS[self.task_type]
            if self.task_item is None or not 1 <= self.task_item <= most:
                errors["task_item"] = _("Give the task-list item (1-%(n)d).") % {"n": most}
        elif self.task_item is not None:
            errors["task_item"] = _("Only package-responsibility tasks have a task-list item.")
        if errors:
            raise ValidationError(errors)


class ShutdownQuerySet(ScopedQuerySet):
    enterprise_path = "unit__risk_object__enterprise__"


class UnitShutdown(Versioned):
    """停用检修: while a unit is shut down for overhaul its inspection cycles are suspended."""

    unit = models.ForeignKey(
        RiskUnit,
        verbose_name=_("analysis unit"),
        on_delete=models.PROTECT,
        related_name="shutdowns",
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)

    objects = ShutdownQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "-starts_at"]
        verbose_name = _("unit shutdown")
        verbose_name_plural = _("unit shutdowns")

    def __str__(self) -> str:
        return f"{self.unit} {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The shutdown must end after it starts.")})


class ParkAssessmentQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> models.Q:
        # An assessment follows its park: whoever sees the park (its region's, or one of
        # its units') sees its assessments, as the park's page shows them.
        parks = ChemicalPark.objects.all()
        return models.Q(park__in=parks.filter(parks.scope_filter(scope)).values("pk"))


class ParkAssessment(Versioned):
    """A chemical park's safety-risk assessment: a score out of 100 and its class A-D
    under a guide version (bands are data: risk/data/park-classes.json)."""

    park = models.ForeignKey(
        ChemicalPark,
        verbose_name=_("chemical park"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    assessed_on = models.DateField(_("assessed on"))
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    guide = models.CharField(_("guide version"), max_length=10)
    risk_class = models.CharField(_("risk class"), max_length=1, editable=False)
    assessor = models.CharField(_("assessed by"), max_length=200, blank=True)

    objects = ParkAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["park", "-assessed_on", "-id"]
        verbose_name = _("chemical-park assessment")
        verbose_name_plural = _("chemical-park assessments")

    def __str__(self) -> str:
        return f"{self.park} {self.assessed_on} {self.risk_class}"
