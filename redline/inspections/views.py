"""Pages of government inspection: the list (through the door), planning one, an
inspection's page with its steps and timeline, the phone checklist that works offline, and a
finding's page where the unit answers."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core.errors import DomainError
from redline.core.web import PageRequest, show_on_form
from redline.core.workflow.web import StepForm, StepPage
from redline.hazards.views_inspect import _unit_search
from redline.inspections import (
    checklist,
    checklist_data,
    enforcement,
    library,
    planning,
    selectors,
    services,
    views_audit,
)
from redline.inspections.forms import EnforcementForm, InspectionStepForm, PlanDraftForm, PlanForm
from redline.inspections.models import EnforcementAction, Finding, Inspection, InspectionPlan
from redline.inspections.vocab import (
    Compliance,
    EnforcementState,
    FindingState,
    InspectionKind,
    InspectionState,
    unit_label,
)
from redline.inspections.workflow import ENFORCEMENT, FINDING, INSPECTION, of_the_body, on_the_team
from redline.organisations.access import can, is_government_side
from redline.organisations.models import Enterprise
from redline.organisations.selectors import region_choices

PER_PAGE = 30


def _nav(request: PageRequest) -> None:
    request.nav_section = "inspections"


def may_plan(user: Any) -> bool:
    return is_government_side(user) and can(user, "inspect")


@login_required
def inspection_list(request: PageRequest) -> HttpResponse:
    _nav(request)
    filters = {
        name: request.GET.get(name, "").strip()
        for name in selectors.LIST_FILTERS
        if request.GET.get(name, "").strip()
    }
    found = selectors.inspection_list(request.user, filters)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": urlencode(filters),
        "filters": filters,
        "states": InspectionState.choices,
        "kinds": InspectionKind.choices,
        "regions": region_choices(request.user, filters.get("region")),
        "state": filters.get("state", ""),
        "kind": filters.get("kind", ""),
        "may_plan": may_plan(request.user),
        "may_draw": planning.may_plan(request.user),
        "may_see_library": library.may_see(request.user),
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
        .select_related("enterprise__region", "organisation", "template", "campaign")
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
        "enforcement": list(inspection.enforcement_actions.all()),
        "may_enforce": of_the_body(request.user, inspection)
        and inspection.state
        in (InspectionState.IN_PROGRESS, InspectionState.AWAITING_UNIT, InspectionState.CLOSED),
        "sheet": _sheet(inspection),
        "on_team": on_the_team(request.user, inspection),
    } | views_audit.detail_context(request.user, inspection)  # an audit-style one's paper


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


# --- enforcement ---------------------------------------------------------------------------


@login_required
def enforcement_list(request: PageRequest) -> HttpResponse:
    _nav(request)
    found = EnforcementAction.objects.restrict(request.user).select_related(
        "enterprise", "organisation"
    )
    state = request.GET.get("state", "")
    if state in EnforcementState.values:
        found = found.filter(state=state)
    if request.GET.get("overdue"):
        found = found.filter(overdue_since__isnull=False, state=EnforcementState.ISSUED)
    page = Paginator(found.order_by("-issued_at", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "query": f"state={state}" if state else "",
        "states": EnforcementState.choices,
        "state": state,
    }
    return render(request, "inspections/enforcement_list.html", context)


@login_required
def enforcement_issue(request: PageRequest, inspection_id: int) -> HttpResponse:
    _nav(request)
    inspection = _inspection(request, inspection_id)
    if not of_the_body(request.user, inspection):
        raise PermissionDenied
    form = EnforcementForm(request.POST or None, inspection=inspection)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                action, _created = enforcement.enforcement_issue(
                    actor=request.user,
                    data=form.service_data(),
                    idempotency_key=form.cleaned_data.get("idempotency_key") or "",
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("%(n)s issued.") % {"n": action.number})
                return redirect("enforcement-detail", action.pk)
    context = {"form": form, "inspection": inspection}
    return render(request, "inspections/enforcement_form.html", context, status=status)


def _enforcement_record(request: PageRequest, pk: Any) -> EnforcementAction:
    found = (
        EnforcementAction.objects.restrict(request.user)
        .select_related("inspection", "enterprise", "organisation", "finding")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _enforcement_context(request: PageRequest, action: EnforcementAction) -> dict[str, Any]:
    _nav(request)
    photos = action.inspection.photos.filter(item_code=f"enforcement:{action.pk}")
    return {"action": action, "photos": list(photos)}


ENFORCEMENT_PAGE = StepPage(
    machine=ENFORCEMENT,
    template="inspections/enforcement.html",
    step_url="enforcement-step",
    detail_url="enforcement-detail",
    get=_enforcement_record,
    form=lambda request, record, transition, data: InspectionStepForm(data, prefix=transition.name),
    context=_enforcement_context,
)


@login_required
def enforcement_detail(request: PageRequest, action_id: int) -> HttpResponse:
    return ENFORCEMENT_PAGE.detail(request, action_id)


@login_required
@require_POST
def enforcement_step(request: PageRequest, action_id: int, action: str) -> HttpResponse:
    return ENFORCEMENT_PAGE.step(request, action_id, action)


# --- joint management: one view of a unit's inspections by every body ----------------------


@login_required
def unit_inspections(request: PageRequest, enterprise_id: int) -> HttpResponse:
    """For any unit: who inspected it (every department), the open findings of each, and
    the visits planned, flagging two bodies planning the same month (merge the visits).
    A panel of the unit's page (htmx), or a page of its own."""
    unit = Enterprise.objects.restrict(request.user).filter(pk=enterprise_id).first()
    if unit is None:
        raise Http404
    seen = Inspection.objects.restrict(request.user).filter(enterprise=unit)
    done = list(
        seen.exclude(state__in=[InspectionState.PLANNED, InspectionState.CANCELLED])
        .select_related("organisation")
        .annotate(open_findings=Count("findings", filter=~Q(findings__state=FindingState.CLOSED)))
        .order_by("-planned_on", "-id")[:20]
    )
    planned = list(
        seen.filter(state=InspectionState.PLANNED, planned_on__gte=timezone.localdate())
        .select_related("organisation")
        .order_by("planned_on", "id")
    )
    months: dict[tuple[int, int], set[int]] = {}
    for inspection in planned:
        months.setdefault((inspection.planned_on.year, inspection.planned_on.month), set()).add(
            inspection.organisation_id
        )
    clashes = {month for month, bodies in months.items() if len(bodies) > 1}
    findings = list(
        Finding.objects.restrict(request.user)
        .filter(inspection__enterprise=unit)
        .exclude(state=FindingState.CLOSED)
        .select_related("inspection__organisation", "hazard")
        .order_by("inspection__organisation__name", "created_at")
    )
    context = {
        "unit": unit,
        "done": done,
        "planned": [(i, (i.planned_on.year, i.planned_on.month) in clashes) for i in planned],
        "clash": bool(clashes),
        "findings": findings,
    }
    if request.htmx:
        return render(request, "inspections/_unit_inspections.html", context)
    request.nav_section = "enterprises"
    return render(request, "inspections/unit_inspections.html", context)


