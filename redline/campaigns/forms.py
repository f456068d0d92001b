"""The campaign form: fields as people fill them in; the rules live in the model and the
service, whose errors come back next to these fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from redline.campaigns.models import Campaign, standard_title
from redline.campaigns.services import CampaignInput
from redline.campaigns.vocab import TARGETS
from redline.core.forms import model_choice_field
from redline.core.widgets import DateInput
from redline.hazards.standards import determination_standards
from redline.inspections.checklist_data import campaign_programmes
from redline.organisations.models import Region
from redline.organisations.vocab import RegionLevel, Sector


def _standard_choices() -> list[tuple[str, str]]:
    choices = []
    for sid, standard in sorted(
        determination_standards().items(), key=lambda pair: (pair[1].sector, pair[0])
    ):
        label = standard_title(standard)
        if not standard.current:
            label = _("%(title)s (superseded)") % {"title": label}
        choices.append((sid, f"{label} [{sid}]"))
    return choices


class RegionsField(forms.ModelMultipleChoiceField):
    """Districts and, indented under them, their subdistricts."""

    def label_from_instance(self, obj: Region) -> str:
        return "\u3000" * (obj.depth - 1) + str(obj)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    code = forms.ChoiceField(
        label=_("Checklist programme"),
        required=False,
        help_text=_("Inspections under this campaign are offered the programme's checklist."),
    )
    sectors = forms.MultipleChoiceField(
        label=_("Sectors"), choices=Sector.choices, widget=forms.CheckboxSelectMultiple
    )
    regions = RegionsField(
        label=_("Regions"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Leave empty for the whole city."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput())
    standards = forms.MultipleChoiceField(
        label=_("Determination standards"),
        choices=_standard_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_archived = forms.BooleanField(label=_("Archived"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None = None, **kwargs: Any):
        if campaign is not None and campaign.pk:
            kwargs.setdefault("initial", {}).update(_initial(campaign))
        super().__init__(*args, **kwargs)
        for key, kind in TARGETS.items():
            self.fields[f"targets_{key}"] = forms.DecimalField(
                label=_("Target: %(name)s") % {"name": kind.label},
                help_text=kind.help,
                required=False,
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            )
        regions = Region.objects.restrict(user).filter(
            level__in=[RegionLevel.DISTRICT, RegionLevel.SUBDISTRICT]
        )
        model_choice_field(self, "regions").queryset = regions.order_by("path")
        programme = self.fields["code"]
        assert isinstance(programme, forms.ChoiceField)
        chinese = (get_language() or "").startswith("zh")
        programme.choices = [("", "—")] + [
            (code, f"{template.title_zh if chinese else template.title_en} ({code})")
            for code, template in sorted(campaign_programmes().items())
        ]
        if campaign is None or not campaign.pk:
            del self.fields["is_archived"]
        first = [
            "name",
            "name_en",
            "code",
            "sectors",
            "regions",
            "starts_on",
            "ends_on",
            "standards",
        ]
        self.order_fields([*first, *(f"targets_{key}" for key in TARGETS)])

    def service_data(self) -> CampaignInput:
        data = {
            name: self.cleaned_data[name]
            for name in ("name", "name_en", "code", "starts_on", "ends_on", "description")
        }
        if "is_archived" in self.fields:
            data["is_archived"] = self.cleaned_data["is_archived"]
        return CampaignInput.of(
            data,
            sectors=tuple(self.cleaned_data["sectors"]),
            regions=tuple(self.cleaned_data["regions"]),
            standards=tuple(self.cleaned_data["standards"]),
            targets={
                key: _percentage(self.cleaned_data[f"targets_{key}"])
                for key in TARGETS
                if self.cleaned_data.get(f"targets_{key}") is not None
            },
        )


def _percentage(value: Decimal) -> float:
    """A target as stored: a whole number as an int (90, not 90.0)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _initial(campaign: Campaign) -> dict[str, Any]:
    initial = {
        "name": campaign.name,
        "name_en": campaign.name_en,
        "code": campaign.code,
        "sectors": campaign.sector_list,
        "regions": [r.pk for r in campaign.regions.all()],
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "standards": list(campaign.standards or []),
        "description": campaign.description,
        "is_archived": campaign.is_archived,
        "version": campaign.version,
    }
    for key, value in (campaign.targets or {}).items():
        initial[f"targets_{key}"] = value
    return initial
