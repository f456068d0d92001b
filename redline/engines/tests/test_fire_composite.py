"""GB 35181-2017 direct and composite determination."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.engines.fire_composite import PLACE_TYPES, FireRules, composite_determination
from redline.engines.fire_composite import direct_determination as direct

CROWDED = [f"7.3.{n}" for n in range(1, 10)] + ["7.5", "7.9.3"]
ELEMENTS = ["7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.2.1", "7.2.2", "7.2.3", *CROWDED]
ELEMENTS += ["7.4.5", "7.4.6", "7.7.2"]


def _rules() -> FireRules:
    data: dict[str, Any] = {
        "id": "gb35181-2017",
        "direct_items": [{"id": f"F17-D{n}", "status": "confirmed"} for n in range(1, 11)],
        "elements": [{"id": e, "status": "confirmed"} for e in ELEMENTS],
        "composite_rules": [
            {"id": "crowded-3", "place_type": ["crowded"], "elements": CROWDED,
             "all_elements": False, "min_count": 3, "status": "confirmed"},
            {"id": "flammable-explosive-3", "place_type": ["flammable_explosive"],
             "elements": ["7.1.1", "7.1.2", "7.1.3", "7.4.5", "7.4.6"],
             "all_elements": False, "min_count": 3, "status": "unconfirmed"},
            {"id": "crowded-flammable-important-4",
             "place_type": ["crowded", "flammable_explosive", "important"],
             "elements": [], "all_elements": True, "min_count": 4, "status": "unconfirmed"},
            {"id": "other-6", "place_type": ["other"], "elements": [],
             "all_elements": True, "min_count": 6, "status": "unconfirmed"},
        ],
    }  # fmt: skip
    return FireRules.from_dict(data)


RULES = _rules()


def test_crowded_place_three_elements_is_major_by_the_confirmed_rule():
    result = composite_determination(RULES, "crowded", {"7.3.1", "7.3.5", "7.5"})
    assert result.is_major
    assert [r.id for r in result.matched] == ["crowded-3"]
    crowded = next(o for o in result.outcomes if o.rule.id == "crowded-3")
    assert crowded.counted == ("7.3.1", "7.3.5", "7.5")
    assert crowded.threshold == 3
    assert not result.relies_on_unconfirmed


def test_crowded_place_two_elements_is_not_major():
    result = composite_determination(RULES, "crowded", {"7.3.1", "7.5"})
    assert not result.is_major
    assert result.matched == ()
    assert {o.rule.id: len(o.counted) for o in result.outcomes} == {
        "crowded-3": 2,
        "crowded-flammable-important-4": 2,
    }
    # the "not major" rests on the unconfirmed threshold of 4 as well
    assert result.relies_on_unconfirmed


def test_crowded_place_counts_only_its_elements_for_the_confirmed_rule():
    result = composite_determination(RULES, "crowded", {"7.1.1", "7.1.2", "7.3.1", "7.5"})
    outcomes = {o.rule.id: o for o in result.outcomes}
    assert outcomes["crowded-3"].counted == ("7.3.1", "7.5")
    assert not outcomes["crowded-3"].matched
    assert outcomes["crowded-flammable-important-4"].matched
    assert result.is_major and result.relies_on_unconfirmed


def test_other_place_five_is_not_major_six_is_major_and_unconfirmed():
    five = composite_determination(RULES, "other", ELEMENTS[:5])
    assert not five.is_major
    assert [(o.rule.id, len(o.counted), o.threshold) for o in five.outcomes] == [("other-6", 5, 6)]
    six = composite_determination(RULES, "other", ELEMENTS[:6])
    assert six.is_major
    assert [r.id for r in six.matched] == ["other-6"]
    assert six.relies_on_unconfirmed


def test_unknown_element_is_named():
    with pytest.raises(ValueError, match=r"7\.6\.1, 9\.9"):
        composite_determination(RULES, "crowded", {"7.3.1", "9.9", "7.6.1"})


def test_unknown_place_type():
    with pytest.raises(ValueError, match="warehouse"):
        composite_determination(RULES, "warehouse", set())


def test_rule_naming_an_unknown_element_is_rejected():
    data: dict[str, Any] = {
        "id": "x",
        "direct_items": [],
        "elements": [{"id": "7.1.1", "status": "confirmed"}],
        "composite_rules": [
            {"id": "r", "place_type": ["other"], "elements": ["7.1.2"],
             "all_elements": False, "min_count": 1, "status": "confirmed"},
        ],
    }  # fmt: skip
    with pytest.raises(ValueError, match=r"7\.1\.2"):
        FireRules.from_dict(data)


def test_direct_method():
    assert not direct(RULES, set()).is_major
    result = direct(RULES, {"F17-D6", "F17-D2"})
    assert result.is_major and result.present == ("F17-D2", "F17-D6")
    assert not result.relies_on_unconfirmed
    with pytest.raises(ValueError, match="F17-D11"):
        direct(RULES, {"F17-D11"})


@given(
    place=st.sampled_from(PLACE_TYPES),
    found=st.sets(st.sampled_from(ELEMENTS)),
    extra=st.sampled_from(ELEMENTS),
)
def test_more_elements_never_undo_a_major_hazard(place, found, extra):
    before = composite_determination(RULES, place, found)
    after = composite_determination(RULES, place, found | {extra})
    assert after.is_major >= before.is_major
    for outcome in before.outcomes:
        assert outcome.matched == (len(outcome.counted) >= outcome.threshold)
