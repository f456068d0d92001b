"""Farrington (1996) and farringtonFlexible: R's own unit-test values (domain note §1.4.6),
the reference files through the engine's Python interface, invariants, and R itself on
seeded series where it is installed.

The full reproduction of every reference file through `redline detect` is in
redline/epidemic/tests/test_detect_cli.py."""

from __future__ import annotations

import csv
import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.conftest import shared_path
from redline.engines.detection import farrington as fr
from redline.engines.tests import r_surveillance


@pytest.mark.parametrize(
    ("power", "upper"),
    [("none", 8.6926872), ("1/2", 9.3744842), ("2/3", 9.1154825)],
)
def test_delta_threshold_matches_r(power, upper):
    # mu0 = 5, se(mu0) = 0.2, phi = 1, alpha = 0.05 one-sided (farringtonFlexible).
    got = fr._delta_upper(
        np.array([5.0]), np.array([0.2]), np.array([1.0]), fr.POWERS[power], 1.6448536269514722
    )
    assert got[0] == pytest.approx(upper, rel=1e-7)


@pytest.mark.parametrize(
    ("method", "phi", "upper", "score"),
    [
        ("muan", 1.5, 24, 0.4193982),
        ("muan", 1.0, 22, 0.4605347),
        ("nbPlugin", 1.5, 10, 1.11918153),
        ("nbPlugin", 1.0, 9, 1.27061541),
    ],
)
def test_negative_binomial_thresholds_match_r(method, phi, upper, score):
    settings_ = fr.farrington_flexible_settings(thresholdMethod=method, alpha=0.05)
    got_upper, got_score, _ = fr._threshold_flexible(
        np.array([math.log(5)]),
        np.array([math.log(2)]),
        np.array([phi]),
        np.array([11.0]),
        settings_,
    )
    assert got_upper[0] == upper
    assert got_score[0] == pytest.approx(score, rel=1e-7)


def test_anscombe_weights_match_r():
    s = np.array([[0, 0, 0, 0, 0, 2, 2, 2, 2, 2]], dtype=float)
    assert fr._weights(s, 0.0)[0].tolist() == pytest.approx([1.6] * 5 + [0.4] * 5)


def test_noufaily_blocks_give_ten_levels_and_drop_the_recent_weeks():
    design, with_trend, plain = fr._design(
        freq=52, b=3, w=3, no_periods=10, past=26, trend=True, flexible=True
    )
    assert plain.shape[1] == 10  # one indicator per seasonal level
    assert with_trend.shape[1] == 11
    assert design.offsets.min() == -(3 * 52 + 3)
    assert design.offsets.max() == -27  # the last 26 weeks and the current one are left out
    assert np.all(np.diff(design.offsets) == 1)  # every week in between is a row
    assert design.current.tolist() == [0.0] * 9 + [1.0]  # predicted at the window's level


def test_too_many_periods_is_refused():
    with pytest.raises(ValueError, match="noPeriods"):
        fr.farrington_flexible(np.ones(400), freq=52, w=3, noPeriods=50)


def test_a_short_series_is_refused_with_its_length():
    with pytest.raises(ValueError, match="too short"):
        fr.farrington(np.ones(200), freq=52)


def _salm_newport():
    path = shared_path("reference", "surveillance", "salmNewport", "input.csv")
    series: dict[str, list[float]] = defaultdict(list)
    with path.open() as handle:
        for row in csv.DictReader(handle):
            series[row["series"]].append(float(row["count"]))
    return {name: np.array(values) for name, values in series.items()}


def test_many_series_at_once_equal_one_at_a_time():
    data = _salm_newport()
    settings_ = fr.farrington_flexible_settings(freq=52)
    together = fr.run_many(list(data.values()), settings_)
    for counts, joint in zip(data.values(), together, strict=True):
        alone = fr.farrington_flexible(counts, freq=52)
        np.testing.assert_array_equal(joint.periods, alone.periods)
        np.testing.assert_allclose(joint.upperbound, alone.upperbound, rtol=1e-12)
        np.testing.assert_array_equal(joint.alarm, alone.alarm)


