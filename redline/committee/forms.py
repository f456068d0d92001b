"""Forms of the Safety Committee's work: recording a meeting, deploying a key task, and the
fields a task's steps take."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from redline.committee.models import Meeting
from redline.committee.services import KeyTaskInput, MeetingInput, MeetingUpdateInput
from redline.committee.vocab import Cadence, MeetingKind
from redline.core.forms import model_choice_field
from redline.core.widgets import DateInput
from redline.core.workflow import web as workflow_web
from redline.organisations.models import Organisation, Person, Region
from redline.organisations.vocab import OrganisationKind, PersonRole, RegionLevel

SUPERVISING_KINDS = (OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE)


class RegionsField(forms.ModelMultipleChoiceField):
    """Districts and, indented under them, their subdistricts."""

    def label_from_instance(self, obj: Region) -> str:
        return "\u3000" * (obj.depth - 1) + str(obj)


class BodyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj} ({obj.get_kind_display()})"


class BodiesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return str(obj)


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        post = f" · {obj.post}" if obj.post else ""
        return f"{obj.name} ({obj.organisation}{post})"


def _government_side(user: Any) -> Any:
    """The government bodies and departments a task may name (the directory)."""
    return (
        Organisation.objects.restrict(user)
        .filter(enterprise__isnull=True, is_archived=False)
        .exclude(kind=OrganisationKind.ENTERPRISE)
        .select_related("region")
        .order_by("region__path", "kind", "name")
    )


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    body = BodyChoice(label=_("Held by"), queryset=Organisation.objects.none())
    attendees = forms.CharField(
        label=_("Attendees"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, meeting: Meeting | None = None, **kwargs: Any):
        if meeting is not None:
            kwargs.setdefault("initial", {}).update(
                {
                    "title": meeting.title,
                    "held_on": meeting.held_on,
                    "kind": meeting.kind,
                    "body": meeting.body_id,
                    "attendees": meeting.attendees,
                    "minutes": meeting.minutes,
                    "version": meeting.version,
                }
            )
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        if meeting is not None:
            del self.fields["body"]  # who held it stays
        else:
            bodies = _government_side(user).filter(kind__in=SUPERVISING_KINDS)
            model_choice_field(self, "body").queryset = bodies
            self.fields["body"].initial = user.organisation_id

    def service_data(self) -> MeetingInput:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return MeetingInput.of(data)

    def update_data(self) -> MeetingUpdateInput:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return MeetingUpdateInput.of(data)


class KeyTaskForm(forms.Form):
    meeting = forms.ModelChoiceField(
        label=_("Deployed at"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=_("Not at a meeting"),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    lead = BodyChoice(label=_("Lead department"), queryset=Organisation.objects.none())
    lead_person = PersonChoice(
        label=_("Responsible person"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("A contact of the lead department who answers for the task."),
    )
    cooperating = BodiesField(
        label=_("Cooperating departments"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    regions = RegionsField(
        label=_("Regions"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Leave empty for the whole city."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    deadline = forms.DateField(label=pgettext_lazy("key task", "Deadline"), widget=DateInput())
    outcome = forms.CharField(
        label=_("Measurable outcome"),
        max_length=300,
        help_text=_("What counts as done, e.g. the share of major hazards rectified."),
    )
    target_value = forms.DecimalField(
        label=_("Target value"),
        required=False,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    unit = forms.CharField(label=_("Unit of measure"), max_length=20, required=False)
    cadence = forms.ChoiceField(label=_("Reporting cadence"), choices=Cadence.choices)
    first_report_due = forms.DateField(
        label=_("First report due"),
        required=False,
        widget=DateInput(),
        help_text=_("Default: one period from today."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bodies = _government_side(user)
        model_choice_field(self, "meeting").queryset = Meeting.objects.restrict(user)
        model_choice_field(self, "lead").queryset = bodies
        model_choice_field(self, "cooperating").queryset = bodies
        contacts = (
            Person.objects.restrict(user)
            .filter(role=PersonRole.GOVERNMENT_CONTACT, is_archived=False)
            .select_related("organisation")
            .order_by("organisation__name", "name")
        )
        model_choice_field(self, "lead_person").queryset = contacts
        regions = Region.objects.restrict(user).filter(
            level__in=[RegionLevel.DISTRICT, RegionLevel.SUBDISTRICT]
        )
        model_choice_field(self, "regions").queryset = regions.order_by("path")
        self.fields["cadence"].initial = Cadence.MONTHLY
        self.fields["idempotency_key"].initial = uuid.uuid4().hex

    def service_data(self) -> KeyTaskInput:
        data = dict(self.cleaned_data)
        data.pop("idempotency_key", None)
        return KeyTaskInput.of(
            data,
            cooperating=tuple(str(o.pk) for o in self.cleaned_data["cooperating"]),
            regions=tuple(str(r.pk) for r in self.cleaned_data["regions"]),
        )


# What a step's comment is, by step.
COMMENT_LABELS = {
    "report": _("Progress this period"),
    "report_completion": _("What was done, and the evidence"),
    "return": _("What is still missing"),
    "cancel": _("Why the task is cancelled"),
    "amend": _("Why the task is amended"),
}


class TaskStepForm(workflow_web.StepForm):
    """The fields a key task's steps take (each step shows its own)."""

    figure = forms.DecimalField(
        label=_("Figure reached"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_("The value reached toward the target, if it is measured."),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    key = forms.CharField(widget=forms.HiddenInput, required=False)
    # The office's amendment: only the terms given change.
    deadline = forms.DateField(label=_("New deadline"), required=False, widget=DateInput())
    next_report_due = forms.DateField(
        label=_("Next report due"), required=False, widget=DateInput()
    )
    cadence = forms.ChoiceField(
        label=_("Reporting cadence"), choices=[("", "—"), *Cadence.choices], required=False
    )
    outcome = forms.CharField(label=_("Measurable outcome"), max_length=300, required=False)
    target_value = forms.DecimalField(
        label=_("Target value"),
        required=False,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, step: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].initial = uuid.uuid4().hex
        if step in COMMENT_LABELS:
            self.fields["comment"].label = COMMENT_LABELS[step]
