"""Forms of hidden-hazard governance. They render and parse; the services validate and
decide (their errors come back next to these fields)."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from redline.core.forms import choice_field
from redline.core.widgets import DateInput
from redline.core.workflow import web as workflow_web
from redline.engines.fire_composite import PLACE_TYPES
from redline.hazards.public import STAMP_MAX_AGE
from redline.hazards.services import HazardReportInput
from redline.hazards.standards import determination_standards
from redline.hazards.vocab import (
    Classification,
    HazardLevel,
    HazardSource,
    HazardType,
    SupervisionLevel,
    TaskResult,
)
from redline.organisations.models import Region
from redline.organisations.vocab import RegionLevel, Sector

PLACE_TYPE_LABELS = {
    "crowded": _("Crowded place"),
    "flammable_explosive": _("Flammable / explosive place"),
    "important": _("Important place"),
    "other": _("Other place"),
}


def _english() -> bool:
    return (get_language() or "").startswith("en")


def item_text(entry: Any) -> str:
    text = entry.text_en if _english() else entry.text_zh
    flag = "" if entry.status == "confirmed" else f" [{_('UNCONFIRMED')}]"
    return f"{entry.id} · {text}{flag}"


def determination_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Situations and fire direct items of the current standards, grouped by standard."""
    groups = []
    for standard in determination_standards().values():
        if not standard.current:
            continue
        entries = [e for e in standard.items if e.kind in ("situation", "direct")]
        if entries:
            title = standard.title_en if _english() else standard.title_zh
            groups.append((title, [(e.id, item_text(e)) for e in entries]))
    return groups


def element_choices() -> list[tuple[str, str]]:
    from redline.hazards.standards import FIRE_STANDARD

    standard = determination_standards()[FIRE_STANDARD]
    return [(e.id, item_text(e)) for e in standard.items if e.kind == "element"]


class HazardReportForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    enterprise = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    name = forms.CharField(label=_("Hazard"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    hazard_type = forms.ChoiceField(label=_("Type"), choices=HazardType.choices)
    level = forms.ChoiceField(
        label=_("Level"),
        choices=HazardLevel.choices,
        help_text=_("Citing a determination item below makes it major automatically."),
    )
    classification = forms.ChoiceField(
        label=_("Management classification"),
        choices=[("", "—"), *Classification.choices],
        required=False,
    )
    source = forms.ChoiceField(label=pgettext_lazy("hazard", "Source"))
    location = forms.CharField(label=_("Location"), max_length=300, required=False)
    determination_items = forms.MultipleChoiceField(
        label=_("Major-hazard determination items"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    fire_place_type = forms.ChoiceField(
        label=_("Fire composite method: kind of place"),
        required=False,
    )
    fire_elements = forms.MultipleChoiceField(
        label=_("Fire composite method: elements found"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    measure = forms.IntegerField(widget=forms.HiddenInput, required=False)
    task = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, units: list[Any], government: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "enterprise").choices = [(u.pk, str(u)) for u in units]
        sources = HazardSource.self_inspection() if not government else [HazardSource.GOVERNMENT]
        choice_field(self, "source").choices = [(s, HazardSource(s).label) for s in sources]
        choice_field(self, "determination_items").choices = determination_choices()
        choice_field(self, "fire_place_type").choices = [("", "—")] + [
            (p, PLACE_TYPE_LABELS[p]) for p in PLACE_TYPES
        ]
        choice_field(self, "fire_elements").choices = element_choices()
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def service_data(self) -> HazardReportInput:
        data = dict(self.cleaned_data)
        data.pop("idempotency_key", None)
        return HazardReportInput.of(data)


class StepForm(workflow_web.StepForm):
    """Every step's fields; each step's form shows the ones it takes."""

    deadline = forms.DateField(label=_("Rectify by"), required=False, widget=DateInput())
    rectifier = forms.TypedChoiceField(
        label=_("Responsible for rectification"), coerce=int, required=False, empty_value=None
    )
    plan_responsible = forms.CharField(label=_("Responsible person and unit"), required=False)
    plan_measures = forms.CharField(
        label=_("Rectification measures"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    plan_funds = forms.CharField(label=_("Funds (10,000 CNY)"), required=False)
    plan_deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    plan_contingency = forms.CharField(
        label=_("Contingency and emergency plan"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    enterprise = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False)
    level = forms.ChoiceField(
        label=_("Level"), choices=[("", "—"), *HazardLevel.choices], required=False
    )
    supervising_body = forms.TypedChoiceField(
        label=_("Supervising body"), coerce=int, required=False, empty_value=None
    )
    supervision_level = forms.ChoiceField(
        label=_("Level of listed supervision"),
        choices=[("", "—"), *SupervisionLevel.choices],
        required=False,
    )
    supervision_deadline = forms.DateField(
        label=_("Supervision deadline"), required=False, widget=DateInput()
    )
    public_note = forms.CharField(
        label=_("Note for the reporter (shown on the public tracking page)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("No names, phone numbers or internal details."),
    )

    def __init__(
        self,
        *args: Any,
        rectifiers: Sequence[Any] = (),
        units: Sequence[Any] = (),
        bodies: Sequence[Any] = (),
        supervision_level: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "rectifier").choices = [("", "—")] + [(u.pk, str(u)) for u in rectifiers]
        choice_field(self, "enterprise").choices = [("", "—")] + [(u.pk, str(u)) for u in units]
        choice_field(self, "supervising_body").choices = [(b.pk, str(b)) for b in bodies]
        if not self.is_bound:
            # Listing defaults to the actor's own body (the first) at the actor's level.
            if bodies:
                self.initial.setdefault("supervising_body", bodies[0].pk)
            if supervision_level:
                self.initial.setdefault("supervision_level", supervision_level)


class TaskRecordForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    result = forms.ChoiceField(
        label=_("Result"), choices=TaskResult.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


# --- the public form -------------------------------------------------------------------

MIN_FILL_SECONDS = 4
MAX_FILL_SECONDS = int(STAMP_MAX_AGE.total_seconds())
STAMP_SALT = "redline.public-report"


class PublicReportForm(forms.Form):
    """Anyone may report. A field people never see (bots fill it) and a signed time stamp
    (bots submit in under a few seconds; stale forms expire) keep scripted abuse out; the
    stamp carries a nonce the service accepts once (one report per form), and the service
    limits reports per address and hour."""

    region = forms.TypedChoiceField(label=_("District / subdistrict"), coerce=int)
    place = forms.CharField(label=_("Place or unit"), max_length=200)
    sector = forms.ChoiceField(label=_("Kind of danger"), required=False)
    description = forms.CharField(
        label=_("What did you see?"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    contact = forms.CharField(
        label=_("Your phone or e-mail (optional)"), max_length=100, required=False
    )
    website = forms.CharField(required=False, label=_("Leave this empty"))  # honeypot
    stamp = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(
            level__in=[RegionLevel.DISTRICT, RegionLevel.SUBDISTRICT]
        ).order_by("path")
        choice_field(self, "region").choices = [("", "—")] + [
            (r.pk, ("　" if r.level == RegionLevel.SUBDISTRICT else "") + str(r)) for r in regions
        ]
        choice_field(self, "sector").choices = [("", "—"), *Sector.choices]
        if not self.is_bound:
            issued = {"at": time.time(), "nonce": secrets.token_urlsafe(18)}
            self.initial["stamp"] = signing.dumps(issued, salt=STAMP_SALT)

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("This report looks automated and was not accepted."))
        return ""

    def clean_stamp(self) -> str:
        """The stamp's nonce, for the service to use once."""
        try:
            stamp = signing.loads(self.cleaned_data["stamp"], salt=STAMP_SALT)
            issued, nonce = float(stamp["at"]), str(stamp["nonce"])
        except (signing.BadSignature, TypeError, ValueError, KeyError):
            raise forms.ValidationError(_("Reload the form and try again.")) from None
        age = time.time() - issued
        if age < MIN_FILL_SECONDS:
            raise forms.ValidationError(
                _("That was very fast; check your report and submit again.")
            )
        if age > MAX_FILL_SECONDS:
            raise forms.ValidationError(_("This form has expired; reload it and try again."))
        return nonce
