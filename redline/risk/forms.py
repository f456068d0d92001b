from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from redline.core.forms import choice_field
from redline.core.widgets import DateInput
from redline.engines.gb18218 import KINDS
from redline.engines.risk_methods import RuleSet
from redline.risk.models import MajorHazardInstallation, RiskObject, RiskUnit
from redline.risk.services import (
    InstallationInput,
    ParkAssessmentInput,
    RiskEventInput,
    RiskObjectInput,
    RiskUnitInput,
)
from redline.risk.standards import gb18218
from redline.risk.vocab import Method


def _label(option: dict[str, Any]) -> str:
    english = (get_language() or "").startswith("en")
    return f"{option['value']:g} · {option['label_en' if english else 'label_zh']}"


class AssessmentForm(forms.Form):
    """The factors of an event's inherent and residual assessment under its rule set."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, rule_set: RuleSet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule_set = rule_set
        for stage, required in (("inherent", True), ("residual", False)):
            for name, options in rule_set.raw["factors"].items():
                choices = [(f"{o['value']:g}", _label(o)) for o in options]
                if not required:
                    choices = [("", "—"), *choices]
                self.fields[f"{stage}_{name}"] = forms.ChoiceField(
                    label=name, choices=choices, required=required
                )

    def factors(self, stage: str) -> dict[str, float | None] | None:
        """The stage's factors as chosen (None for one left empty), or None for none."""
        values = {name: self.cleaned_data.get(f"{stage}_{name}") for name in self.rule_set.factors}
        if all(v in (None, "") for v in values.values()):
            return None
        return {name: float(v) if v not in (None, "") else None for name, v in values.items()}

    def stage_fields(self, stage: str) -> list[Any]:
        return [self[f"{stage}_{name}"] for name in self.rule_set.factors]

    def service_data(self) -> RiskEventInput:
        """The event's new assessment (a factor left empty is refused by name)."""
        return RiskEventInput(inherent=self.factors("inherent"), residual=self.factors("residual"))


class InstallationForm(forms.ModelForm):
    class Meta:
        model = MajorHazardInstallation
        fields = ["name", "code", "kind", "people_exposed"]

    def service_data(self, substances: list[dict[str, Any]]) -> InstallationInput:
        """The installation with its substances (from the substance rows)."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return InstallationInput.of(data, substances=tuple(substances))


class SubstanceForm(forms.Form):
    identifier = forms.CharField(
        label=_("CAS number or name (Table 1)"), required=False, max_length=100
    )
    row = forms.IntegerField(label=_("Table 1 row"), required=False, min_value=1, max_value=85)
    category = forms.ChoiceField(label=_("Hazard category"), required=False)
    tonnes = forms.DecimalField(label=_("Tonnes"), required=False, min_value=0, decimal_places=4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        english = (get_language() or "").startswith("en")
        choice_field(self, "category").choices = [("", "—")] + [
            (
                c.symbol,
                f"{c.symbol} {c.name_en} · {c.description_en}"
                if english
                else f"{c.symbol} {c.name_zh} · {c.description_zh}",
            )
            for c in gb18218().categories.values()
        ]

    def as_substance(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        identifier = (data.get("identifier") or "").strip()
        if not identifier and not data.get("category") and data.get("tonnes") is None:
            return None
        substance: dict[str, Any] = {}
        if identifier:
            key = "cas" if identifier[:1].isdigit() and "-" in identifier else "name"
            substance[key] = identifier
        if data.get("row"):
            substance["row"] = data["row"]
        if data.get("category"):
            substance["category"] = data["category"]
        if data.get("tonnes") is not None:
            substance["tonnes"] = float(data["tonnes"])
        return substance


SubstanceFormSet = forms.formset_factory(SubstanceForm, extra=3, max_num=50)
assert KINDS == tuple(MajorHazardInstallation.Kind.values)


class ParkAssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DateInput())
    score = forms.DecimalField(
        label=_("Score (out of 100)"), min_value=0, max_value=100, decimal_places=2
    )
    guide = forms.ChoiceField(label=_("Guide version"))
    assessor = forms.CharField(label=_("Assessed by"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from redline.risk.standards import park_guides

        super().__init__(*args, **kwargs)
        guides = park_guides()
        title = "title_en" if (get_language() or "").startswith("en") else "title_zh"
        choice_field(self, "guide").choices = [
            (gid, g[title] + ("" if g["status"] == "confirmed" else " ⚠"))
            for gid, g in guides.items()
        ]
        self.fields["guide"].initial = next(gid for gid, g in guides.items() if g["default"])

    def service_data(self) -> ParkAssessmentInput:
        return ParkAssessmentInput.of(self.cleaned_data)


class RiskObjectForm(forms.ModelForm):
    class Meta:
        model = RiskObject
        fields = ["name", "kind", "code", "department"]

    def service_data(self) -> RiskObjectInput:
        return RiskObjectInput.of({name: self.cleaned_data[name] for name in self.Meta.fields})


class RiskUnitForm(forms.ModelForm):
    class Meta:
        model = RiskUnit
        fields = ["name", "site_x", "site_y"]
        help_texts = {
            "site_x": _("Where the unit sits on the site plan, from the left edge (0 to 1)."),
            "site_y": _("From the top edge (0 to 1)."),
        }

    def service_data(self) -> RiskUnitInput:
        return RiskUnitInput.of({name: self.cleaned_data[name] for name in self.Meta.fields})


class NewEventForm(AssessmentForm):
    """A new risk event: its name and method, and the factors of the method's rule set."""

    name = forms.CharField(label=_("Risk event"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices)

    field_order = ["name", "description", "method"]

    def __init__(self, *args: Any, rule_set: RuleSet, **kwargs: Any) -> None:
        super().__init__(*args, rule_set=rule_set, **kwargs)
        self.fields["version"].required = False
        self.fields["method"].initial = rule_set.method

    def service_data(self) -> RiskEventInput:
        """The new event under the form's rule set (that of the method it was built for)."""
        return RiskEventInput(
            name=self.cleaned_data["name"],
            description=self.cleaned_data["description"],
            method=self.rule_set.method,
            rule_set=self.rule_set.id,
            inherent=self.factors("inherent"),
            residual=self.factors("residual"),
        )
