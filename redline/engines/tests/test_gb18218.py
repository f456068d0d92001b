"""GB 18218-2018 identification and grading against the standard's tables and worked example."""

from __future__ import annotations

import gc
import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.engines.gb18218 import (
    KINDS,
    GradingError,
    Tables,
    _clean,
    _clean_all,
    cas_is_valid,
    grade_arrays,
    grade_batch,
    grade_payload,
    grade_payload_json,
    grade_payload_pieces,
    iter_cas_problems,
    parse_units,
    resolve_substance,
)
from redline.risk.standards import DATA

TABLES = Tables.load(DATA / "gb18218-2018")


def one(substances, people=60, kind="storage"):
    payload = {
        "units": [{"id": "U", "kind": kind, "people_exposed": people, "substances": substances}]
    }
    return grade_payload(TABLES, payload)["units"][0]


def test_tables_are_complete_and_traceable():
    assert len(TABLES.named) == 85
    assert [s.row for s in TABLES.named] == list(range(1, 86))
    assert len(TABLES.categories) == 24 and len(TABLES.category_beta) == 24
    assert set(TABLES.categories) == set(TABLES.category_beta)
    assert len(TABLES.toxic_gases) == 14
    assert list(iter_cas_problems(TABLES)) == []
    assert TABLES.meta["standard"] == "GB 18218-2018"


@pytest.mark.parametrize(
    ("row", "name", "cas", "threshold"),
    [
        (1, "氨", "7664-41-7", 10),
        (6, "碳酰氯", "75-44-5", 0.3),
        (56, "氧(压缩的或液化的)", "7782-44-7", 200),
        (65, "甲醇", "67-56-1", 500),
        (82, "硝酸胍", "506-93-4", 50),
        (85, "钠", "7440-23-5", 10),
    ],
)
def test_table_1_rows(row, name, cas, threshold):
    substance = TABLES.named_by_row(row)
    assert (substance.name_zh, substance.cas[0], substance.threshold) == (name, cas, threshold)


def test_cas_check_digit():
    assert cas_is_valid("7446-09-5") and cas_is_valid("7732-18-5")
    assert not cas_is_valid("7446-09-4") and not cas_is_valid("74460-9-5x")


def test_the_worked_example_so2_200_t_60_people():
    result = one([{"cas": "7446-09-5", "tonnes": 200}], people=60)
    assert result["ratio_sum"] == 10 and result["is_major"]
    assert result["alpha"] == 1.5 and result["r_value"] == 30 and result["grade"] == 3
    assert result["substances"][0] == {
        "name": "二氧化硫",
        "q": 200,
        "threshold": 20,
        "ratio": 10,
        "beta": 2,
        "source": "GB18218-2018 Table 1 row 4",
        "beta_source": "GB18218-2018 Table 3 row 2",
    }


def test_the_contract_example():
    result = one(
        [
            {"cas": "7446-09-5", "tonnes": 200},
            {"name": "甲醇", "category": "W5.3", "tonnes": 900},
            {"category": "J1", "tonnes": 3},
        ]
    )
    assert (result["ratio_sum"], result["alpha"], result["r_value"], result["grade"]) == (
        12.4,
        1.5,
        36.3,
        3,
    )
    assert [s["threshold"] for s in result["substances"]] == [20, 500, 5]
    assert [s["beta"] for s in result["substances"]] == [2, 1, 4]


@pytest.mark.parametrize(
    ("people", "alpha"),
    [
        (0, 0.5),
        (1, 1.0),
        (29, 1.0),
        (30, 1.2),
        (49, 1.2),
        (50, 1.5),
        (99, 1.5),
        (100, 2.0),
        (5000, 2.0),
    ],
)
def test_alpha_bands(people, alpha):
    assert one([{"cas": "7446-09-5", "tonnes": 20}], people=people)["alpha"] == alpha


