"""Farrington et al. (1996) and its improved form (Noufaily et al. 2013), as R 'surveillance'
1.20.3 computes them in `farrington` (`algo.farrington`, `fitGLM.fast`) and `farringtonFlexible`.

For every evaluated period k the method fits a quasi-Poisson log-linear model to past counts
of the same season, predicts the count at k and sets an upper bound from the prediction's
distribution. Periods are indices into a regularly spaced series with `freq` periods a year
(one year back is exactly `freq` periods, as R with `epochAsDate = FALSE`).

Both variants share the fitting procedure, done here for many periods (and series) at once:
iteratively reweighted least squares exactly as R's `glm.fit` runs it (start mu = y + 0.1,
at most 25 iterations, converged when |dev - dev_old| / (|dev| + 0.1) < 1e-8, fitted rates
floored at machine epsilon), with the working weights, hat values and dispersion R derives
from the last iteration. All problems of a batch share one design matrix (time is counted
relative to k, which changes no fitted value), so the weighted cross-products are matrix
products. Each weighted least-squares step is taken in its equivalent Newton form (see
`_irls`), which needs per row only X b, its exponential and one product with the design;
batches are sized to stay in the processor's cache. The iterates are R's; they agree with
R to rounding (about 1e-14 relative on the reference data).

The R behaviours reproduced on purpose, because the reference outputs depend on them:
- `farrington`: a fit that does not converge with the trend is refitted without it, and a
  non-converged fit without trend is used as it is. The trend is kept if its t-test p-value
  (quasi-likelihood dispersion, Student t with n - p degrees of freedom) is < 0.05, b >= 3 and
  the prediction at k is not above the largest reference count. The bound is two-sided
  (z = Φ⁻¹(1 − alpha/2)) on the power scale `powertrans`, the prediction's standard error
  uses the dispersion floored at 1. When `limit54` finds too few cases the bound is 0 and
  there is no alarm.
- `farringtonFlexible`: a fit that converges neither with nor without the trend gives NA.
  After reweighting, R stores the Anscombe weights in place of the working weights, so the
  trend test and the prediction's standard error use Σ ω r² / (n − p) (working residuals r)
  as dispersion; the threshold uses φ = max(1, Pearson χ² / (n − p)) of the reweighted fit.
  One-sided bound (`delta`: Φ⁻¹(1 − alpha); `nbPlugin`/`muan`: negative binomial quantile
  of mean exp(η) or exp(Φ⁻¹(1 − alpha; η, se(η))) and variance φμ, Poisson when φ = 1).
  The score compares the count with the prediction on the link scale for nbPlugin/muan, as
  R does. Alarm when score > 1 and the count is not 0; when `limit54` finds too few cases
  the bound is NA and there is no alarm.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

EPS = float(np.finfo(float).eps)
MAXIT = 25
HUGE = 1e15
EPSILON = 1e-8
THRESHOLD_METHODS = ("delta", "nbPlugin", "muan")
POWERS = {"none": 1.0, "1/2": 0.5, "2/3": 2.0 / 3.0}
# Problems evaluated together, in cells (problems x rows): a batch's arrays stay in the
# processor's cache.
BATCH_CELLS = 65_536
# Up to this many cells (problems x rows), the fits with and without the trend run as one.
SMALL_BATCH = 5_000

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FarringtonResult:
    periods: NDArray[np.int64]  # evaluated periods (0-based indices into the series)
    upperbound: FloatArray  # NaN where R gives NA
    alarm: FloatArray  # 1.0 / 0.0, NaN where R gives NA
    expected: FloatArray  # the predicted count at the period (NaN where not computed)
    score: FloatArray
    trend: FloatArray  # 1.0 where the trend was kept, 0.0 where not, NaN where no fit
    phi: FloatArray


@dataclass(frozen=True)
class _Design:
    """The rows a period's model is fitted on, relative to the period k (0 = k)."""

    offsets: NDArray[np.int64]  # row r is the count at k + offsets[r] (offsets < 0)
    level_columns: FloatArray  # rows x levels: the seasonal factor's indicators
    current: FloatArray  # the indicator row of the period itself
    time: FloatArray  # centred relative time of each row
    time_now: float  # centred relative time of k
    first: int  # the earliest evaluable period (0-based)

    @functools.cached_property
    def level(self) -> int:
        """The seasonal level of the period itself (`current` is its indicator)."""
        return int(np.flatnonzero(self.current)[0])

    @functools.cached_property
    def runs(self) -> tuple[tuple[int, int, int], ...]:
        """The offsets as runs of consecutive values: (first row, first offset, length)."""
        breaks = np.flatnonzero(np.diff(self.offsets) != 1) + 1
        starts = [0, *breaks.tolist()]
        ends = [*breaks.tolist(), self.offsets.size]
        return tuple((a, int(self.offsets[a]), b - a) for a, b in zip(starts, ends, strict=True))


LOG_EPS = float(np.log(EPS))


@dataclass(frozen=True)
class _Basis:
    """A design matrix and the product the fitting loop takes with it. X'WX is arrow-shaped
    (diagonal per level, one dense row and column for the trend), so its parts come from
    one matrix product W·parts, parts = [I, I·t, t²]: Σw per level, Σwt per level, Σwt²
    (without the trend, parts = I)."""

    x: FloatArray  # rows x p: the level indicators (each row in one level), the time
    xt: FloatArray  # its transpose, laid out for the products X b
    levels: int
    parts: FloatArray  # rows x q
    hat_parts: FloatArray  # q x rows: [I, 2·I·t, t²]ᵀ, for the hat values
    sums: FloatArray  # q x p: X'w = (W·parts) @ sums (Σw per level, Σwt)

    @property
    def trend(self) -> bool:
        return bool(self.x.shape[1] > self.levels)