# --- the annual double-random plan -----------------------------------------------------------


@login_required
def plan_list(request: PageRequest) -> HttpResponse:
    _nav(request)
    if not planning.may_plan(request.user):
        raise PermissionDenied
    form = PlanDraftForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                draft = planning.plan_draft(
                    actor=request.user,
                    year=form.cleaned_data["year"],
                    seed=form.cleaned_data.get("seed"),
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                return redirect("plan-detail", draft.pk)
    plans = InspectionPlan.objects.select_related("organisation").order_by("-year", "-drafted_at")
    context = {"form": form, "plans": plans[:50]}
    return render(request, "inspections/plans.html", context, status=status)


def _plan_summary(document: dict[str, Any]) -> dict[str, Any]:
    """What a plan holds, for its preview: inspections by month and by sector, targets by
    reason, the rules not confirmed."""
    targets = document["targets"]
    by_month = Counter(int(i["month"]) for i in document["inspections"])
    return {
        "targets": len(targets),
        "required": sum(1 for t in targets if t["reason"] == "required"),
        "drawn": sum(1 for t in targets if t["reason"] == "drawn" and t.get("selected")),
        "eligible": sum(1 for t in targets if t["reason"] == "drawn"),
        "not_eligible": sum(1 for t in targets if t["reason"] == "not eligible"),
        "inspections": len(document["inspections"]),
        "months": [(m, by_month.get(m, 0)) for m in range(1, 13)],
        "unconfirmed": sorted(document.get("rules", {}).get("not_confirmed", {}).items()),
    }


@login_required
def plan_detail(request: PageRequest, plan_id: int) -> HttpResponse:
    _nav(request)
    if not planning.may_plan(request.user):
        raise PermissionDenied
    plan = InspectionPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    if request.method == "POST":
        try:
            planning.plan_publish(
                actor=request.user, plan_id=plan.pk, version=int(request.POST.get("version", 0))
            )
        except DomainError as failure:
            messages.error(request, failure.message)
        else:
            messages.success(request, _("Plan published: its inspections are planned."))
        return redirect("plan-detail", plan.pk)
    context = {
        "plan": plan,
        "summary": _plan_summary(plan.document),
        "clashes": planning.clashes(plan) if plan.state == "draft" else [],
    }
    return render(request, "inspections/plan_detail.html", context)


def public_plan(request: PageRequest, year: int) -> HttpResponse:
    """一公开: the published plan's targets and outcomes, for anyone, without personal data
    (no inspector is named; units are registered businesses)."""
    plan = InspectionPlan.objects.filter(year=year, state="published").first()
    if plan is None:
        raise Http404
    inspections = (
        Inspection.objects.filter(plan=plan)
        .select_related("enterprise__region", "organisation")
        .annotate(found=Count("findings"))
        .order_by("planned_on", "enterprise__name", "id")
    )
    page = Paginator(inspections, 100).get_page(request.GET.get("page"))
    context = {"plan": plan, "page": page}
    return render(request, "inspections/public_plan.html", context)