@pytest.mark.parametrize(("tonnes", "is_major"), [(10, True), (9.999, False), (10.001, True)])
def test_single_substance_q_equal_to_threshold_is_major(tonnes, is_major):
    result = one([{"name": "液氨", "tonnes": tonnes}], people=0)
    assert result["is_major"] is is_major
    assert (result["grade"] is None) is (not is_major)
    assert (result["r_value"] is None) is (not is_major)


@pytest.mark.parametrize("order", [(50, 100, 350), (350, 100, 50)])
def test_s_exactly_one_from_several_substances_in_either_order(order):
    # 0.1 + 0.2 + 0.7 is 1.0000000000000002 one way round and 0.9999999999999999 the other
    names = {50: "甲醇", 100: "甲苯", 350: "乙醇"}
    result = one([{"name": names[t], "category": "W5.3", "tonnes": t} for t in order], people=10)
    assert result["ratio_sum"] == 1 and result["is_major"]


@pytest.mark.parametrize(
    ("tonnes", "r", "grade"),
    [(99, 9.9, 4), (100, 10, 3), (499, 49.9, 3), (500, 50, 2), (999, 99.9, 2), (1000, 100, 1)],
)
def test_r_boundaries(tonnes, r, grade):
    # SO2: Q = 20 t, beta = 2; 10 people: alpha = 1, so R = tonnes / 10
    result = one([{"cas": "7446-09-5", "tonnes": tonnes}], people=10)
    assert result["r_value"] == r and result["grade"] == grade


def test_r_boundary_with_inexact_factors():
    # alpha 1.2 x beta 1.5 x q/Q: 1.2 * 1.5 * 50/9 = 10 exactly on paper
    line = [{"name": "氢", "category": "W2", "tonnes": 5 * 50 / 9}]  # hydrogen, Q = 5 t
    result = one(line, people=30)
    assert result["grade"] == 3 and result["r_value"] == 10


@pytest.mark.parametrize(
    ("substance", "field", "words"),
    [
        ({"cas": "1234-56-7", "tonnes": 1}, "substances[0].cas", "not a valid CAS"),
        ({"cas": "7732-18-5", "tonnes": 1}, "substances[0].cas", "not in Table 1"),
        ({"name": "不存在的物质", "tonnes": 1}, "substances[0].name", "not in Table 1"),
        ({"cas": "7446-09-5", "tonnes": -1}, "substances[0].tonnes", "zero or more"),
        ({"cas": "7446-09-5"}, "substances[0].tonnes", "required"),
        ({"category": "W99", "tonnes": 1}, "substances[0].category", "unknown hazard category"),
        ({"cas": "9004-70-0", "tonnes": 1}, "substances[0].cas", "rows 37, 38, 39, 40, 41, 42"),
        ({"name": "甲醇", "tonnes": 900}, "substances[0].category", "甲醇"),
    ],
)
def test_bad_input_names_the_unit_and_field(substance, field, words):
    with pytest.raises(GradingError) as caught:
        one([substance])
    assert caught.value.unit == "U" and caught.value.field == field
    assert words in str(caught.value)


def test_a_named_substance_needs_its_category_only_when_beta_is_needed():
    assert one([{"name": "甲醇", "tonnes": 100}])["is_major"] is False  # S = 0.2: no R


@pytest.mark.parametrize(
    ("unit", "field"),
    [
        (
            {"id": "U", "kind": "storage", "substances": [{"cas": "7446-09-5", "tonnes": 1}]},
            "people_exposed",
        ),
        ({"id": "U", "kind": "tank", "people_exposed": 1, "substances": []}, "kind"),
        ({"id": "U", "kind": "storage", "people_exposed": 2.5, "substances": []}, "people_exposed"),
        ({"id": "U", "kind": "storage", "people_exposed": 1, "substances": []}, "substances"),
    ],
)
def test_bad_units(unit, field):
    with pytest.raises(GradingError) as caught:
        grade_payload(TABLES, {"units": [unit]})
    assert caught.value.field == field


