"""Forms of the signal pages. They render and parse; the services validate and decide
(their errors come back next to these fields)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from redline.core.widgets import DateInput
from redline.core.workflow import web as workflow_web
from redline.epidemic.vocab import Verification
from redline.epidemic.workflow import OUTCOMES


class SignalStepForm(workflow_web.StepForm):
    """Every step's fields; each step's form shows the ones it takes."""

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


class RunForm(forms.Form):
    day = forms.DateField(label=_("Data up to"), widget=DateInput(), required=True)