def _basis(x: FloatArray, levels: int) -> _Basis:
    indicators = x[:, :levels]
    if not np.array_equal(indicators.sum(axis=1), np.ones(x.shape[0])):
        raise ValueError("every row must belong to exactly one seasonal level")
    if x.shape[1] > levels:
        time = x[:, levels]
        parts = np.column_stack([indicators, indicators * time[:, None], time * time])
        hat = np.column_stack([indicators, 2.0 * indicators * time[:, None], time * time])
    else:
        parts = hat = indicators
    sums = np.zeros((parts.shape[1], x.shape[1]))
    sums[np.arange(levels), np.arange(levels)] = 1.0
    if x.shape[1] > levels:
        sums[levels : 2 * levels, levels] = 1.0
    basis = _Basis(
        x,
        np.ascontiguousarray(x.T),
        levels,
        np.ascontiguousarray(parts),
        np.ascontiguousarray(hat.T),
        sums,
    )
    for array in (basis.x, basis.xt, basis.parts, basis.hat_parts, basis.sums):
        array.setflags(write=False)
    return basis


@dataclass(frozen=True)
class _Series:
    """Every series laid end to end, with what the fits look up of each count y rather
    than compute per row: R's start eta0 = log(y + 0.1), mu0 = exp(eta0), and the terms of
    the deviance and of the first step that depend on y only."""

    # Rows: y; y log y − y (0 log 0 = 0); mu0; mu0·z0 = mu0·eta0 + y − mu0 (working weight
    # times working response); y log y − y − y·eta0 + mu0 (half the start's deviance);
    # with the Anscombe residuals, y^(2/3).
    values: FloatArray
    views: dict[tuple[int, int], FloatArray] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, y: FloatArray, anscombe: bool) -> _Series:
        with np.errstate(divide="ignore", invalid="ignore"):
            g = _ylogy(y) - y
            eta0 = np.log(y + 0.1)
            m0 = np.exp(eta0)
            rows = [y, g, m0, m0 * eta0 + y - m0, g - y * eta0 + m0]
            if anscombe:
                rows.append(y ** (2.0 / 3.0))
        return cls(np.stack(rows))

    @property
    def y(self) -> FloatArray:
        result: FloatArray = self.values[0]
        return result

    def windows(self, row: int, length: int) -> FloatArray:
        """Every run of `length` consecutive values of a row (a view)."""
        view = self.views.get((row, length))
        if view is None:
            view = self.views[row, length] = sliding_window_view(self.values[row], length)
        return view


@dataclass(frozen=True)
class _Window:
    """The reference counts of a batch of problems, one problem a row, and what the fits
    take of them (see _Series)."""

    y: FloatArray
    g: FloatArray
    y23: FloatArray | None  # None: not reweighting
    m0: FloatArray
    z0: FloatArray
    d0: FloatArray

    @classmethod
    def gather(cls, series: _Series, ks: NDArray[np.int64], design: _Design) -> _Window:
        """The rows k + offsets of each period k: copied run by run of consecutive offsets
        (fast for many periods), or indexed at once (fewer calls for a few)."""
        if ks.size * design.offsets.size < 1000 * len(design.runs):
            block = series.values[:, ks[:, None] + design.offsets[None, :]]
        else:
            block = np.empty((series.values.shape[0], ks.size, design.offsets.size))
            for column, offset, length in design.runs:
                for row, out in enumerate(block):
                    out[:, column : column + length] = series.windows(row, length)[ks + offset]
        y23 = block[5] if block.shape[0] > 5 else None
        return cls(block[0], block[1], y23, block[2], block[3], block[4])

    def take(self, rows: NDArray[np.bool_]) -> _Window:
        return self._map(lambda a: a[rows])

    def _map(self, change: Callable[[FloatArray], FloatArray]) -> _Window:
        y23 = None if self.y23 is None else change(self.y23)
        parts = (change(a) for a in (self.y, self.g, self.m0, self.z0, self.d0))
        y, g, m0, z0, d0 = parts
        return _Window(y, g, y23, m0, z0, d0)


@dataclass
class _Loop:
    """What R's glm.fit leaves after its loop, for every problem."""

    beta: FloatArray  # (B, p)
    mu: FloatArray  # (B, n) fitted means
    w2: FloatArray  # (B, n) working weights of the last iteration
    stats: FloatArray  # (B, q) W·parts of the last iteration: X'WX (see _Basis)
    converged: NDArray[np.bool_]


