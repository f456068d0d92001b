"""The plan's libraries as pages: the inspection targets and the inspector library, with the
form a body's managers (and the city's planners) keep an inspector's profile with."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from redline.core.errors import DomainError
from redline.core.forms import model_choice_field
from redline.core.web import PageRequest, show_on_form
from redline.inspections import library
from redline.inspections.models_plan import InspectorProfile
from redline.organisations.vocab import Sector

RISK_CHOICES = [
    ("", _("Any risk level")),
    ("major", _("Major (red)")),
    ("larger", _("Larger (orange)")),
    ("general", _("General (yellow) or not assessed")),
    ("low", _("Low (blue)")),
]


class TargetFilter(forms.Form):
    sector = forms.ChoiceField(
        label=_("Sector"), choices=[("", _("Any sector")), *Sector.choices], required=False
    )
    risk = forms.ChoiceField(label=_("Risk level"), choices=RISK_CHOICES, required=False)


class InspectorForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Inspector"), queryset=InspectorProfile.objects.none())
    sectors = forms.MultipleChoiceField(
        label=_("Competent for the sectors"),
        choices=Sector.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = forms.IntegerField(label=_("Inspections a year at most"), min_value=1)
    recusals = forms.CharField(
        label=_("Must not inspect (credit codes, one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_active = forms.BooleanField(label=_("In the library (drawn)"), required=False)

    def __init__(self, *args, actor, profile: InspectorProfile | None = None, **kwargs):
        if profile is not None:
            kwargs.setdefault("initial", {}).update(
                user=profile.user_id,
                sectors=profile.sectors,
                capacity=profile.capacity,
                recusals="\n".join(profile.recusals.values_list("credit_code", flat=True)),
                is_active=profile.is_active,
            )
        else:
            kwargs.setdefault("initial", {}).update(is_active=True, capacity=40)
        super().__init__(*args, **kwargs)
        people = (
            get_user_model().objects.filter(pk=profile.user_id)
            if profile is not None
            else library.candidates(actor)
        )
        model_choice_field(self, "user").queryset = people
        if profile is not None:
            self.fields["user"].disabled = True

    def service_data(self) -> library.InspectorInput:
        data = self.cleaned_data
        return library.InspectorInput.of(
            {
                "user": data["user"],
                "sectors": data["sectors"],
                "capacity": data["capacity"],
                "recusals": [c.strip() for c in data["recusals"].split() if c.strip()],
                "is_active": data["is_active"],
            }
        )


def _allowed(request: PageRequest) -> None:
    request.nav_section = "inspections"
    if not library.may_see(request.user):
        raise PermissionDenied


@login_required
def target_library(request: PageRequest) -> HttpResponse:
    _allowed(request)
    form = TargetFilter(request.GET or None)
    chosen = form.cleaned_data if form.is_valid() else {}
    found = library.targets(
        request.user, sector=chosen.get("sector", ""), risk=chosen.get("risk", "")
    )
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    rows = [(unit, library.risk_name(unit)) for unit in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    return render(request, "inspections/library_targets.html", context)


@login_required
def inspector_library(request: PageRequest) -> HttpResponse:
    _allowed(request)
    profiles = library.inspectors(request.user)
    page = Paginator(profiles, 50).get_page(request.GET.get("page"))
    rows = [
        (
            profile,
            [Sector(s).label for s in profile.sectors if s in Sector.values],
            library.may_keep(request.user, profile.user),
        )
        for profile in page
    ]
    adding = library.candidates(request.user).exists() and (
        library.may_plan(request.user) or library.may_keep(request.user, request.user)
    )
    context = {"page": page, "rows": rows, "may_add": adding}
    return render(request, "inspections/library_inspectors.html", context)


@login_required
def inspector_edit(request: PageRequest, profile_id: int | None = None) -> HttpResponse:
    _allowed(request)
    profile = None
    if profile_id is not None:
        profile = library.inspectors(request.user).filter(pk=profile_id).first()
        if profile is None:
            raise Http404
        if not library.may_keep(request.user, profile.user):
            raise PermissionDenied
    form = InspectorForm(request.POST or None, actor=request.user, profile=profile)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                library.inspector_save(actor=request.user, data=form.service_data())
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("The inspector library is saved."))
                return redirect("inspector-library")
    context = {"form": form, "profile": profile}
    return render(request, "inspections/inspector_form.html", context, status=status)
