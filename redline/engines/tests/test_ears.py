"""EARS C1/C2/C3 against R 'surveillance' 1.20.3 on its real data sets (../shared/reference):
the same periods evaluated, identical alarms, upper bounds within a relative 1e-6, and NA
exactly where R gives NA."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from redline.conftest import shared_path
from redline.engines.detection.ears import ears

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