def test_row_selects_among_rows_sharing_a_cas():
    result = one([{"cas": "9004-70-0", "row": 39, "category": "W1.1", "tonnes": 10}])
    assert result["substances"][0]["threshold"] == 10
    assert result["substances"][0]["source"] == "GB18218-2018 Table 1 row 39"


def test_names_aliases_and_base_names_resolve():
    assert one([{"name": "液氯", "tonnes": 1}])["substances"][0]["source"].endswith("row 12")
    assert (
        one([{"name": "天然气", "category": "W2", "tonnes": 1}])["substances"][0]["threshold"] == 50
    )
    assert one([{"name": "甲醛", "category": "J3", "tonnes": 1}])["substances"][0]["threshold"] == 5


def test_unlisted_toxic_gas_by_name_gets_table_3_beta():
    result = one([{"name": "一氧化碳", "category": "J3", "tonnes": 60}], people=0)
    line = result["substances"][0]
    assert line["threshold"] == 50 and line["beta"] == 2
    assert line["beta_source"] == "GB18218-2018 Table 3 row 1"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 200),  # people
            st.lists(
                st.tuples(st.floats(0, 5000), st.sampled_from(sorted(TABLES.categories))),
                min_size=1,
                max_size=5,
            ),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_vectorised_core_matches_the_definition(units):
    index, q, threshold, beta, people = [], [], [], [], []
    for u, (persons, lines) in enumerate(units):
        people.append(persons)
        for tonnes, symbol in lines:
            index.append(u)
            q.append(tonnes)
            threshold.append(TABLES.categories[symbol].threshold)
            beta.append(TABLES.category_beta[symbol])
    s, major, alpha, r, grade = grade_arrays(
        TABLES, np.array(index), np.array(q), np.array(threshold), np.array(beta), np.array(people)
    )
    for u, (persons, lines) in enumerate(units):
        ratios = [t / TABLES.categories[c].threshold for t, c in lines]
        expected_s = sum(ratios)
        a = (
            0.5
            if persons == 0
            else 1.0
            if persons < 30
            else 1.2
            if persons < 50
            else 1.5
            if persons < 100
            else 2.0
        )
        expected_r = a * sum(
            TABLES.category_beta[c] * x for (_t, c), x in zip(lines, ratios, strict=True)
        )
        assert s[u] == pytest.approx(expected_s, rel=1e-9, abs=1e-9)
        assert alpha[u] == a
        assert r[u] == pytest.approx(expected_r, rel=1e-9, abs=1e-9)
        assert major[u] == (round(expected_s, 9) >= 1)
        rr = round(expected_r, 9)
        assert grade[u] == (1 if rr >= 100 else 2 if rr >= 50 else 3 if rr >= 10 else 4)


def test_printed_sum_agrees_with_the_major_flag():
    result = one([{"name": "液氨", "tonnes": 9.999996}], people=0)
    assert result["is_major"] is False and result["ratio_sum"] < 1


def test_names_are_trimmed_for_table_3_and_bool_rows_refused():
    line = one([{"name": " 一氧化碳", "category": "J3", "tonnes": 60}])["substances"][0]
    assert line["beta"] == 2
    with pytest.raises(GradingError):
        one([{"row": True, "tonnes": 1}])


def test_core_marks_units_with_unknown_beta():
    _s, major, _alpha, r, grade = grade_arrays(
        TABLES,
        np.array([0, 1]),
        np.array([100.0, 100.0]),
        np.array([10.0, 10.0]),
        np.array([np.nan, 2.0]),
        np.array([10, 10]),
    )
    assert major.tolist() == [True, True]
    assert np.isnan(r[0]) and grade[0] == 0 and r[1] == 20 and grade[1] == 3


# -- the batch path: many units at once give what each gives alone ----------------------------


