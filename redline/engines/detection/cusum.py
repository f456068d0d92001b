"""Approximate Poisson CUSUM (Rossi et al. 1999), as R 'surveillance' 1.20 `algo.cusum` /
`cusum` computes it.

Evaluated periods t (R's `range`, contiguous) with expected counts m_t:

- m: absent → one mean of every count before the range; a number → that number for every
  period; ``"glm"`` → a Poisson GLM log m = a + b·cos(2πt/freq) + c·sin(2πt/freq) fitted to
  the counts before the range (the Rd also mentions a trend; the 1.20 code fits none) and
  predicted over the range.
- Standardised value z_t of the count x_t (``trans``):
  standard (x−m)/√m; rossi (x − 3m + 2√(xm))/(2√m); anscombe 3/2·(x^⅔ − m^⅔)/m^⅙;
  anscombe2nd (x^⅔ − (m^⅔ − m^(−⅓)/9))/(⅔·m^⅙); pearsonNegBin (x−m)/√(m + αm²);
  anscombeNegBin the Anscombe residual of a negative binomial with variance m + αm²;
  none x itself.
- S_0 = 0, S_t = max(0, S_{t−1} + z_t − k); alarm when S_t ≥ h. No reset: the alarm holds
  while S_t stays at or above h (the `reset` option only appeared in 1.25.0).
- Upper bound, as R returns it: the count that would have made S_t reach h given S_{t−1}
  (standard: ⌈√m·(h + k − S_{t−1}) + m⌉; rossi, anscombe, anscombe2nd, pearsonNegBin: the
  same inversion, not rounded), except ``none`` and ``anscombeNegBin`` where R returns
  h − S_t. R's anscombe2nd bound uses m^⅔ − m^⅓/9 where its transform uses m^⅔ − m^(−⅓)/9;
  reproduced as is. A negative or NaN bound becomes 0 (R does this).

Where R gives NaN (a zero expected count, or an anscombeNegBin argument −αx below −100, the
end of R's table) S_t stays NaN from then on and the alarm is NaN (R's NA).

anscombeNegBin needs 2F1(1/3, 2/3; 5/3; −αx): R reads it from a table (the nearest of
0, −0.01, …, −10; linear between the whole numbers down to −100); the same table is built
here from scipy's 2F1, whose values agree with R's to about 1e-10. With m="glm" R 1.20 stops
with an error (its table lookup takes one expected value); here it is computed period by
period.

Range: R's `cusum` has no default range (it stops without one). Redline's default: with m
estimated (absent or ``"glm"``) the first ``freq`` periods (one year: 52 weeks, 12 months,
365 days) are the baseline and every later period is evaluated; with a given m every period
is evaluated. ``range=(first, last)`` takes R's 1-based inclusive period numbers (``last``
None: to the end of the series).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

TRANSFORMS = (
    "standard",
    "rossi",
    "anscombe",
    "anscombe2nd",
    "pearsonNegBin",
    "anscombeNegBin",
    "none",
)

# R evaluates 2F1(1/3, 2/3; 5/3; x) from a table: the nearest of x = 0, −0.01, …, −10, then
# linear interpolation between the whole numbers −10 … −100; below −100 it has no value (NA).
_FINE = -np.arange(1001) / 100
_COARSE = np.arange(-100.0, -9.0)  # increasing, as np.interp wants
_EPS = float(np.finfo(float).eps)  # R's poisson family keeps mu at or above this


@dataclass(frozen=True)
class CusumResult:
    periods: NDArray[np.int64]  # the evaluated periods (0-based indices into the series)
    upperbound: NDArray[np.float64]  # as R returns it (never NaN: R turns NA into 0)
    alarm: NDArray[np.float64]  # 1.0 / 0.0, NaN where R gives NA
    cusum: NDArray[np.float64]  # S_t
    expected: NDArray[np.float64]  # m_t


@functools.cache
def _hyp2f1_grid() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """2F1(1/3, 2/3; 5/3; x) on R's two grids (_FINE, _COARSE), built on first use: only
    anscombeNegBin needs scipy, whose import would cost every other run a good part of a
    second."""
    from scipy.special import hyp2f1

    fine: NDArray[np.float64] = hyp2f1(1 / 3, 2 / 3, 5 / 3, _FINE)
    coarse: NDArray[np.float64] = hyp2f1(1 / 3, 2 / 3, 5 / 3, _COARSE)
    return fine, coarse


def _hyp2f1_table(x: NDArray[np.float64]) -> NDArray[np.float64]:
    fine_values, coarse_values = _hyp2f1_grid()
    out = np.full(x.shape, np.nan)
    fine = x >= -10
    # which.min keeps the first (nearer 0) of two equally near grid points
    index = np.ceil(-x[fine] * 100 - 0.5).astype(np.int64)
    out[fine] = fine_values[np.clip(index, 0, _FINE.size - 1)]
    coarse = (x < -10) & (x >= -100)
    out[coarse] = np.interp(x[coarse], _COARSE, coarse_values)
    return out


def _anscombe_negbin(
    x: NDArray[np.float64], m: NDArray[np.float64], alpha: float
) -> NDArray[np.float64]:
    at_mean = 1.5 * m ** (2 / 3) * _hyp2f1_table(-alpha * m)
    up = 1.5 * x ** (2 / 3) * _hyp2f1_table(-alpha * x) - at_mean
    result: NDArray[np.float64] = up / (m + alpha * m**2) ** (1 / 6)
    return result


def _standardise(
    x: NDArray[np.float64], m: NDArray[np.float64], trans: str, alpha: float
) -> NDArray[np.float64]:
    z: NDArray[np.float64]
    if trans == "rossi":
        z = (x - 3 * m + 2 * np.sqrt(x * m)) / (2 * np.sqrt(m))
    elif trans == "standard":
        z = (x - m) / np.sqrt(m)
    elif trans == "anscombe":
        z = 3 / 2 * (x ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6)
    elif trans == "anscombe2nd":
        z = (x ** (2 / 3) - (m ** (2 / 3) - m ** (-1 / 3) / 9)) / (2 / 3 * m ** (1 / 6))
    elif trans == "pearsonNegBin":
        z = (x - m) / np.sqrt(m + alpha * m**2)
    elif trans == "anscombeNegBin":
        z = _anscombe_negbin(x, m, alpha)
    else:
        z = x.copy()
    return z


def _bound(
    m: NDArray[np.float64],
    before: NDArray[np.float64],
    now: NDArray[np.float64],
    trans: str,
    h: float,
    k: float,
    alpha: float,
) -> NDArray[np.float64]:
    """R's upper bound; `before` = S_{t−1}, `now` = S_t. Written in R's order of operations
    (the standard bound is rounded up, so the last bit matters)."""
    if trans == "rossi":
        return (
            2 * h * m ** (1 / 2)
            + 2 * k * m ** (1 / 2)
            - 2 * before * m ** (1 / 2)
            + 5 * m
            - 2
            * (4 * m**2 + 2 * m ** (3 / 2) * h + 2 * m ** (3 / 2) * k - 2 * m ** (3 / 2) * before)
            ** (1 / 2)
        )
    if trans == "standard":
        return np.ceil(np.sqrt(m) * (h + k - before) + m)
    if trans in ("anscombe", "anscombe2nd"):
        shift = m ** (2 / 3) if trans == "anscombe" else m ** (2 / 3) - m ** (1 / 3) / 9
        base = (2 / 3) * m ** (1 / 6) * (h + k - before) + shift
        return np.where(base < 0, 0.0, base ** (3 / 2))
    if trans == "pearsonNegBin":
        return np.sqrt(m + alpha * m**2) * (h + k - before) + m
    return h - now


def _poisson_harmonic_glm(
    y: NDArray[np.float64], freq: int, predict_at: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Fit log mu = a + b·cos(2πt/freq) + c·sin(2πt/freq) by maximum likelihood, then predict
    mu at `predict_at`. Iteratively reweighted least squares as R's glm.fit runs it for the
    poisson family: start mu = y + 0.1, stop when the deviance changes by less than 1e-8
    relative or after 25 iterations, mu never below the machine epsilon (so where no finite
    fit exists, e.g. a year of zeros, the answer is R's). numpy/scipy have no GLM."""

    def design(t: NDArray[np.float64]) -> NDArray[np.float64]:
        angle = 2 * np.pi / freq * t
        return np.column_stack([np.ones_like(t), np.cos(angle), np.sin(angle)])

    def mean(eta: NDArray[np.float64]) -> NDArray[np.float64]:
        mu: NDArray[np.float64] = np.maximum(np.exp(eta), _EPS)
        return mu

    def deviance(mu: NDArray[np.float64]) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > 0, y * np.log(y / mu), 0.0)
        return float(np.sum(2 * (term - (y - mu))))

    x = design(np.arange(1, y.size + 1, dtype=float))
    mu = y + 0.1
    eta = np.log(mu)
    old = deviance(mu)
    coef = np.zeros(3)
    previous: NDArray[np.float64] | None = None
    for _ in range(25):
        slope = mean(eta)  # d mu / d eta
        z = eta + (y - mu) / slope
        w = slope / np.sqrt(mu)
        coef = np.linalg.lstsq(x * w[:, None], z * w, rcond=None)[0]
        eta = x @ coef
        mu = mean(eta)
        dev = deviance(mu)
        halvings = 0
        while not (math.isfinite(dev) and np.isfinite(mu).all()):  # overshot: halve the step
            if previous is None or halvings == 25:
                raise ValueError("m=glm: the model cannot be fitted to the counts before the range")
            halvings += 1
            coef = (coef + previous) / 2
            eta = x @ coef
            mu = mean(eta)
            dev = deviance(mu)
        if abs(dev - old) / (abs(dev) + 0.1) < 1e-8:
            break
        old = dev
        previous = coef
    with np.errstate(over="ignore"):
        return mean(design(predict_at) @ coef)


