"""Capacity alerts from the reports: for one day, each hospital's report (and each region's
hospitals together) against the active thresholds.

For each subject (a hospital, or a district's or the city's hospitals) and metric:
- past a threshold and no active alert: an alert is raised at the worst level crossed, and
  the health authorities over the subject are told (once per alert and level);
- past a higher level than its alert's: the alert escalates (warning to alert), is open
  again if it had been acknowledged, and the authorities are told again;
- past a threshold, no higher level: the alert keeps its level and records the value;
- under every level (for ">=" thresholds: back below the warning level): the alert closes
  itself, recording the day of the report that cleared it.
A metric without a value that day (no ICU beds, a thin fever baseline) leaves its alert as
it is, and a day older than the one an alert was last evaluated on never changes it, so
re-running any day, in any order, is harmless.

Hospitals are evaluated when they report (`capacity_report_submit`); regions by the periodic
job once the day's reports are in (a region's figures from half its hospitals would close
alerts too early).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from redline.core import audit
from redline.core.notify import notify, users_of
from redline.core.workflow import system_event
from redline.medical.metrics import BASELINE_DAYS, Baseline, baseline_ok, crosses, metric_value
from redline.medical.models import (
    CapacityAlert,
    CapacityReport,
    CapacityThreshold,
    subject_key,
)
from redline.medical.vocab import (
    HEALTH_UNIT_KINDS,
    LEVEL_RANK,
    REPORT_FIELDS,
    AlertState,
    Comparison,
    Metric,
    Scope,
)
from redline.medical.workflow import MACHINE
from redline.organisations.models import Organisation, Region
from redline.organisations.vocab import OrganisationKind, RegionLevel, UnitKind

# Regions whose hospitals are evaluated together.
REGION_LEVELS = (RegionLevel.CITY, RegionLevel.DISTRICT)
SYSTEM_NAME = "Redline"


@dataclass
class EvaluationResult:
    day: dt.date
    subjects: int = 0
    raised: int = 0
    escalated: int = 0
    closed: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data


@dataclass(frozen=True)
class Subject:
    hospital: Any  # Enterprise or None
    region: Region
    figures: Mapping[str, int]
    baseline: Baseline | None
    reporting: int = 1
    carried: int = 0

    @property
    def key(self) -> str:
        return subject_key(getattr(self.hospital, "pk", None), self.region.pk)

    def evidence(self) -> dict[str, Any]:
        data: dict[str, Any] = {k: v for k, v in self.figures.items() if k in REPORT_FIELDS}
        if self.hospital is None:
            data["hospitals_reporting"] = self.reporting
            data["hospitals_carried"] = self.carried
        if self.baseline is not None:
            data["baseline_days"] = self.baseline.days
            data["baseline_mean"] = round(self.baseline.mean, 2)
        return data


def active_thresholds() -> dict[str, dict[str, list[CapacityThreshold]]]:
    """Active thresholds by scope, then metric."""
    found: dict[str, dict[str, list[CapacityThreshold]]] = defaultdict(lambda: defaultdict(list))
    for row in CapacityThreshold.objects.filter(is_active=True):
        found[row.scope][row.metric].append(row)
    return found


@transaction.atomic
def capacity_alerts_evaluate(
    *,
    day: dt.date,
    scope: str = "all",
    hospital_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> EvaluationResult:
    """Evaluate the reports of `day`: hospitals (`scope` "hospital", optionally only
    `hospital_ids`), regions ("region"), or both ("all")."""
    now = now or timezone.now()
    result = EvaluationResult(day=day)
    thresholds = active_thresholds()
    run = _Run(now=now, result=result)
    if scope in ("all", "hospital") and thresholds.get(Scope.HOSPITAL):
        ids = None if hospital_ids is None else list(hospital_ids)
        subjects = _hospital_subjects(day, ids, thresholds[Scope.HOSPITAL])
        run.evaluate(subjects, day, thresholds[Scope.HOSPITAL])
    if scope in ("all", "region") and thresholds.get(Scope.REGION):
        subjects = _region_subjects(day, thresholds[Scope.REGION])
        run.evaluate(subjects, day, thresholds[Scope.REGION])
    return result


# --- the subjects of a day -------------------------------------------------------------

SUMS = {name: Sum(name) for name in REPORT_FIELDS}
HOSPITAL_SUMS = ("hospital_beds", "hospital_icu_beds", "hospital_icu_convertible")


def _hospital_subjects(
    day: dt.date, ids: list[int] | None, rows: Mapping[str, Any]
) -> list[Subject]:
    reports = CapacityReport.objects.current().filter(day=day, hospital__kind__in=HEALTH_UNIT_KINDS)
    if ids is not None:
        reports = reports.filter(hospital_id__in=ids)
    found = list(reports.select_related("hospital", "hospital__region"))
    if not found:
        return []
    baselines: dict[int, Baseline] = {}
    if Metric.FEVER_VISITS in rows:
        before = CapacityReport.objects.current().filter(
            day__gte=day - dt.timedelta(days=BASELINE_DAYS), day__lt=day
        )
        before = (
            before.filter(hospital_id__in=[r.hospital_id for r in found])
            if ids is not None
            else before.filter(hospital__kind__in=HEALTH_UNIT_KINDS)
        )
        for row in (
            before.order_by()
            .values("hospital_id")
            .annotate(days=Count("id"), visits=Sum("fever_clinic_visits"))
        ):
            baselines[row["hospital_id"]] = Baseline(row["days"], row["visits"] / row["days"])
    return [
        Subject(
            hospital=report.hospital,
            region=report.hospital.region,
            figures=report.figures,
            baseline=baselines.get(report.hospital_id, Baseline(0, 0.0)),
        )
        for report in found
    ]


def _ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _region_subjects(day: dt.date, rows: Mapping[str, Any]) -> list[Subject]:
    """Each district's and the city's units together: each unit's report of the day, or
    its latest of the CARRY_DAYS days before (`latest_within`). ICU shares count hospitals
    only (the standard is about hospitals' beds, not fever clinics' observation beds)."""
    targets = {r.pk: r for r in Region.objects.filter(level__in=REGION_LEVELS)}
    if not targets:
        return []
    paths = dict(Region.objects.values_list("pk", "path"))
    reports = CapacityReport.objects.current().filter(hospital__kind__in=HEALTH_UNIT_KINDS)
    totals: dict[int, dict[str, int]] = {}
    reporting: dict[int, int] = defaultdict(int)
    carried: dict[int, int] = defaultdict(int)
    by_region_and_kind: Iterable[Mapping[str, Any]] = (  # with the sums of SUMS
        reports.latest_within(day)
        .order_by()
        .values("hospital__region_id", "hospital__kind")
        .annotate(n=Count("id"), fresh=Count("id", filter=Q(day=day)), **SUMS)
    )
    for row in by_region_and_kind:
        for region_id in _ancestor_ids(paths.get(row["hospital__region_id"], "")):
            if region_id not in targets:
                continue
            sums = totals.setdefault(region_id, dict.fromkeys(REPORT_FIELDS + HOSPITAL_SUMS, 0))
            for name in REPORT_FIELDS:
                sums[name] += row[name] or 0
            if row["hospital__kind"] == UnitKind.HOSPITAL:
                for name in ("beds", "icu_beds", "icu_convertible"):
                    sums[f"hospital_{name}"] += row[name] or 0
            reporting[region_id] += row["fresh"]
            carried[region_id] += row["n"] - row["fresh"]
    daily: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    if Metric.FEVER_VISITS in rows and totals:
        window = reports.filter(day__gte=day - dt.timedelta(days=BASELINE_DAYS), day__lt=day)
        for row in (
            window.order_by()
            .values("day", "hospital__region_id")
            .annotate(visits=Sum("fever_clinic_visits"))
        ):
            for region_id in _ancestor_ids(paths.get(row["hospital__region_id"], "")):
                if region_id in totals:
                    daily[region_id][row["day"]] += row["visits"] or 0
    subjects = []
    for region_id in sorted(totals, key=lambda i: paths[i]):
        if not reporting[region_id]:
            continue  # nobody reported that day: nothing new to say
        days = daily.get(region_id, {})
        baseline = Baseline(len(days), sum(days.values()) / len(days)) if days else Baseline(0, 0)
        subjects.append(
            Subject(
                hospital=None,
                region=targets[region_id],
                figures=totals[region_id],
                baseline=baseline,
                reporting=reporting[region_id],
                carried=carried[region_id],
            )
        )
    return subjects


# --- applying the thresholds -----------------------------------------------------------


def _worse(a: float, b: float, comparison: str) -> float:
    return max(a, b) if comparison in (Comparison.GTE, Comparison.GT) else min(a, b)


class _Run:
    """One evaluation: applies the thresholds to subjects, remembering the authorities it
    has looked up."""

    def __init__(self, *, now: dt.datetime, result: EvaluationResult) -> None:
        self.now = now
        self.result = result
        self._authorities: dict[tuple[int, tuple[str, ...]], list[Organisation]] = {}

    def evaluate(
        self, subjects: list[Subject], day: dt.date, rows: Mapping[str, list[CapacityThreshold]]
    ) -> None:
        """The subjects' active alerts are read in a few queries, not one per subject."""
        active: dict[str, dict[str, CapacityAlert]] = defaultdict(dict)
        keys = [s.key for s in subjects]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for alert in (
                CapacityAlert.objects.active()
                .filter(subject_key__in=chunk)
                .select_related("hospital", "region")
            ):
                active[alert.subject_key][alert.metric] = alert
        for subject in subjects:
            self.subject(subject, day, rows, active.get(subject.key, {}))

    def subject(
        self,
        subject: Subject,
        day: dt.date,
        rows: Mapping[str, list[CapacityThreshold]],
        active: Mapping[str, CapacityAlert],
    ) -> None:
        self.result.subjects += 1
        for metric, metric_rows in rows.items():
            value = metric_value(metric, subject.figures, subject.baseline)
            if value is None:
                continue
            usable = [r for r in metric_rows if baseline_ok(metric, subject.baseline, r.params)]
            if not usable:
                continue
            crossed = [r for r in usable if crosses(value, r.comparison, float(r.value))]
            top = max(crossed, key=lambda r: LEVEL_RANK[r.level]) if crossed else None
            alert = active.get(metric)
            if alert is not None and alert.last_day > day:
                continue  # a later report already spoke
            if top is None:
                if alert is not None:
                    self._close(alert, value, day, subject)
            elif alert is None:
                self._raise(subject, metric, top, value, day)
            elif LEVEL_RANK[top.level] > LEVEL_RANK[alert.level]:
                self._escalate(alert, top, value, day, subject)
            else:
                CapacityAlert.objects.filter(pk=alert.pk).update(
                    value=value,
                    peak_value=_worse(alert.peak_value, value, alert.comparison),
                    last_day=day,
                    evidence=subject.evidence(),
                )

    def _raise(
        self,
        subject: Subject,
        metric: str,
        threshold: CapacityThreshold,
        value: float,
        day: dt.date,
    ) -> None:
        alert = CapacityAlert(
            hospital=subject.hospital,
            region=subject.region,
            metric=metric,
            level=threshold.level,
            state=AlertState.OPEN,
            comparison=threshold.comparison,
            threshold_value=threshold.value,
            unconfirmed=threshold.unconfirmed,
            unconfirmed_en=threshold.unconfirmed_en,
            value=value,
            peak_value=value,
            first_day=day,
            last_day=day,
            evidence=subject.evidence(),
            opened_at=self.now,
        )
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            return  # raised a moment ago by a concurrent evaluation of the same subject
        receivers = self.authorities(alert)
        self._event(
            alert,
            "raise",
            before=None,
            to_state=AlertState.OPEN,
            value=value,
            day=day,
            data={
                "threshold": f"{threshold.get_comparison_display()} {threshold.value}",
                "to": [str(o) for o in receivers],
            },
        )
        self.result.raised += 1
        self._announce(alert, receivers)

    def _escalate(
        self,
        alert: CapacityAlert,
        threshold: CapacityThreshold,
        value: float,
        day: dt.date,
        subject: Subject,
    ) -> None:
        before = audit.snapshot(alert)
        updated = CapacityAlert.objects.filter(
            pk=alert.pk, state=alert.state, level=alert.level
        ).update(
            level=threshold.level,
            comparison=threshold.comparison,
            threshold_value=threshold.value,
            unconfirmed=threshold.unconfirmed,
            unconfirmed_en=threshold.unconfirmed_en,
            state=AlertState.OPEN,
            escalated_at=self.now,
            value=value,
            peak_value=_worse(alert.peak_value, value, threshold.comparison),
            last_day=day,
            evidence=subject.evidence(),
            version=F("version") + 1,
        )
        if updated != 1:
            return
        from_state = alert.state
        _reload(alert)
        receivers = self.authorities(alert)
        self._event(
            alert,
            "escalate",
            before=before,
            from_state=from_state,
            to_state=alert.state,
            value=value,
            day=day,
            data={
                "threshold": f"{threshold.get_comparison_display()} {threshold.value}",
                "to": [str(o) for o in receivers],
            },
        )
        self.result.escalated += 1
        self._announce(alert, receivers)

    def _close(self, alert: CapacityAlert, value: float, day: dt.date, subject: Subject) -> None:
        before = audit.snapshot(alert)
        updated = CapacityAlert.objects.filter(pk=alert.pk, state__in=AlertState.active()).update(
            state=AlertState.CLOSED,
            closed_at=self.now,
            cleared_on=day,
            value=value,
            last_day=day,
            evidence=subject.evidence(),
            version=F("version") + 1,
        )
        if updated != 1:
            return
        from_state = alert.state
        _reload(alert)
        self._event(
            alert,
            "auto_close",
            before=before,
            from_state=from_state,
            to_state=alert.state,
            value=value,
            day=day,
        )
        self.result.closed += 1

    # -- side records ----------------------------------------------------------------------

    def _event(
        self,
        alert: CapacityAlert,
        action: str,
        *,
        before: dict[str, Any] | None,
        value: float,
        day: dt.date,
        from_state: str = "",
        to_state: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        """The alert's timeline entry and change-log row, by the evaluation."""
        figures = {"level": alert.level, "value": value, "day": day.isoformat()}
        system_event(
            MACHINE,
            alert,
            action=action,
            at=self.now,
            before=before,
            from_state=from_state,
            to_state=to_state,
            data=figures | (data or {}),
            actor_label=SYSTEM_NAME,
            comment="capacity evaluation",
        )

    def authorities(self, alert: CapacityAlert) -> list[Organisation]:
        kinds = (alert.hospital.kind,) if alert.hospital is not None else HEALTH_UNIT_KINDS
        cache_key = (alert.region_id, tuple(kinds))
        if cache_key not in self._authorities:
            self._authorities[cache_key] = authorities_over(alert.region, kinds)
        return self._authorities[cache_key]

    def _announce(self, alert: CapacityAlert, receivers: list[Organisation]) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Capacity %(level)s: %(metric)s at %(subject)s is %(value)s%%") % {
                "level": alert.get_level_display(),
                "metric": alert.get_metric_display(),
                "subject": str(alert.subject),
                "value": _number(alert.value),
            }
            body = _("Threshold %(comparison)s %(threshold)s%%, report of %(day)s.") % {
                "comparison": alert.get_comparison_display(),
                "threshold": _number(alert.threshold_value),
                "day": alert.last_day.isoformat(),
            }
            if alert.unconfirmed_note:
                body += f"\n{alert.unconfirmed_note}"
        notify(
            users_of(o.pk for o in receivers),
            key=f"capacity-alert:{alert.pk}:{alert.level}",
            subject=subject,
            body=body,
            url=reverse("medical-alert-detail", args=[alert.pk]),
        )


