"""The training pages: the government's list of units with their training compliance, a
unit's training (a panel of the unit's page, or a page of its own: who lacks hours or a valid
certificate, and why), a person's file (一人一档) with its forms, a certificate with its steps
and timeline, the import, the template, the evidence files and the requirements."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core import jobs, spreadsheet
from redline.core.errors import Conflict, DomainError
from redline.core.filters import read_filters
from redline.core.readers import Date
from redline.core.spreadsheet.jobs import queue_import
from redline.core.web import PageRequest, raise_for_access, show_on_form
from redline.core.workflow import events_of, timeline
from redline.organisations.access import can, is_government_side, may
from redline.organisations.models import Enterprise
from redline.organisations.selectors import department_filter, region_filter
from redline.training import imports, present, selectors, services
from redline.training import requirements as req
from redline.training.forms import (
    CertificateForm,
    ImportForm,
    PostChangeForm,
    ProfileForm,
    RecordForm,
)
from redline.training.tasks import IMPORT_JOB
from redline.training.workflow import CERTIFICATE

# The list's day (`?on=YYYY-MM-DD`), refused naming it when bad (`core.filters`).
DAY_FILTER = {"on": Date()}


def _nav(request: PageRequest) -> None:
    request.nav_section = "training"


def _lines(status: selectors.PersonStatus) -> dict[str, Any]:
    return {
        "status": status,
        "lacking": [
            (present.what(f), present.basis(f), f.status, present.status_text(f.status))
            for f in status.lacking
        ],
        "warnings": [
            (present.what(f), present.basis(f), f.status, present.status_text(f.status))
            for f in status.warnings
        ],
    }


@login_required
def training_list(request: PageRequest) -> HttpResponse:
    """Per unit the user sees: people, compliant, lacking hours, lacking a certificate."""
    _nav(request)
    org = getattr(request.user, "organisation", None)
    if not is_government_side(request.user):
        if org is not None and org.enterprise_id:
            return redirect("training-unit", org.enterprise_id)
        raise PermissionDenied
    region = region_filter(request.user, request.GET.get("region"))
    department = department_filter(request.user, request.GET.get("department"))
    only_lacking = request.GET.get("lacking") == "1"
    # the day compliance is judged on (today unless asked: an assessment's past period)
    day = read_filters(DAY_FILTER, request.GET).get("on")
    rows = selectors.compliance(request.user, on=day, region=region, department=department)
    if only_lacking:
        rows = [r for r in rows if r["compliant"] < r["people"]]
    rows.sort(key=lambda r: (r["compliant"] - r["people"], r["unit"]))
    totals = {
        key: sum(r[key] for r in rows)
        for key in ("people", "compliant", "lacking_hours", "lacking_certificate")
    }
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = urlencode(
        {
            k: v
            for k, v in (
                ("region", region.pk if region else ""),
                ("department", department.pk if department else ""),
                ("on", day.isoformat() if day else ""),
                ("lacking", "1" if only_lacking else ""),
            )
            if v
        }
    )
    expiring = selectors.certificates_list(
        request.user, expiring_days=req.requirements().reminder_days
    ).count()
    context = {
        "page": page,
        "query": query,
        "totals": totals,
        "region": region,
        "department": department,
        "day": day,
        "only_lacking": only_lacking,
        "expiring": expiring,
        "can_import": can(request.user, "change"),
    }
    return render(request, "training/list.html", context)


@login_required
def unit_training(request: PageRequest, enterprise_id: int) -> HttpResponse:
    """A unit's people and their compliance: a panel of the unit's page (htmx), or a page."""
    unit = Enterprise.objects.restrict(request.user).filter(pk=enterprise_id).first()
    if unit is None:
        raise Http404
    people = [_lines(s) for s in selectors.unit_statuses(request.user, unit)]
    context = {
        "unit": unit,
        "people": people,
        "compliant": sum(1 for p in people if p["status"].result.compliant),
        "today": timezone.localdate(),
        "can_change": may(request.user, "change", unit),
    }
    if request.htmx:
        return render(request, "training/_unit.html", context)
    _nav(request)
    return render(request, "training/unit.html", context)


def _person_context(request: PageRequest, person_id: int, **forms: Any) -> dict[str, Any]:
    status = selectors.person_status(request.user, person_id)
    unit = status.person.enterprise
    profile = status.profile
    operations = req.operations()
    return {
        **_lines(status),
        "person": status.person,
        "unit": unit,
        "operations": [
            operations[c].label if c in operations else c
            for c in (profile.operation_list if profile else [])
        ],
        "operation_labels": {
            c.item: operations[c.item].label for c in status.certificates if c.item in operations
        },
        "can_change": unit is not None and may(request.user, "change", unit),
        "record_form": forms.get("record_form") or RecordForm(),
        "certificate_form": forms.get("certificate_form") or CertificateForm(),
        "profile_form": forms.get("profile_form")
        or ProfileForm(
            initial={
                "started_on": profile.started_on if profile else None,
                "operations": profile.operation_list if profile else [],
            }
        ),
        "change_form": forms.get("change_form") or PostChangeForm(),
    }


@login_required
def person_file(request: PageRequest, person_id: int) -> HttpResponse:
    _nav(request)
    return render(request, "training/person.html", _person_context(request, person_id))


@login_required
@require_POST
def person_add(request: PageRequest, person_id: int, what: str) -> HttpResponse:
    """Add a training record, a certificate or a post change, or save the profile."""
    _nav(request)
    selectors.person_status(request.user, person_id)  # 404 outside the jurisdiction
    form: Any
    service: Any
    if what == "record":
        form = RecordForm(request.POST, request.FILES)
        key, service, done = "record_form", services.training_record_add, _("Training recorded.")
    elif what == "certificate":
        form = CertificateForm(request.POST)
        key, service, done = (
            "certificate_form",
            services.certificate_add,
            _("Certificate recorded."),
        )
    elif what == "profile":
        form = ProfileForm(request.POST)
        key, service, done = "profile_form", services.training_profile_save, _("Saved.")
    elif what == "change":
        form = PostChangeForm(request.POST)
        key, service, done = "change_form", services.post_change_add, _("Post change recorded.")
    else:
        raise Http404
    status = 422
    if form.is_valid():
        try:
            service(actor=request.user, data=form.service_data(person_id))
        except DomainError as failure:
            status = show_on_form(form, failure)
        else:
            messages.success(request, done)
            return redirect("training-person", person_id)
    context = _person_context(request, person_id, **{key: form})
    context["open"] = what
    return render(request, "training/person.html", context, status=status)


@login_required
def certificate_page(request: PageRequest, certificate_id: int) -> HttpResponse:
    _nav(request)
    certificate = selectors.certificate(request.user, certificate_id)
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        data = {k: v for k, v in request.POST.items() if k in ("comment", "reviewed_on") and v}
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            services.certificate_step(
                actor=request.user,
                certificate_id=certificate.pk,
                action=action,
                version=version,
                data=data,
            )
        except DomainError as failure:
            raise_for_access(failure)
            error = "; ".join([failure.message, *failure.fields.values()])
            status = 409 if isinstance(failure, Conflict) else 422
        else:
            messages.success(request, _("Done."))
            return redirect("training-certificate", certificate.pk)
    operation = req.operations().get(certificate.item)
    context = {
        "certificate": certificate,
        "operation": operation.label if operation else "",
        "steps": CERTIFICATE.available(request.user, certificate),
        "timeline": timeline(CERTIFICATE, events_of(CERTIFICATE, certificate)),
        "error": error,
    }
    return render(request, "training/certificate.html", context, status=status)


@login_required
def evidence(request: PageRequest, record_id: int) -> FileResponse:
    record = selectors.training_record(request.user, record_id)
    if not record.evidence:
        raise Http404
    return FileResponse(record.evidence.open("rb"), as_attachment=True)


@login_required
def import_page(request: PageRequest) -> HttpResponse:
    _nav(request)
    if not can(request.user, "change"):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            return queue_import(
                request,
                kind=IMPORT_JOB,
                file=form.cleaned_data["file"],
                title=_("Import of training records and certificates"),
                back=reverse("training-import"),
            )
    context = {
        "form": form,
        "token": uuid.uuid4().hex,
        "runs": jobs.runs_of(request.user).filter(kind=IMPORT_JOB)[:10],
        "tables": [
            (imports.RECORDS.name, imports.RECORDS.columns),
            (imports.CERTIFICATES.name, imports.CERTIFICATES.columns),
        ],
        "max_mb": spreadsheet.MAX_BYTES // (1024 * 1024),
        "max_rows": spreadsheet.MAX_ROWS,
    }
    return render(request, "training/import.html", context, status=status)


@login_required
def import_template(request: PageRequest) -> HttpResponse:
    response = HttpResponse(imports.template(), content_type=spreadsheet.XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "training-template.xlsx")
    return response


@login_required
def requirements_page(request: PageRequest) -> HttpResponse:
    _nav(request)
    data = req.document()
    context = {
        "data": data,
        "hours": data["hours"],
        "kinds": data["certificates"]["kinds"],
        "categories": data["special_operations"]["categories"],
        "sources": data["sources"],
        "status_text": {k: present.status_text(k) for k in ("confirmed", "partial", "unconfirmed")},
    }
    return render(request, "training/requirements.html", context)
