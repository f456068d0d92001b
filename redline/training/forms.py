"""Forms of the training pages: a training record (with its evidence), a certificate, a
person's training profile, a post change, a certificate's step and the import. Each builds
the service's typed input; the service checks the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from redline.core.uploads import upload_limit
from redline.core.widgets import DateInput
from redline.training import requirements as req
from redline.training.services import (
    CertificateInput,
    PostChangeInput,
    TrainingProfileInput,
    TrainingRecordInput,
)
from redline.training.vocab import CertificateKind, ChangeKind, Level, Purpose


def _operation_choices() -> list[tuple[str, str]]:
    return [(code, op.label) for code, op in req.operations().items()]


class RecordForm(forms.Form):
    course = forms.CharField(label=_("Course"), max_length=200)
    hours = forms.DecimalField(label=_("Hours"), max_digits=5, decimal_places=1, min_value=0.1)
    day = forms.DateField(label=_("Date"), widget=DateInput())
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    purpose = forms.ChoiceField(label=_("Counts for"), choices=Purpose.choices)
    trainer = forms.CharField(label=_("Trainer"), max_length=100, required=False)
    trainer_signed = forms.BooleanField(label=_("Signed by the trainer"), required=False)
    trainee_signed = forms.BooleanField(label=_("Signed by the trainee"), required=False)
    evidence = forms.FileField(
        label=_("Evidence (PDF, JPEG, PNG or WebP)"), required=False, help_text=upload_limit()
    )

    def service_data(self, person_id: int) -> TrainingRecordInput:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return TrainingRecordInput.of(data | {"person": person_id})


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CertificateKind.choices)
    item = forms.ChoiceField(
        label=_("Operation item"),
        required=False,
        help_text=_("For a special-operation certificate."),
    )
    number = forms.CharField(label=_("Certificate number"), max_length=60)
    issuer = forms.CharField(label=_("Issued by"), max_length=200, required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=DateInput(),
        required=False,
        help_text=_("Leave empty to take the kind's validity from the issue date."),
    )
    reviewed_on = forms.DateField(label=_("Last reviewed on"), widget=DateInput(), required=False)
    long_service = forms.BooleanField(
        label=_("≥10 years in the trade without breach (review every 6 years)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item = self.fields["item"]
        assert isinstance(item, forms.ChoiceField)
        item.choices = [("", "—"), *_operation_choices()]

    def service_data(self, person_id: int) -> CertificateInput:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return CertificateInput.of(data | {"person": person_id})


class ProfileForm(forms.Form):
    started_on = forms.DateField(
        label=_("Started on (hired or appointed)"), widget=DateInput(), required=False
    )
    operations = forms.MultipleChoiceField(
        label=_("Special operations performed"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operations = self.fields["operations"]
        assert isinstance(operations, forms.MultipleChoiceField)
        operations.choices = _operation_choices()

    def service_data(self, person_id: int) -> TrainingProfileInput:
        return TrainingProfileInput.of(
            {
                "person": person_id,
                "started_on": self.cleaned_data.get("started_on"),
                "operations": list(self.cleaned_data.get("operations") or []),
            }
        )


class PostChangeForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=ChangeKind.choices)
    absent_days = forms.IntegerField(label=_("Days away"), min_value=0, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def service_data(self, person_id: int) -> PostChangeInput:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return PostChangeInput.of(data | {"person": person_id})


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Workbook (.xlsx)"))
