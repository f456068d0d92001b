"""CDC EARS C1, C2 and C3, as R 'surveillance' 1.20 `earsC` computes them.

For each evaluated period t (B = `baseline`, SD with the n-1 denominator, z = Φ⁻¹(1−alpha)):

- C1: reference window y[t−B … t−1]; upper bound = mean + z·max(sd, minSigma).
- C2: the same with a two-period guard band, window y[t−B−2 … t−3].
- C3 (R): built on C2. With C2(i) = (y_i − mean₂(i)) / max(sd₂(i), minSigma) and
  L = max(0, C2(t−2) − 1) + max(0, C2(t−1) − 1), R's upper bound is
  max(0, y_t + max(sd₂(t), minSigma)·(z − L)), so the alarm (y_t > bound) comes down to
  L > z: the current period's own C2 never counts (the domain notes, §1.2.3).
- C3 (textbook, `c3="textbook"`): C3(t) = Σ_{i=t−2..t} max(0, C2(i) − 1), alarm when it
  exceeds z; the bound is the count at which it would: mean₂(t) + sd₂(t)·(1 + z − L).

Alarm: count > upper bound (strict). Where R gives NA (a zero SD with minSigma 0), the bound
and the alarm are NaN / missing. Default range (0-based): C1 from B, C2 from B+2, C3 from B+4.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

METHODS = ("C1", "C2", "C3")
LAG = {"C1": 0, "C2": 2, "C3": 2}
FIRST = {"C1": 0, "C2": 2, "C3": 4}  # added to the baseline: the default range's start


def normal_quantile(p: float) -> float:
    """Φ⁻¹(p), the standard normal quantile: ±inf at 1 and 0, NaN outside [0, 1], as scipy's
    `ndtri`. The standard library's is R's `qnorm` to the last bit (both are Wichura's AS 241;
    `ndtri` differs in the last place or two), and an EARS run need not import scipy (a good
    part of a second of the command line)."""
    if 0 < p < 1:
        return NormalDist().inv_cdf(p)
    return math.inf if p == 1 else -math.inf if p == 0 else math.nan


@dataclass(frozen=True)
class EarsResult:
    periods: NDArray[np.int64]  # the evaluated periods (0-based indices into the series)
    upperbound: NDArray[np.float64]  # NaN where R gives NA
    alarm: NDArray[np.float64]  # 1.0 / 0.0, NaN where R gives NA


def _window_moments(
    y: NDArray[np.float64], size: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and SD (n−1) of every window y[s : s + size], s = 0 … len(y) − size. Whole
    counts (what the contract takes) use exact integer running sums, so the variance is
    exact, and exactly 0 for a constant window; other values take the two-pass route."""
    if (y == np.floor(y)).all() and np.abs(y).max(initial=0.0) < 2**20:
        whole = y.astype(np.int64)
        sums = np.zeros((2, y.size + 1), dtype=np.int64)
        np.cumsum(np.stack([whole, whole * whole]), axis=1, out=sums[:, 1:])
        total, squares = sums[:, size:] - sums[:, :-size]
        spread = size * squares - total * total  # size²(n−1)/n · variance
        mean: NDArray[np.float64] = total / size
        sd: NDArray[np.float64] = np.sqrt(spread / (size * (size - 1.0)))
        return mean, sd
    windows = sliding_window_view(y, size)
    return windows.mean(axis=1), windows.std(axis=1, ddof=1)


def ears(
    counts: NDArray[np.float64] | list[float],
    *,
    method: str = "C1",
    baseline: int = 7,
    alpha: float | None = None,
    minSigma: float = 0.0,
    c3: str = "r",
) -> EarsResult:
    """EARS over one series of counts (regularly spaced)."""
    return ears_many(
        [counts], method=method, baseline=baseline, alpha=alpha, minSigma=minSigma, c3=c3
    )[0]


def ears_many(
    many: Sequence[NDArray[np.float64] | list[float]],
    *,
    method: str = "C1",
    baseline: int = 7,
    alpha: float | None = None,
    minSigma: float = 0.0,
    c3: str = "r",
    freq: int | None = None,
    last: int | None = None,
) -> list[EarsResult]:
    """EARS over many series at once, laid end to end (no window crosses from one series
    into the next), the same as `ears` on each; `last` keeps only each series' last periods.
    `freq` is accepted and not used."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    if baseline < 3:
        raise ValueError("baseline must be at least 3")
    if minSigma < 0:
        raise ValueError("minSigma must be at least 0")
    if c3 not in ("r", "textbook"):
        raise ValueError('c3 must be "r" or "textbook"')
    series = [np.asarray(counts, dtype=float) for counts in many]
    start = baseline + FIRST[method]
    if any(y.size <= start for y in series):
        raise ValueError("The vector of observed is too short!")
    if alpha is None:
        alpha = 0.025 if method == "C3" else 0.001
    z = normal_quantile(1 - alpha)
    y = series[0] if len(series) == 1 else np.concatenate(series)
    n = y.size
    offsets = list(itertools.accumulate((part.size for part in series), initial=0))
    # The window of period t starts at t − reach; every series is longer than reach.
    reach = LAG[method] + baseline
    mean = np.full(n, np.nan)
    sd = np.full(n, np.nan)
    mean[reach:], sd[reach:] = (part[: n - reach] for part in _window_moments(y, baseline))
    for begin in offsets[1:-1]:  # windows that would reach into the series before
        mean[begin : begin + reach] = np.nan
        sd[begin : begin + reach] = np.nan
    sigma = np.maximum(sd, minSigma)

    if method != "C3":
        bound = mean + z * sigma
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            # The two periods before each evaluated one are inside its own series.
            excess = np.maximum(0.0, (y - mean) / sigma - 1.0)
            before = np.full(n, np.nan)
            before[2:] = excess[:-2] + excess[1:-1]
            if c3 == "r":
                bound = y + sigma * (z - before)
                bound = np.where(np.isnan(bound), np.nan, np.maximum(0.0, bound))
            else:
                bound = mean + sigma * (1.0 + z - before)
    alarm_all = np.where(np.isnan(bound), np.nan, (y > bound).astype(float))
    results = []
    for begin, end in itertools.pairwise(offsets):
        first = start if last is None else max(start, end - begin - last)
        results.append(
            EarsResult(
                periods=np.arange(first, end - begin, dtype=np.int64),
                upperbound=bound[begin + first : end],
                alarm=alarm_all[begin + first : end],
            )
        )
    return results
