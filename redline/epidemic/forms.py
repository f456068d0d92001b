"""Forms of surveillance data entry. They render and parse; the services check and decide
(their errors come back next to these fields)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from redline.core.forms import choice_field
from redline.core.widgets import DateInput
from redline.epidemic.models import Condition
from redline.epidemic.reporting import Reporter
from redline.epidemic.services import KeyGroupCountInput
from redline.epidemic.vocab import KeyGroup
from redline.organisations.models import Enterprise, Region

COUNT_PREFIX = "c_"


def _english() -> bool:
    return (get_language() or "").startswith("en")


def condition_label(condition: Condition) -> str:
    return condition.name_en if _english() and condition.name_en else condition.name


class Where:
    """A region or a key place, as the form's `where` value: "r<id>" or "p<id>"."""

    def __init__(self, region: Region, place: Enterprise | None = None) -> None:
        self.region = region
        self.place = place

    @property
    def value(self) -> str:
        return f"p{self.place.pk}" if self.place else f"r{self.region.pk}"

    def __str__(self) -> str:
        if self.place:
            return f"{self.place.name} · {self.region}"
        return f"{self.region} ({self.region.code})"


def where_choices(who: Reporter) -> list[tuple[Any, Any]]:
    """The regions and key places the user may submit data for, grouped."""
    regions = [
        (f"r{r.pk}", "\u3000" * max(r.depth, 0) + f"{r} ({r.code})")
        for r in who.regions().order_by("path")
    ]
    places = [
        (f"p{p.pk}", f"{p.name} · {p.region}")
        for p in who.places().select_related("region").order_by("region__path", "name")
    ]
    groups: list[tuple[Any, Any]] = []
    if regions:
        groups.append((_("Regions"), regions))
    if places:
        groups.append((_("Key places"), places))
    return groups


def where_of(who: Reporter, value: str) -> Where | None:
    """The region or key place a `where` value names, if the user may submit for it."""
    value = (value or "").strip()
    if len(value) < 2 or not value[1:].isdigit():
        return None
    pk = int(value[1:])
    if value[0] == "p":
        place = who.places().select_related("region").filter(pk=pk).first()
        return Where(place.region, place) if place else None
    if value[0] == "r":
        region = who.regions().filter(pk=pk).first()
        return Where(region) if region else None
    return None


class WhereDayForm(forms.Form):
    """Step 1 of entering counts: where and which day (GET)."""

    where = forms.ChoiceField(label=_("Region or key place"))
    date = forms.DateField(label=_("Date"), widget=DateInput())

    def __init__(self, *args: Any, who: Reporter, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        choice_field(self, "where").choices = where_choices(who)

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day > self.today:
            raise forms.ValidationError(
                _("The date %(day)s is in the future (today is %(today)s).")
                % {"day": day.isoformat(), "today": self.today.isoformat()}
            )
        return day


class CountEntryForm(forms.Form):
    """Step 2: one day's counts of every condition for one region or key place. An empty
    field is not reported (left as it is); 0 means no cases."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    where = forms.CharField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, conditions: list[Condition], current: dict[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.conditions = conditions
        for condition in conditions:
            name = COUNT_PREFIX + condition.code
            self.fields[name] = forms.IntegerField(
                label=condition_label(condition),
                required=False,
                min_value=0,
                widget=forms.NumberInput(
                    attrs={"inputmode": "numeric", "min": 0, "step": 1, "class": "count-input"}
                ),
            )
            if not self.is_bound and condition.pk in current:
                self.initial[name] = current[condition.pk]
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The count fields grouped by kind (diseases, syndromes), for the template."""
        out: dict[str, list[forms.BoundField]] = {}
        for condition in self.conditions:
            label = str(condition.get_kind_display())
            out.setdefault(label, []).append(self[COUNT_PREFIX + condition.code])
        return list(out.items())

    def rows(self, where: Where) -> list[dict[str, Any]]:
        """The filled-in counts as submission rows, numbered by their line on the form."""
        rows = []
        for number, condition in enumerate(self.conditions, start=1):
            value = self.cleaned_data.get(COUNT_PREFIX + condition.code)
            if value is None:
                continue
            rows.append(
                {
                    "row": number,
                    "condition": condition.code,
                    "region": where.region.code,
                    "place": where.place.pk if where.place else None,
                    "date": self.cleaned_data["date"],
                    "count": value,
                }
            )
        return rows

    def field_of_row(self, number: int) -> str | None:
        if 1 <= number <= len(self.conditions):
            return COUNT_PREFIX + self.conditions[number - 1].code
        return None


class KeyGroupForm(forms.Form):
    where = forms.ChoiceField(label=_("Region or key place"))
    group = forms.ChoiceField(label=_("Key group"), choices=KeyGroup.choices)
    count = forms.IntegerField(
        label=_("Number of people"),
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1}),
    )
    as_of = forms.DateField(
        label=_("As of"),
        widget=DateInput(),
        help_text=_("The date the figure describes. A later figure for the same date replaces it."),
    )
    source = forms.CharField(
        label=pgettext_lazy("figure", "Source"),
        max_length=200,
        help_text=_("Where the figure comes from: a register, a survey, the place's roll."),
    )

    def __init__(self, *args: Any, who: Reporter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "where").choices = where_choices(who)

    def service_data(self, where: Where) -> KeyGroupCountInput:
        """The count for `where`, the region or key place the `where` field names (see
        `where_of`)."""
        data = {name: value for name, value in self.cleaned_data.items() if name != "where"}
        return KeyGroupCountInput.of(data, region=where.region, place=where.place)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet"
            }
        ),
    )
