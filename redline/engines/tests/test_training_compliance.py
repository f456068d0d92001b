"""The training-compliance engine at its boundaries: hours met at exactly the requirement,
certificates valid on their last day, reviews due, the reminder window, three-level
education, re-training triggers (≥1 year away; the stricter local 6 months only a notice)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from redline.engines import training_compliance as tc

DATA = Path(__file__).resolve().parents[2] / "training" / "data" / "requirements.json"
REQ = tc.requirements_from(json.loads(DATA.read_text(encoding="utf-8")))
ON = dt.date(2026, 6, 15)


def person(role: str = "post_holder", sectors=("industry",), started=dt.date(2020, 3, 1), **kw):
    return tc.Person(role=role, sectors=tuple(sectors), started_on=started, **kw)


def rec(day, hours, level="company", purpose="refresher"):
    return tc.Record(day=day, hours=Decimal(str(hours)), level=level, purpose=purpose)


def three_level(day=dt.date(2020, 3, 2), hours=(8, 8, 8)):
    levels = ("company", "workshop", "team")
    return [rec(day, h, level, "initial") for level, h in zip(levels, hours, strict=True)]


def codes(result: tc.Result) -> set[str]:
    return {f.code for f in result.findings}


def test_the_hours_rules_follow_the_notes():
    assert REQ.hours_rule("leader", ["industry"]).initial_hours == 32
    assert REQ.hours_rule("leader", ["hazchem", "fire"]).annual_hours == 16
    assert REQ.hours_rule("employee", ["hazchem"]).initial_hours == 72
    assert REQ.hours_rule("employee", ["construction"]).annual_hours == 20
    assert REQ.hours_rule("employee", ["fire"]).initial_hours == 24
    assert len(REQ.operations) == 36  # the items the notes list (some categories incomplete)


@pytest.mark.parametrize(("last_year", "lapsed"), [(7.9, True), (8, False), (8.1, False)])
def test_last_years_refresher_hours_are_met_at_exactly_the_requirement(last_year, lapsed):
    records = [*three_level(), rec(dt.date(2025, 12, 31), last_year), rec(dt.date(2026, 1, 5), 8)]
    result = tc.check(REQ, person(), records, [], ON)
    assert ("refresher_lapsed" in codes(result)) is lapsed
    assert result.compliant is not lapsed
    assert result.lacks_hours is lapsed


def test_this_years_shortfall_is_a_warning_until_the_year_ends():
    records = [*three_level(), rec(dt.date(2025, 5, 1), 8)]
    result = tc.check(REQ, person(), records, [], ON)
    assert codes(result) == {"refresher_due"} and result.compliant
    # on 1 January the year just ended is owed
    result = tc.check(REQ, person(), records, [], dt.date(2027, 1, 1))
    assert "refresher_lapsed" in codes(result) and not result.compliant


def test_a_person_hired_last_year_owes_refresher_hours_from_the_first_full_year():
    hired = dt.date(2025, 1, 2)
    records = three_level(hired)
    result = tc.check(REQ, person(started=hired), records, [], ON)
    assert "refresher_lapsed" not in codes(result)
    on_first_day = tc.check(REQ, person(started=dt.date(2025, 1, 1)), records, [], ON)
    assert "refresher_lapsed" in codes(on_first_day)


def test_initial_hours_and_records_after_the_day_do_not_count():
    hired = dt.date(2026, 6, 1)
    records = three_level(hired, (36, 18, 17))  # 71 of 72 hours (high-risk)
    result = tc.check(REQ, person(sectors=("hazchem",), started=hired), records, [], ON)
    finding = next(f for f in result.findings if f.code == "initial_hours")
    assert finding.params == {"required": Decimal(72), "done": Decimal(71)}
    assert finding.requirement == "employee-high-risk" and finding.status == "confirmed"
    more = [*records, rec(ON + dt.timedelta(days=1), 1, "team", "initial")]
    assert "initial_hours" in codes(
        tc.check(REQ, person(sectors=("hazchem",), started=hired), more, [], ON)
    )
    assert "initial_hours" not in codes(
        tc.check(
            REQ, person(sectors=("hazchem",), started=hired), more, [], ON + dt.timedelta(days=1)
        )
    )


def test_three_level_education_names_the_missing_levels():
    records = [rec(dt.date(2020, 3, 2), 24, "company", "initial"), rec(dt.date(2025, 3, 1), 8)]
    result = tc.check(REQ, person(), records, [], ON)
    finding = next(f for f in result.findings if f.code == "three_level")
    assert finding.params["missing"] == ["workshop", "team"] and not result.compliant
    # not asked of a fire-safety unit's post holder (not processing or manufacturing)
    assert "three_level" not in codes(tc.check(REQ, person(sectors=("fire",)), records, [], ON))


@pytest.mark.parametrize(
    ("days", "expected"),
    [(182, set()), (183, {"retraining_local"}), (364, {"retraining_local"}), (365, {"retraining"})],
)
def test_a_return_after_absence(days, expected):
    back = dt.date(2026, 3, 1)
    records = [*three_level(), rec(dt.date(2025, 3, 1), 8), rec(dt.date(2026, 2, 1), 8)]
    p = person(changes=(tc.PostChange(on=back, kind="return", absent_days=days),))
    result = tc.check(REQ, p, records, [], ON)
    assert codes(result) == expected
    assert result.compliant is (expected != {"retraining"})
    retrained = [
        *records,
        rec(back, 4, "workshop", "retraining"),
        rec(back, 4, "team", "retraining"),
    ]
    assert codes(tc.check(REQ, p, retrained, [], ON)) == set()


def test_a_post_change_needs_workshop_and_team_training_after_it():
    change = dt.date(2026, 2, 1)
    records = [*three_level(), rec(dt.date(2025, 3, 1), 8), rec(dt.date(2026, 1, 10), 8)]
    records.append(rec(change - dt.timedelta(days=1), 4, "workshop", "retraining"))
    p = person(changes=(tc.PostChange(on=change, kind="change_post"),))
    finding = next(f for f in tc.check(REQ, p, records, [], ON).findings)
    assert finding.code == "retraining" and finding.params["missing"] == ["workshop", "team"]


def operator(item="welding-fusion"):
    return person(operations=(item,))


def cert(valid_until, review_due=None, item="welding-fusion", revoked=False):
    return tc.Certificate("special_operation", item, valid_until, review_due, revoked)


BASE = [*three_level(), rec(dt.date(2025, 3, 1), 8), rec(dt.date(2026, 3, 1), 8)]


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [
        (ON - dt.timedelta(days=1), {"certificate_expired"}),
        (ON, {"certificate_expiring"}),
        (ON + dt.timedelta(days=60), {"certificate_expiring"}),
        (ON + dt.timedelta(days=61), set()),
    ],
)
def test_a_certificate_is_valid_on_its_last_day_and_reminded_within_60_days(valid_until, expected):
    result = tc.check(REQ, operator(), BASE, [cert(valid_until)], ON)
    assert codes(result) == expected
    assert result.lacks_certificate is (expected == {"certificate_expired"})


def test_missing_revoked_and_other_item_certificates_do_not_count():
    assert codes(tc.check(REQ, operator(), BASE, [], ON)) == {"certificate_missing"}
    revoked = cert(ON + dt.timedelta(days=900), revoked=True)
    assert codes(tc.check(REQ, operator(), BASE, [revoked], ON)) == {"certificate_missing"}
    other = cert(ON + dt.timedelta(days=900), item="electrical-lv")
    assert codes(tc.check(REQ, operator(), BASE, [other], ON)) == {"certificate_missing"}
    # the later of two certificates of the item counts
    two = [cert(ON - dt.timedelta(days=5)), cert(ON + dt.timedelta(days=900))]
    assert codes(tc.check(REQ, operator(), BASE, two, ON)) == set()


@pytest.mark.parametrize(
    ("review_due", "overdue"), [(ON, False), (ON - dt.timedelta(days=1), True)]
)
def test_a_review_is_overdue_the_day_after_it_is_due(review_due, overdue):
    result = tc.check(REQ, operator(), BASE, [cert(ON + dt.timedelta(days=900), review_due)], ON)
    assert ("review_overdue" in codes(result)) is overdue
    assert result.compliant is not overdue


def test_certificate_dates_from_the_rules():
    rule = REQ.certificates["special_operation"]
    issued = dt.date(2020, 2, 29)
    assert tc.certificate_dates(rule, issued, None, False) == (
        dt.date(2026, 2, 27),
        dt.date(2023, 2, 28),
    )
    # a long-serving holder: reviewed every 6 years, i.e. not before the certificate expires
    assert tc.certificate_dates(rule, dt.date(2021, 5, 1), None, True) == (
        dt.date(2027, 4, 30),
        None,
    )
    reviewed = tc.certificate_dates(rule, dt.date(2021, 5, 1), dt.date(2024, 4, 1), False)
    assert reviewed == (dt.date(2027, 4, 30), dt.date(2027, 4, 1))  # 3 years after the review
    late = tc.certificate_dates(rule, dt.date(2021, 5, 1), dt.date(2024, 5, 1), False)
    assert late == (dt.date(2027, 4, 30), None)  # a review due after expiry is no review
    leader = REQ.certificates["safety_manager"]
    assert tc.certificate_dates(leader, dt.date(2024, 1, 1), None, False) == (
        dt.date(2026, 12, 31),
        None,
    )


def test_leaders_of_hazchem_and_construction_units_need_their_certificates():
    hazchem = person("safety_manager", ("hazchem",))
    assert tc.required_certificates(REQ, hazchem) == [("safety_manager", "")]
    build = person("main_responsible", ("construction",))
    assert tc.required_certificates(REQ, build) == [("construction_a", "")]
    assert tc.required_certificates(REQ, person("main_responsible", ("fire",))) == []
    finding = next(
        f
        for f in tc.check(REQ, build, [rec(dt.date(2025, 3, 1), 12)], [], ON).findings
        if f.code == "certificate_missing"
    )
    assert finding.status == "unconfirmed"  # construction three types: sources conflict


def test_lapsed_hours_and_an_expired_special_operation_certificate_both_count():
    records = [*three_level(), rec(dt.date(2025, 3, 1), 4), rec(dt.date(2026, 3, 1), 8)]
    result = tc.check(REQ, operator(), records, [cert(ON - dt.timedelta(days=30))], ON)
    assert {"refresher_lapsed", "certificate_expired"} <= codes(result)
    assert not result.compliant and result.lacks_hours and result.lacks_certificate
