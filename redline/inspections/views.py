"""Pages of government inspection: the list (through the door), planning one, an
inspection's page with its steps and timeline, the phone checklist that works offline, and a
finding's page where the unit answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core.errors import DomainError
from redline.core.web import PageRequest, show_on_form
from redline.core.workflow.web import StepForm, StepPage
from redline.hazards.views_inspect import _unit_search
from redline.inspections import checklist, checklist_data, services
from redline.inspections.forms import InspectionStepForm, PlanForm
from redline.inspections.models import Finding, Inspection
from redline.inspections.vocab import Compliance, InspectionKind, InspectionState, unit_label
from redline.inspections.workflow import FINDING, INSPECTION, on_the_team
from redline.organisations.access import can, is_government_side
from redline.organisations.models import Enterprise

PER_PAGE = 30


def _nav(request: PageRequest) -> None:
    request.nav_section = "inspections"


def may_plan(user: Any) -> bool:
    return is_government_side(user) and can(user, "inspect")


@login_required
def inspection_list(request: PageRequest) -> HttpResponse:
    _nav(request)
    found = Inspection.objects.restrict(request.user).select_related("enterprise", "organisation")
    state, kind = request.GET.get("state", ""), request.GET.get("kind", "")
    if state in InspectionState.values:
        found = found.filter(state=state)
    if kind in InspectionKind.values:
        found = found.filter(kind=kind)
    if request.GET.get("mine") and request.user.organisation_id:
        found = found.filter(organisation_id=request.user.organisation_id)
    page = Paginator(found.order_by("-planned_on", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = "&".join(f"{k}={v}" for k, v in (("state", state), ("kind", kind)) if v)
    context = {
        "page": page,
        "query": query,
        "states": InspectionState.choices,
        "kinds": InspectionKind.choices,
        "state": state,
        "kind": kind,
        "may_plan": may_plan(request.user),
    }
    return render(request, "inspections/list.html", context)


@login_required
def inspection_plan(request: PageRequest) -> HttpResponse:
    """Step 1: the unit (among those the user may inspect); step 2: team, kind, date."""
    _nav(request)
    if not may_plan(request.user):
        raise PermissionDenied
    chosen = request.GET.get("enterprise") or request.POST.get("enterprise")
    if not chosen:
        context = _unit_search(request, "inspect")
        template = (
            "inspections/_unit_results.html" if request.htmx else "inspections/plan_unit.html"
        )
        return render(request, template, context)
    unit = Enterprise.objects.restrict(request.user, "inspect").filter(pk=chosen).first()
    if unit is None:
        raise Http404
    form = PlanForm(request.POST or None, user=request.user, unit=unit)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                inspection, _created = services.inspection_plan(
                    actor=request.user,
                    data=form.service_data(),
                    idempotency_key=form.cleaned_data.get("idempotency_key") or "",
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Inspection %(n)s planned.") % {"n": inspection.number})
                return redirect("inspection-detail", inspection.pk)
    return render(request, "inspections/plan.html", {"form": form, "unit": unit}, status=status)


def _inspection(request: PageRequest, pk: Any) -> Inspection:
    found = (
        Inspection.objects.restrict(request.user)
        .select_related("enterprise__region", "organisation", "template")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _shown_answer(item: Any, value: Any, photos: int) -> str:
    """An answer as people read it."""
    if value is None:
        return "—"
    if value in Compliance.values:
        return str(Compliance(value).label)
    if item.answer == "number":
        return f"{value:g} {unit_label(item.unit)}".strip()
    if item.answer == "photo":
        return _("%(n)d photos") % {"n": photos}
    return str(value)


def _sheet(inspection: Inspection) -> list[dict[str, Any]]:
    """The checklist's sections with each shown item's current answer (for reading)."""
    if inspection.template is None:
        return []
    answers = checklist.answers_of(inspection)
    photos = checklist.photo_counts(inspection)
    shape = checklist.template_of(inspection)
    shown = {item.code for item in checklist_data.visible_items(shape, answers)}
    zh = checklist.in_chinese()
    return [
        {
            "title": section.title_zh if zh else section.title_en,
            "items": [
                {
                    "code": item.code,
                    "text": item.text_zh if zh else item.text_en,
                    "answer": _shown_answer(item, answers.get(item.code), photos.get(item.code, 0)),
                    "photos": photos.get(item.code, 0),
                    "bad": checklist_data.is_non_compliant(item, answers.get(item.code)),
                    "cites": item.determination_item or "",
                }
                for item in section.items
                if item.code in shown
            ],
        }
        for section in shape.sections
    ]


def _inspection_context(request: PageRequest, inspection: Inspection) -> dict[str, Any]:
    _nav(request)
    return {
        "inspection": inspection,
        "team": list(inspection.team.select_related("user")),
        "signatures": list(inspection.signatures.all()),
        "findings": list(inspection.findings.select_related("hazard")),
        "sheet": _sheet(inspection),
        "on_team": on_the_team(request.user, inspection),
    }


INSPECTION_PAGE = StepPage(
    machine=INSPECTION,
    template="inspections/detail.html",
    step_url="inspection-step",
    detail_url="inspection-detail",
    get=_inspection,
    form=lambda request, record, transition, data: InspectionStepForm(data, prefix=transition.name),
    context=_inspection_context,
)


@login_required
def inspection_detail(request: PageRequest, inspection_id: int) -> HttpResponse:
    return INSPECTION_PAGE.detail(request, inspection_id)


@login_required
@require_POST
def inspection_step(request: PageRequest, inspection_id: int, action: str) -> HttpResponse:
    return INSPECTION_PAGE.step(request, inspection_id, action)


@login_required
def inspection_run(request: PageRequest, inspection_id: int) -> HttpResponse:
    """The phone checklist: answers, photos and signatures are kept on the device and sent
    when the connection allows (`static/inspections/run.js`)."""
    _nav(request)
    inspection = _inspection(request, inspection_id)
    if not on_the_team(request.user, inspection):
        raise PermissionDenied
    if inspection.template is None:
        raise Http404
    shape = checklist.template_of(inspection)
    zh = checklist.in_chinese()
    items = [
        {
            "code": item.code,
            "section": section.title_zh if zh else section.title_en,
            "text": item.text_zh if zh else item.text_en,
            "guidance": item.guidance_zh if zh else item.guidance_en,
            "answer": item.answer,
            "min": item.min,
            "max": item.max,
            "unit": item.unit,
            "unit_label": unit_label(item.unit),
            "photo_required": item.photo_required,
            "cites": item.determination_item or "",
            "show_if": {"item": item.show_if.item, "answers": list(item.show_if.answers)}
            if item.show_if
            else None,
        }
        for section in shape.sections
        for item in section.items
    ]
    context = {
        "inspection": inspection,
        "items": items,
        "config": {
            "inspection": inspection.pk,
            "state": inspection.state,
            "api": f"/api/v1/inspections/{inspection.pk}",
            "answers": checklist.answers_of(inspection),
            "photos": checklist.photo_counts(inspection),
            "items": items,
            "worker": static("inspections/offline-worker.js"),
        },
    }
    return render(request, "inspections/run.html", context)


def worker(request: PageRequest) -> HttpResponse:
    """The service worker that keeps the phone checklist's page and assets on the device,
    served under /inspections/ so that it may look after the pages there."""
    from django.contrib.staticfiles import finders

    path = finders.find("inspections/offline-worker.js")
    if not path:
        raise Http404
    with open(str(path), encoding="utf-8") as handle:
        body = handle.read()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/inspections/"
    response["Cache-Control"] = "no-cache"
    return response


def _finding(request: PageRequest, pk: Any) -> Finding:
    found = (
        Finding.objects.restrict(request.user)
        .select_related("inspection__enterprise", "inspection__organisation", "hazard")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _finding_context(request: PageRequest, finding: Finding) -> dict[str, Any]:
    _nav(request)
    return {"finding": finding, "inspection": finding.inspection}


FINDING_PAGE = StepPage(
    machine=FINDING,
    template="inspections/finding.html",
    step_url="finding-step",
    detail_url="finding-detail",
    get=_finding,
    form=lambda request, record, transition, data: StepForm(data, prefix=transition.name),
    context=_finding_context,
)


@login_required
def finding_detail(request: PageRequest, finding_id: int) -> HttpResponse:
    return FINDING_PAGE.detail(request, finding_id)


@login_required
@require_POST
def finding_step(request: PageRequest, finding_id: int, action: str) -> HttpResponse:
    return FINDING_PAGE.step(request, finding_id, action)
