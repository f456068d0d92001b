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
products.

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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import betainc, gammaincc, ndtri, stdtr

EPS = float(np.finfo(float).eps)
MAXIT = 25
HUGE = 1e15
EPSILON = 1e-8
THRESHOLD_METHODS = ("delta", "nbPlugin", "muan")
POWERS = {"none": 1.0, "1/2": 0.5, "2/3": 2.0 / 3.0}
# Problems fitted together; bounds the memory of one batch (problems x rows x 8 bytes).
BATCH_CELLS = 4_000_000
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


@dataclass
class _Fit:
    beta: FloatArray  # (B, p)
    eta: FloatArray  # (B, n)
    mu: FloatArray
    w2: FloatArray  # working weights of the last iteration
    ainv: FloatArray  # (B, p, p): (X' W X)^-1 of the last iteration
    converged: NDArray[np.bool_]
    df: NDArray[np.int64]  # residual degrees of freedom: rows with weight > 0 − columns fitted

    def residuals(self, y: FloatArray) -> FloatArray:
        result: FloatArray = (y - self.mu) / np.maximum(np.exp(self.eta), EPS)
        return result

    def dispersion(self, y: FloatArray, weights: FloatArray | None = None) -> FloatArray:
        """summary.glm's dispersion: Σ weights · r² / df over rows with weight > 0, where
        `weights` are the model's stored weights (the working weights unless replaced)."""
        wts = self.w2 if weights is None else weights
        r = self.residuals(y)
        terms = np.where(wts > 0, wts * r * r, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            result: FloatArray = terms.sum(axis=1) / self.df
        return result


LOG_EPS = float(np.log(EPS))


def _ylogy(y: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    return result


def _deviance(
    constant: FloatArray,
    weighted_y: FloatArray,
    prior: FloatArray | None,
    eta: FloatArray,
    mu: FloatArray,
) -> FloatArray:
    """The quasi-Poisson deviance, 2 Σ w (y log(y/mu) − (y − mu)), with log mu = max(eta,
    log eps) since mu = max(exp(eta), eps); `constant` is Σ w (y log y − y), `prior` None
    when every weight is 1."""
    if eta.size and float(eta.min()) < LOG_EPS:
        eta = np.maximum(eta, LOG_EPS)
    mu_sum = mu.sum(axis=1) if prior is None else np.vecdot(prior, mu)
    result: FloatArray = 2.0 * (constant - np.vecdot(weighted_y, eta) + mu_sum)
    return result


def _irls(
    y: FloatArray,
    prior: FloatArray,
    x: FloatArray,
    levels: int,
    no_trend: NDArray[np.bool_] | None = None,
) -> _Fit:
    """R's glm.fit for the quasi-Poisson log-linear model, for every row of `y` at once.

    With the log link and mu = max(exp(eta), eps), dmu/deta equals mu, so the working
    response is eta + (y − mu)/mu and the working weight prior·mu. `x` is a seasonal
    factor's `levels` indicator columns, with or without a trend column after them;
    problems flagged in `no_trend` are fitted without the trend column (their trend
    coefficient and its covariance stay 0)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _irls_loop(y, prior, x, levels, no_trend)


def _irls_loop(
    y: FloatArray,
    prior: FloatArray,
    x: FloatArray,
    levels: int,
    no_trend: NDArray[np.bool_] | None,
) -> _Fit:
    count, n = y.shape
    p = x.shape[1]
    # X'WX is arrow-shaped: diagonal per level, one dense row and column for the trend,
    # solved in closed form (Schur complement). Its parts come from two matrix products
    # per iteration: W·[I, I·t, t²] and (W·z)·[I, t]. A problem without the trend gets an
    # infinite Schur complement, which makes its slope and the trend's covariance 0.
    trend = p > levels
    indicators = x[:, :levels]
    if trend:
        time = x[:, levels]
        parts = np.column_stack([indicators, indicators * time[:, None], time * time])
    else:
        parts = indicators
    inf_schur = None if no_trend is None or not trend else np.where(no_trend, np.inf, 0.0)
    unit = bool((prior == 1.0).all())
    # The deviance, 2 Σ w (y log y − y log mu − y + mu), as a constant per problem and two
    # row-wise dot products per iteration.
    wy = y if unit else prior * y
    cst = ((_ylogy(y) - y) if unit else prior * (_ylogy(y) - y)).sum(axis=1)
    # The problems still iterating, compacted whenever some leave; a problem leaves with
    # its state when it converges or when its step is not finite (R breaks out there,
    # keeping the previous iterate, not converged).
    e = np.log(y + 0.1)  # R: eta = linkfun(mustart), mustart = y + 0.1
    m = np.maximum(np.exp(e), EPS)  # and mu = linkinv(eta)
    dold = _deviance(cst, wy, None if unit else prior, e, m)
    yy, pw, idx, extra = y, prior, np.arange(count), inf_schur
    cur_beta = np.zeros((count, p))
    cur_w2 = np.zeros((count, n))
    cur_stats = np.zeros((count, parts.shape[1]))
    beta = np.zeros((count, p))
    eta = np.empty((count, n))
    mu = np.empty((count, n))
    w2 = np.empty((count, n))
    stats = np.empty((count, parts.shape[1]))
    converged = np.zeros(count, dtype=bool)

    def leave(rows: NDArray[np.bool_] | slice, *state: FloatArray) -> None:
        at = idx[rows]
        for target, source in zip((eta, mu, beta, w2, stats), state, strict=True):
            target[at] = source[rows]

    for _ in range(MAXIT):
        if idx.size == 0:
            break
        ww = m if unit else pw * m
        wz = m * e  # w·z with z = eta + (y − mu)/mu
        wz += yy
        wz -= m
        if not unit:
            wz *= pw
        s = ww @ parts
        r = wz @ x
        b = _arrow_solve(s, r, levels, extra) if trend else r / s
        new_eta = b @ x.T
        new_mu = np.exp(new_eta)
        np.maximum(new_mu, EPS, out=new_mu)
        dev = _deviance(cst, wy, None if unit else pw, new_eta, new_mu)
        ok = np.isfinite(b).all(axis=1) & np.isfinite(dev)
        done = ok & (np.abs(dev - dold) / (np.abs(dev) + 0.1) < EPSILON)
        stay = ok & ~done
        if stay.all():
            e, m, cur_beta, cur_w2, cur_stats, dold = new_eta, new_mu, b, ww, s, dev
            continue
        converged[idx[done]] = True
        leave(done, new_eta, new_mu, b, ww, s)
        if not ok.all():
            leave(~ok, e, m, cur_beta, cur_w2, cur_stats)
        e, m, cur_beta, cur_w2, cur_stats = new_eta[stay], new_mu[stay], b[stay], ww[stay], s[stay]
        yy, wy, cst, dold, idx = yy[stay], wy[stay], cst[stay], dev[stay], idx[stay]
        if not unit:
            pw = pw[stay]
        if extra is not None:
            extra = extra[stay]
    leave(slice(None), e, m, cur_beta, cur_w2, cur_stats)  # iterations exhausted
    rank = np.full(count, p, dtype=np.int64)
    if no_trend is not None and trend:
        rank[no_trend] = levels
    df = (prior > 0).sum(axis=1) - rank
    ainv = _arrow_inverse(stats, levels, trend, inf_schur)
    return _Fit(beta, eta, mu, w2, ainv, converged, df)


def _arrow_solve(
    s: FloatArray, r: FloatArray, levels: int, inf_schur: FloatArray | None
) -> FloatArray:
    """One weighted least-squares step for a factor + trend design, from s = W·[I, I·t,
    t²] (Σw per level, Σwt per level, Σwt²) and r = (W·z)·[I, t]."""
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


def _arrow_inverse(
    s: FloatArray, levels: int, trend: bool, inf_schur: FloatArray | None
) -> FloatArray:
    """(X'WX)⁻¹ of a factor (+ trend) design in closed form, from its parts (see
    `_arrow_solve`)."""
    diag = s[:, :levels]
    p = levels + 1 if trend else levels
    inv = np.zeros((s.shape[0], p, p))
    at = np.arange(levels)
    if not trend:
        inv[:, at, at] = 1.0 / diag
        return inv
    corner = s[:, levels:-1]
    scaled = corner / diag
    schur = s[:, -1] - np.vecdot(corner, scaled)
    if inf_schur is not None:
        schur += inf_schur
    inv[:, :levels, :levels] = scaled[:, :, None] * scaled[:, None, :] / schur[:, None, None]
    inv[:, at, at] += 1.0 / diag
    inv[:, :levels, levels] = -scaled / schur[:, None]
    inv[:, levels, :levels] = -scaled / schur[:, None]
    inv[:, levels, levels] = 1.0 / schur
    return inv


def _hat(fit: _Fit, x: FloatArray) -> FloatArray:
    n, p = x.shape
    cross = (x[:, :, None] * x[:, None, :]).reshape(n, p * p)
    h: FloatArray = fit.w2 * (fit.ainv.reshape(-1, p * p) @ cross.T)
    h[h > 1 - 10 * EPS] = 1.0
    return h


def _weights(s: FloatArray, threshold: float) -> FloatArray:
    """Anscombe reweighting: ω = γ s⁻² above the threshold, γ elsewhere, Σω = n."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = np.where(s > threshold, 1.0 / (s * s), 1.0)
    gamma = s.shape[1] / raw.sum(axis=1, keepdims=True)
    result: FloatArray = gamma * raw
    return result


def _anscombe(y: FloatArray, fit: _Fit, phi: FloatArray, x: FloatArray) -> FloatArray:
    mu = fit.mu
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.5 * (y ** (2.0 / 3.0) * mu ** (-1.0 / 6.0) - np.sqrt(mu))
        result: FloatArray = a / np.sqrt(phi[:, None] * (1.0 - _hat(fit, x)))
    return result


def _put(target: _Fit, rows: NDArray[np.bool_], source: _Fit) -> None:
    target.beta[rows] = source.beta
    target.eta[rows] = source.eta
    target.mu[rows] = source.mu
    target.w2[rows] = source.w2
    target.ainv[rows] = source.ainv
    target.converged[rows] = source.converged
    target.df[rows] = source.df


@dataclass
class _Model:
    """The outcome of R's fitting function for a batch (one design)."""

    fit: _Fit
    phi: FloatArray  # max(1, dispersion) of the final fit
    summary_weights: FloatArray | None  # what R keeps as the model's weights (None: working)
    usable: NDArray[np.bool_]  # False where the flexible fit gives NULL


def _fit_model(
    y: FloatArray,
    x: FloatArray,
    levels: int,
    no_trend: NDArray[np.bool_] | None,
    *,
    reweight: bool,
    threshold: float,
    flexible: bool,
) -> _Model:
    """R's fitting function (fitGLM.fast or fitGLM.flexible) for one design (`no_trend`:
    see `_irls`), with the fallback without trend decided by the caller."""
    ones = np.ones_like(y)
    fit = _irls(y, ones, x, levels, no_trend)
    phi = np.maximum(fit.dispersion(y), 1.0)
    summary_weights: FloatArray | None = None
    if reweight:
        omega = _weights(_anscombe(y, fit, phi, x), threshold)
        first_converged = fit.converged
        fit = _irls(y, omega, x, levels, no_trend)
        fit.converged = first_converged  # R checks only the first fit's convergence
        phi = np.maximum(fit.dispersion(y), 1.0)
        if flexible:
            summary_weights = omega
    return _Model(fit, phi, summary_weights, fit.converged.copy())


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
    model: _Model, design: _Design, has_trend: NDArray[np.bool_], y: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Linear predictor at k, its standard error with the model's summary dispersion, and
    that dispersion."""
    fit = model.fit
    p = fit.beta.shape[1]
    x0 = np.zeros((has_trend.size, p))
    levels = design.current.size
    x0[:, :levels] = design.current
    if p > levels:
        x0[:, levels] = np.where(has_trend, design.time_now, 0.0)
    eta0 = (fit.beta * x0).sum(axis=1)
    variance = np.einsum("bi,bij,bj->b", x0, fit.ainv, x0)
    dispersion = fit.dispersion(y, model.summary_weights)
    return eta0, variance, dispersion


def _trend_pvalue(model: _Model, y: FloatArray, column: int) -> FloatArray:
    fit = model.fit
    dispersion = fit.dispersion(y, model.summary_weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = fit.beta[:, column] / np.sqrt(fit.ainv[:, column, column] * dispersion)
    result: FloatArray = 2.0 * stdtr(fit.df, -np.abs(tval))
    return result


def _merge(target: _Model, rows: NDArray[np.bool_], source: _Model) -> None:
    """Replace the fits of `rows` by those of `source` (one per row)."""
    _put(target.fit, rows, source.fit)
    target.phi[rows] = source.phi
    target.usable[rows] = source.usable
    if target.summary_weights is not None and source.summary_weights is not None:
        target.summary_weights[rows] = source.summary_weights


def _take(model: _Model, rows: NDArray[np.bool_] | slice) -> _Model:
    fit = model.fit
    part = _Fit(
        fit.beta[rows],
        fit.eta[rows],
        fit.mu[rows],
        fit.w2[rows],
        fit.ainv[rows],
        fit.converged[rows],
        fit.df[rows],
    )
    weights = None if model.summary_weights is None else model.summary_weights[rows]
    return _Model(part, model.phi[rows], weights, model.usable[rows])


def _pad(model: _Model, p: int) -> _Model:
    """A model without the trend column, widened to `p` columns (the trend's set to 0)."""
    fit = model.fit
    extra = p - fit.beta.shape[1]
    if extra == 0:
        return model
    count = fit.beta.shape[0]
    beta = np.concatenate([fit.beta, np.zeros((count, extra))], axis=1)
    ainv = np.zeros((count, p, p))
    k = fit.beta.shape[1]
    ainv[:, :k, :k] = fit.ainv
    padded = _Fit(beta, fit.eta, fit.mu, fit.w2, ainv, fit.converged, fit.df)
    return _Model(padded, model.phi, model.summary_weights, model.usable)


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
    y_all: FloatArray,
    ks: NDArray[np.int64],
    settings: _Settings,
    designs: tuple[_Design, FloatArray, FloatArray],
) -> tuple[FloatArray, ...]:
    """Bounds, alarms and outputs for the periods at positions `ks` of `y_all` (series laid
    end to end; every position has its whole reference span inside its own series)."""
    design, x_trend, x_plain = designs
    count = ks.size
    y = y_all[ks[:, None] + design.offsets[None, :]]
    levels = x_plain.shape[1]

    def fit(y: FloatArray, x: FloatArray, no_trend: NDArray[np.bool_] | None) -> _Model:
        return _fit_model(
            y,
            x,
            levels,
            no_trend,
            reweight=settings.reweight,
            threshold=settings.weights_threshold if settings.flexible else 1.0,
            flexible=settings.flexible,
        )

    if not settings.trend:
        model = fit(y, x_plain, None)
        has_trend = np.zeros(count, dtype=bool)
    else:
        # R's fitting function with the trend; without it where that fit does not
        # converge or where the trend test drops the trend.
        refit: Callable[[NDArray[np.bool_]], _Model]
        if count * y.shape[1] <= SMALL_BATCH:
            # A small batch costs per call, not per problem: both fits in one.
            both = fit(np.concatenate([y, y]), x_trend, np.repeat([False, True], count))
            model = _take(both, slice(0, count))
            plain = _take(both, slice(count, None))

            def refit(rows: NDArray[np.bool_]) -> _Model:
                return _take(plain, rows)
        else:
            model = fit(y, x_trend, None)

            def refit(rows: NDArray[np.bool_]) -> _Model:
                return _pad(fit(y[rows], x_plain, None), levels + 1)

        has_trend = np.ones(count, dtype=bool)
        failed = ~model.usable
        if failed.any():
            _merge(model, failed, refit(failed))
            has_trend[failed] = False
        # The trend test, where the model has the trend.
        eta0, _, _ = _predict(model, design, has_trend, y)
        mu0 = np.maximum(np.exp(eta0), EPS)
        pvalue = _trend_pvalue(model, y, levels)
        p_limit = settings.p_trend if settings.flexible else 0.05
        keep = (settings.b >= 3) & (pvalue < p_limit) & (mu0 <= y.max(axis=1))
        drop = has_trend & ~keep
        if drop.any():
            _merge(model, drop, refit(drop))
            has_trend[drop] = False
    if not settings.flexible:
        model.usable[:] = True  # fitGLM.fast uses a fit that did not converge as it is
    eta0, variance, summary_dispersion = _predict(model, design, has_trend, y)
    observed = y_all[ks]
    phi = model.phi
    if settings.flexible:
        se_link = np.sqrt(variance * summary_dispersion)
        upper, score, expected = _threshold_flexible(eta0, se_link, phi, observed, settings)
    else:
        se_link = np.sqrt(variance * phi)
        upper, score, expected = _threshold_1996(eta0, se_link, phi, observed, settings)
    cases, span = settings.limit54
    window = np.stack([y_all[ks - i] for i in range(span)], axis=1)
    enough = window.sum(axis=1) >= cases
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
    alpha = settings.alpha
    if settings.threshold_method == "delta":
        mu0 = np.maximum(np.exp(eta0), EPS)
        se_fit = se_link * mu0
        upper = _delta_upper(mu0, se_fit, phi, settings.power, float(ndtri(1 - alpha)))
        with np.errstate(divide="ignore", invalid="ignore"):
            score = (observed - mu0) / (upper - mu0)
        return upper, score, mu0
    if settings.threshold_method == "nbPlugin":
        with np.errstate(over="ignore"):
            mean = np.exp(eta0)
    else:
        with np.errstate(over="ignore"):
            mean = np.exp(eta0 + se_link * ndtri(1 - alpha))
    upper = np.full(eta0.shape, np.nan)
    finite = np.isfinite(mean)
    # Beyond 1e15 a whole-number search means nothing in double precision (nor does R's):
    # the normal approximation answers there.
    huge = finite & (mean > HUGE)
    upper[huge] = mean[huge] + float(ndtri(1 - alpha)) * np.sqrt(mean[huge] * phi[huge])
    over = finite & ~huge & (phi > 1)
    plain = finite & ~huge & ~(phi > 1)
    if over.any():
        size = mean[over] / (phi[over] - 1)
        prob = 1 / phi[over]
        upper[over] = _quantile(
            lambda q: betainc(size, q + 1, prob),
            1 - alpha,
            mean[over],
            np.sqrt(mean[over] * phi[over]),
        )
    if plain.any():
        lam = mean[plain]
        upper[plain] = _quantile(lambda q: gammaincc(q + 1, lam), 1 - alpha, lam, np.sqrt(lam))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (observed - eta0) / (upper - eta0)
    expected = np.where(np.isnan(upper), np.nan, np.exp(eta0))
    return upper, score, expected


def _quantile(
    cdf: Callable[[FloatArray], FloatArray], p: float, mean: FloatArray, sd: FloatArray
) -> FloatArray:
    """The smallest whole y with cdf(y) >= p (1 − 64 ε), as R's qnbinom/qpois search for it
    (same fuzz), by bisection on whole numbers from a bracket around the mean."""
    target = p * (1 - 64 * EPS)
    lo = np.maximum(-1.0, np.floor(mean - 10 * sd - 10))
    hi = np.ceil(mean + 10 * sd + 10)
    # Widen brackets that do not hold the quantile (cdf(lo) must be below the target).
    for _ in range(64):
        low_bad = (lo >= 0) & (cdf(lo) >= target)
        high_bad = cdf(hi) < target
        if not (low_bad.any() or high_bad.any()):
            break
        lo = np.where(low_bad, np.maximum(-1.0, lo - (hi - lo)), lo)
        hi = np.where(high_bad, hi + (hi - lo), hi)
    while True:
        open_ = hi - lo > 1
        if not open_.any():
            break
        mid = np.floor((lo + hi) / 2)
        above = cdf(mid) >= target
        hi = np.where(open_ & above, mid, hi)
        lo = np.where(open_ & ~above, mid, lo)
    return hi


def _parse_limit54(value: tuple[int, int] | list[int]) -> tuple[int, int]:
    cases, span = (int(v) for v in value)
    if cases < 0 or span <= 0:
        raise ValueError("limit54 must be cases >= 0 and periods > 0")
    return cases, span


def _designs(settings: _Settings) -> tuple[_Design, FloatArray, FloatArray]:
    return _design(
        freq=settings.freq,
        b=settings.b,
        w=settings.w,
        no_periods=settings.no_periods,
        past=settings.past,
        trend=settings.trend,
        flexible=settings.flexible,
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
        parts.append(_evaluate(flat, positions[begin : begin + rows], settings, designs))
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