def identifications():
    """Every way the contract lets a line name a substance, each able to be graded."""
    found = []
    w_symbols = [s for s in TABLES.categories if s.startswith("W")]
    for position, substance in enumerate(TABLES.named):
        symbol = w_symbols[position % len(w_symbols)]
        cas = substance.cas[0] if substance.cas else None
        ways = [{"row": substance.row}]
        if cas and len(TABLES.named_by_cas(cas)) == 1:
            ways += [{"cas": cas}, {"cas": f" {cas} "}]
        for name in (substance.name_zh, *substance.aliases):
            if len(TABLES.named_by_name(name)) == 1:
                ways += [{"name": name}, {"name": f"{name} "}]
        for way in ways:
            if TABLES.toxic_gas(cas, substance.name_zh) is None or position % 2:
                way = {**way, "category": symbol}  # beta from Table 4 unless a toxic gas
            found.append(way)
    found += [{"category": symbol} for symbol in TABLES.categories]
    found += [
        {"name": "一氧化碳", "category": "J3"},  # not in Table 1, a Table 3 toxic gas
        {"name": "某混合溶剂", "category": "W5.3"},
        {"cas": "7732-18-5", "category": "W5.4"},
        {"cas": "9004-70-0", "row": 39, "category": "W1.1"},
    ]
    return found


def mixed_payload(n_units, seed):
    """Units of 1-6 lines drawn from every identification: quantities whole, decimal, zero
    and right on the threshold; people whole numbers (some written 30.0); ids str or int."""
    rng = random.Random(seed)
    ways = identifications()
    threshold = [resolve_substance(TABLES, "-", 0, {**w, "tonnes": 1})[1].threshold for w in ways]
    units = []
    for i in range(n_units):
        lines = []
        for _ in range(rng.randint(1, 6)):
            k = rng.randrange(len(ways))
            tonnes = rng.choice(
                [
                    round(rng.lognormvariate(-1.5, 1.5) * threshold[k], 3),
                    int(rng.lognormvariate(-1.0, 1.5) * threshold[k]),
                    threshold[k],
                    0,
                    rng.random() * threshold[k],
                ]
            )
            lines.append({**ways[k], "tonnes": tonnes})
        people = rng.choice([0, 1, 29, 30, 49, 50, 99, 100, rng.randint(0, 300)])
        units.append(
            {
                "id": i if i % 7 == 0 else f"U-{i}",
                "kind": rng.choice(KINDS),
                "people_exposed": float(people) if i % 11 == 0 else people,
                "substances": lines,
            }
        )
    return {"units": units}


def fresh_tables():
    """The same tables with nothing remembered: every line goes through every check."""
    return Tables.load(DATA / "gb18218-2018")


def test_a_batch_grades_each_unit_as_it_is_graded_alone():
    payload = mixed_payload(3000, seed=18218)
    graded = grade_payload(TABLES, payload)["units"]
    assert len({u["is_major"] for u in graded}) == 2  # both kinds of unit in the batch
    assert {u["grade"] for u in graded} >= {1, 2, 3, 4, None}
    alone = fresh_tables()
    for unit, result in zip(payload["units"], graded, strict=True):
        alone._entries.clear()
        assert grade_payload(alone, {"units": [unit]})["units"] == [result]


def test_the_json_text_is_json_dumps_of_the_result():
    payload = mixed_payload(1500, seed=7)
    odd_ids = ['quote " and \\ backslash', "tab\tnewline\n", "装置 №1 ✓", "\x00\x1f", 12, "😀"]
    for unit, unit_id in zip(payload["units"], odd_ids, strict=False):
        unit["id"] = unit_id
    for case in (payload, {"units": []}, {"units": payload["units"][:1]}):
        expected = json.dumps(grade_payload(TABLES, case), ensure_ascii=False, indent=2)
        assert grade_payload_json(TABLES, case) == expected


