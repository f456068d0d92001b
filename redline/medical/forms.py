"""Forms of medical treatment capacity. They render and parse; the services validate and
decide (their errors come back next to these fields)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from redline.core.widgets import DateInput
from redline.medical.services import CapacityReportInput
from redline.medical.vocab import REPORT_FIELDS

FIGURE_LABELS = {
    "beds": _("Beds"),
    "beds_occupied": _("Occupied beds"),
    "icu_beds": _("ICU beds (in use as ICU, converted ones included)"),
    "icu_occupied": _("Occupied ICU beds"),
    "icu_convertible": _("Convertible ICU beds (not yet converted)"),
    "ventilators": _("Ventilators"),
    "ventilators_in_use": _("Ventilators in use"),
    "fever_clinic_visits": _("Fever clinic visits (the whole day)"),
    "staff_on_roster": _("Staff on the roster"),
    "staff_absent": _("Staff absent"),
}
# How the form groups the figures (a heading and its fields), so a phone shows short blocks.
GROUPS = (
    (_("Beds"), ("beds", "beds_occupied")),
    (_("Intensive care"), ("icu_beds", "icu_occupied", "icu_convertible")),
    (_("Ventilators"), ("ventilators", "ventilators_in_use")),
    (_("Fever clinic"), ("fever_clinic_visits",)),
    (_("Staff"), ("staff_on_roster", "staff_absent")),
)


def _figure(name: str) -> forms.IntegerField:
    # No min_value here: the service checks every figure (and the figures against each
    # other) and names every bad one at once.
    return forms.IntegerField(
        label=FIGURE_LABELS[name],
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1}),
    )


class CapacityReportForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    day = forms.DateField(label=_("Day"), widget=DateInput())
    beds = _figure("beds")
    beds_occupied = _figure("beds_occupied")
    icu_beds = _figure("icu_beds")
    icu_occupied = _figure("icu_occupied")
    icu_convertible = _figure("icu_convertible")
    ventilators = _figure("ventilators")
    ventilators_in_use = _figure("ventilators_in_use")
    fever_clinic_visits = _figure("fever_clinic_visits")
    staff_on_roster = _figure("staff_on_roster")
    staff_absent = _figure("staff_absent")
    note = forms.CharField(
        label=_("Note (e.g. what a correction changes)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].widget.attrs["max"] = timezone.localdate().isoformat()
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in GROUPS]

    def service_data(self) -> CapacityReportInput:
        return CapacityReportInput.of(
            {name: self.cleaned_data[name] for name in ("day", *REPORT_FIELDS)},
            note=self.cleaned_data.get("note") or "",
            version=self.cleaned_data.get("version"),
        )
