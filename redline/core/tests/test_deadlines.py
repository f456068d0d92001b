"""The deadline sweep's declarations (`redline.core.deadlines`)."""

from __future__ import annotations

import dataclasses

import pytest

from redline.accidents.deadlines import INVESTIGATION, WINDOW
from redline.committee.deadlines import DEADLINES, REPORTS
from redline.core.deadlines import Actions


def test_a_rule_naming_a_step_its_machine_does_not_declare_is_refused():
    with pytest.raises(ValueError, match="nowhere"):
        dataclasses.replace(INVESTIGATION, actions=Actions("remind", "nowhere", "escalate"))


@pytest.mark.parametrize("pair", [(WINDOW, INVESTIGATION), (REPORTS, DEADLINES)])
def test_two_deadlines_of_one_record_name_their_steps_apart(pair):
    first, second = (dataclasses.astuple(rule.actions) for rule in pair)
    assert not set(first) & set(second)
    labels = {pair[0].machine.system_actions[name] for name in first + second}
    assert len(labels) == 6  # and the timeline words them apart
