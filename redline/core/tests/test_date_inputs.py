"""Every date and date-time field of every form in Redline renders its value in ISO 8601,
in both languages: browsers' date pickers accept nothing else, and a localised value
(2026/12/04 in zh-Hans) leaves the picker empty."""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import pkgutil
import re
from typing import Any

import pytest
from django import forms
from django.utils import translation

import redline
from redline.core.widgets import DateInput, DateTimeInput

DAY = dt.date(2026, 12, 4)
MOMENT = dt.datetime(2026, 12, 4, 9, 30)
VALUE = re.compile(r'\svalue="([^"]*)"')


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def redline_forms() -> list[type[forms.BaseForm]]:
    """Every form class defined in Redline's modules (tests and migrations aside)."""
    for module in pkgutil.walk_packages(redline.__path__, "redline."):
        parts = module.name.split(".")
        if "tests" in parts or "migrations" in parts or parts[-1] in ("conftest", "gunicorn_conf"):
            continue
        importlib.import_module(module.name)
    classes = [c for c in _subclasses(forms.BaseForm) if c.__module__.startswith("redline.")]
    return sorted(
        (c for c in classes if "tests" not in c.__module__.split(".")),
        key=lambda c: (c.__module__, c.__qualname__),
    )


def temporal_fields() -> list[tuple[str, str, forms.Field]]:
    return [
        (f"{form.__module__}.{form.__qualname__}", name, field)
        for form in redline_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateField | forms.DateTimeField)
    ]


FIELDS = temporal_fields()


def rendered_value(name: str, field: forms.Field, value: Any) -> str:
    """The value attribute of the field as a form shows it, given `value` as initial."""
    probe = type("Probe", (forms.Form,), {name: copy.deepcopy(field)})
    html = str(probe(initial={name: value})[name])
    match = VALUE.search(html)
    assert match, html
    return match.group(1)


def test_the_walk_finds_the_date_fields():
    found = {f"{form}.{name}" for form, name, _field in FIELDS}
    assert "redline.epidemic.forms_signals.RunForm.day" in found
    assert "redline.risk.forms.ParkAssessmentForm.assessed_on" in found
    assert "redline.hazards.forms.StepForm.deadline" in found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("form", "name", "field"), FIELDS, ids=[f"{f}.{n}" for f, n, _ in FIELDS])
def test_date_fields_render_iso_values(language, form, name, field):
    with translation.override(language):
        if isinstance(field, forms.DateTimeField):
            value = rendered_value(name, field, MOMENT)
            assert re.fullmatch(r"2026-12-04T09:30(:00)?", value), (form, name, value)
        else:
            assert rendered_value(name, field, DAY) == "2026-12-04", (form, name)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_shared_widgets_render_and_parse_iso(language):
    class Form(forms.Form):
        day = forms.DateField(widget=DateInput())
        moment = forms.DateTimeField(widget=DateTimeInput())

    with translation.override(language):
        form = Form(initial={"day": DAY, "moment": MOMENT})
        assert 'type="date"' in str(form["day"]) and 'value="2026-12-04"' in str(form["day"])
        assert 'type="datetime-local"' in str(form["moment"])
        assert 'value="2026-12-04T09:30"' in str(form["moment"])
        posted = Form({"day": "2026-12-04", "moment": "2026-12-04T09:30"})
        assert posted.is_valid(), posted.errors
        assert posted.cleaned_data["day"] == DAY
        assert posted.cleaned_data["moment"].replace(tzinfo=None) == MOMENT
