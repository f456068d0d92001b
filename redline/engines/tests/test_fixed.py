"""Fixed count threshold (CIDARS fixed-threshold method)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.engines.detection.fixed import fixed


def test_one_case_signals_by_default():
    result = fixed([0, 1, 0, 3, 0])
    assert result.periods.tolist() == [0, 1, 2, 3, 4]
    assert result.alarm.tolist() == [0, 1, 0, 1, 0]
    assert result.upperbound.tolist() == [0, 0, 0, 0, 0]


def test_a_higher_threshold():
    result = fixed([2, 3, 4, 0], threshold=3)
    assert result.alarm.tolist() == [0, 1, 1, 0]
    assert result.upperbound.tolist() == [2, 2, 2, 2]


@pytest.mark.parametrize("threshold", [0, -1, 1.5, True])
def test_bad_threshold(threshold):
    with pytest.raises(ValueError, match=r"^threshold "):
        fixed([1, 2], threshold=threshold)


@given(
    counts=st.lists(st.integers(0, 1000), max_size=60),
    threshold=st.integers(1, 1000),
)
def test_alarm_iff_count_reaches_threshold_iff_count_above_upperbound(counts, threshold):
    result = fixed(counts, threshold=threshold)
    y = np.asarray(counts, dtype=float)
    assert result.periods.tolist() == list(range(len(counts)))
    assert (result.alarm == (y >= threshold)).all()
    assert (result.alarm == (y > result.upperbound)).all()
