"""Farrington (1996) and farringtonFlexible: R's own unit-test values (domain note §1.4.6),
the reference files through the engine's Python interface, and invariants.

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
