"""`redline detect`'s CSV reader (`read_series`): what a row may hold and what is refused, by
row; series given in any order of rows."""

from __future__ import annotations

import datetime as dt

import pytest

from redline.engines.detection.run import DetectionInputError, read_series

HEAD = "series,date,count\n"


def test_rows_of_series_in_any_order_make_each_series_sorted():
    text = HEAD + (
        "b,2020-01-13,4\na,2020-01-13,1\n a , 2020-01-06 , 0 \nb,2020-01-06,3\n"
        "\n,,\n ,  , \na,2020-01-20,2\nb,2020-01-20,5\n"
    )
    series = read_series(text)
    assert [s.name for s in series] == ["b", "a"]  # the order of first appearance
    weeks = [dt.date(2020, 1, 6), dt.date(2020, 1, 13), dt.date(2020, 1, 20)]
    assert [(s.dates, s.counts) for s in series] == [(weeks, [3, 4, 5]), (weeks, [0, 1, 2])]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "a,2020-01-06,1\nb,2020-01-06,1\na,2020-01-06,2\n",
            "row 4: series a has 2020-01-06 twice",
        ),
        ("a,2020-01-06,1\na,2020-01-13,1\nb,2020-01-6,1\n", "row 4: date '2020-01-6'"),
        ("a,2020-01-06,1\n,2020-01-13,1\n", "row 3: series is empty"),
        ("a,2020-01-06,1\na,2020-01-13\n", "row 3: expected 3 columns, found 2"),
        ("a,2020-01-06,1\na,2020-01-13,x\n", "row 3: count 'x'"),
        ("a,2020-01-06,1\na,2020-01-15,1\na,2020-01-20,1\n", "series a: irregular spacing"),
    ],
)
def test_bad_rows_are_named(rows, message):
    with pytest.raises(DetectionInputError) as refused:
        read_series(HEAD + rows)
    assert str(refused.value).startswith(message)
