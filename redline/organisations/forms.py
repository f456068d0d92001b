from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from redline.organisations.models import ChemicalPark, Enterprise, Person, Region
from redline.organisations.vocab import PersonRole, Sector


class EnterpriseForm(forms.ModelForm):
    """Edits a unit. Choices of region and park are limited to the user's jurisdiction."""

    sector_list = forms.MultipleChoiceField(
        label=_("Sectors"), choices=Sector.choices, widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "credit_code",
            "kind",
            "region",
            "chemical_park",
            "address",
            "latitude",
            "longitude",
            "headcount",
            "status",
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.restrict(user).order_by("path")
        self.fields["region"].label_from_instance = lambda r: "\u3000" * r.depth + str(r)
        self.fields["chemical_park"].queryset = ChemicalPark.objects.restrict(user)
        self.fields["credit_code"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "maxlength": 18}
        )
        if self.instance.pk:
            self.fields["sector_list"].initial = self.instance.sector_list
            self.fields["version"].initial = self.instance.version

    def clean_credit_code(self) -> str:
        return "".join((self.cleaned_data.get("credit_code") or "").split()).upper()

    def _post_clean(self) -> None:
        # The model's clean() reads sector_list; give it the submitted sectors first.
        if "sector_list" in self.cleaned_data:
            self.instance.sector_list = self.cleaned_data["sector_list"]
        super()._post_clean()

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["sector_list"] = self.cleaned_data["sector_list"]
        return data


class PersonForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Person
        fields = ["name", "role", "post", "phone", "email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (value, label)
            for value, label in PersonRole.choices
            if value != PersonRole.GOVERNMENT_CONTACT
        ]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
