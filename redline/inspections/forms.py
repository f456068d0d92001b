"""Forms of government inspection: planning one, and the fields its steps take."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from redline.campaigns.models import Campaign
from redline.core.forms import choice_field, model_choice_field
from redline.core.widgets import DateInput
from redline.core.workflow import web as workflow_web
from redline.inspections.enforcement import EnforcementInput
from redline.inspections.models import ChecklistTemplate, Finding, Inspection
from redline.inspections.services import InspectionInput
from redline.inspections.vocab import EnforcementKind, InspectionKind
from redline.organisations.access import role_allows
from redline.organisations.models import Enterprise


class InspectorChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=InspectionKind.choices)
    planned_on = forms.DateField(label=_("Planned for"), widget=DateInput())
    inspectors = InspectorChoice(
        label=_("Inspectors"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("A campaign's checklist is used unless you choose another."),
    )
    template = forms.ModelChoiceField(
        label=_("Checklist"),
        queryset=ChecklistTemplate.objects.filter(is_current=True),
        required=False,
        empty_label=_("The campaign's checklist, else the current one of the unit's sector"),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, unit: Enterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit, self.user = unit, user
        self.fields["planned_on"].initial = timezone.localdate()
        people = (
            get_user_model()
            .objects.filter(organisation_id=user.organisation_id, is_active=True)
            .order_by("username")
        )
        allowed = [u.pk for u in people if role_allows(u, "inspect")]
        model_choice_field(self, "inspectors").queryset = people.filter(pk__in=allowed)
        self.fields["inspectors"].initial = [user.pk]
        model_choice_field(self, "campaign").queryset = Campaign.objects.restrict(user).covering(
            unit
        )
        choice_field(self, "kind").initial = InspectionKind.ENFORCEMENT
        if not self.is_bound:
            self.fields["idempotency_key"].initial = secrets.token_hex(12)

    def service_data(self) -> InspectionInput:
        data = self.cleaned_data
        # The one planning leads when they go; otherwise the first of the team.
        chosen = sorted(data["inspectors"], key=lambda u: (u.pk != self.user.pk, u.username))
        team = [str(u.pk) for u in chosen]
        return InspectionInput.of(
            {
                "enterprise": self.unit.pk,
                "kind": data["kind"],
                "planned_on": data["planned_on"],
                "inspectors": team,
                "template": data["template"],
                "campaign": data["campaign"],
            }
        )


class InspectionStepForm(workflow_web.StepForm):
    place = forms.CharField(label=_("Where you checked in"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class EnforcementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EnforcementKind.choices)
    finding = forms.ModelChoiceField(
        label=_("Finding"), queryset=Finding.objects.none(), required=False
    )
    description = forms.CharField(
        label=_("What is ordered"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=300)
    amount = forms.DecimalField(
        label=_("Amount of the fine (CNY)"), required=False, min_value=0, decimal_places=2
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, inspection: Inspection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inspection = inspection
        model_choice_field(self, "finding").queryset = Finding.objects.filter(inspection=inspection)
        if not self.is_bound:
            self.fields["idempotency_key"].initial = secrets.token_hex(12)

    def service_data(self) -> EnforcementInput:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        data.pop("idempotency_key", None)
        return EnforcementInput.of(data, inspection=self.inspection.pk)


class PlanDraftForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    seed = forms.IntegerField(
        label=_("Seed (empty: drawn at random; it is published with the plan)"),
        required=False,
        min_value=0,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year + 1