@pytest.mark.parametrize("flexible", [False, True])
def test_small_batches_fit_with_and_without_trend_at_once_with_the_same_answer(
    flexible, monkeypatch
):
    """Small batches fit the model without trend for every period alongside the one with
    it; large batches refit only where needed. Both ways give the same bounds and alarms
    (the data set has periods whose trend is kept, dropped and whose fit fails)."""
    counts = list(_salm_newport().values())[:4]
    settings_ = (
        fr.farrington_flexible_settings(freq=52)
        if flexible
        else fr.farrington_settings(freq=52, b=5, w=3)
    )
    monkeypatch.setattr(fr, "SMALL_BATCH", 10**9)
    together = fr.run_many(counts, settings_)
    monkeypatch.setattr(fr, "SMALL_BATCH", 0)
    apart = fr.run_many(counts, settings_)
    trends = np.concatenate([r.trend for r in together])
    assert {0.0, 1.0} <= set(trends[~np.isnan(trends)].tolist())
    for one, other in zip(together, apart, strict=True):
        np.testing.assert_array_equal(one.alarm, other.alarm)
        np.testing.assert_array_equal(one.trend, other.trend)
        np.testing.assert_allclose(one.upperbound, other.upperbound, rtol=1e-10)
        np.testing.assert_allclose(one.phi, other.phi, rtol=1e-10)


def test_last_evaluates_only_the_newest_periods_with_the_same_answer():
    counts = _salm_newport()["Bavaria"]
    full = fr.farrington(counts, freq=52)
    newest = fr.run_many([counts], fr.farrington_settings(freq=52), last=3)[0]
    assert newest.periods.tolist() == full.periods[-3:].tolist()
    np.testing.assert_allclose(newest.upperbound, full.upperbound[-3:], rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    level=st.floats(0.5, 40),
    method=st.sampled_from(["delta", "nbPlugin", "muan"]),
)
def test_alarm_is_a_count_above_the_bound(seed, level, method):
    """Where a bound is given, the alarm is count > bound (with a count), as R decides it;
    where limit54 finds too few cases there is no bound and no alarm."""
    rng = np.random.default_rng(seed)
    weeks = np.arange(52 * 6)
    mean = level * (1.5 + np.sin(2 * np.pi * weeks / 52))
    counts = rng.negative_binomial(5, 5 / (5 + mean)).astype(float)
    result = fr.farrington_flexible(
        counts, freq=52, thresholdMethod=method, noPeriods=4, pastWeeksNotIncluded=10
    )
    y = counts[result.periods]
    recent = np.array([counts[k - 3 : k + 1].sum() for k in result.periods])
    usable = ~np.isnan(result.alarm)
    bounded = usable & ~np.isnan(result.upperbound)
    assert np.all(result.alarm[usable & (recent < 5)] == 0)
    assert np.all(np.isnan(result.upperbound[usable & (recent < 5)]))
    # Strictly above the bound, with a count: an alarm (delta's score is monotone in y).
    above = bounded & (y > result.upperbound) & (y > 0)
    assert np.all(result.alarm[above] == 1)
    assert np.all(result.alarm[bounded & (y <= result.upperbound)] == 0)
    assert np.all(result.upperbound[bounded] >= 0)


