"""What every app's forms share: their fields as the kind they are declared.

A form's `fields` maps names to `forms.Field`; a form that fills a field's choices or
queryset when it is made (from the user's jurisdiction, the language, a data file) takes the
field as what it is declared with these.
"""

from __future__ import annotations

from typing import Any

from django import forms


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's choice field `name` (to set its choices)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's model choice field `name` (to set its queryset or its labels)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    return field
