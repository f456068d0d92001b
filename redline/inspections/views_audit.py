"""Pages of the audit working paper: the paper (its sections and the lists behind them, the
sample with a verified / discrepancy form per record, usable on a phone with htmx), drawing
it, and its PDF and .xlsx. Only the inspection's team and its body open it (the unit does
not see the sample before the visit); everything is read through the door
(`selectors_audit`)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core.errors import DomainError
from redline.core.web import PageRequest, raise_for_access
from redline.inspections import audit_present as present
from redline.inspections import exports_audit, services_audit
from redline.inspections import selectors_audit as reads
from redline.inspections.models import AuditPaper, AuditSample, Inspection
from redline.inspections.services_audit import DEFAULT_OUTCOME
from redline.inspections.vocab import (
    AuditResult,
    AuditSampleKind,
    FindingOutcome,
    InspectionKind,
    InspectionState,
)
from redline.inspections.workflow import on_the_team

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _nav(request: PageRequest) -> None:
    request.nav_section = "inspections"


def _failure_text(failure: DomainError) -> str:
    """A refused request's reasons, for a message above the form."""
    raise_for_access(failure)
    if failure.fields:
        return " ".join(str(message) for message in failure.fields.values())
    return str(failure.message)


def sample_row(
    sample: AuditSample, inspection: Inspection, may_mark: bool, error: str = ""
) -> dict[str, Any]:
    """What the page shows of one sampled record (also the htmx answer to marking it)."""
    default = DEFAULT_OUTCOME[AuditSampleKind(sample.kind)]
    return {
        "sample": sample,
        "inspection": inspection,
        "facts": present.sample_facts(sample),
        "link": present.sample_link(sample, inspection),
        "result_label": present.result_label(sample),
        "may_mark": may_mark and sample.result != AuditResult.DISCREPANCY,
        "outcomes": [
            (code, label, code == default)
            for code, label in FindingOutcome.choices
            if code in (FindingOutcome.NOTE, FindingOutcome.HAZARD)
        ],
        "error": error,
    }


def _may_mark(user: Any, inspection: Inspection) -> bool:
    return inspection.state == InspectionState.IN_PROGRESS and on_the_team(user, inspection)


@login_required
def audit_paper(request: PageRequest, inspection_id: int) -> HttpResponse:
    _nav(request)
    inspection = reads.inspection_for_paper(request.user, inspection_id)
    if inspection.kind != InspectionKind.AUDIT:
        raise Http404
    paper = reads.paper_of(request.user, inspection)
    samples = reads.samples_of(request.user, paper)
    may_mark = _may_mark(request.user, inspection)
    groups = [
        (AuditSampleKind(kind).label, [sample_row(s, inspection, may_mark) for s in rows])
        for kind, rows in groupby(samples, key=lambda s: s.kind)
    ]
    state = inspection.state
    context = {
        "inspection": inspection,
        "paper": paper,
        "unconfirmed": present.UNCONFIRMED,
        "heading": present.heading_rows(paper, inspection) if paper else [],
        "populations": present.populations(paper) if paper else [],
        "sections": present.sections(paper, inspection) if paper else [],
        "groups": groups,
        "may_draw": state == InspectionState.PLANNED
        or (state == InspectionState.IN_PROGRESS and paper is None),
        "may_choose_seed": state == InspectionState.PLANNED,
        "tally": _tally(samples),
    }
    return render(request, "inspections/audit_paper.html", context)


def _tally(samples: list[AuditSample]) -> dict[str, int]:
    return {
        result: sum(1 for s in samples if s.result == result) for result in AuditResult.values
    } | {"total": len(samples)}


@login_required
@require_POST
def audit_paper_draw(request: PageRequest, inspection_id: int) -> HttpResponse:
    """Draw the paper (again, while planned), with the seed and months given or the
    defaults."""
    given = {
        name: request.POST[name].strip()
        for name in ("seed", "months")
        if request.POST.get(name, "").strip()
    }
    try:
        data = services_audit.AuditDrawInput.of(given)
        paper = services_audit.audit_paper_draw(
            actor=request.user, inspection_id=inspection_id, seed=data.seed, months=data.months
        )
    except DomainError as failure:
        messages.error(request, _failure_text(failure))
    else:
        messages.success(
            request,
            _("Audit working paper drawn with seed %(seed)d.") % {"seed": paper.seed},
        )
    return redirect("inspection-audit-paper", inspection_id)


@login_required
@require_POST
def audit_sample_mark(request: PageRequest, sample_id: int) -> HttpResponse:
    """Mark a sampled record verified or a discrepancy. With htmx, the answer is the
    record's card (with the reason when refused); without, back to the paper."""
    given = {
        name: request.POST[name]
        for name in ("result", "note", "outcome")
        if request.POST.get(name, "").strip()
    }
    error = ""
    try:
        services_audit.audit_sample_mark(
            actor=request.user,
            sample_id=sample_id,
            data=services_audit.AuditSampleInput.of(given),
        )
    except DomainError as failure:
        error = _failure_text(failure)
    sample = (
        AuditSample.objects.restrict(request.user)
        .select_related("checked_by", "finding", "paper__inspection")
        .filter(pk=sample_id)
        .first()
    )
    if sample is None:
        raise Http404
    inspection = sample.paper.inspection
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(
            reverse("inspection-audit-paper", args=[inspection.pk]) + f"#sample-{sample.pk}"
        )
    row = sample_row(sample, inspection, _may_mark(request.user, inspection), error)
    # Answered 200 also when refused, so htmx swaps the card with the reason in it.
    return render(request, "inspections/_audit_sample.html", row)


def _export(request: PageRequest, inspection_id: int) -> tuple[Inspection, AuditPaper, list[Any]]:
    inspection = reads.inspection_for_paper(request.user, inspection_id)
    paper = reads.paper_of(request.user, inspection)
    if paper is None:
        raise Http404
    return inspection, paper, reads.samples_of(request.user, paper)


def _attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def audit_paper_pdf(request: PageRequest, inspection_id: int) -> HttpResponse:
    inspection, paper, samples = _export(request, inspection_id)
    content = exports_audit.paper_pdf(paper, inspection, samples)
    return _attachment(content, "application/pdf", f"audit-paper-{inspection.number}.pdf")


@login_required
def audit_paper_xlsx(request: PageRequest, inspection_id: int) -> HttpResponse:
    inspection, paper, samples = _export(request, inspection_id)
    content = exports_audit.paper_xlsx(paper, inspection, samples)
    return _attachment(content, XLSX, f"audit-paper-{inspection.number}.xlsx")


def detail_context(user: Any, inspection: Inspection) -> dict[str, Any]:
    """For the inspection's page: where its audit paper is, and how far its verification
    is (only for the team and the body of an audit-style inspection)."""
    if inspection.kind != InspectionKind.AUDIT or not reads.may_work_on(user, inspection):
        return {}
    paper = reads.paper_of(user, inspection)
    tally = (
        AuditSample.objects.restrict(user)
        .filter(paper_id=paper.pk)
        .aggregate(
            total=Count("id"),
            pending=Count("id", filter=Q(result=AuditResult.PENDING)),
            discrepancies=Count("id", filter=Q(result=AuditResult.DISCREPANCY)),
        )
        if paper is not None
        else {}
    )
    return {
        "audit_paper_link": {
            "url": reverse("inspection-audit-paper", args=[inspection.pk]),
            "paper": paper,
            **tally,
        }
    }
