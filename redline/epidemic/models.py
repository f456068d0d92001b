"""Epidemic monitoring: the disease/syndrome catalogue, key groups, daily case counts (every
correction kept, so the count as known on any day can be read back), detection runs, and the
signals they raise with their verification workflow.

Who sees what (one door, `restrict(user, action)` on every queryset here): a record of a
key place follows the place (whoever may open the unit, `Scope.enterprise_q`, sees its
counts, signals and series, and nobody else); a record of a region alone (a district's
summed series) is seen by the governments and health authorities whose area covers it
(`Scope.area_q`). So:
- governments and the Safety Committee office: their region subtree (the city: everything);
- public-health bodies (CDC), and departments whose mandates cover hospitals or fever
  clinics (the health commission): everything in their (mandates') region subtree;
- other departments: the records of the key places they supervise (education: schools and
  kindergartens; a sector department: key places registered in its sectors);
- a key place (a unit account): its own records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from redline.core.language import in_language
from redline.core.models import CaseEvent, who_field
from redline.epidemic.vocab import (
    Aggregation,
    ConditionKind,
    CountSource,
    DiseaseClass,
    KeyGroup,
    SignalState,
    Verification,
)
from redline.organisations.models import (
    Enterprise,
    Organisation,
    Region,
    ScopedQuerySet,
    _localised,
)

if TYPE_CHECKING:
    from redline.organisations.access import Scope


def series_key(region_id: int, place_id: int | None) -> str:
    """A series' identity: its region and, for a key place's own counts, the place."""
    return f"{region_id}:{place_id or ''}"


class EpidemicQuerySet(ScopedQuerySet):
    """Records placed in a region and, optionally, at a key place (`place`): those at a
    place follow the place's jurisdiction, those of a region alone the region's."""

    def scope_filter(self, scope: Scope) -> Q:
        at_place = Q(place__isnull=False) & scope.place_q("place__")
        of_region = Q(place__isnull=True) & scope.area_q("region__path")
        return at_place | of_region


class ConditionQuerySet(models.QuerySet["Condition"]):
    def active(self) -> Self:
        return self.filter(is_active=True)


class Condition(models.Model):
    """A disease or syndrome under surveillance and how its series are analysed. The
    catalogue is data (`data/conditions.yaml`), loaded by `redline load_conditions`."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ConditionKind.choices)
    disease_class = models.CharField(
        _("class"), max_length=8, choices=DiseaseClass.choices, default=DiseaseClass.OTHER
    )
    method = models.CharField(_("detection method"), max_length=30)
    params = models.JSONField(_("method parameters"), default=dict, blank=True)
    aggregation = models.CharField(
        _("analysed as"), max_length=8, choices=Aggregation.choices, default=Aggregation.DAILY
    )
    verify_hours = models.PositiveIntegerField(_("hours to verify a signal"), default=24)
    is_active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    source_en = models.CharField(_("source (English)"), max_length=300, blank=True)
    unconfirmed = models.CharField(_("unconfirmed"), max_length=300, blank=True)
    unconfirmed_en = models.CharField(_("unconfirmed (English)"), max_length=300, blank=True)

    objects = ConditionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("disease or syndrome")
        verbose_name_plural = _("diseases and syndromes")

    def __str__(self) -> str:
        return _localised(self)

    @property
    def source_note(self) -> str:
        """Where the entry comes from, in the reader's language."""
        return in_language(self.source, self.source_en)

    @property
    def unconfirmed_note(self) -> str:
        """What behind the entry is not verified, in the reader's language."""
        return in_language(self.unconfirmed, self.unconfirmed_en)


