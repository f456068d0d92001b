"""The assessment scoring engine at its boundaries (see redline/engines/assessment.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from redline.engines import assessment as engine

DATA = Path(__file__).resolve().parents[2] / "assessment" / "data"
SCHEME_FILE = DATA / "scheme-2026.json"


def small(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "t",
        "families": [
            {
                "key": "f1",
                "weight": 60,
                "indicators": [
                    {
                        "key": "close",
                        "kind": "rate",
                        "measure": "m.close",
                        "points": 40,
                        "target": 1.0,
                        "floor": 0.6,
                    },
                    {
                        "key": "late",
                        "kind": "lower_better",
                        "measure": "m.late",
                        "points": 20,
                        "best": 0.0,
                        "worst": 0.2,
                    },
                ],
            },
            {
                "key": "f2",
                "weight": 40,
                "indicators": [
                    {
                        "key": "deaths",
                        "kind": "ceiling",
                        "measure": "m.deaths",
                        "points": 30,
                        "zero_at": 2.0,
                        "applies_to": ["district"],
                    },
                    {"key": "marks", "kind": "entered", "source": "entered", "points": 10},
                ],
            },
        ],
        "bonus": {"cap": 5, "items": [{"key": "b1", "max": 3}, {"key": "b2", "max": 3}]},
        "vetoes": [{"key": "serious", "source": "computed", "measure": "m.serious"}],
        "grades": [
            {"key": "excellent", "min": 90},
            {"key": "good", "min": 80},
            {"key": "pass", "min": 60},
            {"key": "fail", "min": 0},
        ],
    }
    data.update(over)
    return data


SCHEME = engine.scheme_from(small())


def line(key: str, measure: dict[str, Any] | None) -> engine.Line:
    return engine.points_for(SCHEME.indicator(key), measure)


def test_the_shipped_scheme_reads_and_adds_up_to_100() -> None:
    scheme = engine.scheme_from(json.loads(SCHEME_FILE.read_text()))
    assert sum(f.weight for f in scheme.families) == 100
    assert [b.key for b in scheme.bands] == ["excellent", "good", "pass", "fail"]


def test_the_shipped_department_scheme_reads_and_adds_up_to_100() -> None:
    data = json.loads((DATA / "scheme-2026-department.json").read_text())
    scheme = engine.scheme_from(data)
    assert scheme.subjects == {"department"}
    assert sum(f.weight for f in scheme.families) == 100
    # every weight is a proposal: no source gives the department weights
    assert data["provenance"]["status"] != "confirmed"
    assert all(i.status == "proposal" for i in scheme.indicators)


@pytest.mark.parametrize(
    ("num", "den", "points"),
    [(60, 100, 0.0), (59, 100, 0.0), (80, 100, 20.0), (100, 100, 40.0), (0, 0, 40.0)],
)
def test_rate_is_linear_between_floor_and_target(num: int, den: int, points: float) -> None:
    assert line("close", {"num": num, "den": den}).points == points


def test_rate_with_no_records_earns_all_points_and_is_flagged() -> None:
    result = line("close", {"num": 0, "den": 0})
    assert result.empty and result.points == 40


@pytest.mark.parametrize(
    ("num", "den", "points"), [(0, 10, 20.0), (1, 10, 10.0), (2, 10, 0.0), (3, 10, 0.0)]
)
def test_lower_is_better(num: int, den: int, points: float) -> None:
    assert line("late", {"num": num, "den": den}).points == points


@pytest.mark.parametrize(
    ("actual", "ceiling", "points"),
    [(4, 4, 30.0), (3, 4, 30.0), (5, 4, 22.5), (8, 4, 0.0), (9, 4, 0.0), (0, 0, 30.0), (1, 0, 0.0)],
)
def test_ceiling_full_at_the_ceiling_none_at_twice(
    actual: int, ceiling: int, points: float
) -> None:
    assert line("deaths", {"actual": actual, "ceiling": ceiling}).points == points


def test_missing_measures_earn_nothing_and_are_flagged() -> None:
    assert line("deaths", {"actual": 2, "ceiling": None}).missing
    assert line("marks", None).missing and line("marks", None).points == 0
    assert line("close", {"num": None, "den": 3}).missing


def test_entered_points_outside_their_range_are_refused() -> None:
    with pytest.raises(ValueError, match="marks"):
        line("marks", {"points": 11})
    assert line("marks", {"points": 10}).points == 10


def full(**over: Any) -> dict[str, Any]:
    measures: dict[str, Any] = {
        "close": {"num": 10, "den": 10},
        "late": {"num": 0, "den": 10},
        "deaths": {"actual": 0, "ceiling": 3},
        "marks": {"points": 10},
    }
    measures.update(over)
    return measures


def test_total_grade_bands_at_their_boundaries() -> None:
    # close 40 x (rate - 0.6) / 0.4: 90 needs 30 points lost nowhere else -> use entered marks.
    def total_with(marks: float) -> engine.Result:
        return engine.score_one(SCHEME, "d", "district", full(marks={"points": marks}))

    # 90 + marks: base = 90 + marks; marks 0 -> 90 exactly is excellent
    assert total_with(0).total == 90 and total_with(0).grade == "excellent"
    r = engine.score_one(
        SCHEME, "d", "district", full(close={"num": 77, "den": 100}, marks={"points": 10})
    )
    # close = 40 x 0.425 = 17 -> base 77 -> pass; 80 is good, 79.99 pass
    assert r.total == 77 and r.grade == "pass"
    assert engine.grade_of(SCHEME, 80, False) == "good"
    assert engine.grade_of(SCHEME, 79.99, False) == "pass"
    assert engine.grade_of(SCHEME, 89.999, False) == "excellent"  # rounds to 90.00
    assert engine.grade_of(SCHEME, 60, False) == "pass"
    assert engine.grade_of(SCHEME, 59.99, False) == "fail"


def test_bonus_is_capped_and_veto_caps_the_grade() -> None:
    r = engine.score_one(SCHEME, "d", "district", full(), bonuses={"b1": 3, "b2": 3})
    assert r.base == 100 and r.bonus == 5 and r.total == 105 and r.grade == "excellent"
    vetoed = engine.score_one(SCHEME, "d", "district", full(), vetoes={"serious": True})
    assert vetoed.total == 100 and vetoed.grade == "fail" and vetoed.vetoes == ("serious",)
    with pytest.raises(ValueError, match="b1"):
        engine.score_one(SCHEME, "d", "district", full(), bonuses={"b1": 4})


def test_an_indicator_that_does_not_apply_is_left_out_and_the_base_rescaled() -> None:
    r = engine.score_one(SCHEME, "dept", "department", full(close={"num": 8, "den": 10}))
    assert [x.key for x in r.lines] == ["close", "late", "marks"]
    # 20 + 20 + 10 of 70 -> 71.43
    assert r.base == 71.43 and r.families == {"f1": 40.0, "f2": 10.0}


def test_a_measure_that_does_not_apply_to_its_subject_is_left_out_too() -> None:
    # no control indicator over the subject: the ceiling line goes, the base is rescaled
    r = engine.score_one(
        SCHEME, "d", "district", full(close={"num": 8, "den": 10}, deaths={"applies": False})
    )
    assert [x.key for x in r.lines] == ["close", "late", "marks"] and r.base == 71.43
    counted = engine.score_one(SCHEME, "d", "district", full(close={"num": 8, "den": 10}))
    assert counted.base == 80.0  # 20 + 20 + 30 + 10 of 100


def test_ties_share_a_rank_and_the_next_skips() -> None:
    def res(name: str, total: float) -> engine.Result:
        return engine.Result(name, "district", (), {}, total, 0, total, (), "pass")

    out = engine.ranked([res("c", 80), res("a", 90), res("b", 80), res("d", 70)])
    assert [(r.subject, r.rank) for r in out] == [("a", 1), ("b", 2), ("c", 2), ("d", 4)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grades": [{"key": "a", "min": 50}, {"key": "b", "min": 60}]}, "descending"),
        ({"grades": [{"key": "a", "min": 50}]}, "lowest band"),
        ({"subjects": ["district", "school"]}, "subjects"),
    ],
)
def test_bad_schemes_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(engine.SchemeError, match=message):
        engine.scheme_from(small(**change))


def test_family_weight_must_match_its_indicators() -> None:
    data = small()
    data["families"][0]["weight"] = 55
    with pytest.raises(engine.SchemeError, match="f1"):
        engine.scheme_from(data)


# --- an empty base: "full" or "not_applicable" (the scheme decides) -------------------------

NOT_APPLICABLE = engine.scheme_from(small(when_empty="not_applicable"))


def test_the_shipped_schemes_say_what_an_empty_base_means() -> None:
    district = engine.scheme_from(json.loads(SCHEME_FILE.read_text()))
    department = engine.scheme_from(json.loads((DATA / "scheme-2026-department.json").read_text()))
    assert district.when_empty == "full"
    assert {i.when_empty for i in district.indicators} == {"full"}
    assert department.when_empty == "not_applicable"
    measured = [i for i in department.indicators if i.kind in ("rate", "lower_better")]
    assert measured and {i.when_empty for i in measured} == {"not_applicable"}
    data = json.loads((DATA / "scheme-2026-department.json").read_text())
    assert "UNCONFIRMED" in data["when_empty_note"]["note"]


def test_an_empty_base_gives_all_points_when_the_scheme_says_full() -> None:
    r = engine.score_one(SCHEME, "d", "district", full(close={"num": 0, "den": 0}))
    close = next(x for x in r.lines if x.key == "close")
    assert close.empty and close.points == 40 and r.base == 100 and r.assessable


def test_an_empty_base_is_left_out_and_the_base_rescaled_when_not_applicable() -> None:
    r = engine.score_one(
        NOT_APPLICABLE,
        "d",
        "district",
        full(close={"num": 0, "den": 0}, late={"num": 1, "den": 10}, marks={"points": 5}),
    )
    assert [x.key for x in r.lines] == ["late", "deaths", "marks"]
    # late 10 of 20, deaths 30 of 30, marks 5 of 10: 45 of 60 -> 75
    assert r.base == 75.0 and r.total == 75.0 and r.grade == "pass" and r.assessable
    # the same subject with "full" earns the empty rate's 40 points: 85 of 100
    assert (
        engine.score_one(
            SCHEME,
            "d",
            "district",
            full(close={"num": 0, "den": 0}, late={"num": 1, "den": 10}, marks={"points": 5}),
        ).base
        == 85.0
    )
    # a rate that has records is scored alike in both modes
    kept = engine.score_one(NOT_APPLICABLE, "d", "district", full(close={"num": 8, "den": 10}))
    assert (
        kept.base
        == engine.score_one(SCHEME, "d", "district", full(close={"num": 8, "den": 10})).base
    )


def test_an_indicator_may_say_otherwise_than_its_scheme() -> None:
    data = small(when_empty="not_applicable")
    data["families"][0]["indicators"][1]["when_empty"] = "full"  # "late"
    plan = engine.scheme_from(data)
    assert plan.indicator("close").when_empty == "not_applicable"
    assert plan.indicator("late").when_empty == "full"
    r = engine.score_one(
        plan, "d", "district", full(close={"num": 0, "den": 0}, late={"num": 0, "den": 0})
    )
    assert [x.key for x in r.lines] == ["late", "deaths", "marks"] and r.base == 100


@pytest.mark.parametrize("where", ["scheme", "indicator"])
def test_an_unknown_meaning_of_an_empty_base_is_refused(where: str) -> None:
    data = small()
    if where == "scheme":
        data["when_empty"] = "zero"
    else:
        data["families"][0]["indicators"][0]["when_empty"] = "zero"
    with pytest.raises(engine.SchemeError, match="when_empty"):
        engine.scheme_from(data)


def nothing(**over: Any) -> dict[str, Any]:
    """A department with no records at all: every base empty, no control indicator."""
    measures: dict[str, Any] = {
        "close": {"num": 0, "den": 0},
        "late": {"num": 0, "den": 0},
        "marks": {"points": 10},
    }
    measures.update(over)
    return measures


def test_a_subject_with_nothing_to_measure_is_not_assessable_and_not_ranked() -> None:
    idle = engine.score_one(NOT_APPLICABLE, "idle", "department", nothing(), bonuses={"b1": 3})
    assert not idle.assessable and idle.reason == engine.NO_RECORDS
    assert idle.total is None and idle.base is None and idle.grade is None
    assert [x.key for x in idle.lines] == ["marks"]  # its entered marks alone rate nothing
    busy = engine.score_one(
        NOT_APPLICABLE, "busy", "department", nothing(late={"num": 1, "den": 2})
    )
    assert busy.assessable and busy.total == 33.33  # late 0 of 20 + marks 10 of 10
    out = engine.ranked([idle, busy])
    assert [(r.subject, r.rank) for r in out] == [("busy", 1), ("idle", None)]
    # with "full" the idle department earned every point and came first
    before = engine.ranked(
        [
            engine.score_one(SCHEME, "idle", "department", nothing()),
            engine.score_one(SCHEME, "busy", "department", nothing(late={"num": 1, "den": 2})),
        ]
    )
    assert (before[0].subject, before[0].rank, before[0].total) == ("idle", 1, 100.0)


def test_a_held_veto_keeps_a_subject_assessable() -> None:
    vetoed = engine.score_one(
        NOT_APPLICABLE, "v", "department", nothing(), vetoes={"serious": True}
    )
    assert vetoed.assessable and vetoed.grade == "fail" and vetoed.vetoes == ("serious",)


def test_each_group_is_ranked_apart_and_the_unrated_come_last_in_theirs() -> None:
    def res(name: str, total: float | None) -> engine.Result:
        grade = None if total is None else "pass"
        return engine.Result(name, "department", (), {}, total, 0, total, (), grade)

    results = [res("c1", 70), res("d1", 95), res("c2", 90), res("c0", None), res("d2", 95)]
    groups = {"c1": "/1/", "c2": "/1/", "c0": "/1/", "d1": "/1/4/", "d2": "/1/4/"}
    out = engine.ranked(results, groups)
    assert [(r.subject, r.group, r.rank) for r in out] == [
        ("c2", "/1/", 1),
        ("c1", "/1/", 2),
        ("c0", "/1/", None),
        ("d1", "/1/4/", 1),
        ("d2", "/1/4/", 1),
    ]