def _ylogy(y: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    return result


def _irls(
    window: _Window,
    prior: FloatArray | None,
    basis: _Basis,
    inf_schur: FloatArray | None,
) -> _Loop:
    """R's glm.fit for the quasi-Poisson log-linear model, for every row of the window at
    once; `prior`: the prior weights (None when all are 1).

    With the log link and mu = max(exp(eta), eps), dmu/deta equals mu, so the working
    response is z = eta + (y − mu)/mu and the working weight w = prior·mu; the weighted
    least-squares step X'WX b' = X'Wz is then Newton's, b' = b + (X'WX)⁻¹ X'(prior·y − w)
    since X'W eta = X'WX b, and X'w is the level sums of X'WX's product. The deviance
    2 Σ prior (y log y − y − y log mu + mu) needs only b·X'(prior·y) and Σw, also from that
    product (plus a correction where log mu = log eps > eta). The first step starts from
    R's eta0 = log(y + 0.1), which is no X b, and takes its working response as it is.
    Problems with an infinite `inf_schur` are fitted without the trend column (their slope
    and its covariance stay 0, see `_arrow_solve`)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _irls_loop(window, prior, basis, inf_schur)


def _solve(s: FloatArray, r: FloatArray, basis: _Basis, inf_schur: FloatArray | None) -> FloatArray:
    if basis.trend:
        return _arrow_solve(s, r, basis.levels, inf_schur)
    result: FloatArray = r / s
    return result


def _mean(eta: FloatArray) -> FloatArray:
    """mu = max(exp(eta), eps), in place of eta."""
    careful = eta.size > 0 and not float(eta.min()) >= LOG_EPS + 1.0
    mu = np.exp(eta, out=eta)
    if careful:
        np.maximum(mu, EPS, out=mu)
    return mu


def _irls_loop(
    window: _Window,
    prior: FloatArray | None,
    basis: _Basis,
    inf_schur: FloatArray | None,
) -> _Loop:
    y, parts, levels = window.y, basis.parts, basis.levels
    count = y.shape[0]
    p = basis.x.shape[1]
    if prior is None:
        wy = y
        cst = window.g.sum(axis=1)
        dold = 2.0 * window.d0.sum(axis=1)
        w, wz = window.m0, window.z0
    else:
        wy = prior * y
        cst = np.vecdot(prior, window.g)
        dold = 2.0 * np.vecdot(prior, window.d0)
        w, wz = prior * window.m0, prior * window.z0
    xy = wy @ basis.x
    s = w @ parts
    step = _solve(s, wz @ basis.x, basis, inf_schur)  # R's first step, from its start
    del w, wz
    # Where each problem ends: its coefficients, the products of its last weights, the
    # coefficients whose mu gave them (origin 0; 1: R's start mu0 did; 2: there were
    # none), or R's start itself.
    out_beta = np.zeros((count, p))
    out_source = np.zeros((count, p))
    out_stats = np.zeros(s.shape)
    origin = np.zeros(count, dtype=np.int8)
    at_start = np.zeros(count, dtype=bool)
    converged = np.zeros(count, dtype=bool)
    # The working arrays hold the problems numbered `at`; those not `live` have left (they
    # converged, or their step was not finite: R breaks out there, keeping the previous
    # iterate, not converged) and are dropped from the arrays once they are many. The
    # state: the iterate b with the products s of its weights, the iterate before (b_old,
    # s_old).
    at = np.arange(count)
    live = np.ones(count, dtype=bool)
    alive = count
    buffer = np.empty(y.shape)  # X b, then mu, then the weights, of each iteration
    b = np.zeros((count, p))
    b_old = b
    s_old = np.zeros(s.shape)
    pw, extra = prior, inf_schur
    for iteration in range(MAXIT):
        if iteration:
            step = _solve(s, xy - s @ basis.sums, basis, extra)
        new_b = b + step
        eta = np.matmul(new_b, basis.xt, out=buffer[: new_b.shape[0]])
        careful = not float(eta.min()) >= LOG_EPS + 1.0  # mu floored somewhere (or NaN)
        if careful:
            clipped = np.vecdot(wy[at], np.maximum(LOG_EPS - eta, 0.0))
        mu = np.exp(eta, out=eta)
        if careful:
            np.maximum(mu, EPS, out=mu)
        if pw is not None:
            mu *= pw  # the weights (mu itself is not needed further)
        new_s = mu @ parts
        dev = cst - np.vecdot(new_b, xy) + new_s[:, :levels].sum(axis=1)
        if careful:
            dev -= clipped
        dev *= 2.0
        # R's test; NaN where dev is not finite (as wherever new_b is not): those leave too
        change = np.abs(dev - dold)
        change /= np.abs(dev) + 0.1
        leaving = ~(change >= EPSILON)
        leaving &= live
        failed = False
        if leaving.any():
            done = change < EPSILON
            finished = leaving & done
            rows = at[finished]
            converged[rows] = True
            out_beta[rows] = new_b[finished]
            out_stats[rows] = s[finished]
            if iteration == 0:
                origin[rows] = 1
            else:
                out_source[rows] = b[finished]
            broken = leaving & ~done
            failed = bool(broken.any())
            if failed:
                rows = at[broken]
                out_beta[rows] = b[broken]
                out_stats[rows] = s_old[broken]
                if iteration == 0:
                    at_start[rows] = True
                    origin[rows] = 2
                elif iteration == 1:
                    origin[rows] = 1
                else:
                    out_source[rows] = b_old[broken]
            live &= ~leaving
            alive = int(np.count_nonzero(live))
        b_old, b, s_old, s, dold = b, new_b, s, new_s, dev
        if alive == 0:
            break
        if failed or alive < 0.7 * live.size:
            keep = np.flatnonzero(live)
            at = at[keep]
            b, b_old, s, s_old, xy = b[keep], b_old[keep], s[keep], s_old[keep], xy[keep]
            cst, dold = cst[keep], dold[keep]
            if pw is not None:
                pw = pw[keep]
            if extra is not None:
                extra = extra[keep]
            live = np.ones(keep.size, dtype=bool)
            alive = keep.size
    else:  # iterations exhausted
        rows = at[live]
        out_beta[rows] = b[live]
        out_stats[rows] = s_old[live]
        if MAXIT == 1:
            origin[rows] = 1
        else:
            out_source[rows] = b_old[live]
    # The fitted means and the last weights, from the coefficients.
    mu = _mean(out_beta @ basis.xt)
    if at_start.any():
        mu[at_start] = window.m0[at_start]
    w2 = _mean(out_source @ basis.xt)
    if origin.any():
        w2[origin == 1] = window.m0[origin == 1]
        w2[origin == 2] = 0.0
    if prior is not None:
        w2 *= prior
    return _Loop(out_beta, mu, w2, out_stats, converged)


def _arrow_solve(
    s: FloatArray, r: FloatArray, levels: int, inf_schur: FloatArray | None
) -> FloatArray:
    """Solves X'WX b = r for a factor + trend design, from s = W·[I, I·t, t²] (Σw per
    level, Σwt per level, Σwt²) by the Schur complement of the diagonal. An infinite
    `inf_schur` makes the slope 0 (the problem is fitted without the trend)."""
    diag = s[:, :levels]
    rhs = r[:, :levels]
    corner = s[:, levels:-1]
    scaled = corner / diag
    schur = s[:, -1] - np.vecdot(corner, scaled)
    if inf_schur is not None:
        schur += inf_schur
    slope = (r[:, levels] - np.vecdot(scaled, rhs)) / schur
    b = np.empty(r.shape)
    np.multiply(corner, slope[:, None], out=b[:, :levels])
    np.subtract(rhs, b[:, :levels], out=b[:, :levels])
    b[:, :levels] /= diag
    b[:, levels] = slope
    return b


def _inverse_parts(
    s: FloatArray, levels: int, trend: bool, inf_schur: FloatArray | None
) -> FloatArray:
    """The parts of (X'WX)⁻¹ that hat values and predictions use, in closed form from s
    (see `_arrow_solve`): A⁻¹[l,l] for each level l, then with the trend A⁻¹[l,trend] for
    each level and A⁻¹[trend,trend] (the layout of `_Basis.parts`)."""
    diag = s[:, :levels]
    if not trend:
        result: FloatArray = 1.0 / diag
        return result
    corner = s[:, levels:-1]
    scaled = corner / diag
    schur = s[:, -1] - np.vecdot(corner, scaled)
    if inf_schur is not None:
        schur += inf_schur
    inverse = np.empty(s.shape)
    inverse[:, :levels] = scaled * scaled / schur[:, None] + 1.0 / diag
    inverse[:, levels:-1] = -scaled / schur[:, None]
    inverse[:, -1] = 1.0 / schur
    return inverse


def _hat(fit: _Loop, basis: _Basis, inf_schur: FloatArray | None) -> FloatArray:
    """The hat values w x'(X'WX)⁻¹x, with x' A⁻¹ x = A⁻¹[l,l] + 2t A⁻¹[l,p] + t² A⁻¹[p,p]
    for a row of level l at time t."""
    inverse = _inverse_parts(fit.stats, basis.levels, basis.trend, inf_schur)
    h: FloatArray = inverse @ basis.hat_parts
    h *= fit.w2
    h[h > 1 - 10 * EPS] = 1.0
    return h


def _weights(s: FloatArray, threshold: float) -> FloatArray:
    """Anscombe reweighting: ω = γ s⁻² above the threshold, γ elsewhere, Σω = n."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = np.where(s > threshold, 1.0 / (s * s), 1.0)
    gamma = s.shape[1] / raw.sum(axis=1, keepdims=True)
    result: FloatArray = gamma * raw
    return result