class KeyGroupCount(models.Model):
    """How many people of a key group live or stay in a region or at a key place."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    place = models.ForeignKey(
        Enterprise,
        verbose_name=_("key place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="key_groups",
    )
    group = models.CharField(_("key group"), max_length=20, choices=KeyGroup.choices)
    series_key = models.CharField(max_length=24, editable=False)
    count = models.PositiveIntegerField(_("number of people"))
    as_of = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=200)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = who_field(_("recorded by"))

    objects = EpidemicQuerySet.as_manager()

    class Meta:
        ordering = ["region", "place", "group", "-as_of"]
        verbose_name = _("key group count")
        verbose_name_plural = _("key group counts")
        constraints = [
            models.UniqueConstraint(
                fields=["series_key", "group", "as_of"],
                name="epidemic_keygroup_once_per_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.count} ({self.as_of})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.series_key = series_key(self.region_id, self.place_id)
        super().save(*args, **kwargs)


class IngestBatch(models.Model):
    """One accepted submission of counts (form, API batch, file import). Its key makes a
    retried submission return the first one's result instead of counting twice."""

    key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=CountSource.choices)
    received_at = models.DateTimeField(_("received"))
    received_by = who_field(_("received from"))
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("count submission")
        verbose_name_plural = _("count submissions")

    def __str__(self) -> str:
        return self.key


class CaseCountQuerySet(EpidemicQuerySet):
    def current(self) -> Self:
        return self.filter(superseded_on__isnull=True)

    def as_known_on(self, day: Any) -> Self:
        """The counts as they were known at the end of `day` (for re-running the past)."""
        return self.filter(known_from__lte=day).filter(
            Q(superseded_on__isnull=True) | Q(superseded_on__gt=day)
        )


