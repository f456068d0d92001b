"""A detection run's problems are stored in English and shown in the reader's language; the
engine's own texts (framework-free, English) are recognised and translated."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from django.utils import translation

from redline.engines.detection import cusum, ears, farrington, mpm
from redline.epidemic import messages

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _error(call) -> str:
    with pytest.raises(ValueError) as caught:
        call()
    return str(caught.value)


def _days(n: int) -> list[dt.date]:
    return [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(n)]


def _weeks(n: int) -> list[dt.date]:
    return [dt.date(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(n)]


ENGINE_ERRORS = {
    "ears": lambda: ears.ears([1.0] * 5, method="C1"),
    "farrington": lambda: farrington.farrington([1.0] * 60, freq=52),
    "farrington-many": lambda: farrington.run_many(
        [np.ones(400), np.ones(60)], farrington.farrington_settings(freq=52)
    ),
    "mpm": lambda: mpm.mpm([1.0] * 30, dates=_days(30), freq=365),
    "mpm-weekly-window": lambda: mpm.mpm([1.0] * 30, dates=_weeks(30), freq=52, window=10),
    "cusum": lambda: cusum.cusum([1.0] * 10, freq=52),
}


@pytest.mark.parametrize("name", list(ENGINE_ERRORS))
def test_the_engines_data_problems_are_recognised_and_translated(name):
    text = _error(ENGINE_ERRORS[name])
    assert messages.recognised(text), f"{name}: {text!r} matches no stored-problem text"
    with translation.override("zh-hans"):
        shown = messages.translated(text)
    assert shown != text and CHINESE.search(shown)
    assert "series" not in shown and "short" not in shown  # no English left over
    with translation.override("en"):
        assert messages.translated(text) == text


def test_values_are_kept_and_nested_texts_translated():
    reason = _error(ENGINE_ERRORS["farrington"])
    stored = messages.NONE_EVALUABLE % {"reason": reason}
    with translation.override("zh-hans"):
        shown = messages.translated(stored)
        inner = messages.translated(reason)
    assert inner in shown and "too short" not in shown
    assert "b=5" in shown and "60" in shown  # the values stay


def test_every_template_has_a_translation():
    with translation.override("zh-hans"):
        for template in messages.TEMPLATES:
            assert CHINESE.search(translation.gettext(template)), template


def test_a_text_no_template_matches_is_shown_as_it_is():
    assert messages.translated("ZeroDivisionError: float division by zero") == (
        "ZeroDivisionError: float division by zero"
    )
    assert not messages.recognised("something else")