def cusum(
    counts: NDArray[np.float64] | list[float],
    *,
    k: float = 1.04,
    h: float = 2.26,
    m: float | str | None = None,
    trans: str = "standard",
    alpha: float | None = None,
    range: tuple[int, int | None] | None = None,  # R's name (shadows the builtin here)
    freq: int = 52,
) -> CusumResult:
    """CUSUM over one series of counts (regularly spaced, `freq` periods a year)."""
    if not (math.isfinite(k) and k >= 0):
        raise ValueError("k must be a number >= 0")
    if not (math.isfinite(h) and h > 0):
        raise ValueError("h must be a number > 0")
    if trans not in TRANSFORMS:
        raise ValueError(f"trans must be one of {', '.join(TRANSFORMS)}")
    if alpha is None:
        alpha = 0.1
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError("alpha must be a number >= 0")
    if isinstance(m, str) and m != "glm":
        raise ValueError('m must be a number > 0 or "glm"')
    if isinstance(m, int | float) and not (math.isfinite(m) and m > 0):
        raise ValueError('m must be a number > 0 or "glm"')
    y = np.asarray(counts, dtype=float)
    n = y.size
    estimated = m is None or m == "glm"

    if range is None:
        start = freq if estimated else 0
        if n <= start:
            raise ValueError(
                f"too short: m is estimated from the first {freq} periods (one year) and "
                "no period is left to evaluate; give m or range"
                if estimated
                else "too short: the series has no periods"
            )
        stop = n
    else:
        first, last = range
        last = n if last is None else last
        if first < 1 or last < first:
            raise ValueError("range must be FIRST:LAST with 1 <= FIRST <= LAST")
        if last > n:
            raise ValueError(f"range {first}:{last} goes past the series' {n} periods")
        start, stop = first - 1, last
        if estimated and start < 1:
            raise ValueError("range must start at period 2 or later when m is estimated")
    periods = np.arange(start, stop, dtype=np.int64)

    if m is None:
        expected = np.full(periods.size, float(np.mean(y[:start])))
    elif m == "glm":
        if start < 3:
            raise ValueError("m=glm needs at least 3 periods before the range")
        expected = _poisson_harmonic_glm(y[:start], freq, (periods + 1).astype(float))
    else:
        expected = np.full(periods.size, float(m))

    x = y[periods]
    with np.errstate(all="ignore"):
        z = _standardise(x, expected, trans, alpha)
    # The recursion runs in order, as R's loop does: alarms compare S_t with h exactly.
    path = np.zeros(periods.size)
    previous = 0.0
    for i, value in enumerate(z.tolist()):
        current = previous + (value - k)
        if not math.isnan(current) and current < 0:
            current = 0.0
        path[i] = current
        previous = current
    alarm = np.where(np.isnan(path), np.nan, (path >= h).astype(float))
    before = np.concatenate([[0.0], path[:-1]])
    with np.errstate(all="ignore"):
        upper = _bound(expected, before, path, trans, h, k, alpha)
    upper = np.where(np.isnan(upper) | (upper < 0), 0.0, upper)
    return CusumResult(
        periods=periods, upperbound=upper, alarm=alarm, cusum=path, expected=expected
    )
