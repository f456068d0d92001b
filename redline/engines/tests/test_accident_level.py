"""Decree 493 art. 3 levels at every boundary, and the reading of raw input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.engines.accident_level import (
    LEVELS,
    AccidentInputError,
    classify,
    classify_payload,
    rank,
)


def level(deaths=0, injuries=0, loss="0"):
    return classify(deaths=deaths, serious_injuries=injuries, direct_loss_cny=Decimal(loss))


@pytest.mark.parametrize(
    ("deaths", "expected"),
    [
        (0, "general"),
        (2, "general"),
        (3, "larger"),
        (9, "larger"),
        (10, "serious"),
        (29, "serious"),
        (30, "particularly_serious"),
    ],
)
def test_deaths_boundaries(deaths, expected):
    found = level(deaths=deaths)
    assert found.level == expected
    if expected != "general":
        assert found.deciding == ("deaths",)


@pytest.mark.parametrize(
    ("injuries", "expected"),
    [
        (9, "general"),
        (10, "larger"),
        (49, "larger"),
        (50, "serious"),
        (99, "serious"),
        (100, "particularly_serious"),
    ],
)
def test_serious_injury_boundaries(injuries, expected):
    found = level(injuries=injuries)
    assert found.level == expected
    if expected != "general":
        assert found.deciding == ("serious_injuries",)


@pytest.mark.parametrize(
    ("loss", "expected"),
    [
        ("9999999.99", "general"),
        ("10000000", "larger"),
        ("49999999.99", "larger"),
        ("50000000", "serious"),
        ("99999999.99", "serious"),
        ("100000000", "particularly_serious"),
    ],
)
def test_loss_boundaries(loss, expected):
    found = level(loss=loss)
    assert found.level == expected
    if expected != "general":
        assert found.deciding == ("direct_loss_cny",)


def test_general_names_every_criterion_and_ties_name_all_that_reach():
    assert level(2, 9, "9999999.99").deciding == ("deaths", "serious_injuries", "direct_loss_cny")
    assert level(3, 10, "1").deciding == ("deaths", "serious_injuries")
    # the highest band wins: a larger figure does not decide a serious accident
    found = level(3, 50, "10000000")
    assert (found.level, found.deciding) == ("serious", ("serious_injuries",))


@given(
    st.integers(0, 200),
    st.integers(0, 300),
    st.decimals(0, 200_000_000, places=2, allow_nan=False, allow_infinity=False),
)
def test_level_is_the_highest_any_criterion_reaches(deaths, injuries, loss):
    found = classify(deaths=deaths, serious_injuries=injuries, direct_loss_cny=loss)
    alone = [
        level(deaths=deaths).level,
        level(injuries=injuries).level,
        classify(deaths=0, serious_injuries=0, direct_loss_cny=loss).level,
    ]
    assert found.level == max(alone, key=rank)
    assert found.level in LEVELS and found.deciding
    # monotone: one more death never lowers the level
    more = classify(deaths=deaths + 1, serious_injuries=injuries, direct_loss_cny=loss)
    assert rank(more.level) >= rank(found.level)


GOOD = {
    "id": "A1",
    "date": "2026-03-02",
    "deaths": 2,
    "serious_injuries": 9,
    "direct_loss_cny": 9999999.99,
}


def test_payload_keeps_order_and_ids():
    out = classify_payload({"accidents": [GOOD, {**GOOD, "id": "A2", "deaths": 3}]})
    assert out == {
        "accidents": [
            {
                "id": "A1",
                "level": "general",
                "deciding": ["deaths", "serious_injuries", "direct_loss_cny"],
            },
            {"id": "A2", "level": "larger", "deciding": ["deaths"]},
        ]
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deaths": -1}, "deaths"),
        ({"deaths": 2.0}, "deaths"),
        ({"deaths": True}, "deaths"),
        ({"deaths": "2"}, "deaths"),
        ({"serious_injuries": 1.5}, "serious_injuries"),
        ({"direct_loss_cny": -0.01}, "direct_loss_cny"),
        ({"direct_loss_cny": "1"}, "direct_loss_cny"),
        ({"direct_loss_cny": False}, "direct_loss_cny"),
        ({"direct_loss_cny": 0.001}, "direct_loss_cny"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "2026-3-2"}, "date"),
        ({"date": 20260302}, "date"),
    ],
)
def test_bad_values_name_accident_and_field(change, field):
    with pytest.raises(AccidentInputError) as caught:
        classify_payload({"accidents": [GOOD, {**GOOD, "id": "B7", **change}]})
    assert (caught.value.accident, caught.value.field) == ("B7", field)


@pytest.mark.parametrize("field", ["date", "deaths", "serious_injuries", "direct_loss_cny"])
def test_missing_field(field):
    raw = {k: v for k, v in GOOD.items() if k != field}
    with pytest.raises(AccidentInputError) as caught:
        classify_payload({"accidents": [raw]})
    assert (caught.value.accident, caught.value.field) == ("A1", field)


def test_not_objects_and_missing_ids_are_named_by_index():
    with pytest.raises(AccidentInputError) as caught:
        classify_payload({"accidents": [GOOD, 5]})
    assert caught.value.accident == "#1"
    with pytest.raises(AccidentInputError) as caught:
        classify_payload({"accidents": [{k: v for k, v in GOOD.items() if k != "id"}]})
    assert (caught.value.accident, caught.value.field) == ("#0", "id")
    with pytest.raises(AccidentInputError):
        classify_payload([GOOD])
    with pytest.raises(AccidentInputError):
        classify_payload({"accidents": [GOOD, GOOD]})  # the same id twice
