from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.engines import credit_code as cc


def test_the_standards_example_is_valid():
    assert cc.is_valid("91350100M000100Y43")
    assert cc.check_character("91350100M000100Y4") == "3"


def test_weights_are_powers_of_three_mod_31():
    assert cc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        ("91350100M000100I43", "character"),  # I is not in the alphabet
        ("91350100m000100Y43", "character"),  # lower case
        ("91350100M000100Y44", "check"),
    ],
)
def test_problems_are_named(code, problem):
    found = cc.problem(code)
    assert found is not None and found.code == problem


def test_check_problem_says_what_was_expected():
    found = cc.problem("91350100M000100Y44")
    assert found.position == 18 and found.char == "4" and found.expected == "3"


first17 = st.text(alphabet=cc.ALPHABET, min_size=17, max_size=17)


@given(first17)
def test_appending_the_check_character_always_gives_a_valid_code(body):
    assert cc.is_valid(body + cc.check_character(body))


@given(first17, st.integers(0, 16), st.sampled_from(cc.ALPHABET))
def test_every_single_substitution_is_detected(body, position, replacement):
    code = body + cc.check_character(body)
    if code[position] == replacement:
        return
    mutated = code[:position] + replacement + code[position + 1 :]
    assert not cc.is_valid(mutated)


def test_compose_builds_valid_codes_with_a_valid_organisation_code():
    code = cc.compose("9", "1", "990100", "MA000001")
    assert cc.is_valid(code)
    assert code[8:16] == "MA000001"
    assert code[16] == cc.organisation_check("MA000001")


def test_organisation_code_check_matches_published_examples():
    assert cc.organisation_check("D2143569") == "X"  # GB 11714-1997 textbook example
    assert cc.organisation_check("M000100Y") == "4"  # inside GB 32100's example code


def test_normalise_strips_spaces_and_upper_cases():
    assert cc.normalise(" 91350100m000100y43 ") == "91350100M000100Y43"
