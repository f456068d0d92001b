"""Pages of the assessment: the list (and a new draft), an assessment's ranking table with
its publish step and timeline, a subject's (district's or department's) breakdown with the
records behind each figure,
the office's entry form with evidence, and an entry's evidence file. Everything is read
through the door (`assessment/selectors.py`)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.assessment import selectors, services, tasks
from redline.assessment.forms import AssessmentForm, EntryForm, PublishForm, item_choices
from redline.assessment.models import Assessment, AssessmentEntry, SubjectKind
from redline.assessment.workflow import ASSESSMENT
from redline.core.errors import DomainError
from redline.core.models import JobRun
from redline.core.web import PageRequest, show_on_form
from redline.core.workflow.web import StepPage
from redline.organisations.access import can, may


def _nav(request: PageRequest) -> None:
    request.nav_section = "assessment"


@login_required
def assessment_list(request: PageRequest) -> HttpResponse:
    _nav(request)
    manages = can(request.user, "manage")
    today = timezone.localdate()
    form = AssessmentForm(
        request.POST or None,
        initial={"year": today.year, "period_kind": "year", "period_index": 0},
    )
    status = 200
    if request.method == "POST":
        if not manages:
            raise PermissionDenied
        status = 422
        if form.is_valid():
            try:
                record = services.assessment_create(
                    actor=request.user, data=services.AssessmentInput.of(form.cleaned_data)
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Assessment created as a draft."))
                return redirect("assessment-detail", record.pk)
    context = {
        "assessments": list(selectors.assessment_list(request.user)),
        "may_manage": manages,
        "form": form if manages else None,
    }
    return render(request, "assessment/list.html", context, status=status)


def _get(request: PageRequest, pk: Any) -> Assessment:
    return selectors.assessment_get(request.user, pk)


def _measured(request: PageRequest, record: Assessment) -> JobRun | None:
    """A draft's figures are read from its kept measurement: taken here, once, when it has
    none yet; when it is older than `services.MEASURE_AGAIN_AFTER` and the reader manages,
    taken again by the jobs process (the run returned; one per measurement, however often
    the page is opened), the page showing the kept figures with their time meanwhile."""
    if record.is_published or not may(request.user, "manage", record):
        return None
    if record.measured_at is None:
        services.assessment_measure(actor=request.user, assessment_id=record.pk)
        record.refresh_from_db(fields=["measured", "measured_at"])
        return None
    if timezone.now() - record.measured_at < services.MEASURE_AGAIN_AFTER:
        return None
    token = f"measure:{record.pk}:{record.measured_at.isoformat()}"
    return tasks.ask_measure(user=request.user, record=record, token=token)


def _context(request: PageRequest, record: Assessment) -> dict[str, Any]:
    _nav(request)
    measuring = _measured(request, record)
    table = selectors.table(request.user, record)
    manages = may(request.user, "manage", record)
    plan = table.scheme
    context: dict[str, Any] = {
        "assessment": record,
        "table": table,
        "bands": [(b, selectors.label(b.label)) for b in plan.bands],
        "grade_labels": {b.key: selectors.label(b.label) for b in plan.bands},
        "provenance": (
            table.inputs.get("scheme_data") or selectors.scheme_data(record.scheme_version)
        ).get("provenance", {}),
        "may_manage": manages,
        "is_departments": record.subject_kind == SubjectKind.DEPARTMENT,
        "measuring": measuring,
        "measure_token": uuid.uuid4().hex,
    }
    if manages and not record.is_published:
        context["entry_form"] = EntryForm(
            subjects=selectors.subjects(request.user, record.subject_kind),
            items=item_choices(record.scheme_version),
            kind=record.subject_kind,
        )
        context["entries"] = selectors.named(
            selectors.entries_of(request.user, record), selectors.item_labels(plan)
        )
    return context


PAGE = StepPage(
    machine=ASSESSMENT,
    template="assessment/detail.html",
    step_url="assessment-step",
    detail_url="assessment-detail",
    get=_get,
    form=lambda request, record, transition, data: PublishForm(data, prefix=transition.name),
    context=_context,
)


@login_required
def assessment_detail(request: PageRequest, pk: int) -> HttpResponse:
    return PAGE.detail(request, pk)


@login_required
def assessment_step(request: PageRequest, pk: int, action: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("assessment-detail", pk)
    return PAGE.step(request, pk, action)


@login_required
def assessment_subject(request: PageRequest, pk: int, subject_id: int, kind: str) -> HttpResponse:
    _nav(request)
    record = _get(request, pk)
    if record.subject_kind != kind:
        raise Http404
    measuring = _measured(request, record)
    found = selectors.breakdown(request.user, record, subject_id)
    grade, plan = found.result.grade, found.plan
    assert plan is not None
    context = {
        "assessment": record,
        "b": found,
        "grade_label": selectors.label(plan.band(grade).label) if grade else "",
        "measuring": measuring,
    }
    return render(request, "assessment/subject.html", context)


@login_required
def assessment_measure(request: PageRequest, pk: int) -> HttpResponse:
    """A manager asks for a draft's figures measured again now: queued for the jobs
    process, its run's page shown (the form's one-time token: a retried POST finds its run)."""
    if request.method != "POST":
        return redirect("assessment-detail", pk)
    record = Assessment.objects.get_for(request.user, "manage", pk=pk)
    if record.is_published:
        messages.error(request, _("This assessment is published: its inputs are frozen."))
        return redirect("assessment-detail", record.pk)
    token = request.POST.get("token", "").strip()[:64] or uuid.uuid4().hex
    run = tasks.ask_measure(user=request.user, record=record, token=token)
    return redirect("job-run", run_id=run.pk)


@login_required
def entry_new(request: PageRequest, pk: int) -> HttpResponse:
    _nav(request)
    if request.method != "POST":
        return redirect("assessment-detail", pk)
    record = Assessment.objects.get_for(request.user, "manage", pk=pk)
    form = EntryForm(
        request.POST,
        request.FILES,
        subjects=selectors.subjects(request.user, record.subject_kind),
        items=item_choices(record.scheme_version),
        kind=record.subject_kind,
    )
    status = 422
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "evidence" and v is not None}
        try:
            services.entry_set(
                actor=request.user,
                assessment_id=record.pk,
                data=services.EntryInput.of(data),
                evidence=form.cleaned_data.get("evidence"),
            )
        except DomainError as failure:
            status = show_on_form(form, failure)
        else:
            messages.success(request, _("Item entered."))
            return redirect("assessment-detail", record.pk)
    context = _context(request, record) | {"entry_form": form, "record": record}
    context |= {"steps": [], "timeline": [], "step_url": "assessment-step"}
    return render(request, "assessment/detail.html", context, status=status)


@login_required
def entry_evidence(request: PageRequest, entry_id: int) -> FileResponse:
    entry = (
        AssessmentEntry.objects.restrict(request.user)
        .select_related("region", "organisation__region")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None or not selectors.may_drill(request.user, entry.subject) or not entry.evidence:
        raise Http404
    return FileResponse(entry.evidence.open("rb"), as_attachment=True)
