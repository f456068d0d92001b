"""Scoring alarms against known outbreaks, on hand-made alarm vectors and on series simulated
like the demo's."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.engines.detection.evaluate import (
    aggregate,
    alarms,
    block_of,
    combine,
    evaluate,
)
from redline.engines.detection.run import PLANNED, parse_params
from redline.engines.detection.simulate import Baseline, simulate_with_outbreaks


def test_hand_made_alarms():
    #           0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19
    alarm = [0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    periods = list(range(20))
    # Outbreaks at 5–8 (detected at 7: delay 2), 12–14 (missed), 18–19 (detected at once).
    result = evaluate(periods, alarm, [(12, 14), (5, 8), (18, 19)], frequency=52, penalty=4)
    assert [(o.start, o.detected, o.delay) for o in result.outbreaks] == [
        (5, True, 2),
        (12, False, None),
        (18, True, 0),
    ]
    assert result.scored == 3 and result.detected == 2
    assert result.pod == pytest.approx(2 / 3)
    assert result.pod_first == pytest.approx(1 / 3)
    assert result.median_delay == 1.0 and result.mean_delay == 1.0
    assert result.outbreak_periods == 4 + 3 + 2
    assert result.alarms == 4 and result.true_alarms == 3 and result.false_alarms == 1
    assert result.quiet_periods == 11
    assert result.fpr == pytest.approx(1 / 11)
    assert result.specificity == pytest.approx(10 / 11)
    assert result.sensitivity == pytest.approx(3 / 9)
    assert result.ppv == pytest.approx(3 / 4)
    assert result.false_alarms_per_year == pytest.approx(1 / (11 / 52))
    assert result.false_runs == 1
    # algo.quality's lag: 2, then none within 12 … min(16, 17) → penalty 4, then 0.
    assert [o.lag for o in result.outbreaks] == [2, 4, 0]
    assert result.mlag == pytest.approx(2.0)


def test_only_outbreaks_starting_in_the_evaluated_range_are_scored():
    periods = np.arange(10, 20)
    alarm = np.array([0, 1, 0, 0, 0, 0, 0, 0, 0, np.nan])
    # 8–11 started before the range: its periods 10–11 are not false alarms, it is not scored.
    # 25–27 starts after it.
    result = evaluate(periods, alarm, [(8, 11), (15, 16), (25, 27)], frequency=365)
    assert [o.start for o in result.outbreaks] == [15]
    assert result.outbreaks[0].detected is False
    assert result.alarms == 1 and result.true_alarms == 1 and result.false_alarms == 0
    assert result.undecided == 1  # NaN: no decision, no alarm
    assert result.periods == 10 and result.outbreak_periods == 4


def test_lag_search_stops_before_the_next_outbreak():
    alarm = np.zeros(30)
    alarm[9] = 1  # after outbreak 2–3, inside 9–10
    result = evaluate(np.arange(30), alarm, [(2, 3), (9, 10)], frequency=52, penalty=20)
    first, second = result.outbreaks
    assert not first.detected and first.lag == 20  # 9 is the next outbreak's start
    assert second.delay == 0 and second.lag == 0


def test_consecutive_false_alarms_are_one_false_signal():
    alarm = [1, 1, 0, 1, 0, 0, 1, 1, 1, 1]
    # Outbreak 7–8 splits the last run: 6 and 9 are two false signals.
    result = evaluate(range(10), alarm, [(7, 8)], frequency=365)
    assert result.false_alarms == 5
    assert result.false_runs == 4  # 0–1, 3, 6, 9
    assert result.false_signals_per_year == pytest.approx(4 / (8 / 365))
    # A gap in the evaluated periods breaks a run too.
    gapped = evaluate([0, 1, 3, 4], [1, 1, 1, 1], [], frequency=52)
    assert gapped.false_runs == 2


def test_combine_pools_series():
    one = evaluate([0, 1, 2, 3], [1, 0, 0, 0], [(0, 1)], frequency=52)
    two = evaluate([0, 1, 2, 3], [0, 0, 1, 0], [(0, 0)], frequency=52)
    pooled = combine([one, two])
    assert pooled.scored == 2 and pooled.detected == 1
    assert pooled.false_alarms == 1 and pooled.quiet_periods == 2 + 3
    with pytest.raises(ValueError, match="frequencies"):
        combine([one, evaluate([0], [0], [], frequency=365)])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="same length"):
        evaluate([0, 1], [1], [], frequency=52)
    with pytest.raises(ValueError, match="increasing"):
        evaluate([1, 0], [1, 0], [], frequency=52)
    with pytest.raises(ValueError, match="before the start"):
        evaluate([0, 1], [1, 0], [(3, 1)], frequency=52)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1.0, math.nan]), min_size=1, max_size=60),
    st.lists(st.tuples(st.integers(0, 70), st.integers(0, 10)), max_size=5),
)
def test_invariants(alarm, raw):
    spans = [(s, s + d) for s, d in raw]
    result = evaluate(np.arange(len(alarm)), alarm, spans, frequency=52)
    assert 0 <= result.detected <= result.scored
    assert result.alarms == result.true_alarms + result.false_alarms
    assert 0 <= result.false_alarms <= result.quiet_periods
    assert (result.false_alarms > 0) <= (1 <= result.false_runs <= result.false_alarms)
    assert result.true_alarms <= result.outbreak_periods <= result.periods
    for outcome in result.outbreaks:
        assert outcome.detected == (outcome.delay is not None)
        if outcome.delay is not None:
            assert 0 <= outcome.delay <= outcome.end - outcome.start
            assert alarm[outcome.first_alarm] == 1.0
            others = [s for s, _ in spans if outcome.start < s <= outcome.first_alarm]
            if not others and outcome.delay <= result.penalty:
                assert outcome.lag == outcome.delay  # algo.quality finds the same alarm
    if result.fpr is not None:
        assert 0 <= result.fpr <= 1


def test_aggregate_weeks_end_on_the_last_day():
    days = np.arange(17)  # 0 … 16: weeks 3–9 and 10–16, days 0–2 dropped
    assert aggregate(days, 7).tolist() == [sum(range(3, 10)), sum(range(10, 17))]
    assert [block_of(d, 17, 7) for d in (0, 2, 3, 9, 10, 16)] == [-1, -1, 0, 0, 1, 1]


def test_alarms_runs_a_registered_method():
    counts = [5, 6, 4, 5, 6, 5, 4, 5, 6, 5, 4, 5, 6, 40]
    found = alarms("ears-c1", counts, params={"alpha": 0.001})
    assert found.periods.tolist() == list(range(7, 14))
    assert found.alarm[-1] == 1.0 and not found.alarm[:-1].any()
    with pytest.raises(ValueError, match="unknown method"):
        alarms("no-such-method", counts)


# --- the demo's evaluation: series simulated as `redline demo` does, catalogue methods -------

EPIDEMIC_DATA = Path(__file__).resolve().parents[2] / "epidemic" / "data"
SEEDS = tuple(range(8))  # pooled: a threshold must hold across seeds, not on one lucky draw
SERIES_PER_SEED = 3  # like the small demo's three districts
LAST_DAY = dt.date(2025, 11, 30)  # a Sunday: 7-day blocks are then ISO weeks, as series.py


def _yaml(name):
    return yaml.safe_load((EPIDEMIC_DATA / name).read_text(encoding="utf-8"))


def _demo_cases():
    demo = _yaml("demo_series.yaml")
    catalogue = {c["code"]: c for c in _yaml("conditions.yaml")["conditions"]}
    cases = []
    for family in ("district", "places"):
        for entry in demo[family]:
            condition = catalogue[entry["condition"]]
            name = f"{entry['condition']}-{'-'.join(entry.get('kinds', ['district']))}"
            cases.append(pytest.param(demo, family, entry, condition, id=name))
    return cases


def _text(value):
    return ("TRUE" if value else "FALSE") if isinstance(value, bool) else str(value)


def _fpr_bound(method, params):
    """The most false alarms a sane configuration of the method may give in quiet periods."""
    if method == "mpm":
        # In control the current 7-day sum and its N baseline sums are (nearly) exchangeable
        # (no trend; the window is centred on the same date), so it exceeds the ⌊h⌋-th
        # smallest of them with probability (N − ⌊h⌋)/(N + 1), and the percentile threshold
        # is at least that value; + 0.05 for the season's curvature and sampling.
        n = params.get("years", 3) * (2 * params.get("blocks", 2) + 1)
        h = math.floor((n - 1) * params.get("percentile", 50) / 100)
        return (n - h) / (n + 1) + 0.05
    if method.startswith("ears"):
        # The nominal alpha (0.001) assumes a known SD; a 7-day SD makes EARS alarm far more
        # often (Fricker et al. 2008). One false alarm in 20 days is the most we accept
        # (observed on the demo's series: 0.1 %–1.1 %).
        return 0.05
    if method.startswith("farrington"):
        return 2 * params.get("alpha", 0.05)  # one-sided (1 − alpha) bound, doubled
    return 0.05


@pytest.mark.parametrize(("demo", "family", "entry", "condition"), _demo_cases())
def test_demo_series_outbreaks_are_detected(demo, family, entry, condition):
    """Most of the largest injected outbreaks are found, soon, with a sane false-alarm rate.

    Observed over four sets of four seeds (POD of the largest outbreaks / median delay /
    FPR): MPM on the district series 1.0 / 0.5–3 days / 0.26–0.47 (at P50–P70 MPM alarms on
    a quarter to a half of quiet days, as CIDARS's many signals reflect); farringtonFlexible
    on the weekly district syndromes 1.0 / 8–9 days (the alarm comes with the week's end) /
    0.022–0.039; EARS C2 at key places 0.82–1.0 / 1–2 days / 0.001–0.011, the sparsest
    (nursing-home diarrhoea, 0.2 cases a day) lowest. Pooling eight seeds, the thresholds
    leave about two standard errors of room: 75 % detected, a median delay within one week
    (two for weekly analysis, whose alarm comes at the end of the week), the FPR under
    `_fpr_bound`."""
    method = condition["method"]
    if method in PLANNED:
        pytest.skip(f"{method} is listed in run.PLANNED: not in the engine yet")
    params = parse_params(
        method, [f"{k}={_text(v)}" for k, v in (condition.get("params") or {}).items()]
    )
    weekly = condition["aggregation"] == "weekly"
    n = demo["years"] * 365
    days = [LAST_DAY - dt.timedelta(days=n - 1 - i) for i in range(n)]
    start = (days[0] - dt.date(days[0].year, 1, 1)).days + 1
    if family == "district":
        level = entry["per_100k"] * demo["typical_population"] / 100_000
    else:
        level = entry["level"]
    baseline = Baseline.peaking(
        level=level, amplitude=entry["amplitude"], peak=entry["peak_day"], phi=entry["phi"]
    )
    largest = max(entry["ks"])
    evaluations, delays, large = [], [], []
    for seed in SEEDS:
        for index in range(SERIES_PER_SEED):
            rng = np.random.default_rng([seed, index])
            run = simulate_with_outbreaks(
                baseline,
                n,
                rng,
                outbreaks=entry["outbreaks"],
                ks=entry["ks"],
                gap=demo["gap_days"],
                start=start,
                spread=entry["spread"],
                max_delay=demo["max_delay_spreads"] * entry["spread"],
            )
            if weekly:
                counts = aggregate(run.counts, 7)
                dates = [
                    days[n - 1] - dt.timedelta(days=7 * (len(counts) - 1 - i))
                    for i in range(len(counts))
                ]
                spans = [(block_of(o.start, n, 7), block_of(o.end, n, 7)) for o in run.outbreaks]
            else:
                counts, dates = run.counts, days
                spans = [o.span for o in run.outbreaks]
            found = alarms(
                method, counts, params=params, frequency=52 if weekly else 365, dates=dates
            )
            result = evaluate(found.periods, found.alarm, spans, frequency=52 if weekly else 365)
            evaluations.append(result)
            by_span = dict(zip(spans, run.outbreaks, strict=True))
            for outcome in result.outbreaks:
                outbreak = by_span[(outcome.start, outcome.end)]
                if outcome.first_alarm is not None:
                    # Days from the outbreak's first day to the day the alarm is known.
                    known = (
                        n - 1 - 7 * (len(counts) - 1 - outcome.first_alarm)
                        if weekly
                        else outcome.first_alarm
                    )
                    delays.append(known - outbreak.start)
                if outbreak.k == largest:
                    large.append(outcome.detected)
    pooled = combine(evaluations)
    assert len(large) >= 10, "too few large outbreaks scored for a meaningful rate"
    assert sum(large) / len(large) >= 0.75
    assert statistics.median(delays) <= (14 if weekly else 7)
    assert pooled.fpr is not None and pooled.fpr <= _fpr_bound(method, params)