def _reload(alert: CapacityAlert) -> None:
    """Read the alert's own columns again, keeping its loaded hospital and region."""
    alert.refresh_from_db(
        fields=[f.attname for f in alert._meta.concrete_fields if not f.is_relation]
    )


def _number(value: float | Decimal) -> str:
    return f"{float(value):.1f}".removesuffix(".0")


def authorities_over(region: Region, kinds: Iterable[str]) -> list[Organisation]:
    """The health authorities over a place: the public-health bodies of its region and the
    regions above, the departments whose mandates there cover these kinds of unit, and the
    government of its district (the city's for the city itself)."""
    ancestors = region.ancestors()
    ids = [r.pk for r in ancestors]
    government = next(
        (r for r in reversed(ancestors) if r.level in (RegionLevel.DISTRICT, RegionLevel.CITY)),
        None,
    )
    condition = Q(kind=OrganisationKind.PUBLIC_HEALTH, region_id__in=ids) | Q(
        kind=OrganisationKind.DEPARTMENT,
        mandates__region_id__in=ids,
        mandates__unit_kind__in=list(kinds),
    )
    if government is not None:
        condition |= Q(kind=OrganisationKind.GOVERNMENT, region=government)
    return list(
        Organisation.objects.filter(condition, is_archived=False)
        .distinct()
        .order_by("-region__path", "kind", "id")
    )
