"""The simulator: its counts have the negative-binomial mean and variance it was given, its
outbreaks are where it says they are, and a seed gives the same series."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from redline.engines.detection.simulate import (
    DAILY,
    NOUFAILY_CURRENT,
    NOUFAILY_PAST,
    NOUFAILY_WEEKS,
    Baseline,
    OutbreakPlan,
    draw_counts,
    noufaily_scenarios,
    noufaily_series,
    plan_outbreaks,
    simulate,
)

N = 200_000


@pytest.mark.parametrize(("mu", "phi"), [(5.0, 1.0), (5.0, 2.0), (0.4, 1.5), (60.0, 3.0)])
def test_counts_have_the_negative_binomial_mean_and_variance(mu, phi):
    counts = draw_counts(np.full(N, mu), phi, np.random.default_rng(11))
    # Standard errors over N draws: mean √(φμ/N); variance ≈ φμ·√(2/N) and more for the
    # skewed NB; 5 standard errors are a safe bound for a fixed seed, tight enough to
    # catch a wrong parametrisation (variance μ instead of φμ is off by 100 % at φ = 2).
    assert counts.mean() == pytest.approx(mu, abs=5 * math.sqrt(phi * mu / N))
    assert counts.var(ddof=1) == pytest.approx(phi * mu, rel=0.03)


def test_seasonal_baseline_standardised_residuals_are_mean_0_variance_1():
    baseline = Baseline(theta=1.2, beta=0.0001, gamma1=0.6, gamma2=-0.3, harmonics=2, phi=2.5)
    run = simulate(baseline, N, np.random.default_rng(3))
    residuals = (run.counts - run.mean) / np.sqrt(baseline.phi * run.mean)
    assert residuals.mean() == pytest.approx(0.0, abs=0.01)
    assert residuals.var() == pytest.approx(1.0, abs=0.03)
    assert not run.outbreaks
    assert not run.injected.any()


def test_the_mean_follows_the_noufaily_formula():
    baseline = Baseline(theta=0.5, beta=0.002, gamma1=0.5, gamma2=0.5, harmonics=2, phi=5)
    t = np.arange(1, 105)
    expected = np.exp(
        0.5
        + 0.002 * t
        + sum(
            0.5 * np.cos(2 * np.pi * j * t / 52) + 0.5 * np.sin(2 * np.pi * j * t / 52)
            for j in (1, 2)
        )
    )
    np.testing.assert_allclose(baseline.mean(104), expected, rtol=1e-12)
    np.testing.assert_allclose(baseline.mean(10, start=50), expected[49:59], rtol=1e-12)


def test_peaking_baseline_peaks_on_the_given_day():
    baseline = Baseline.peaking(level=3.0, amplitude=0.8, peak=20, frequency=DAILY)
    year = baseline.mean(366, start=1)
    assert int(np.argmax(year)) + 1 == 20
    assert year.max() == pytest.approx(3.0 * math.exp(0.8), rel=1e-6)
    assert year.min() == pytest.approx(3.0 * math.exp(-0.8), rel=1e-3)


def test_outbreaks_land_where_recorded():
    baseline = Baseline.peaking(level=4.0, amplitude=0.5, peak=30, phi=1.5)
    plans = [OutbreakPlan(100, 3.0), OutbreakPlan(400, 5.0), OutbreakPlan(900, 10.0)]
    run = simulate(baseline, 1000, np.random.default_rng(5), plans, spread=7)
    assert [o.start for o in run.outbreaks] == [100, 400, 900]
    covered = np.zeros(1000, dtype=bool)
    for outbreak in run.outbreaks:
        assert outbreak.cases == outbreak.size > 0
        assert run.injected[outbreak.start : outbreak.end + 1].sum() == outbreak.cases
        assert run.injected[outbreak.end] > 0  # the span ends on its last case
        assert outbreak.curve == tuple(run.injected[outbreak.start : outbreak.end + 1])
        covered[outbreak.start : outbreak.end + 1] = True
    assert not run.injected[~covered].any()
    assert np.array_equal(covered, run.state)
    np.testing.assert_array_equal(run.counts, run.baseline + run.injected)


def test_an_outbreak_at_the_end_keeps_the_cases_inside_the_series():
    baseline = Baseline(theta=math.log(5), phi=1.0, frequency=DAILY)
    run = simulate(baseline, 100, np.random.default_rng(2), [OutbreakPlan(97, 10.0)], spread=7)
    (outbreak,) = run.outbreaks
    assert outbreak.end == 99
    assert outbreak.cases == run.injected.sum() <= outbreak.size
    assert outbreak.cases < outbreak.size  # a week-long curve cannot fit in three days


def test_outbreak_sizes_and_shape_follow_the_design():
    """Size ~ Poisson(k·sd), sd = √(φ·μ) at the start (weekly, spread 1); each case's delay
    ⌊lognormal(0, 0.5)⌋."""
    baseline = Baseline(theta=math.log(8), phi=2.0)
    rng = np.random.default_rng(8)
    sizes, delays = [], []
    for _ in range(400):
        run = simulate(baseline, 30, rng, [OutbreakPlan(0, 3.0)])
        sizes.append(run.outbreaks[0].size)
        delays.extend(np.repeat(np.arange(30), run.injected))
    sd = math.sqrt(2.0 * 8)
    assert np.mean(sizes) == pytest.approx(3 * sd, rel=0.03)
    # P(⌊L⌋ = 0) = P(L < 1) = 1/2; P(⌊L⌋ = 1) = Φ(ln 2 / 0.5) − 1/2 ≈ 0.417.
    delays_array = np.asarray(delays)
    assert (delays_array == 0).mean() == pytest.approx(0.5, abs=0.02)
    assert (delays_array == 1).mean() == pytest.approx(0.417, abs=0.02)


def test_truncated_spread_keeps_cases_within_max_delay():
    baseline = Baseline(theta=math.log(8), phi=2.0)
    rng = np.random.default_rng(9)
    delays = []
    for _ in range(400):
        run = simulate(baseline, 30, rng, [OutbreakPlan(0, 3.0)], max_delay=2)
        assert run.outbreaks[0].end <= 1
        delays.extend(np.repeat(np.arange(30), run.injected))
    # L truncated at 2: P(⌊L⌋ = 0) = P(L < 1) / P(L < 2) = 0.5 / Φ(ln 2 / 0.5) ≈ 0.545.
    assert (np.asarray(delays) == 0).mean() == pytest.approx(0.545, abs=0.02)
    with pytest.raises(ValueError, match="max_delay"):
        simulate(baseline, 30, rng, [OutbreakPlan(0, 3.0)], max_delay=0)


def test_a_seed_gives_the_same_series():
    baseline = Baseline.peaking(level=2.0, amplitude=0.7, peak=200, phi=1.8)
    plans = [OutbreakPlan(50, 5.0)]

    def one(seed):
        return simulate(baseline, 500, np.random.default_rng(seed), plans, spread=7)

    first, again, other = one(42), one(42), one(43)
    np.testing.assert_array_equal(first.counts, again.counts)
    assert first.outbreaks == again.outbreaks
    assert not np.array_equal(first.counts, other.counts)


def test_plan_outbreaks_respects_window_and_gap():
    for seed in range(30):
        plans = plan_outbreaks(
            np.random.default_rng(seed), number=6, first=100, last=700, ks=(2, 3), gap=90
        )
        starts = [p.start for p in plans]
        assert starts == sorted(starts)
        assert 100 <= starts[0] and starts[-1] <= 700
        assert all(b - a >= 90 for a, b in itertools.pairwise(starts))
        assert {p.k for p in plans} <= {2.0, 3.0}
    tight = plan_outbreaks(np.random.default_rng(1), number=3, first=0, last=20, ks=(1,), gap=10)
    assert [p.start for p in tight] == [0, 10, 20]
    with pytest.raises(ValueError, match="do not fit"):
        plan_outbreaks(np.random.default_rng(1), number=3, first=0, last=19, ks=(1,), gap=10)


def test_noufaily_design():
    scenarios = noufaily_scenarios()
    assert len(scenarios) == 42
    assert scenarios["g3-t0-m0"] == Baseline(theta=1.5, phi=1.0, harmonics=0)
    assert scenarios["g2-t1-m2"].beta == 0.005 and scenarios["g2-t1-m2"].harmonics == 2
    run = noufaily_series(scenarios["g5-t1-m1"], np.random.default_rng(4))
    assert run.counts.size == NOUFAILY_WEEKS
    past, current = run.outbreaks[:4], run.outbreaks[4]
    assert all(NOUFAILY_PAST[0] <= o.start <= NOUFAILY_PAST[1] for o in past)
    assert {o.k for o in past} <= {2.0, 3.0, 5.0, 10.0}
    assert NOUFAILY_CURRENT[0] <= current.start <= NOUFAILY_CURRENT[1]
    quiet = noufaily_series(scenarios["g5-t1-m1"], np.random.default_rng(4), current=False)
    assert len(quiet.outbreaks) == 4


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"theta": 1.0, "phi": 0.5}, "phi"),
        ({"theta": float("nan")}, "theta"),
        ({"theta": 1.0, "harmonics": -1}, "harmonics"),
        ({"theta": 1.0, "frequency": 0}, "frequency"),
    ],
)
def test_bad_parameters_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Baseline(**kwargs)


def test_bad_outbreaks_are_refused():
    baseline = Baseline(theta=1.0)
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="outside the series"):
        simulate(baseline, 10, rng, [OutbreakPlan(10, 2.0)])
    with pytest.raises(ValueError, match="k"):
        simulate(baseline, 10, rng, [OutbreakPlan(2, -1.0)])