@pytest.mark.parametrize("lines", [1, 2, 5, 4096])
def test_the_json_text_in_pieces_is_the_same_text(lines):
    """However many substance lines a piece holds, the pieces make the same text: no line,
    unit boundary or bracket is lost or doubled where one piece ends and the next begins."""
    payload = mixed_payload(40, seed=lines)
    expected = json.dumps(grade_payload(TABLES, payload), ensure_ascii=False, indent=2)
    pieces = list(grade_batch(TABLES, parse_units(TABLES, payload)).json_pieces(lines))
    assert "".join(pieces) == expected
    n_lines = sum(len(unit["substances"]) for unit in payload["units"])
    assert len(pieces) == 1 + -(-n_lines // lines)  # the opening, then `lines` at a time
    assert "".join(grade_payload_pieces(TABLES, payload)) == expected


def test_bad_input_is_refused_before_the_first_piece():
    unit = {"id": "U", "kind": "storage", "people_exposed": 1, "substances": [{"row": 999}]}
    with pytest.raises(GradingError):
        grade_payload_pieces(TABLES, {"units": [unit]})  # not only once the pieces are read


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_the_json_text_of_an_infinite_ratio_is_json_dumps_too():
    phosgene = {"cas": "75-44-5", "tonnes": 1e308}  # Q = 0.3 t: q / Q overflows
    unit = {"id": "U", "kind": "storage", "people_exposed": 5, "substances": [phosgene]}
    huge = {"units": [unit]}
    text = grade_payload_json(TABLES, huge)
    assert "Infinity" in text
    assert text == json.dumps(grade_payload(TABLES, huge), ensure_ascii=False, indent=2)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_vectorised_cleaning_is_cleaning(values):
    cleaned = _clean_all(np.array(values, dtype=np.float64))
    expected = [_clean(v) for v in values]
    assert [(type(v), repr(v)) for v in cleaned] == [(type(v), repr(v)) for v in expected]


def test_vectorised_cleaning_near_the_halves():
    rng = np.random.default_rng(3)
    k = rng.integers(0, 2**40, size=20_000).astype(np.float64)
    half = (k + 0.5) / 1e9  # the doubles nearest a half of the ninth decimal, and neighbours
    for values in (half, np.nextafter(half, 0), np.nextafter(half, np.inf), k / 1e9, k):
        expected = [_clean(v) for v in values.tolist()]
        assert _clean_all(values) == expected
        assert [type(v) for v in _clean_all(values)] == [type(v) for v in expected]


def test_a_remembered_line_is_not_taken_for_an_equal_number():
    one([{"row": 1, "tonnes": 1}])  # row 1 is remembered
    for row in (1.0, True):
        with pytest.raises(GradingError) as caught:
            one([{"row": row, "tonnes": 1}])
        assert caught.value.field == "substances[0].row"
    line = {"name": 5, "category": "W5.3", "tonnes": 1}
    assert one([line])["substances"][0]["name"] == "5"
    assert one([{**line, "name": 5.0}])["substances"][0]["name"] == "5.0"


def test_the_first_bad_line_in_the_input_order_is_named():
    methanol = {"name": "甲醇", "tonnes": 900}  # major, and no category: beta unknown
    so2 = {"cas": "7446-09-5", "tonnes": 1}
    units = [
        {"id": "A", "kind": "storage", "people_exposed": 1, "substances": [so2]},
        {"id": "B", "kind": "storage", "people_exposed": 1, "substances": [so2, methanol]},
        {"id": "C", "kind": "storage", "people_exposed": 1, "substances": [methanol]},
    ]
    with pytest.raises(GradingError) as caught:
        grade_payload(TABLES, {"units": units})
    assert (caught.value.unit, caught.value.field) == ("B", "substances[1].category")
    # a bad value later in the input comes first: the input is checked before grading
    bad = {**so2, "tonnes": -1}
    units.append({"id": "D", "kind": "storage", "people_exposed": 1, "substances": [bad]})
    with pytest.raises(GradingError) as caught:
        grade_payload_json(TABLES, {"units": units})
    assert (caught.value.unit, caught.value.field) == ("D", "substances[0].tonnes")
    assert gc.isenabled()