R_SCRIPT = r"""
suppressMessages(library(surveillance))
noufaily <- list(noPeriods = 10, b = 4, w = 5, weightsThreshold = 2.58,
                 pastWeeksNotIncluded = 26, pThresholdTrend = 1, alpha = 0.1)
for (line in readLines(file("stdin"))) {
  f <- strsplit(line, ";")[[1]]
  y <- as.numeric(strsplit(f[3], ",")[[1]])
  s <- sts(observed = y, frequency = 52, start = c(2000, 1))
  range <- as.integer(f[2]):length(y)
  r <- suppressWarnings(switch(f[1],
    farrington = farrington(s, control = list(range = range, b = 5, w = 3, alpha = 0.05)),
    default = farringtonFlexible(s, control = list(range = range)),
    noufaily = farringtonFlexible(s, control = c(noufaily, list(range = range,
                                                 thresholdMethod = "nbPlugin"))),
    muan = farringtonFlexible(s, control = c(noufaily, list(range = range,
                                             thresholdMethod = "muan")))))
  cat(format(as.numeric(upperbound(r)), digits = 17), "|", as.numeric(alarms(r)), "\n")
}
"""
NOUFAILY = {
    "noPeriods": 10,
    "b": 4,
    "w": 5,
    "weightsThreshold": 2.58,
    "pastWeeksNotIncluded": 26,
    "pThresholdTrend": 1,
    "alpha": 0.1,
}
# name -> settings; each evaluated on the last LIVE_PERIODS weeks of each series
LIVE_CONFIGS = {
    "farrington": fr.farrington_settings(freq=52, b=5, w=3, alpha=0.05),
    "default": fr.farrington_flexible_settings(freq=52),
    "noufaily": fr.farrington_flexible_settings(freq=52, **NOUFAILY, thresholdMethod="nbPlugin"),
    "muan": fr.farrington_flexible_settings(freq=52, **NOUFAILY, thresholdMethod="muan"),
}
LIVE_PERIODS = 20


def _live_series() -> list[np.ndarray]:
    """Seeded weekly series of 6 years: sparse counts, outbreaks, a rising trend, large
    counts, and a series that starts with zeros and has a run of zeros at the end."""
    rng = np.random.default_rng(16)
    weeks = np.arange(320)
    season = np.exp(0.5 * np.sin(2 * np.pi * weeks / 52))
    sparse = rng.poisson(0.6 * season)
    outbreaks = rng.negative_binomial(4, 4 / (4 + 6 * season))
    outbreaks[[280, 281, 300, 312]] += [14, 25, 9, 30]
    rising = rng.poisson(2 * season * np.exp(weeks / 200))
    large = rng.negative_binomial(20, 20 / (20 + 80 * season))
    large[305:309] += 150
    late = rng.poisson(3 * season)
    late[:120] = 0
    late[300:312] = 0
    return [a.astype(float) for a in (sparse, outbreaks, rising, large, late)]


def test_agrees_with_r_on_random_series():
    """R 'surveillance' itself (`make test` installs Debian's r-cran-surveillance), on
    seeded series with zeros, a trend and outbreaks, through farrington and
    farringtonFlexible (defaults, Noufaily's settings with nbPlugin and with muan):
    identical alarms and bounds within the contract's 1e-6 relative."""
    r_surveillance.require()
    series = _live_series()
    cases = [(name, y.size - LIVE_PERIODS + 1, y) for name in LIVE_CONFIGS for y in series]
    stdin = "".join(
        f"{name};{first};{','.join(str(int(v)) for v in y)}\n" for name, first, y in cases
    )
    answers = r_surveillance.run(R_SCRIPT, stdin)
    assert len(answers) == len(cases)
    alarms_seen = 0
    for (name, first, y), answer in zip(cases, answers, strict=True):
        mine = fr.run_many([y], LIVE_CONFIGS[name], last=LIVE_PERIODS)[0]
        bounds, alarms = answer.split("|")
        want_bound = np.array([math.nan if b == "NA" else float(b) for b in bounds.split()])
        want_alarm = np.array([math.nan if a == "NA" else float(a) for a in alarms.split()])
        assert mine.periods.tolist() == list(range(first - 1, y.size)), name
        assert np.array_equal(mine.alarm, want_alarm, equal_nan=True), (name, first)
        np.testing.assert_allclose(
            mine.upperbound, want_bound, rtol=1e-6, atol=1e-9, err_msg=f"{name} {first}"
        )
        alarms_seen += int(np.nansum(want_alarm))
    assert alarms_seen > 0  # the outbreaks are found
