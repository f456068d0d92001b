from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from redline.core.forms import choice_field, model_choice_field
from redline.organisations.models import ChemicalPark, Enterprise, Person, Region
from redline.organisations.services import EnterpriseInput, PersonInput
from redline.organisations.vocab import PersonRole, Sector


class RegionChoiceField(forms.ModelChoiceField):
    """Regions indented by their depth in the tree."""

    def label_from_instance(self, obj: Region) -> str:
        return "\u3000" * obj.depth + str(obj)


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
        field_classes = {"region": RegionChoiceField}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "region").queryset = Region.objects.restrict(user).order_by("path")
        model_choice_field(self, "chemical_park").queryset = ChemicalPark.objects.restrict(user)
        self.fields["credit_code"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "maxlength": 18}
        )
        if self.instance.pk:
            self.fields["sector_list"].initial = self.instance.sector_list
            self.fields["version"].initial = self.instance.version

    def clean_credit_code(self) -> str:
        return "".join((self.cleaned_data.get("credit_code") or "").split()).upper()

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        # The model's clean() (next, in `_post_clean`) reads sector_list: give it the
        # submitted sectors first.
        if "sector_list" in self.cleaned_data:
            self.instance.sector_list = self.cleaned_data["sector_list"]
        return cleaned

    def service_data(self) -> EnterpriseInput:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return EnterpriseInput.of(data, sector_list=tuple(self.cleaned_data["sector_list"]))


class PersonForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Person
        fields = ["name", "role", "post", "phone", "email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "role").choices = [
            (value, label)
            for value, label in PersonRole.choices
            if value != PersonRole.GOVERNMENT_CONTACT
        ]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def service_data(self) -> PersonInput:
        return PersonInput.of({name: self.cleaned_data[name] for name in self.Meta.fields})
