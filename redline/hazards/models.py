"""Hidden-hazard investigation and governance: inspection tasks generated from control
measures, their results, hidden hazards and their closed loop, and the working calendar.

A hazard's state changes only through `services.hazard_transition` (an explicit state
machine); its human-readable timeline is its own `HazardEvent` rows, and every change is
also in the change log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from redline.core.models import CaseEvent, who_field
from redline.hazards.models_public import PublicReportSender as PublicReportSender  # the public
from redline.hazards.models_public import PublicReportStamp as PublicReportStamp  # form's guards
from redline.hazards.vocab import (
    CalendarDayKind,
    Classification,
    HazardLevel,
    HazardSource,
    HazardState,
    HazardType,
    ManageType,
    SupervisionLevel,
    TaskResult,
)
from redline.organisations.models import Enterprise, Organisation, Region, ScopedQuerySet
from redline.organisations.vocab import Sector, UnitKind
from redline.risk.models import ControlMeasure

if TYPE_CHECKING:
    from redline.organisations.access import Scope


class CalendarDay(models.Model):
    """A statutory holiday, or a weekend day declared a working day (调休). The
    administrator maintains them each year from the State Council's notice."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class TaskQuerySet(ScopedQuerySet):
    enterprise_path = "enterprise__"


class InspectionTask(models.Model):
    """One due inspection of a control measure (隐患排查任务), and its record (排查记录)."""

    measure = models.ForeignKey(
        ControlMeasure,
        verbose_name=_("control measure"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise / unit"), on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("due"))
    # The task can be done until the next one falls due; unrecorded after that, it is missed.
    window_ends_at = models.DateTimeField(_("to be done before"))
    result = models.CharField(_("result"), max_length=16, choices=TaskResult.choices, blank=True)
    checked_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    inspector = who_field(_("inspector"))
    inspector_name = models.CharField(_("inspector"), max_length=100, blank=True)
    inspector_phone = models.CharField(_("inspector's phone"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("inspection task")
        verbose_name_plural = _("inspection tasks")
        constraints = [
            models.UniqueConstraint(fields=["measure", "due_at"], name="task_once_per_slot")
        ]
        indexes = [
            models.Index(fields=["enterprise", "due_at"]),
            models.Index(fields=["due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} @ {self.due_at:%Y-%m-%d %H:%M}"


class HazardQuerySet(ScopedQuerySet):
    """A hazard follows its unit's jurisdiction, read from the hazard's own copies of the
    unit's region, sectors and kind (kept in step with the unit: `sync_unit_copies`), so
    scoping a million hazards needs no join. A public report not yet tied to a unit is seen
    by the governments of its region and by the departments whose mandates cover its region
    and sector (its copies are its region and that sector)."""

    def scope_filter(self, scope: Scope) -> models.Q:
        return copies_q(scope)

    def open(self) -> HazardQuerySet:
        return self.filter(state__in=HazardState.open_states())


def copies_q(scope: Scope) -> models.Q:
    """A scope as a filter on a unit's copies: region_id, unit_sectors, unit_kind (and
    enterprise_id, for a unit's own scope). A mandate's sectors are an equality on the
    copy of the unit's sectors (`Sector.texts_with_any`), which `hazard_scope_walk` serves
    and the planner estimates from the column's statistics; rows of their own per hazard
    (as units have) measured slower (README.md, "Measured")."""
    parts: list[models.Q] = []
    if scope.enterprise_id:
        parts.append(models.Q(enterprise_id=scope.enterprise_id))
    if scope.region_paths:
        parts.append(models.Q(region_id__in=scope.regions_under(scope.region_paths)))
    for path, (sectors, kinds) in scope.mandates_by_path().items():
        what = [models.Q(unit_sectors__in=Sector.texts_with_any(sectors))] if sectors else []
        what += [models.Q(unit_kind__in=kinds)] if kinds else []
        parts.append(models.Q(region_id__in=scope.regions_under([path])) & reduce(or_, what))
    if scope.key_place_paths:
        parts.append(
            models.Q(region_id__in=scope.regions_under(scope.key_place_paths))
            & models.Q(unit_kind__in=UnitKind.key_places())
        )
    if not parts:
        return models.Q(pk__in=[])
    return reduce(or_, parts)


def unit_copies(enterprise: Enterprise | None, sector: str = "") -> dict[str, str]:
    """What a hazard keeps of its unit for scoping (see HazardQuerySet)."""
    if enterprise is None:
        return {"unit_sectors": Sector.text([sector]), "unit_kind": ""}
    return {"unit_sectors": Sector.text(enterprise.sector_list), "unit_kind": enterprise.kind}


def sync_unit_copies(enterprise: Enterprise) -> int:
    """After a unit moved or changed sectors or kind: its hazards follow it. Returns how
    many hazards changed."""
    copies = {"region_id": enterprise.region_id, **unit_copies(enterprise)}
    # Only hazards whose copies differ: an edit of the unit's name touches nothing.
    return Hazard.objects.filter(enterprise=enterprise).exclude(**copies).update(**copies)


class Hazard(models.Model):
    """A hidden hazard (隐患信息) and where it stands in its closed loop."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise / unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    # Copies of the unit's sectors (",a,b,", as `Sector.text` writes them) and kind, for
    # scoping without a join.
    unit_sectors = models.CharField(max_length=120, blank=True, editable=False)
    unit_kind = models.CharField(max_length=20, blank=True, editable=False)
    # Searched with icontains: a trigram index serves it on PostgreSQL (migration 0008).
    name = models.CharField(_("hazard"), max_length=200)
    description = models.TextField(_("description"))
    hazard_type = models.CharField(_("type"), max_length=12, choices=HazardType.choices)
    level = models.CharField(_("level"), max_length=8, choices=HazardLevel.choices)
    classification = models.CharField(
        _("management classification"), max_length=12, choices=Classification.choices, blank=True
    )
    source = models.CharField(_("source"), max_length=16, choices=HazardSource.choices)
    location = models.CharField(_("location"), max_length=300, blank=True)
    measure = models.ForeignKey(
        ControlMeasure,
        verbose_name=_("control measure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    task = models.ForeignKey(
        InspectionTask,
        verbose_name=_("inspection record"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    # Determination: items of a sector standard (situations, fire direct items), and the
    # fire composite method's input (place type and elements found); the result is computed.
    determination_items = models.JSONField(_("determination items"), default=list, blank=True)
    fire_place_type = models.CharField(_("fire: kind of place"), max_length=24, blank=True)
    fire_elements = models.JSONField(_("fire: composite elements found"), default=list, blank=True)

    state = models.CharField(
        _("state"), max_length=10, choices=HazardState.choices, default=HazardState.REPORTED
    )
    manage_type = models.CharField(
        _("governance"), max_length=8, choices=ManageType.choices, blank=True
    )
    deadline = models.DateField(_("rectify by"), null=True, blank=True)
    rectifier = who_field(_("responsible for rectification"))
    # The five implementations (五落实) of a major hazard's rectification plan.
    plan_responsible = models.CharField(
        _("responsible person and unit"), max_length=200, blank=True
    )
    plan_measures = models.TextField(_("rectification measures"), blank=True)
    plan_funds = models.DecimalField(
        _("funds (10,000 CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    plan_deadline = models.DateField(_("plan deadline"), null=True, blank=True)
    plan_contingency = models.TextField(_("contingency and emergency plan"), blank=True)

    rectified_by = who_field(_("rectification submitted by"))
    rectified_at = models.DateTimeField(_("rectification submitted"), null=True, blank=True)
    accepted_by = who_field(_("accepted by"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    listed = models.BooleanField(_("under listed supervision"), default=False)
    # Listed supervision (挂牌督办): a hazard is listed at most once (`workflow`); the
    # supervising body is the government body that lists it, or one it names.
    listed_by = models.ForeignKey(
        Organisation,
        verbose_name=_("supervising body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    listed_at = models.DateTimeField(_("listed"), null=True, blank=True)
    supervision_level = models.CharField(
        _("level of listed supervision"),
        max_length=12,
        choices=SupervisionLevel.choices,
        blank=True,
    )
    supervision_deadline = models.DateField(_("supervision deadline"), null=True, blank=True)
    # What the person who reported it publicly reads on the tracking page (no internals).
    public_note = models.TextField(_("note for the reporter"), blank=True)
    signed_off_by = who_field(_("signed off by"))
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    reported_by = who_field(_("reported by"))
    reporter_name = models.CharField(_("reporter"), max_length=100, blank=True)
    reporter_contact = models.CharField(_("reporter's contact"), max_length=100, blank=True)
    reporter_ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    reported_at = models.DateTimeField(_("reported"), db_index=True)
    tracking_code = models.CharField(
        _("tracking number"), max_length=20, null=True, blank=True, unique=True
    )
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalated to level"), default=0)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = HazardQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("hidden hazard")
        verbose_name_plural = _("hidden hazards")
        indexes = [
            models.Index(fields=["state", "level"]),
            models.Index(fields=["region", "state"]),
            models.Index(fields=["enterprise", "state"]),
            # Overdue hazards (open, past their deadline) are found and counted from the
            # index alone on PostgreSQL.
            models.Index(
                fields=["state", "deadline"],
                include=[
                    "region",
                    "level",
                    "listed",
                    "sector",
                    "unit_sectors",
                    "unit_kind",
                    "enterprise",
                ],
                name="hazard_overdue_cover",
            ),
            # A sector's hazards in a state, newest first: the ledger's sector filter walks
            # only those, so a department's filter that matches nothing ends quickly.
            models.Index(
                fields=["sector", "state", "-reported_at", "-id"],
                include=["region", "unit_sectors", "unit_kind", "enterprise", "level", "listed"],
                name="hazard_sector_walk",
            ),
            # The hazards of units in some sectors (a department's mandate), by state, newest
            # first: a department of a small sector reads its own hazards, not the city's.
            models.Index(
                fields=["unit_sectors", "state", "-reported_at", "-id"],
                include=["region", "unit_kind", "enterprise", "level", "sector", "deadline"],
                name="hazard_scope_walk",
            ),
            # The ledger walks hazards newest first and filters on these columns: on
            # PostgreSQL the scan reads only the index (see selectors.hazard_list).
            models.Index(
                fields=["-reported_at", "-id"],
                include=[
                    "state",
                    "level",
                    "sector",
                    "source",
                    "listed",
                    "deadline",
                    "region",
                    "unit_sectors",
                    "unit_kind",
                    "enterprise",
                ],
                name="hazard_ledger_cover",
            ),
            # The dashboard aggregates by region and level from the index alone.
            models.Index(
                fields=["region", "level", "state"],
                include=[
                    "listed",
                    "deadline",
                    "reported_at",
                    "closed_at",
                    "sector",
                    "source",
                    "unit_sectors",
                    "unit_kind",
                    "enterprise",
                ],
                name="hazard_dashboard_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            # A new hazard takes its unit's copies (bulk inserts set them with unit_copies).
            for name, value in unit_copies(self.enterprise, self.sector).items():
                setattr(self, name, value)
        super().save(*args, **kwargs)

    @property
    def number(self) -> str:
        """The ledger number: YH + the year reported + the id."""
        year = self.reported_at.year if self.reported_at else ""
        return f"YH{year}-{self.pk or 0:07d}"

    @property
    def is_major(self) -> bool:
        return self.level == HazardLevel.MAJOR

    @property
    def is_open(self) -> bool:
        return self.state in HazardState.open_states()

    def overdue_on(self, today: dt.date) -> bool:
        """Past its deadline and not yet submitted for acceptance (as `selectors.overdue_q`)."""
        return (
            self.deadline is not None
            and self.state in (HazardState.REPORTED, HazardState.RECTIFYING)
            and self.deadline < today
        )


class HazardEvent(CaseEvent):
    """One step of a hazard's timeline: who did what, when, with what comment and evidence."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("hazard event")
        verbose_name_plural = _("hazard events")

    def __str__(self) -> str:
        return f"{self.hazard_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


def _photo_path(instance: Photo, filename: str) -> str:
    return f"evidence/{instance.uploaded_at:%Y/%m}/{instance.token}{instance.extension}"


class Photo(models.Model):
    """A photo or scan: of a hazard, of its rectification, of an inspection task's record,
    of a government inspection's checklist item, a signature drawn on a phone, or evidence
    of a Safety Committee key task's progress."""

    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(_("file"), upload_to=_photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    hazard = models.ForeignKey(
        Hazard, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    event = models.ForeignKey(
        HazardEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    task = models.ForeignKey(
        InspectionTask, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    # A government inspection's evidence: of a checklist item (its code), or a signature.
    inspection = models.ForeignKey(
        "inspections.Inspection",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    item_code = models.CharField(max_length=20, blank=True)
    # Evidence of a Safety Committee key task's progress (or of its completion).
    progress_report = models.ForeignKey(
        "committee.ProgressReport",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.original_name or self.token

    def get_absolute_url(self) -> str:
        return reverse("evidence-photo", args=[self.token])

    @property
    def extension(self) -> str:
        return {"image/png": ".png", "image/webp": ".webp"}.get(self.content_type, ".jpg")


class TallyQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> models.Q:
        # A unit's own scope is answered from its hazards, never from the tally.
        return copies_q(replace(scope, enterprise_id=None))


class HazardTally(models.Model):
    """How many hazards there are per combination of the columns the dashboard groups
    and filters by (region, level, state, listed, sector) and scopes by (the unit's copies),
    kept in step with every write (`tally.py`) and rebuilt by a job: the dashboard of a
    province reads tens of thousands of rows instead of a million hazards."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8)
    state = models.CharField(max_length=10)
    listed = models.BooleanField()
    sector = models.CharField(max_length=20, blank=True)
    unit_sectors = models.CharField(max_length=120, blank=True)
    unit_kind = models.CharField(max_length=20, blank=True)
    count = models.IntegerField(default=0)
    closed_timed = models.IntegerField(default=0)
    closed_seconds = models.FloatField(default=0.0)

    objects = TallyQuerySet.as_manager()

    class Meta:
        verbose_name = _("hazard tally")
        verbose_name_plural = _("hazard tallies")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "region",
                    "level",
                    "state",
                    "listed",
                    "sector",
                    "unit_sectors",
                    "unit_kind",
                ],
                name="hazard_tally_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.level} {self.state}: {self.count}"
