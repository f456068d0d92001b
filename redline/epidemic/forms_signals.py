"""Forms of the signal pages. They render and parse; the services validate and decide
(their errors come back next to these fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from redline.core.widgets import DateInput
from redline.epidemic.vocab import Verification
from redline.epidemic.workflow import OUTCOMES


class SignalStepForm(forms.Form):
    """Every step's fields; each step's form shows the ones it takes."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    verification = forms.ChoiceField(
        label=_("Verification result"),
        choices=Verification.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    cases = forms.IntegerField(label=_("Cases found in the investigation"), required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *OUTCOMES.items()], required=False
    )

    def data_for(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {
            name: self.cleaned_data.get(name)
            for name in names
            if self.cleaned_data.get(name) not in (None, "")
        }


class RunForm(forms.Form):
    day = forms.DateField(label=_("Data up to"), widget=DateInput(), required=True)
