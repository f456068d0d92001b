"""The capacity metrics: each a percentage computed from a report's figures (a hospital's, or
the sum of a region's hospitals). No database here: the evaluation passes the figures in.

- bed occupancy: occupied beds / beds;
- ICU occupancy: occupied ICU beds / ICU beds (convertible beds not yet converted are not
  ICU beds: a hospital reports converted beds under ICU beds);
- ventilators in use: ventilators in use / ventilators;
- staff absence: staff absent / staff on the roster;
- fever clinic visits against the baseline: the day's visits / the mean daily visits of the
  previous 28 days (days without a report are left out of the mean), as a percentage;
- ICU share: ICU beds / beds; critical-care share: (ICU + convertible ICU beds) / beds; for a
  region, over its hospitals only (`hospital_beds`, `hospital_icu_beds`,
  `hospital_icu_convertible`), not fever clinics' observation beds.

A metric whose denominator is zero (a clinic without ICU beds), or whose baseline is too
thin, has no value: it is not evaluated, and an open alert on it stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redline.medical.vocab import Comparison, Metric

BASELINE_DAYS = 28


@dataclass(frozen=True)
class Baseline:
    """The fever-clinic visits of the days before: how many days reported, and their mean."""

    days: int
    mean: float


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole > 0 else None


def metric_value(
    metric: str, figures: Mapping[str, int], baseline: Baseline | None = None
) -> float | None:
    """The metric's value (a percentage) for these figures, or None when it has none."""
    if metric == Metric.BED_OCCUPANCY:
        return _share(figures["beds_occupied"], figures["beds"])
    if metric == Metric.ICU_OCCUPANCY:
        return _share(figures["icu_occupied"], figures["icu_beds"])
    if metric == Metric.VENTILATOR_USE:
        return _share(figures["ventilators_in_use"], figures["ventilators"])
    if metric == Metric.STAFF_ABSENCE:
        return _share(figures["staff_absent"], figures["staff_on_roster"])
    if metric in (Metric.ICU_SHARE, Metric.CRITICAL_CARE_SHARE):
        # A region's figures carry its hospitals' own sums (fever clinics left out).
        prefix = "hospital_" if "hospital_beds" in figures else ""
        icu = figures[f"{prefix}icu_beds"]
        if metric == Metric.CRITICAL_CARE_SHARE:
            icu += figures[f"{prefix}icu_convertible"]
        return _share(icu, figures[f"{prefix}beds"])
    if metric == Metric.FEVER_VISITS:
        if baseline is None or baseline.days == 0 or baseline.mean <= 0:
            return None
        return round(100.0 * figures["fever_clinic_visits"] / baseline.mean, 2)
    raise ValueError(f"unknown metric {metric!r}")


def baseline_ok(metric: str, baseline: Baseline | None, params: Mapping[str, Any]) -> bool:
    """Whether the baseline is firm enough for a threshold's parameters (fever visits only:
    `min_baseline_days` reported days and a mean of at least `min_baseline_mean`)."""
    if metric != Metric.FEVER_VISITS:
        return True
    if baseline is None:
        return False
    return baseline.days >= int(params.get("min_baseline_days", 1)) and baseline.mean >= float(
        params.get("min_baseline_mean", 0)
    )


def crosses(value: float, comparison: str, limit: float) -> bool:
    if comparison == Comparison.GTE:
        return value >= limit
    if comparison == Comparison.GT:
        return value > limit
    if comparison == Comparison.LTE:
        return value <= limit
    if comparison == Comparison.LT:
        return value < limit
    raise ValueError(f"unknown comparison {comparison!r}")
