"""The step field types the workflow kernel reads a step's fields with."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import translation

from redline.core.readers import Invalid, read_fields, step_fields
from redline.core.workflow import Choice, Count, Date, Money, Ref, Text

TODAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def today():
    with (
        time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False),
        translation.override("en"),
    ):
        yield


def test_text_is_stripped_and_limited():
    assert Text().read("  a b \n") == "a b"
    assert Text(limit=3).read(" abc ") == "abc"
    with pytest.raises(Invalid, match="3"):
        Text(limit=3).read("abcd")


@pytest.mark.parametrize(
    ("given", "day"),
    [
        ("2026-03-02", TODAY),
        (" 2026-03-09 ", dt.date(2026, 3, 9)),
        (dt.date(2026, 3, 5), dt.date(2026, 3, 5)),
        (dt.datetime(2026, 3, 5, 23, 0), dt.date(2026, 3, 5)),
    ],
)
def test_a_date_from_a_form_or_json(given, day):
    assert Date(not_past="past").read(given) == day


@pytest.mark.parametrize("given", ["2026-02-30", "next week", "02/03/2026", 3.5])
def test_an_unreadable_date_says_how_to_give_one(given):
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        Date().read(given)


def test_a_past_day_is_refused_with_the_fields_own_words():
    assert Date().read("2026-03-01") == dt.date(2026, 3, 1)
    with pytest.raises(Invalid, match=r"^The deadline is gone$"):
        Date(not_past="The deadline is gone").read("2026-03-01")


def test_a_choice_names_the_codes():
    field = Choice(["true", "false"])
    assert field.read(" true ") == "true"
    with pytest.raises(Invalid, match="true, false"):
        field.read("maybe")


@pytest.mark.parametrize(("given", "number"), [("0", 0), (" 12 ", 12), (7, 7)])
def test_a_count(given, number):
    assert Count().read(given) == number


@pytest.mark.parametrize("given", ["-1", -3, "2.5", 2.0, True, "many"])
def test_a_count_is_a_whole_number_of_zero_or_more(given):
    with pytest.raises(Invalid):
        Count().read(given)


def test_money_is_kept_to_the_cent():
    assert Money().read("12.344") == Decimal("12.34")
    assert Money().read(" 0.5 ") == Decimal("0.50")
    assert Money().read(3) == Decimal("3.00")


@pytest.mark.parametrize("given", ["-0.01", "NaN", "Infinity", "1e12", "lots"])
def test_money_out_of_range_or_unreadable(given):
    with pytest.raises(Invalid, match="10,000 CNY"):
        Money().read(given)


def test_a_reference_takes_an_id_or_a_record_and_refuses_in_its_own_words():
    field = Ref("Choose a unit.")
    assert field.read("42") == 42
    assert field.read(SimpleNamespace(pk=7)) == 7
    assert field.refusal == "Choose a unit."
    for given in ("0", "-4", "seven", True, 1.5):
        with pytest.raises(Invalid, match=r"^Choose a unit\.$"):
            field.read(given)


def test_reading_a_step_names_every_bad_and_missing_field_at_once():
    fields = step_fields(deadline=Date(not_past="past"), cases=Count(), rectifier=Ref("who?"))
    values, errors = read_fields(
        fields,
        {"comment": "  ", "deadline": "2026-02-01", "cases": "3", "rectifier": ""},
        required={"comment", "rectifier", "cases"},
    )
    assert values == {"cases": 3}
    assert set(errors) == {"comment", "deadline", "rectifier"}
    assert str(errors["deadline"]) == "past"
