"""CIDARS moving percentile method (MPM, 移动百分位数法), China CDC's daily temporal detector.

For each evaluated day t:

- current = the sum of the `window` days ending on t (default 7);
- baseline = in each of the previous `years` years (default 3), the `window`-day sum ending
  on the same calendar date (29 February → 28 February), plus the `blocks` (default 2)
  windows of the same length just before it and just after it: windows ending on that date
  + j·window days, j = −blocks … blocks, so years·(2·blocks + 1) values (15 by default);
- threshold (upper bound) = the `percentile`-th percentile of the baseline values (default
  50), R's quantile type 7 = numpy's "linear": with the N values sorted v_0 ≤ … ≤ v_{N−1}
  and h = (N−1)·percentile/100, v_⌊h⌋ + (h − ⌊h⌋)·(v_⌊h⌋+1 − v_⌊h⌋). The fraction is taken
  exactly (decimal percentile), so a current sum equal to the threshold never alarms through
  a rounding error;
- alarm when current > threshold (strict); `expected` = the baseline median.

Weekly data: `window` stays in days and must be a multiple of 7 (default 7 = one week); the
same window a year back is 52 periods back, blocks step by the window.
Monthly data is refused (CIDARS runs the method on daily counts).

Only periods whose whole baseline lies inside the series are evaluated (with the defaults,
daily data: from three years and about five weeks after the first day).

UNCONFIRMED: the 2 preceding + 2 following blocks (15 baseline values) come from secondary
descriptions of CIDARS (Yang et al. 2011, Li et al. 2014) that could not be checked against
the full texts; `MpmResult.unconfirmed` carries the note for display.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

UNCONFIRMED_BLOCKS = (
    "MPM baseline: the default of 2 preceding and 2 following blocks in each past year "
    "(15 values with 3 years) is UNCONFIRMED; it comes from secondary descriptions of "
    "CIDARS, not from the published definition."
)


@dataclass(frozen=True)
class MpmResult:
    periods: NDArray[np.int64]  # the evaluated periods (0-based indices into the series)
    upperbound: NDArray[np.float64]  # threshold for the current window sum
    alarm: NDArray[np.float64]  # 1.0 / 0.0
    current: NDArray[np.float64]  # the window sum ending on the period
    expected: NDArray[np.float64]  # the baseline median
    unconfirmed: tuple[str, ...]


def _years_back(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def mpm(
    counts: NDArray[np.float64] | list[float],
    *,
    dates: list[dt.date],
    freq: int,
    window: int = 7,
    years: int = 3,
    blocks: int = 2,
    percentile: float = 50.0,
) -> MpmResult:
    """MPM over one regularly spaced daily or weekly series; `dates` are its periods' dates."""
    if window < 1:
        raise ValueError("window must be a whole number of days >= 1")
    if years < 1:
        raise ValueError("years must be a whole number >= 1")
    if blocks < 0:
        raise ValueError("blocks must be a whole number >= 0")
    if not (math.isfinite(percentile) and 0 <= percentile <= 100):
        raise ValueError("percentile must be a number from 0 to 100")
    y = np.asarray(counts, dtype=float)
    n = y.size
    if len(dates) != n:
        raise ValueError("dates and counts differ in length")
    if freq == 365:
        span, year_length = window, 365
    elif freq == 52:
        if window % 7:
            raise ValueError("window must be a multiple of 7 days for weekly data")
        span, year_length = window // 7, 52
    else:
        raise ValueError("mpm needs daily or weekly data")
    if (blocks + 1) * span > year_length:
        raise ValueError(
            "window and blocks reach into the current window: (blocks + 1) x window "
            "must be at most one year"
        )

    # anchors[t, y] = the period holding the same date `y + 1` years before period t
    if freq == 365:
        origin = dates[0]
        anchors = np.array(
            [
                [(_years_back(day, back) - origin).days for back in range(1, years + 1)]
                for day in dates
            ],
            dtype=np.int64,
        ).reshape(n, years)
    else:
        anchors = np.arange(n, dtype=np.int64)[:, None] - 52 * np.arange(1, years + 1)
    offsets = span * np.arange(-blocks, blocks + 1, dtype=np.int64)
    ends = (anchors[:, :, None] + offsets).reshape(n, -1)  # last period of each baseline window
    evaluated = ends.min(axis=1, initial=n) - (span - 1) >= 0
    periods = np.flatnonzero(evaluated).astype(np.int64)
    if periods.size == 0:
        raise ValueError(
            f"too short: mpm needs {years} year(s) of history plus {blocks} block(s) of "
            f"{window} days before the first evaluated period"
        )

    cumulative = np.concatenate([[0.0], np.cumsum(y)])
    sums = np.full(n, np.nan)
    sums[span - 1 :] = cumulative[span:] - cumulative[:-span]  # sums[i] = y[i−span+1 … i]
    current = sums[periods]
    baseline = np.sort(sums[ends[periods]], axis=1)

    size = baseline.shape[1]
    position = (size - 1) * Fraction(repr(float(percentile))) / 100
    low = math.floor(position)
    fraction = position - low
    high = min(low + 1, size - 1)
    num, den = float(fraction.numerator), float(fraction.denominator)
    lower = baseline[:, low]
    # threshold·den = lower·den + (upper − lower)·num, exact for whole-number counts
    scaled = lower * den + (baseline[:, high] - lower) * num
    threshold = scaled / den
    alarm = (current * den > scaled).astype(float)
    expected = np.median(baseline, axis=1)
    return MpmResult(
        periods=periods,
        upperbound=threshold,
        alarm=alarm,
        current=current,
        expected=expected,
        unconfirmed=(UNCONFIRMED_BLOCKS,),
    )
