"""The assessment's forms: a new assessment, an entered item with its evidence, publishing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from redline.assessment import selectors
from redline.assessment.models import PeriodKind, SubjectKind
from redline.core.workflow import web as workflow_web


class AssessmentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    subject_kind = forms.ChoiceField(
        label=_("Assessed"), choices=SubjectKind.choices, initial=SubjectKind.DISTRICT
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    period_index = forms.IntegerField(
        label=_("Quarter or month"),
        min_value=0,
        max_value=12,
        initial=0,
        help_text=_("0 for a year; 1-4 for a quarter; 1-12 for a month."),
    )


class EntryForm(forms.Form):
    """An entered item for a district (`region`) or, in an assessment of departments, for a
    department (`department`)."""

    region = forms.TypedChoiceField(label=_("District"), coerce=int)
    department = forms.TypedChoiceField(label=_("Department"), coerce=int)
    item = forms.ChoiceField(label=_("Item"))
    points = forms.DecimalField(
        label=_("Points"), required=False, max_digits=5, decimal_places=2, min_value=0
    )
    triggered = forms.BooleanField(label=_("The veto applies"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.FileField(label=_("Evidence"), required=False)

    def __init__(
        self,
        *args: Any,
        subjects: list[Any],
        items: list[tuple[str, str]],
        kind: str = SubjectKind.DISTRICT,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        keep, drop = (
            ("department", "region") if kind == SubjectKind.DEPARTMENT else ("region", "department")
        )
        del self.fields[drop]
        subject = self.fields[keep]
        item = self.fields["item"]
        assert isinstance(subject, forms.TypedChoiceField) and isinstance(item, forms.ChoiceField)
        subject.choices = [(d.pk, d.name) for d in subjects]
        item.choices = items


def item_choices(version: str) -> list[tuple[str, str]]:
    """The items the office enters, labelled in the reader's language."""
    plan = selectors.scheme(version)
    out = [(i.key, selectors.label(i.label)) for i in plan.indicators if i.source == "entered"]
    out += [(b.key, f"{_('Bonus')}: {selectors.label(b.label)}") for b in plan.bonuses]
    out += [
        (v.key, f"{_('Veto')}: {selectors.label(v.label)}")
        for v in plan.vetoes
        if v.source == "entered"
    ]
    return out


class PublishForm(workflow_web.StepForm):
    """Publishing takes the publication note (e.g. the document's number)."""
