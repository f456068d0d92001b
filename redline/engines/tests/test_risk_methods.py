"""LEC / LS / MES rule sets: every shipped set classifies every possible score once."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.engines.risk_methods import (
    AssessmentError,
    RuleSet,
    RuleSetError,
    colour_counts,
    derived_level,
)
from redline.risk.standards import DATA, default_rule_set, rule_sets

SETS = rule_sets()


def test_every_method_has_exactly_one_default():
    for method in ("LEC", "LS", "MES"):
        defaults = [r.id for r in SETS.values() if r.method == method and r.default]
        assert len(defaults) == 1, (method, defaults)
    assert default_rule_set("LEC").id == "lec-common"


@pytest.mark.parametrize("rule_set_id", sorted(SETS))
def test_shipped_rule_sets_are_traceable_and_flagged(rule_set_id):
    raw = SETS[rule_set_id].raw
    assert raw["source"] and raw["status"] in {"confirmed", "single-source", "unconfirmed"}
    assert raw["title_zh"] and raw["title_en"]


@pytest.mark.parametrize(
    ("rule_set_id", "values", "score", "level", "code"),
    [
        ("lec-common", {"L": 6, "E": 6, "C": 15}, 540, 1, "A/1"),
        ("lec-common", {"L": 10, "E": 2, "C": 15}, 300, 2, "B/2"),
        ("lec-common", {"L": 3, "E": 6, "C": 3}, 54, 4, "D/4"),
        ("lec-common", {"L": 1, "E": 2, "C": 7}, 14, 4, "E/5"),
        ("ls-db37", {"L": 5, "S": 4}, 20, 1, "A/1"),
        ("ls-db37", {"L": 4, "S": 4}, 16, 2, "B/2"),
        ("ls-db37", {"L": 3, "S": 5}, 15, 2, "B/2"),
        ("ls-db37", {"L": 3, "S": 4}, 12, 3, "C/3"),
        ("ls-db37", {"L": 3, "S": 3}, 9, 3, "C/3"),
        ("ls-db37", {"L": 2, "S": 4}, 8, 4, "D/4"),
        ("ls-db37", {"L": 1, "S": 3}, 3, 4, "E/5"),
        ("ls-hazchem-v2", {"L": 4, "S": 4}, 16, 2, "2"),
        ("ls-hazchem-v2", {"L": 2, "S": 5}, 10, 3, "3"),
        ("mes-code-b", {"M": 3, "E": 6, "S": 10}, 180, 2, "2"),
        ("mes-code-b", {"M": 5, "E": 6, "S": 10}, 300, 1, "1"),
        ("mes-code-b", {"M": 1, "E": 10, "S": 4}, 40, 3, "3"),
        ("mes-code-b", {"M": 1, "E": 6, "S": 4}, 24, 4, "4"),
    ],
)
def test_scores_and_levels(rule_set_id, values, score, level, code):
    scores, levels, codes = SETS[rule_set_id].assess(values)
    assert (scores[0], levels[0], codes[0]) == (score, level, code)


@pytest.mark.parametrize(("rule_set_id", "level"), [("lec-common", 2), ("lec-lower-inclusive", 1)])
def test_boundary_inclusivity_is_data(rule_set_id, level):
    # D = 320 exactly: orange where 160 < D <= 320, red where D >= 320
    assert SETS[rule_set_id].classify([320])[0][0] == level


def test_a_value_the_method_does_not_allow_names_factor_and_row():
    with pytest.raises(AssessmentError) as caught:
        SETS["lec-common"].assess({"L": [6, 6, 4], "E": [6, 6, 6], "C": [15, 15, 15]})
    assert caught.value.factor == "L" and caught.value.row == 2
    with pytest.raises(AssessmentError) as caught:
        SETS["ls-db37"].assess({"L": [3]})
    assert caught.value.factor == "S"


def test_a_rule_set_with_a_gap_is_refused():
    data = copy.deepcopy(json.loads((DATA / "rulesets" / "ls-db37.json").read_text()))
    data["bands"][1]["min"] = 16  # 15 now falls between bands
    with pytest.raises(RuleSetError, match="15"):
        RuleSet.from_dict(data)


def test_derived_levels_are_the_most_severe_with_counts():
    assert derived_level([4, 3, 2, 4]) == 2
    assert derived_level([]) is None
    assert colour_counts([4, 3, 2, 4, 4]) == {1: 0, 2: 1, 3: 1, 4: 3}


@given(
    st.lists(st.tuples(*(st.sampled_from([10, 6, 3, 1, 0.5, 0.2, 0.1]),)), min_size=1, max_size=50)
)
def test_vectorised_equals_one_by_one(rows):
    rule_set = SETS["lec-common"]
    rng = np.random.default_rng(len(rows))
    values = {
        "L": [r[0] for r in rows],
        "E": rng.choice(rule_set.factors["E"], len(rows)),
        "C": rng.choice(rule_set.factors["C"], len(rows)),
    }
    scores, levels, _ = rule_set.assess(values)
    for i in range(len(rows)):
        single = rule_set.assess({k: [v[i]] for k, v in values.items()})
        assert single[0][0] == scores[i] and single[1][0] == levels[i]
