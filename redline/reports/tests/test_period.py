"""Periods as written on the command line and the page: a month, a quarter or a year."""

from __future__ import annotations

import datetime as dt

import pytest

from redline.core.errors import ValidationFailed
from redline.reports.figures import Period


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "code"),
    [
        ("2027-03", "month", dt.date(2027, 3, 1), dt.date(2027, 4, 1), "2027-03"),
        ("2027-12", "month", dt.date(2027, 12, 1), dt.date(2028, 1, 1), "2027-12"),
        ("2027-Q1", "quarter", dt.date(2027, 1, 1), dt.date(2027, 4, 1), "2027-Q1"),
        (" 2027-q4 ", "quarter", dt.date(2027, 10, 1), dt.date(2028, 1, 1), "2027-Q4"),
        ("2027", "year", dt.date(2027, 1, 1), dt.date(2028, 1, 1), "2027"),
    ],
)
def test_periods_are_read(text, kind, start, end, code):
    period = Period.parse(text)
    assert (period.kind, period.start, period.end, period.code) == (kind, start, end, code)


@pytest.mark.parametrize("text", ["", "2027-13", "2027-00", "2027-Q0", "2027-Q5", "27", "Q1", None])
def test_a_bad_period_names_the_field(text):
    with pytest.raises(ValidationFailed) as failure:
        Period.parse(text)
    assert set(failure.value.fields) == {"period"}
    assert "2027-Q1" in failure.value.message


def test_the_same_period_last_year_and_the_months():
    period = Period.parse("2027-Q2")
    assert period.last_year() == Period.parse("2026-Q2")
    assert period.months() == ["2027-04", "2027-05", "2027-06"]
    assert Period.parse("2027-02").last_year().code == "2026-02"
    assert Period.parse("2027").last_year().end == dt.date(2027, 1, 1)


def test_state_figures_are_read_on_the_last_day_or_today():
    period = Period.parse("2027-Q1")
    assert period.as_at(dt.date(2027, 2, 10)) == dt.date(2027, 2, 10)
    assert period.as_at(dt.date(2027, 6, 1)) == dt.date(2027, 3, 31)
    assert Period.current("quarter", dt.date(2027, 8, 3)).code == "2027-Q3"
    assert Period.current("month", dt.date(2027, 8, 3)).code == "2027-08"
