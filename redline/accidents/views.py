"""Pages of the accidents: the list with its filters, recording and editing one, one
accident's page (its figures, level and deadlines, the steps of its investigation and its
timeline), its files, the spreadsheet import with its template, and the control indicators'
progress. Everything is read through the door (`accidents/selectors.py`)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from redline.accidents import imports, rules, selectors, services
from redline.accidents.forms import AccidentForm, AccidentStepForm, IndicatorForm
from redline.accidents.models import Accident
from redline.accidents.tasks import IMPORT_JOB
from redline.accidents.vocab import (
    TYPES_1986,
    TYPES_2025,
    AccidentState,
    Criterion,
    Level,
    suggested_2025,
)
from redline.accidents.workflow import ACCIDENT
from redline.core import jobs
from redline.core.errors import DomainError
from redline.core.spreadsheet.jobs import queue_import
from redline.core.web import PageRequest, show_on_form
from redline.core.workflow.web import StepPage
from redline.organisations.access import can, may
from redline.organisations.selectors import department_filter
from redline.organisations.vocab import Sector

PER_PAGE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUTHORITIES = {
    "prefecture-level city": gettext_lazy("the prefecture-level city"),
    "province": gettext_lazy("the province"),
    "State Council": gettext_lazy("the State Council"),
}


def _nav(request: PageRequest) -> None:
    request.nav_section = "accidents"


def _filters(request: PageRequest) -> dict[str, str]:
    return {
        name: request.GET.get(name, "").strip()
        for name in selectors.LIST_FILTERS
        if request.GET.get(name, "").strip()
    }


@login_required
def accident_list(request: PageRequest) -> HttpResponse:
    _nav(request)
    filters = _filters(request)
    found = selectors.accident_list(request.user, filters)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "query": urlencode(filters),
        "levels": Level.choices,
        "states": AccidentState.choices,
        "sectors": Sector.choices,
        "may_record": can(request.user, "change"),
        "department": department_filter(request.user, filters.get("department")),
        # the filters the form has no field for, kept when it is submitted
        "hidden": [
            (name, filters[name])
            for name in (
                "department",
                "occurred_from",
                "occurred_to",
                "serious",
                "unit",
                "indicator",
            )
            if filters.get(name)
        ],
    }
    return render(request, "accidents/list.html", context)


@login_required
def accident_new(request: PageRequest) -> HttpResponse:
    _nav(request)
    if not can(request.user, "change"):
        raise PermissionDenied
    form = AccidentForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                accident = services.accident_record(
                    actor=request.user,
                    data=form.service_data(),
                    photos=request.FILES.getlist("photos"),
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(
                    request,
                    _("Accident %(n)s recorded: %(level)s.")
                    % {"n": accident.number, "level": accident.get_level_display()},
                )
                return redirect("accident", accident.pk)
    return render(request, "accidents/form.html", {"form": form}, status=status)


@login_required
def accident_edit(request: PageRequest, accident_id: int) -> HttpResponse:
    _nav(request)
    accident = selectors.accident_get(request.user, accident_id)
    if not may(request.user, "change", accident):
        raise PermissionDenied
    form = AccidentForm(request.POST or None, user=request.user, accident=accident)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.accident_update(
                    actor=request.user,
                    accident_id=accident.pk,
                    version=form.cleaned_data.get("version") or 0,
                    data=form.update_data(),
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Accident updated."))
                return redirect("accident", accident.pk)
    context = {"form": form, "accident": accident}
    return render(request, "accidents/form.html", context, status=status)


def _accident(request: PageRequest, pk: Any) -> Accident:
    return selectors.accident_get(request.user, pk)


def _context(request: PageRequest, accident: Accident) -> dict[str, Any]:
    _nav(request)
    criteria = dict(Criterion.choices)
    suggestion = suggested_2025(accident.type_1986) if accident.type_1986 else None
    return {
        "accident": accident,
        "files": selectors.files_of(request.user, accident),
        "deciding": [criteria.get(c, c) for c in accident.deciding_list],
        "type_1986": TYPES_1986.label(accident.type_1986) if accident.type_1986 else "",
        "type_2025": TYPES_2025.label(accident.type_2025) if accident.type_2025 else "",
        "suggested_2025": TYPES_2025.label(suggestion) if suggestion else "",
        "report_hours": rules.report_hours(accident.level),
        "report_to": AUTHORITIES.get(rules.report_authority(accident.level), ""),
        "supplementary_days": rules.supplementary_days(accident.reporting_class),
        "today": timezone.localdate(),
        "may_change": may(request.user, "change", accident),
    }


def _step_fields(request: PageRequest, accident: Accident, transition: Any) -> list[str]:
    names = list(transition.fields)
    return [*names, "photos"] if transition.name == "submit_report" else names


PAGE = StepPage(
    machine=ACCIDENT,
    template="accidents/detail.html",
    step_url="accident-step",
    detail_url="accident",
    get=_accident,
    form=lambda request, record, transition, data: AccidentStepForm(
        data, prefix=transition.name, step=transition.name, accident=record
    ),
    context=_context,
    fields=_step_fields,
)


@login_required
def accident_detail(request: PageRequest, accident_id: int) -> HttpResponse:
    return PAGE.detail(request, accident_id)


@login_required
@require_POST
def accident_step(request: PageRequest, accident_id: int, action: str) -> HttpResponse:
    return PAGE.step(request, accident_id, action)


@login_required
def accident_file(request: PageRequest, token: str) -> FileResponse:
    """A photo or report, for those who see its accident."""
    item = selectors.file_get(request.user, token)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def accident_import(request: PageRequest) -> HttpResponse:
    _nav(request)
    if not can(request.user, "change"):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file."))
            status = 422
        else:
            return queue_import(
                request,
                kind=IMPORT_JOB,
                file=upload,
                title=_("Import of accidents"),
                back=reverse("accident-import"),
            )
    context = {
        "token": uuid.uuid4().hex,
        "columns": imports.ACCIDENTS.columns,
        "runs": jobs.runs_of(request.user).filter(kind=IMPORT_JOB)[:10],
    }
    return render(request, "accidents/import.html", context, status=status)


@login_required
def accident_template(request: PageRequest) -> HttpResponse:
    response = HttpResponse(imports.template(), content_type=XLSX)
    stem = _("accidents-template")
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.xlsx")
    return response


@login_required
def indicators(request: PageRequest) -> HttpResponse:
    _nav(request)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    may_manage = can(request.user, "manage")
    form = IndicatorForm(request.POST or None, user=request.user, initial={"year": year})
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        status = 422
        if form.is_valid():
            try:
                services.indicator_set(actor=request.user, data=form.service_data())
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Control indicator saved."))
                return redirect(f"{request.path}?year={form.cleaned_data['year']}")
    found = selectors.indicators_visible(request.user, year)
    context = {
        "year": year,
        "rows": selectors.indicator_progress(request.user, found, today=today),
        "form": form,
        "may_manage": may_manage,
    }
    return render(request, "accidents/indicators.html", context, status=status)