class CaseCount(models.Model):
    """The number of cases of a condition on a day, in a region or at a key place, as known
    from `known_from` until `superseded_on` (a later correction). Rows are never updated
    except to set `superseded_on`; a correction is a new row."""

    condition = models.ForeignKey(
        Condition, verbose_name=_("disease or syndrome"), on_delete=models.PROTECT
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    place = models.ForeignKey(
        Enterprise,
        verbose_name=_("key place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_counts",
    )
    series_key = models.CharField(max_length=24, editable=False)
    day = models.DateField(_("date"))
    count = models.PositiveIntegerField(_("cases"))
    known_from = models.DateField(_("known from"))
    superseded_on = models.DateField(_("superseded on"), null=True, blank=True)
    batch = models.ForeignKey(
        IngestBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="counts"
    )
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = who_field(_("recorded by"))

    objects = CaseCountQuerySet.as_manager()

    class Meta:
        ordering = ["condition", "region", "place", "day"]
        verbose_name = _("case count")
        verbose_name_plural = _("case counts")
        constraints = [
            # One current value per series and day.
            models.UniqueConstraint(
                fields=["condition", "series_key", "day"],
                condition=Q(superseded_on__isnull=True),
                name="epidemic_count_one_current",
            ),
        ]
        indexes = [
            models.Index(
                fields=["condition", "series_key", "day", "known_from"],
                name="epidemic_count_series",
            ),
            models.Index(fields=["day", "condition"], name="epidemic_count_day"),
        ]

    def __str__(self) -> str:
        return f"{self.condition_id} {self.region_id} {self.day} = {self.count}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.series_key = series_key(self.region_id, self.place_id)
        super().save(*args, **kwargs)


class DetectionRun(models.Model):
    """One daily run (scheduled or on demand) over every active condition's series, done in
    chunks; a rerun for the same day continues or repeats it without duplicating signals."""

    day = models.DateField(_("data up to"))
    as_known_on = models.DateField(_("data as known on"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    requested_by = who_field(_("requested by"))
    series = models.PositiveIntegerField(_("series analysed"), default=0)
    alarms = models.PositiveIntegerField(_("alarms"), default=0)
    signals_opened = models.PositiveIntegerField(_("signals opened"), default=0)
    chunks_done = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    # A run spread over workers (redline.epidemic.detection.detection_dispatch): the chunks
    # each condition has, the series of each, and when they were last sent.
    plan = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-day", "-started_at"]
        verbose_name = _("detection run")
        verbose_name_plural = _("detection runs")

    def __str__(self) -> str:
        return f"{self.day} ({self.started_at:%Y-%m-%d %H:%M})"


class SignalQuerySet(EpidemicQuerySet):
    def open(self) -> Self:
        return self.exclude(state=SignalState.CLOSED)


class Signal(models.Model):
    """An alarm of the detection engine turned into a case to verify. A continuing alarm on
    the same series updates its open signal (`last_date`) instead of opening another."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    condition = models.ForeignKey(
        Condition, verbose_name=_("disease or syndrome"), on_delete=models.PROTECT
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    place = models.ForeignKey(
        Enterprise,
        verbose_name=_("key place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signals",
    )
    series_key = models.CharField(max_length=24, editable=False)
    method = models.CharField(_("detection method"), max_length=30)
    params = models.JSONField(_("method parameters"), default=dict, blank=True)
    first_date = models.DateField(_("first alarm"))
    last_date = models.DateField(_("latest alarm"))
    count = models.PositiveIntegerField(_("cases"))
    upperbound = models.FloatField(_("upper bound"), null=True, blank=True)
    evidence = models.JSONField(_("data that triggered it"), default=dict, blank=True)
    run = models.ForeignKey(
        DetectionRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="signals"
    )
    responsible = models.ForeignKey(
        Organisation,
        verbose_name=_("responsible body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=14, choices=SignalState.choices, default=SignalState.NEW
    )
    opened_at = models.DateTimeField(_("raised"))
    verify_due_at = models.DateTimeField(_("verify by"))
    verification = models.CharField(
        _("verification"), max_length=10, choices=Verification.choices, blank=True
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = who_field(_("verified by"))
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = SignalQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        constraints = [
            # A continuing alarm is one open signal per series and method.
            models.UniqueConstraint(
                fields=["condition", "series_key", "method"],
                condition=~Q(state=SignalState.CLOSED),
                name="epidemic_signal_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "verify_due_at"], name="epidemic_signal_due"),
            models.Index(fields=["region", "state"], name="epidemic_signal_region"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.series_key = series_key(self.region_id, self.place_id)
        super().save(*args, **kwargs)


class SignalEvent(CaseEvent):
    """One step of a signal's timeline."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("signal event")
        verbose_name_plural = _("signal events")

    def __str__(self) -> str:
        return f"{self.signal_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class SimulatedOutbreak(models.Model):
    """An outbreak the demo injected into one of its simulated series (seasonal negative-
    binomial counts, `redline.engines.detection.simulate`), so that what the engine detects
    can be scored against what was put there. `region`/`place` are those of the series the
    engine analyses (a district's, or a key place's); `site` is where the cases were
    recorded. The series is reproduced by the simulator from `seed`."""

    condition = models.ForeignKey(
        Condition, verbose_name=_("disease or syndrome"), on_delete=models.PROTECT
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    place = models.ForeignKey(
        Enterprise,
        verbose_name=_("key place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="simulated_outbreaks",
    )
    site = models.ForeignKey(
        Region,
        verbose_name=_("cases recorded in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    series_key = models.CharField(max_length=24, editable=False)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    injected_cases = models.PositiveIntegerField(_("injected cases"))
    size_sd = models.FloatField(_("size (standard deviations)"), default=0)
    seed = models.PositiveBigIntegerField(_("simulation seed"))
    note = models.CharField(_("note"), max_length=200, default="simulated for the demo")

    objects = EpidemicQuerySet.as_manager()

    class Meta:
        ordering = ["condition", "series_key", "start"]
        verbose_name = _("simulated outbreak")
        verbose_name_plural = _("simulated outbreaks")
        constraints = [
            models.UniqueConstraint(
                fields=["condition", "series_key", "start"],
                name="epidemic_simulated_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.condition_id} {self.series_key} {self.start}–{self.end}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.series_key = series_key(self.region_id, self.place_id)
        super().save(*args, **kwargs)
