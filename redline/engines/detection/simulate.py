"""Simulated surveillance counts: seasonal negative-binomial baselines with injected outbreaks,
in the design of Noufaily et al. (2013, Stat Med 32:1206-22; domain note §5.1).

Baseline. For periods t = start, start+1, … (1-based as in the paper):

    log μ_t = θ + β·t + Σ_{j=1..m} [γ₁ cos(2πjt/ω) + γ₂ sin(2πjt/ω)]

and y_t ~ negative binomial with mean μ_t and variance φ·μ_t (Poisson when φ = 1). In numpy's
terms that is size μ/(φ−1) and success probability 1/φ. ω is the number of periods in a year
(52 weekly, 365.25 daily); `start` lets a daily series begin on any day of the year so that
its seasons fall on the calendar. `Baseline.peaking` builds (θ, γ₁, γ₂) from a typical level,
a seasonal amplitude and the day of the peak.

Outbreaks (what we chose, following the paper where it is explicit):
- an outbreak planned at period s with multiplier k has Poisson(k·sd) cases, where sd is the
  baseline's standard deviation at s summed over one *spread unit* (`spread` periods):
  √(φ·Σμ) over s … s+spread−1. With weekly data and spread 1 this is the paper's k·SD at the
  start week (the replication code uses the series' SD; R's `sts_creation` uses k times the
  variance at the last period: we follow the paper);
- each case falls ⌊spread·L⌋ periods after s, L ~ lognormal(0, σ) with σ = 0.5 as in the
  paper: with weekly data and spread 1 most outbreaks last 1–3 weeks; daily data use spread 7
  for the same shape counted in days (cases peak in the first week and tail off in the next
  two). Optionally (`max_delay`) L is truncated so that every case falls within max_delay
  periods of s: the largest of a hundred lognormal draws otherwise stretches an outbreak's
  recorded span over many quiet weeks (R's `sts_creation` likewise spreads cases over at
  most 20 steps);
- the outbreak's recorded span is s … s + the largest offset drawn, cut at the series' end
  (an outbreak still going on at the end keeps the cases inside the series: `cases`; `size`
  is what was drawn). An outbreak of size 0 (possible when k·sd is small) spans s … s.

Everything is drawn from the numpy Generator passed in, in a fixed order, so a seed gives the
same series. No Django: the demo and the tests both use it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

WEEKLY = 52.0
DAILY = 365.25
LOGNORMAL_SIGMA = 0.5


@dataclass(frozen=True)
class Baseline:
    """Parameters of one seasonal negative-binomial baseline (Noufaily's notation)."""

    theta: float
    beta: float = 0.0
    gamma1: float = 0.0
    gamma2: float = 0.0
    harmonics: int = 1  # m: 0 for no season
    phi: float = 1.0  # variance / mean; 1 is Poisson
    frequency: float = WEEKLY  # ω: periods per year

    def __post_init__(self) -> None:
        for name in ("theta", "beta", "gamma1", "gamma2", "phi", "frequency"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")
        if self.phi < 1:
            raise ValueError("phi must be at least 1 (the variance is phi times the mean)")
        if self.harmonics < 0:
            raise ValueError("harmonics must be 0 or more")
        if self.frequency <= 0:
            raise ValueError("frequency must be positive")

    @classmethod
    def peaking(
        cls,
        *,
        level: float,
        amplitude: float,
        peak: float,
        phi: float = 1.0,
        beta: float = 0.0,
        frequency: float = DAILY,
    ) -> Baseline:
        """One harmonic peaking at period `peak` of the year (t = peak, peak + ω, …): the
        mean swings between level·e^−amplitude and level·e^amplitude around `level`."""
        if level <= 0:
            raise ValueError("level must be positive")
        angle = 2 * math.pi * peak / frequency
        return cls(
            theta=math.log(level),
            beta=beta,
            gamma1=amplitude * math.cos(angle),
            gamma2=amplitude * math.sin(angle),
            harmonics=1 if amplitude else 0,
            phi=phi,
            frequency=frequency,
        )

    def mean(self, n: int, *, start: int = 1) -> NDArray[np.float64]:
        """μ_t for t = start … start+n−1."""
        t = np.arange(start, start + n, dtype=float)
        eta = self.theta + self.beta * t
        for j in range(1, self.harmonics + 1):
            angle = 2 * math.pi * j * t / self.frequency
            eta = eta + self.gamma1 * np.cos(angle) + self.gamma2 * np.sin(angle)
        return np.exp(eta)


def draw_counts(
    mean: NDArray[np.float64], phi: float, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Negative-binomial counts with these means and variance phi·mean (Poisson if phi = 1)."""
    if phi < 1:
        raise ValueError("phi must be at least 1")
    if phi == 1:
        return rng.poisson(mean).astype(np.int64)
    return rng.negative_binomial(mean / (phi - 1), 1 / phi).astype(np.int64)


@dataclass(frozen=True)
class OutbreakPlan:
    start: int  # 0-based period
    k: float  # size multiplier: Poisson(k·sd) cases


@dataclass(frozen=True)
class Outbreak:
    start: int  # 0-based period of the first possible case
    end: int  # last period with a case (inclusive), at most the series' last period
    k: float
    size: int  # cases drawn
    cases: int  # cases that fall inside the series
    curve: tuple[int, ...] = ()  # its cases in each period start … end

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    @property
    def periods(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Simulation:
    mean: NDArray[np.float64]  # μ_t of the baseline
    baseline: NDArray[np.int64]  # the baseline counts
    injected: NDArray[np.int64]  # outbreak cases per period
    outbreaks: tuple[Outbreak, ...]
    counts: NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", self.baseline + self.injected)

    @property
    def state(self) -> NDArray[np.bool_]:
        """True in the periods within an outbreak's span (R's `state`)."""
        flags = np.zeros(self.counts.size, dtype=bool)
        for outbreak in self.outbreaks:
            flags[outbreak.start : outbreak.end + 1] = True
        return flags


def simulate(
    baseline: Baseline,
    n: int,
    rng: np.random.Generator,
    outbreaks: Sequence[OutbreakPlan] = (),
    *,
    start: int = 1,
    spread: float = 1.0,
    sigma: float = LOGNORMAL_SIGMA,
    max_delay: float | None = None,
) -> Simulation:
    """n periods of the baseline plus the planned outbreaks (see the module's docstring).
    `max_delay` (periods) truncates the lognormal so every case falls before it."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if spread <= 0:
        raise ValueError("spread must be positive")
    if sigma <= 0:
        raise ValueError("sigma must be positive")
    if max_delay is not None and max_delay <= 0:
        raise ValueError("max_delay must be positive")
    limit = None if max_delay is None else max_delay / spread  # in lognormal units
    top = 0.0 if limit is None else float(ndtr(math.log(limit) / sigma))
    mean = baseline.mean(n, start=start)
    counts = draw_counts(mean, baseline.phi, rng)
    injected = np.zeros(n, dtype=np.int64)
    unit = max(1, round(spread))
    made = []
    for plan in outbreaks:
        if not 0 <= plan.start < n:
            raise ValueError(f"outbreak start {plan.start} is outside the series (0 … {n - 1})")
        if plan.k < 0 or not math.isfinite(plan.k):
            raise ValueError("an outbreak's k must be a number of at least 0")
        first = plan.start
        # The SD of the baseline summed over one spread unit (extended past the end with the
        # trend and season, so an outbreak starting on the last day is sized like the others).
        span_mean = baseline.mean(unit, start=start + first)
        sd = math.sqrt(baseline.phi * float(span_mean.sum()))
        size = int(rng.poisson(plan.k * sd))
        if limit is None:
            delays = rng.lognormal(0.0, sigma, size)
        else:  # inverse-CDF draw from the lognormal truncated at `limit`
            delays = np.exp(sigma * ndtri(rng.uniform(0.0, top, size)))
        offsets = np.floor(spread * delays).astype(np.int64)
        where = first + offsets
        inside = where[where < n]
        np.add.at(injected, inside, 1)
        end = min(int(where.max()) if size else first, n - 1)
        curve = np.bincount(inside - first, minlength=end - first + 1)
        made.append(
            Outbreak(
                start=first,
                end=end,
                k=plan.k,
                size=size,
                cases=int(inside.size),
                curve=tuple(int(c) for c in curve),
            )
        )
    return Simulation(mean=mean, baseline=counts, injected=injected, outbreaks=tuple(made))


def plan_outbreaks(
    rng: np.random.Generator,
    *,
    number: int,
    first: int,
    last: int,
    ks: Sequence[float],
    gap: int = 0,
) -> list[OutbreakPlan]:
    """`number` outbreaks starting at random periods in first … last (inclusive), each with a
    k drawn uniformly from `ks`, at least `gap` periods apart (so their spans rarely overlap),
    in start order."""
    if number < 0:
        raise ValueError("number must be 0 or more")
    if last < first:
        raise ValueError("last must not be before first")
    if number and not ks:
        raise ValueError("ks must not be empty")
    if number and (last - first) < (number - 1) * gap:
        raise ValueError(f"{number} outbreaks {gap} periods apart do not fit in {first} … {last}")
    # Draw sorted starts with the gaps removed, then put the gaps back: uniform over the
    # admissible placements, no rejection loop.
    room = last - first - (number - 1) * gap
    starts = np.sort(rng.choice(room + number, size=number, replace=False)) - np.arange(number)
    starts = first + starts + np.arange(number) * gap
    chosen = rng.integers(0, len(ks), size=number)
    return [
        OutbreakPlan(start=int(s), k=float(ks[int(c)])) for s, c in zip(starts, chosen, strict=True)
    ]


# --- Noufaily et al. (2013): the 42 weekly scenarios and their outbreak design ------------

# (θ, β if trend, γ₁, γ₂, φ) of the seven parameter groups (domain note §5.1).
NOUFAILY_GROUPS: tuple[tuple[float, float, float, float, float], ...] = (
    (0.1, 0.0025, 0.6, 0.6, 1.5),
    (-2.0, 0.005, 0.1, 0.3, 2.0),
    (1.5, 0.003, 0.2, -0.4, 1.0),
    (0.5, 0.002, 0.5, 0.5, 5.0),
    (2.5, 0.001, 1.0, 0.1, 3.0),
    (3.75, 0.001, 0.1, -0.1, 1.1),
    (5.0, 0.0001, 0.05, 0.01, 1.2),
)
NOUFAILY_WEEKS = 624
NOUFAILY_PAST = (312, 574)  # 0-based weeks 313–575: where past outbreaks start
NOUFAILY_CURRENT = (575, 623)  # 0-based weeks 576–624: the evaluated weeks
NOUFAILY_PAST_KS = (2.0, 3.0, 5.0, 10.0)
NOUFAILY_CURRENT_KS = tuple(float(k) for k in range(1, 11))


def noufaily_scenarios() -> dict[str, Baseline]:
    """The 42 scenarios: 7 groups × trend (0/1) × seasonality m (0/1/2), named
    `g<group>-t<trend>-m<m>`."""
    scenarios = {}
    for number, (theta, beta, gamma1, gamma2, phi) in enumerate(NOUFAILY_GROUPS, start=1):
        for trend in (0, 1):
            for m in (0, 1, 2):
                scenarios[f"g{number}-t{trend}-m{m}"] = Baseline(
                    theta=theta,
                    beta=beta if trend else 0.0,
                    gamma1=gamma1 if m else 0.0,
                    gamma2=gamma2 if m else 0.0,
                    harmonics=m,
                    phi=phi,
                    frequency=WEEKLY,
                )
    return scenarios


def noufaily_series(
    baseline: Baseline, rng: np.random.Generator, *, current: bool = True
) -> Simulation:
    """One replicate of the paper's design: 624 weeks; 4 past outbreaks starting in weeks
    313–575 (k from 2, 3, 5, 10); with `current`, one more in the evaluated weeks 576–624
    (k from 1 … 10)."""
    plans = [
        OutbreakPlan(start=int(s), k=float(rng.choice(NOUFAILY_PAST_KS)))
        for s in rng.integers(NOUFAILY_PAST[0], NOUFAILY_PAST[1] + 1, size=4)
    ]
    if current:
        start = int(rng.integers(NOUFAILY_CURRENT[0], NOUFAILY_CURRENT[1] + 1))
        plans.append(OutbreakPlan(start=start, k=float(rng.choice(NOUFAILY_CURRENT_KS))))
    return simulate(baseline, NOUFAILY_WEEKS, rng, sorted(plans, key=lambda p: p.start))


def simulate_with_outbreaks(
    baseline: Baseline,
    n: int,
    rng: np.random.Generator,
    *,
    outbreaks: int,
    ks: Sequence[float],
    gap: int,
    first: int = 0,
    last: int | None = None,
    extra: Sequence[OutbreakPlan] = (),
    start: int = 1,
    spread: float = 1.0,
    max_delay: float | None = None,
) -> Simulation:
    """A series with `outbreaks` outbreaks at random starts in first … last (default: the
    whole series), at least `gap` periods apart (`plan_outbreaks`), plus the `extra` ones
    (e.g. one still going on at the end). The demo's series and the evaluation tests' are
    made by this one function."""
    last = n - 1 if last is None else last
    plans = plan_outbreaks(rng, number=outbreaks, first=first, last=last, ks=ks, gap=gap)
    ordered = sorted([*plans, *extra], key=lambda p: p.start)
    return simulate(baseline, n, rng, ordered, start=start, spread=spread, max_delay=max_delay)
