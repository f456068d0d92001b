"""Forms of the accidents: recording and editing one (the figures as typed, read by the
service's readers, so the form refuses 2.0 or -1 as the API and the spreadsheet do), the
fields of the investigation's steps, and a control indicator."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from redline.accidents.models import Accident
from redline.accidents.services import AccidentInput, AccidentUpdateInput, IndicatorInput
from redline.accidents.vocab import ReportingClass, type_choices_1986, type_choices_2025
from redline.core.forms import model_choice_field
from redline.core.widgets import DateTimeInput
from redline.core.workflow import web as workflow_web
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import RegionLevel, Sector


def _blank(choices: Any) -> list[tuple[str, str]]:
    return [("", "—"), *(choices() if callable(choices) else choices)]


class UnitByCode(forms.CharField):
    """A unit named by its unified social credit code, among those the user may act on: a
    city has tens of thousands of units, too many for a drop-down. Cleans to the unit."""

    def __init__(self, **kwargs: Any) -> None:
        attrs = {"autocomplete": "off", "spellcheck": "false"}
        super().__init__(max_length=18, required=False, widget=forms.TextInput(attrs), **kwargs)
        self.units = Enterprise.objects.none()

    def clean(self, value: Any) -> Enterprise | None:
        code = str(super().clean(value) or "").strip().upper()
        if not code:
            return None
        unit = self.units.filter(credit_code=code).select_related("region").first()
        if unit is None:
            raise forms.ValidationError(
                _("No unit with the credit code %(code)s is in your jurisdiction."),
                code="unknown_unit",
                params={"code": code},
            )
        return unit


class RegionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return "\u3000" * (obj.depth - 1) + str(obj)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the view reads them with `getlist`)."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return super().clean(data, initial)


def _number(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class AccidentForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("Time of the accident"), widget=DateTimeInput())
    place = forms.CharField(label=_("Place"), max_length=300)
    unit = UnitByCode(
        label=_("Unit's unified social credit code"),
        help_text=_("Leave empty when the accident is in no registered unit."),
    )
    region = RegionChoice(
        label=_("Region"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Required when no unit is chosen (else the unit's region)."),
    )
    sector = forms.ChoiceField(
        label=_("Sector"),
        choices=_blank(Sector.choices),
        required=False,
        help_text=_("Default: the unit's first sector."),
    )
    reporting_class = forms.ChoiceField(
        label=_("Kind of accident"), choices=ReportingClass.choices, initial=ReportingClass.OTHER
    )
    type_1986 = forms.ChoiceField(
        label=_("Type (GB 6441-1986)"),
        choices=_blank(type_choices_1986),
        required=False,
        help_text=_("For accidents before 2026-07-01."),
    )
    type_2025 = forms.ChoiceField(
        label=_("Type (GB 6441-2025)"),
        choices=_blank(type_choices_2025),
        required=False,
        help_text=_("For accidents from 2026-07-01."),
    )
    deaths = _number(_("Deaths"))
    serious_injuries = _number(_("Serious injuries"), _("Including acute industrial poisoning."))
    direct_loss_cny = _number(_("Direct economic loss (CNY)"), _("In yuan, to the cent."))
    narrative = forms.CharField(
        label=_("Narrative"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    reported_at = forms.DateTimeField(
        label=_("Reported to the regulator at"),
        widget=DateTimeInput(),
        required=False,
        help_text=_("Default: now."),
    )
    photos = MultipleFileField(
        label=_("Photos (JPEG or PNG)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    FIGURES = ("deaths", "serious_injuries", "direct_loss_cny")

    def __init__(self, *args: Any, user: Any, accident: Accident | None = None, **kwargs: Any):
        if accident is not None:
            kwargs.setdefault("initial", {}).update(
                {
                    name: getattr(accident, name)
                    for name in (
                        "occurred_at",
                        "place",
                        "sector",
                        "reporting_class",
                        "type_1986",
                        "type_2025",
                        "narrative",
                        "reported_at",
                        "version",
                    )
                }
            )
        super().__init__(*args, **kwargs)
        self.accident = accident
        if accident is not None:
            # The place and figures change through the workflow's steps, not by editing.
            for name in ("unit", "region", "photos", *self.FIGURES):
                del self.fields[name]
            return
        unit = self.fields["unit"]
        assert isinstance(unit, UnitByCode)
        unit.units = Enterprise.objects.restrict(user, "change").filter(is_archived=False)
        model_choice_field(self, "region").queryset = (
            Region.objects.restrict(user).exclude(level=RegionLevel.CITY).order_by("path")
        )

    def service_data(self) -> AccidentInput:
        data = {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in ("photos", "version") and v not in (None, "")
        }
        return AccidentInput.of(data)

    def update_data(self) -> AccidentUpdateInput:
        names = AccidentUpdateInput.names()
        return AccidentUpdateInput.of(
            {k: v for k, v in self.cleaned_data.items() if k in names and v is not None}
        )


class AccidentStepForm(workflow_web.StepForm):
    """The fields of the investigation's steps (each step shows its own)."""

    deaths = _number(_("Deaths"))
    serious_injuries = _number(_("Serious injuries"), _("Including acute industrial poisoning."))
    direct_loss_cny = _number(_("Direct economic loss (CNY)"), _("In yuan, to the cent."))
    investigating_body = forms.CharField(label=_("Investigated by"), max_length=200)
    photos = forms.FileField(
        label=_("Investigation report (PDF)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args: Any, step: str, accident: Accident, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("deaths", "serious_injuries", "direct_loss_cny", "investigating_body"):
            self.fields[name].required = False
        for name in ("deaths", "serious_injuries", "direct_loss_cny"):
            self.fields[name].initial = getattr(accident, name)
        if step != "submit_report":
            del self.fields["photos"]
        if step == "submit_report":
            self.fields["comment"].label = _("Investigation findings")


class IndicatorForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    region = RegionChoice(label=_("Region"), queryset=Region.objects.none())
    sector = forms.ChoiceField(
        label=_("Sector"),
        choices=[("", _("Every sector")), *Sector.choices],
        required=False,
    )
    max_accidents = forms.IntegerField(label=_("Accident ceiling"), min_value=0)
    max_deaths = forms.IntegerField(label=_("Death ceiling"), min_value=0)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "region").queryset = (
            Region.objects.restrict(user)
            .filter(level__in=[RegionLevel.CITY, RegionLevel.DISTRICT])
            .order_by("path")
        )

    def service_data(self) -> IndicatorInput:
        return IndicatorInput.of(
            {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        )
