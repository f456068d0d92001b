"""EARS C1/C2/C3 against R 'surveillance' 1.20.3 on its real data sets (../shared/reference):
the same periods evaluated, identical alarms, upper bounds within a relative 1e-6, and NA
exactly where R gives NA."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import ndtri

from redline.conftest import shared_path
from redline.engines.detection.ears import ears, normal_quantile
from redline.engines.tests import r_surveillance

DATASETS = ["salmNewport", "hepatitisA", "salmonella.agona", "shadar", "influMen", "rotaBB"]


def read(path):
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_matches_r_surveillance(dataset, method):
    folder = shared_path("reference", "surveillance", dataset)
    series: dict[str, list[tuple[str, int]]] = {}
    for row in read(folder / "input.csv"):
        series.setdefault(row["series"], []).append((row["date"], int(row["count"])))
    expected: dict[str, list[dict[str, str]]] = {}
    for row in read(folder / f"ears-{method.lower()}.csv"):
        expected.setdefault(row["series"], []).append(row)
    assert set(expected) == set(series)
    for name, points in series.items():
        counts = [c for _, c in points]
        result = ears(counts, method=method)
        rows = expected[name]
        assert [points[t][0] for t in result.periods] == [r["date"] for r in rows]
        for upper, alarm, row in zip(result.upperbound, result.alarm, rows, strict=True):
            if row["upperbound"] == "":
                assert math.isnan(upper) and math.isnan(alarm), (name, row)
                continue
            assert upper == pytest.approx(float(row["upperbound"]), rel=1e-6, abs=1e-9)
            assert int(alarm) == int(row["alarm"]), (name, row)


def test_textbook_c3_counts_the_current_period():
    """A jump on day t: R's C3 cannot signal on t (only the two days before count), the
    textbook C3 does."""
    counts = [5, 6, 4, 5, 6, 5, 4, 5, 6, 5, 4, 5, 6, 40]
    r_style = ears(counts, method="C3")
    textbook = ears(counts, method="C3", c3="textbook")
    assert r_style.alarm[-1] == 0.0
    assert textbook.alarm[-1] == 1.0


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="method"):
        ears([1] * 20, method="C4")
    with pytest.raises(ValueError, match="baseline"):
        ears([1] * 20, baseline=2)
    with pytest.raises(ValueError, match="too short"):
        ears([1] * 8, method="C2")
    assert np.isnan(ears([3] * 12, method="C1").upperbound).sum() == 0


@given(st.floats(min_value=0.0, max_value=1.0) | st.sampled_from([1e-300, 1e-17, 0.001, 0.025]))
def test_normal_quantile_is_scipys(alpha):
    """The z of the bounds, from the standard library: scipy's ndtri(1 - alpha) within 1e-12
    (relative), the infinities at the ends included."""
    ours, theirs = normal_quantile(1 - alpha), float(ndtri(1 - alpha))
    if math.isinf(theirs):
        assert ours == theirs
    else:
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-300)


def test_normal_quantile_outside_zero_one_is_nan():
    assert math.isnan(normal_quantile(1.5)) and math.isnan(normal_quantile(-0.5))
    assert math.isnan(normal_quantile(math.nan)) and math.isnan(float(ndtri(1.5)))


def test_normal_quantile_is_r_qnorm_to_the_last_bit():
    r_surveillance.require()
    ps = [*np.linspace(0.5, 0.999999, 400).tolist(), *(1 - 10.0**-k for k in range(1, 16))]
    ps += [1 - alpha for alpha in (0.001, 0.025, 0.05, 0.1)]
    printed = r_surveillance.run(
        'p <- scan(file("stdin"), quiet = TRUE); cat(sprintf("%.17g", qnorm(p)), sep = "\\n")',
        "\n".join(repr(p) for p in ps),
    )
    assert [normal_quantile(p) for p in ps] == [float(line) for line in printed]