def _anscombe(
    y23: FloatArray,
    fit: _Loop,
    phi: FloatArray,
    basis: _Basis,
    inf_schur: FloatArray | None,
) -> FloatArray:
    mu = fit.mu
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(mu)
        a = y23 / np.cbrt(root)  # y^(2/3) mu^(-1/6)
        a -= root
        a *= 1.5
        h = _hat(fit, basis, inf_schur)
        np.subtract(1.0, h, out=h)
        h *= phi[:, None]
        np.sqrt(h, out=h)
        a /= h
    return a


def _weighted_sum(w: FloatArray, r2: FloatArray) -> FloatArray:
    """Σ w·r² over the rows with w > 0."""
    total: FloatArray = np.vecdot(w, r2)
    bad = ~np.isfinite(total)
    if bad.any():  # some 0·inf or NaN weight: add only the rows with w > 0
        total[bad] = np.where(w[bad] > 0, w[bad] * r2[bad], 0.0).sum(axis=1)
    return total


def _dispersions(
    y: FloatArray, fit: _Loop, df: NDArray[np.int64], summary_weights: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """summary.glm's dispersion Σ w r² / df (working residuals r = (y − mu)/mu, rows with
    w > 0) with the working weights, and with `summary_weights` where given (else the
    same)."""
    r2 = y - fit.mu
    r2 /= fit.mu
    r2 *= r2
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson: FloatArray = _weighted_sum(fit.w2, r2) / df
        if summary_weights is None:
            return pearson, pearson
        summary: FloatArray = _weighted_sum(summary_weights, r2) / df
    return pearson, summary


@dataclass
class _Model:
    """The outcome of R's fitting function for a batch (one design)."""

    beta: FloatArray  # (B, p)
    # (B, 3): (X'WX)⁻¹ of the last iteration at [c, c], [c, trend], [trend, trend] for the
    # period's level c (0 without the trend)
    cov: FloatArray
    df: NDArray[np.int64]  # residual degrees of freedom: rows with weight > 0 − columns
    phi: FloatArray  # max(1, dispersion with the working weights) of the final fit
    dispersion: FloatArray  # summary.glm's, with what R keeps as the model's weights
    usable: NDArray[np.bool_]  # False where the flexible fit gives NULL


def _fit_model(
    window: _Window,
    basis: _Basis,
    no_trend: NDArray[np.bool_] | None,
    *,
    current: int,
    reweight: bool,
    threshold: float,
    flexible: bool,
) -> _Model:
    """R's fitting function (fitGLM.fast or fitGLM.flexible) for one design (`no_trend`:
    problems fitted without the basis' trend column; `current`: the level of the period
    predicted), with the fallback without trend decided by the caller."""
    y = window.y
    count, n = y.shape
    levels, p = basis.levels, basis.x.shape[1]
    inf_schur = None
    rank = np.full(count, p, dtype=np.int64)
    if no_trend is not None and basis.trend:
        inf_schur = np.where(no_trend, np.inf, 0.0)
        rank[no_trend] = levels
    fit = _irls(window, None, basis, inf_schur)
    converged = fit.converged  # R checks only the first fit's convergence
    df = n - rank
    pearson, dispersion = _dispersions(y, fit, df, None)
    phi = np.maximum(pearson, 1.0)
    if reweight:
        assert window.y23 is not None
        omega = _weights(_anscombe(window.y23, fit, phi, basis, inf_schur), threshold)
        fit = _irls(window, omega, basis, inf_schur)
        df = (omega > 0).sum(axis=1) - rank
        # After reweighting, farringtonFlexible's model keeps the Anscombe weights.
        pearson, dispersion = _dispersions(y, fit, df, omega if flexible else None)
        phi = np.maximum(pearson, 1.0)
    inverse = _inverse_parts(fit.stats, levels, basis.trend, inf_schur)
    cov = np.zeros((count, 3))
    cov[:, 0] = inverse[:, current]
    if basis.trend:
        cov[:, 1] = inverse[:, levels + current]
        cov[:, 2] = inverse[:, -1]
    return _Model(fit.beta, cov, df, phi, dispersion, converged.copy())


def _design(
    *,
    freq: int,
    b: int,
    w: int,
    no_periods: int,
    past: int,
    trend: bool,
    flexible: bool,
) -> tuple[_Design, FloatArray, FloatArray]:
    """The rows and seasonal levels of a period's model, R's `blocks()` relative to k, and
    the design matrices with and without the trend column."""
    span = b * freq + w  # rows k-span .. k
    levels = np.full(span + 1, np.nan)  # levels[i] is the period k - span + i
    at = span  # position of k

    def put(lo: int, hi: int, value: float) -> None:
        levels[lo : hi + 1] = value

    if flexible:
        put(at - w, at, no_periods)
        reference = [at - i * freq for i in range(b + 1)]
        for i in range(1, b + 1):
            ref = reference[i]
            put(ref - w, ref + w, no_periods)
            if no_periods != 1:
                period = reference[i - 1] - 2 * w - 1 - ref
                # R stops when period < noPeriods − (2w+1) and mis-assigns empty blocks;
                # every one of the noPeriods − 1 blocks must hold at least one period here.
                if period < no_periods - 1:
                    raise ValueError("noPeriods is too big for w and the season length")
                size, rest = divmod(period, no_periods - 1)
                lengths = [0] + [size + (1 if j < rest else 0) for j in range(no_periods - 1)]
                edges = np.cumsum(lengths)
                for j in range(1, no_periods):
                    lo = ref + w + 1 + int(edges[j - 1])
                    hi = ref + w + 1 + int(edges[j]) - 1
                    if hi >= lo:
                        put(lo, hi, j)
        if past >= 0:
            levels[max(0, at - past) : at + 1] = np.nan
        first = span
    else:
        for i in range(b, 0, -1):
            put(at - i * freq - w, at - i * freq + w, 1)
        first = span
    rows = np.flatnonzero(~np.isnan(levels))
    offsets = (rows - at).astype(np.int64)
    found = sorted({int(v) for v in levels[rows]})
    level_of = levels[rows]
    columns = np.stack([(level_of == v).astype(float) for v in found], axis=1)
    current_level = no_periods if flexible else 1
    current = np.array([1.0 if v == current_level else 0.0 for v in found])
    time = offsets.astype(float)
    centre = float(time.mean())
    design = _Design(offsets, columns, current, time - centre, -centre, first)
    without = columns
    with_trend = np.column_stack([columns, design.time]) if trend else columns
    return design, with_trend, without


def _predict(
    model: _Model, design: _Design, has_trend: NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    """Linear predictor at k and its variance x0'(X'WX)⁻¹x0 (times the dispersion: the
    squared standard error), x0 the indicator of the period's level c and its time."""
    levels = design.current.size
    c = design.level
    beta, cov = model.beta, model.cov
    if beta.shape[1] == levels:
        return beta[:, c].copy(), cov[:, 0].copy()
    t0 = np.where(has_trend, design.time_now, 0.0)
    eta0 = beta[:, c] + t0 * beta[:, levels]
    variance = cov[:, 0] + 2.0 * t0 * cov[:, 1] + t0 * t0 * cov[:, 2]
    return eta0, variance


def _trend_pvalue(model: _Model, column: int) -> FloatArray:
    from scipy.special import stdtr  # where it is used: see _threshold_flexible

    with np.errstate(divide="ignore", invalid="ignore"):
        tval = model.beta[:, column] / np.sqrt(model.cov[:, 2] * model.dispersion)
    result: FloatArray = 2.0 * stdtr(model.df, -np.abs(tval))
    return result


def _merge(target: _Model, rows: NDArray[np.bool_], source: _Model) -> None:
    """Replace the fits of `rows` by those of `source` (one per row)."""
    target.beta[rows] = source.beta
    target.cov[rows] = source.cov
    target.df[rows] = source.df
    target.phi[rows] = source.phi
    target.dispersion[rows] = source.dispersion
    target.usable[rows] = source.usable


def _take(model: _Model, rows: NDArray[np.bool_] | slice) -> _Model:
    return _Model(
        model.beta[rows],
        model.cov[rows],
        model.df[rows],
        model.phi[rows],
        model.dispersion[rows],
        model.usable[rows],
    )


def _pad(model: _Model, p: int) -> _Model:
    """A model without the trend column, widened to `p` columns (the trend's set to 0)."""
    count, k = model.beta.shape
    if k == p:
        return model
    beta = np.zeros((count, p))
    beta[:, :k] = model.beta
    return _Model(beta, model.cov, model.df, model.phi, model.dispersion, model.usable)


@dataclass(frozen=True)
class _Settings:
    freq: int
    b: int
    w: int
    reweight: bool
    alpha: float
    trend: bool
    limit54: tuple[int, int]
    power: float
    flexible: bool
    weights_threshold: float
    p_trend: float
    no_periods: int
    past: int
    threshold_method: str


def _evaluate(
    series: _Series,
    ks: NDArray[np.int64],
    settings: _Settings,
    designs: tuple[_Design, _Basis, _Basis],
) -> tuple[FloatArray, ...]:
    """Bounds, alarms and outputs for the periods at positions `ks` of the series (laid end
    to end; every position has its whole reference span inside its own series)."""
    design, with_trend, plain = designs
    count = ks.size
    # A small batch costs per call, not per problem: the fits with and without the trend
    # run as one, on the rows twice.
    small = settings.trend and count * design.offsets.size <= SMALL_BATCH
    window = _Window.gather(series, np.concatenate([ks, ks]) if small else ks, design)
    y = window.y[:count]
    levels = plain.levels

    def fit(window: _Window, basis: _Basis, no_trend: NDArray[np.bool_] | None) -> _Model:
        return _fit_model(
            window,
            basis,
            no_trend,
            current=design.level,
            reweight=settings.reweight,
            threshold=settings.weights_threshold if settings.flexible else 1.0,
            flexible=settings.flexible,
        )

    if not settings.trend:
        model = fit(window, plain, None)
        has_trend = np.zeros(count, dtype=bool)
    else:
        # R's fitting function with the trend; without it where that fit does not
        # converge or where the trend test drops the trend.
        refit: Callable[[NDArray[np.bool_]], _Model]
        if small:
            both = fit(window, with_trend, np.repeat([False, True], count))
            model = _take(both, slice(0, count))
            without = _take(both, slice(count, None))

            def refit(rows: NDArray[np.bool_]) -> _Model:
                return _take(without, rows)
        else:
            model = fit(window, with_trend, None)

            def refit(rows: NDArray[np.bool_]) -> _Model:
                return _pad(fit(window.take(rows), plain, None), levels + 1)

        has_trend = np.ones(count, dtype=bool)
        failed = ~model.usable
        if failed.any():
            _merge(model, failed, refit(failed))
            has_trend[failed] = False
        # The trend test, where the model has the trend.
        eta0, _ = _predict(model, design, has_trend)
        mu0 = np.maximum(np.exp(eta0), EPS)
        pvalue = _trend_pvalue(model, levels)
        p_limit = settings.p_trend if settings.flexible else 0.05
        keep = (settings.b >= 3) & (pvalue < p_limit) & (mu0 <= y.max(axis=1))
        drop = has_trend & ~keep
        if drop.any():
            _merge(model, drop, refit(drop))
            has_trend[drop] = False
    if not settings.flexible:
        model.usable[:] = True  # fitGLM.fast uses a fit that did not converge as it is
    eta0, variance = _predict(model, design, has_trend)
    observed = series.y[ks]
    phi = model.phi
    if settings.flexible:
        se_link = np.sqrt(variance * model.dispersion)
        upper, score, expected = _threshold_flexible(eta0, se_link, phi, observed, settings)
    else:
        se_link = np.sqrt(variance * phi)
        upper, score, expected = _threshold_1996(eta0, se_link, phi, observed, settings)
    cases, span = settings.limit54
    recent = np.stack([series.y[ks - i] for i in range(span)], axis=1)
    enough = recent.sum(axis=1) >= cases
    usable = model.usable
    if settings.flexible:
        alarm = (enough & (score > 1) & (observed != 0)).astype(float)
        bound = np.where(enough, upper, np.nan)
    else:
        alarm = (enough & (score > 1)).astype(float)
        bound = np.where(enough, upper, 0.0)
    alarm[~usable] = np.nan
    bound[~usable] = np.nan
    expected = np.where(usable, expected, np.nan)
    score = np.where(usable, score, np.nan)
    trend_flags = np.where(usable, has_trend.astype(float), np.nan)
    phi_out = np.where(usable, phi, np.nan)
    return bound, alarm, expected, score, trend_flags, phi_out


def _threshold_1996(
    eta0: FloatArray,
    se_link: FloatArray,
    phi: FloatArray,
    observed: FloatArray,
    settings: _Settings,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    from scipy.special import ndtri  # where it is used: see _threshold_flexible

    mu0 = np.maximum(np.exp(eta0), EPS)
    se_fit = se_link * mu0
    upper = _delta_upper(mu0, se_fit, phi, settings.power, float(ndtri(1 - settings.alpha / 2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (observed - mu0) / (upper - mu0)
    return upper, score, mu0


def _delta_upper(
    mu0: FloatArray, se_fit: FloatArray, phi: FloatArray, power: float, z: float
) -> FloatArray:
    tau = phi + se_fit**2 / mu0
    if power == 1.0:
        sd = np.sqrt(mu0 * tau)
    elif power == 0.5:
        sd = np.sqrt(0.25 * tau)
    else:
        sd = np.sqrt(4.0 / 9.0 * mu0 ** (1.0 / 3.0) * tau)
    result: FloatArray = (mu0**power + z * sd) ** (1.0 / power)
    return result


def _threshold_flexible(
    eta0: FloatArray,
    se_link: FloatArray,
    phi: FloatArray,
    observed: FloatArray,
    settings: _Settings,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    # scipy is imported where it is used, not with the module: the command line's runs of
    # the other methods (which import this module's names) never pay for its import.
    from scipy.special import betainc, gammaincc, ndtri

    alpha = settings.alpha
    if settings.threshold_method == "delta":
        mu0 = np.maximum(np.exp(eta0), EPS)
        se_fit = se_link * mu0
        upper = _delta_upper(mu0, se_fit, phi, settings.power, float(ndtri(1 - alpha)))
        with np.errstate(divide="ignore", invalid="ignore"):
            score = (observed - mu0) / (upper - mu0)
        return upper, score, mu0
    z = float(ndtri(1 - alpha))
    with np.errstate(over="ignore"):
        mean = (
            np.exp(eta0) if settings.threshold_method == "nbPlugin" else np.exp(eta0 + se_link * z)
        )
    upper = np.full(eta0.shape, np.nan)
    finite = np.isfinite(mean)
    # Beyond 1e15 a whole-number search means nothing in double precision (nor does R's):
    # the normal approximation answers there.
    huge = finite & (mean > HUGE)
    upper[huge] = mean[huge] + z * np.sqrt(mean[huge] * phi[huge])
    over = finite & ~huge & (phi > 1)
    plain = finite & ~huge & ~(phi > 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if over.any():
            lam, dispersion = mean[over], phi[over]
            size = lam / (dispersion - 1)
            prob = 1 / dispersion
            # negative binomial: variance φμ, skewness (2 − prob) / sqrt(size (1 − prob))
            skew = (2 - prob) / np.sqrt(lam / dispersion)
            upper[over] = _quantile(
                lambda q, rows: betainc(size[rows], q + 1, prob[rows]),
                1 - alpha,
                _cornish_fisher(lam, np.sqrt(lam * dispersion), skew, z),
            )
        if plain.any():
            lam = mean[plain]
            upper[plain] = _quantile(
                lambda q, rows: gammaincc(q + 1, lam[rows]),
                1 - alpha,
                _cornish_fisher(lam, np.sqrt(lam), 1 / np.sqrt(lam), z),
            )
        score = (observed - eta0) / (upper - eta0)
    expected = np.where(np.isnan(upper), np.nan, np.exp(eta0))
    return upper, score, expected


def _cornish_fisher(mean: FloatArray, sd: FloatArray, skew: FloatArray, z: float) -> FloatArray:
    """A whole-number first guess of a discrete quantile: the Cornish-Fisher value R's
    qnbinom/qpois start from, rounded down rather than to the nearest (the search from it
    then mostly needs two cdf values, on the benchmark's data)."""
    guess = np.floor(mean + sd * (z + skew * (z * z - 1) / 6) - 0.5)
    result: FloatArray = np.where(np.isfinite(guess), np.maximum(guess, 0.0), 0.0)
    return result


def _quantile(
    cdf: Callable[[FloatArray, NDArray[np.intp]], FloatArray], p: float, guess: FloatArray
) -> FloatArray:
    """The smallest whole y >= 0 with cdf(y) >= p (1 − 64 ε), as R's qnbinom/qpois search
    for it (same fuzz); `cdf(q, rows)` is the cdf of the problems `rows` at q. From the
    guess, steps doubling away from it until the quantile is bracketed, then bisection on
    whole numbers. NaN where no bracket is found (a cdf that gives no answer)."""
    target = p * (1 - 64 * EPS)
    above = cdf(guess, np.arange(guess.size)) >= target
    lo = np.where(above, np.nan, guess)  # known below the quantile (NaN: not yet)
    hi = np.where(above, guess, np.nan)  # known at or above it
    step = np.ones(guess.size)
    for _ in range(64):
        down = np.flatnonzero(np.isnan(lo))
        up = np.flatnonzero(np.isnan(hi))
        if down.size == 0 and up.size == 0:
            break
        if down.size:
            probe = hi[down] - step[down]
            below = probe < 0  # cdf(−1) = 0: below every quantile
            probe[below] = -1.0
            test = ~below
            below[test] = cdf(probe[test], down[test]) < target
            lo[down[below]] = probe[below]
            hi[down[~below]] = probe[~below]
            step[down] *= 2
        if up.size:
            probe = lo[up] + step[up]
            reached = cdf(probe, up) >= target
            hi[up[reached]] = probe[reached]
            lo[up[~reached]] = probe[~reached]
            step[up] *= 2
    open_ = np.flatnonzero(hi - lo > 1)
    while open_.size:
        mid = np.floor((lo[open_] + hi[open_]) / 2)
        reached = cdf(mid, open_) >= target
        hi[open_[reached]] = mid[reached]
        lo[open_[~reached]] = mid[~reached]
        open_ = open_[hi[open_] - lo[open_] > 1]
    return hi


def _parse_limit54(value: tuple[int, int] | list[int]) -> tuple[int, int]:
    cases, span = (int(v) for v in value)
    if cases < 0 or span <= 0:
        raise ValueError("limit54 must be cases >= 0 and periods > 0")
    return cases, span


@functools.lru_cache(maxsize=64)
def _design_bases(
    freq: int, b: int, w: int, no_periods: int, past: int, trend: bool, flexible: bool
) -> tuple[_Design, _Basis, _Basis]:
    design, with_trend, without = _design(
        freq=freq, b=b, w=w, no_periods=no_periods, past=past, trend=trend, flexible=flexible
    )
    if sorted(design.current.tolist()) != [0.0] * (design.current.size - 1) + [1.0]:
        raise ValueError("the period's own level has no reference values")
    for array in (design.offsets, design.current):
        array.setflags(write=False)
    levels = without.shape[1]
    return design, _basis(with_trend, levels), _basis(without, levels)


def _designs(settings: _Settings) -> tuple[_Design, _Basis, _Basis]:
    """The design and its bases with and without the trend (built once per settings)."""
    return _design_bases(
        settings.freq,
        settings.b,
        settings.w,
        settings.no_periods,
        settings.past,
        settings.trend,
        settings.flexible,
    )


def _run(
    many: Sequence[NDArray[np.float64] | list[float]], settings: _Settings, last: int | None
) -> list[FarringtonResult]:
    if settings.b < 1 or settings.w < 0:
        raise ValueError("b must be at least 1 and w at least 0")
    if last is not None and last < 1:
        raise ValueError("last must be at least 1")
    designs = _designs(settings)  # validates noPeriods before any work
    first = settings.b * settings.freq + settings.w
    if settings.limit54[1] > first + 1:
        raise ValueError("limit54's number of periods is longer than the reference span")
    series = [np.asarray(counts, dtype=float) for counts in many]
    for number, y in enumerate(series):
        if y.size <= first:
            raise ValueError(
                f"the series is too short: the first period with b={settings.b} years of "
                f"reference values is number {first + 1}, the series has {y.size}"
                + (f" (series {number + 1})" if len(series) > 1 else "")
            )
        if y.ndim != 1 or not np.isfinite(y).all() or (y < 0).any():
            raise ValueError("counts must be finite and not negative")
    flat = np.concatenate(series) if series else np.zeros(0)
    laid = _Series.of(flat, settings.reweight)
    starts = np.cumsum([0] + [y.size for y in series])
    local = [
        np.arange(first if last is None else max(first, y.size - last), y.size, dtype=np.int64)
        for y in series
    ]
    positions = np.concatenate(
        [start + ks for start, ks in zip(starts, local, strict=False)] or [np.zeros(0, np.int64)]
    )
    parts: list[tuple[FloatArray, ...]] = []
    rows = max(1, BATCH_CELLS // max(1, designs[0].offsets.size))
    for begin in range(0, positions.size, rows):
        parts.append(_evaluate(laid, positions[begin : begin + rows], settings, designs))
    columns = [np.concatenate([part[i] for part in parts]) for i in range(6)] if parts else []
    results = []
    at = 0
    for ks in local:
        part = [column[at : at + ks.size] for column in columns]
        at += ks.size
        bound, alarm, expected, score, trend, phi = part
        results.append(FarringtonResult(ks, bound, alarm, expected, score, trend, phi))
    return results


def _make_settings(
    *,
    freq: int,
    b: int,
    w: int,
    reweight: bool,
    alpha: float,
    trend: bool,
    limit54: tuple[int, int] | list[int],
    powertrans: str,
    flexible: bool,
    weights_threshold: float = 1.0,
    p_trend: float = 0.05,
    no_periods: int = 1,
    past: int = 0,
    threshold_method: str = "delta",
) -> _Settings:
    if powertrans not in POWERS:
        raise ValueError(f"powertrans must be one of {', '.join(POWERS)}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    return _Settings(
        freq=freq,
        b=b,
        w=w,
        reweight=reweight,
        alpha=alpha,
        trend=trend,
        limit54=_parse_limit54(limit54),
        power=POWERS[powertrans],
        flexible=flexible,
        weights_threshold=weights_threshold,
        p_trend=p_trend,
        no_periods=no_periods,
        past=past,
        threshold_method=threshold_method,
    )


def farrington_settings(
    *,
    freq: int = 52,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    alpha: float = 0.05,
    trend: bool = True,
    limit54: tuple[int, int] | list[int] = (5, 4),
    powertrans: str = "2/3",
) -> _Settings:
    """Farrington et al. (1996), as R's `farrington` (fitGLM.fast). Evaluated periods: from
    the first with all b(2w+1) reference values (index b·freq + w, 0-based) to the end."""
    return _make_settings(
        freq=freq,
        b=b,
        w=w,
        reweight=reweight,
        alpha=alpha,
        trend=trend,
        limit54=limit54,
        powertrans=powertrans,
        flexible=False,
    )


def farrington_flexible_settings(
    *,
    freq: int = 52,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    weightsThreshold: float = 2.58,
    alpha: float = 0.05,
    trend: bool = True,
    pThresholdTrend: float = 0.05,
    limit54: tuple[int, int] | list[int] = (5, 4),
    powertrans: str = "2/3",
    noPeriods: int = 1,
    pastWeeksNotIncluded: int | None = None,
    thresholdMethod: str = "delta",
) -> _Settings:
    """Noufaily et al. (2013), as R's `farringtonFlexible`. Evaluated periods: R's default
    range, from index b·freq + w (0-based) to the end."""
    if thresholdMethod not in THRESHOLD_METHODS:
        raise ValueError(f"thresholdMethod must be one of {', '.join(THRESHOLD_METHODS)}")
    if noPeriods < 1:
        raise ValueError("noPeriods must be at least 1")
    past = w if pastWeeksNotIncluded is None else pastWeeksNotIncluded
    if past < 0:
        raise ValueError("pastWeeksNotIncluded must be at least 0")
    return _make_settings(
        freq=freq,
        b=b,
        w=w,
        reweight=reweight,
        alpha=alpha,
        trend=trend,
        limit54=limit54,
        powertrans=powertrans,
        flexible=True,
        weights_threshold=weightsThreshold,
        p_trend=pThresholdTrend,
        no_periods=noPeriods,
        past=past,
        threshold_method=thresholdMethod,
    )


def farrington(counts: NDArray[np.float64] | list[float], **params: Any) -> FarringtonResult:
    """One series through `farrington` (parameters: `farrington_settings`)."""
    return run_many([counts], farrington_settings(**params))[0]


def farrington_flexible(
    counts: NDArray[np.float64] | list[float], **params: Any
) -> FarringtonResult:
    """One series through `farringtonFlexible` (parameters: `farrington_flexible_settings`)."""
    return run_many([counts], farrington_flexible_settings(**params))[0]


def run_many(
    series: Sequence[NDArray[np.float64] | list[float]],
    settings: _Settings,
    *,
    last: int | None = None,
) -> list[FarringtonResult]:
    """Many series at once (they are fitted in shared batches); `last` evaluates only the
    last `last` periods of each series (the daily run needs only the newest)."""
    return _run(series, settings, last)
