"""A case's page with its "next steps" and its timeline, the same for every machine.

An app declares a `StepPage` (its machine, template, URLs, how to read the record through the
door, how to build a step's form and the rest of its page) and routes its detail and step
views to `page.detail` and `page.step`. The template includes `core/_step_errors.html`,
`core/_steps.html` and `core/_timeline.html`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from redline.core.errors import DomainError
from redline.core.errors import PermissionDenied as DomainPermissionDenied
from redline.core.web import PageRequest, show_on_form
from redline.core.workflow.machine import Machine, Transition
from redline.core.workflow.step import take_step
from redline.core.workflow.timeline import events_of, timeline


class StepForm(forms.Form):
    """The fields every step form has; an app's form adds those its steps take."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def data_for(self, names: Iterable[str]) -> dict[str, Any]:
        """The step's fields that were given, as the step function takes them."""
        return {
            name: self.cleaned_data.get(name)
            for name in names
            if self.cleaned_data.get(name) not in (None, "")
        }


FormFactory = Callable[[PageRequest, Any, Transition, QueryDict | None], StepForm]


def _all_fields(request: PageRequest, record: Any, transition: Transition) -> list[str]:
    return list(transition.fields)


@dataclass(frozen=True)
class StepPage:
    machine: Machine
    template: str
    step_url: str  # URL name taking (record pk, action)
    detail_url: str  # URL name taking (record pk)
    get: Callable[[PageRequest, Any], Any]  # the record through the door, or Http404
    form: FormFactory  # a step's form (bound to the POST data, or not)
    context: Callable[[PageRequest, Any], dict[str, Any]]  # the rest of the page
    fields: Callable[[PageRequest, Any, Transition], list[str]] = _all_fields
    open_step: str = ""  # the step shown unfolded

    def render(
        self,
        request: PageRequest,
        record: Any,
        *,
        failed: str = "",
        failed_form: StepForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        steps = []
        for transition in self.machine.available(request.user, record):
            if failed_form is not None and transition.name == failed:
                form = failed_form
            else:
                form = self.form(request, record, transition, None)
                form.initial["version"] = record.version
            names = self.fields(request, record, transition)
            steps.append((transition, form, [(form[n], n in transition.required) for n in names]))
        context = self.context(request, record) | {
            "record": record,
            "steps": steps,
            "failed": failed,
            "failed_form": failed_form,
            "step_url": self.step_url,
            "open_step": self.open_step,
            "timeline": timeline(self.machine, events_of(self.machine, record)),
        }
        return render(request, self.template, context, status=status)

    def detail(self, request: PageRequest, pk: Any) -> HttpResponse:
        return self.render(request, self.get(request, pk))

    def step(self, request: PageRequest, pk: Any, action: str) -> HttpResponse:
        record = self.get(request, pk)
        transition = self.machine.transitions.get(action)
        if transition is None:
            raise Http404
        form = self.form(request, record, transition, request.POST)
        status = 422
        if form.is_valid():
            try:
                take_step(
                    self.machine,
                    actor=request.user,
                    pk=record.pk,
                    action=action,
                    version=form.cleaned_data["version"],
                    data=form.data_for(transition.fields),
                    files=request.FILES.getlist(f"{action}-photos"),
                )
            except DomainPermissionDenied as refused:
                # Shown on the page: the reader sees why (e.g. a rectifier accepting their
                # own work).
                form.add_error(None, refused.message)
                status = 403
            except DomainError as failure:
                status = show_on_form(form, failure)
                record = self.get(request, pk)
            else:
                messages.success(request, str(transition.label))
                return redirect(self.detail_url, record.pk)
        return self.render(request, record, failed=action, failed_form=form, status=status)
