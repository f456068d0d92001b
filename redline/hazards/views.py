"""Hazard pages: the ledger (filters, .xlsx export), the dashboard, reporting a hazard,
a hazard's page with its timeline and the steps the reader may take, and evidence photos."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.committee.models import ProgressReport
from redline.core.errors import DomainError
from redline.core.web import PageRequest, show_on_form
from redline.core.workflow import Transition
from redline.core.workflow.web import StepPage
from redline.hazards import selectors, services, steps
from redline.hazards.exports import ledger_xlsx
from redline.hazards.forms import PLACE_TYPE_LABELS, HazardReportForm, StepForm, item_text
from redline.hazards.models import Hazard, InspectionTask, Photo
from redline.hazards.vocab import HazardLevel, HazardSource, HazardState
from redline.hazards.workflow import MACHINE
from redline.inspections.models import Inspection
from redline.organisations import selectors as org_selectors
from redline.organisations.access import can, is_government_side
from redline.organisations.models import Enterprise
from redline.organisations.vocab import Sector

PAGE_SIZE = 25


def _filters(request: PageRequest) -> dict[str, Any]:
    """The ledger's filters from the query string. `campaign` names a campaign: the ledger
    then shows the hazards in its scope (none, if the user may not see that campaign)."""
    filters: dict[str, Any] = {k: request.GET.get(k, "") for k in selectors.LEDGER_FILTERS}
    if request.GET.get("campaign"):
        from redline.campaigns.selectors import campaign_for_filter

        filters["campaign"] = request.GET["campaign"]
        filters["campaign_object"] = campaign_for_filter(request.user, request.GET["campaign"])
    return filters


@login_required
def ledger(request: PageRequest) -> HttpResponse:
    request.nav_section = "hazards"
    filters = _filters(request)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    # No COUNT over the whole ledger: one row more than a page says whether there is a next.
    rows = selectors.hazard_page(request.user, filters, (number - 1) * PAGE_SIZE, PAGE_SIZE + 1)
    has_next = len(rows) > PAGE_SIZE
    today = timezone.localdate()
    for hazard in rows:
        hazard.is_overdue = hazard.overdue_on(today)  # type: ignore[attr-defined]
    query = urlencode({k: v for k, v in filters.items() if v and k != "campaign_object"})
    context = {
        "rows": rows[:PAGE_SIZE],
        "page_number": number,
        "has_next": has_next,
        "query": query,
        "filters": filters,
        "campaign": filters.get("campaign_object"),
        "department": org_selectors.department_filter(request.user, filters.get("department")),
        "days": [(name, filters[name]) for name in selectors.DAY_FILTERS if filters.get(name)],
        "states": [
            ("open", _("Open")),
            (selectors.NOT_DISMISSED, _("All but dismissed")),
            *HazardState.choices,
        ],
        "levels": HazardLevel.choices,
        "sectors": Sector.choices,
        "sources": HazardSource.choices,
        "regions": org_selectors.region_choices(request.user),
        "today": timezone.localdate(),
        # The government side reports what its inspections find (inspectors); a unit, its own.
        "can_report": can(request.user, "inspect")
        if is_government_side(request.user)
        else can(request.user, "change") or can(request.user, "inspect"),
    }
    template = "hazards/_ledger_rows.html" if request.htmx else "hazards/ledger.html"
    return render(request, template, context)


@login_required
def ledger_export(request: PageRequest) -> HttpResponse:
    hazards = selectors.hazard_list(request.user, _filters(request)).order_by("-reported_at", "-id")
    content = ledger_xlsx(hazards)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="hazards-{stamp}.xlsx"'
    return response


@login_required
def dashboard(request: PageRequest) -> HttpResponse:
    request.nav_section = "hazards"
    filters = _filters(request)
    data = selectors.dashboard(request.user, filters)
    context = {
        "data": data,
        "filters": filters,
        "levels": HazardLevel.choices,
        "sectors": Sector.choices,
        "chart": {
            "regions": [str(r.region) for r in data["regions"]],
            "open_general": [r.open_general for r in data["regions"]],
            "open_major": [r.open_major for r in data["regions"]],
            "overdue": [r.overdue for r in data["regions"]],
            "closed": [r.closed for r in data["regions"]],
        },
    }
    return render(request, "hazards/dashboard.html", context)


def _reporting_units(request: PageRequest) -> list[Enterprise]:
    org = getattr(request.user, "organisation", None)
    if org is not None and org.enterprise_id:
        return list(Enterprise.objects.restrict(request.user).filter(pk=org.enterprise_id))
    if is_government_side(request.user) and can(request.user, "inspect"):
        chosen = request.GET.get("enterprise") or request.POST.get("enterprise") or ""
        if chosen.isdigit():
            # 404 outside the jurisdiction, 403 for a unit the user reads but does not inspect
            return [Enterprise.objects.get_for(request.user, "inspect", pk=int(chosen))]
    return []


@login_required
def report(request: PageRequest) -> HttpResponse:
    request.nav_section = "hazards"
    units = _reporting_units(request)
    government = is_government_side(request.user)
    if not units:
        if not government:
            raise Http404
        if not can(request.user, "inspect"):
            raise PermissionDenied
        chosen = request.GET.get("enterprise") or request.POST.get("enterprise") or ""
        if chosen.isdigit():
            raise Http404  # not a unit of the user's jurisdiction
        # A government inspection: first choose the unit, among those of the jurisdiction.
        return redirect("hazard-report-unit")
    initial: dict[str, Any] = {"enterprise": units[0].pk}
    task = _prefill_task(request, initial)
    form = HazardReportForm(
        request.POST or None, units=units, government=government, initial=initial
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            hazard, created = services.hazard_report(
                actor=request.user,
                data=form.service_data(),
                photos=request.FILES.getlist("photos"),
                idempotency_key=form.cleaned_data.get("idempotency_key") or "",
                source_default=HazardSource.GOVERNMENT if government else HazardSource.DAILY,
            )
        except DomainError as failure:
            status = show_on_form(form, failure)
        else:
            if created:
                messages.success(
                    request, _("Hazard %(number)s reported.") % {"number": hazard.number}
                )
            return redirect("hazard-detail", hazard.pk)
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "hazards/report_form.html",
        {"form": form, "task": task, "place_types": PLACE_TYPE_LABELS, "government": government},
        status=status,
    )


def _prefill_task(request: PageRequest, initial: dict[str, Any]) -> InspectionTask | None:
    """ "Hazard found" on an inspection task opens this form filled from its measure."""
    task_id = request.GET.get("task")
    if not task_id:
        return None
    task = (
        selectors.tasks_for(request.user).filter(pk=task_id).first() if task_id.isdigit() else None
    )
    if task is None:
        return None
    measure = task.measure
    initial |= {
        "enterprise": task.enterprise_id,
        "task": task.pk,
        "measure": measure.pk,
        "name": f"{measure.event.name}: {measure.description}"[:200],
        "description": _("Inspection of “%(content)s” found: ")
        % {"content": measure.inspection_content or measure.description}
        + task.note,
        "location": str(measure.event.unit),
        "source": HazardSource.DAILY,
    }
    return task


def _rectifiers(hazard: Hazard) -> list[Any]:
    if not hazard.enterprise_id:
        return []
    return list(
        get_user_model().objects.filter(
            organisation__enterprise_id=hazard.enterprise_id, is_active=True
        )
    )


def _visible(request: PageRequest, hazard_id: int) -> Hazard:
    try:
        return selectors.hazard_get(request.user, hazard_id)
    except Hazard.DoesNotExist:
        raise Http404 from None


UNIT_CHOICES = 1000


def _assignable_units(request: PageRequest, hazard: Hazard) -> list[Enterprise]:
    """The units a public report may be assigned to: those of its region the user sees
    (the first UNIT_CHOICES by name)."""
    units = Enterprise.objects.restrict(request.user).filter(
        region__path__startswith=hazard.region.path, is_archived=False
    )
    return list(units.order_by("name")[:UNIT_CHOICES])


def _step_form(
    request: PageRequest, hazard: Hazard, transition: Transition, data: QueryDict | None
) -> StepForm:
    """A step's form, with the choices that step offers."""
    name = transition.name
    listing = name == "list"
    return StepForm(
        data,
        rectifiers=_rectifiers(hazard) if "rectifier" in transition.fields else [],
        units=_assignable_units(request, hazard) if name == "assign_unit" else [],
        bodies=steps.supervising_bodies(request.user, hazard) if listing else [],
        supervision_level=steps.default_supervision_level(request.user) if listing else "",
        prefix=name,
    )


def _step_fields(request: PageRequest, hazard: Hazard, transition: Transition) -> list[str]:
    # Only a public report has a reporter to answer, and a government body answers.
    answers = bool(hazard.tracking_code and is_government_side(request.user))
    return [name for name in transition.fields if name != "public_note" or answers]


def _detail_context(request: PageRequest, hazard: Hazard) -> dict[str, Any]:
    request.nav_section = "hazards"
    return {
        "hazard": hazard,
        "citations": [(c, item_text(c.item)) for c in selectors.citations(hazard)],
        "composite": selectors.fire_composite(hazard),
        "place_types": PLACE_TYPE_LABELS,
        "photos": list(hazard.photos.filter(event__isnull=True)),
        "overdue": hazard.overdue_on(timezone.localdate()),
        "transitions": MACHINE.transitions,
    }


PAGE = StepPage(
    machine=MACHINE,
    template="hazards/detail.html",
    step_url="hazard-step",
    detail_url="hazard-detail",
    get=_visible,
    form=_step_form,
    context=_detail_context,
    fields=_step_fields,
)


@login_required
def detail(request: PageRequest, hazard_id: int) -> HttpResponse:
    return PAGE.detail(request, hazard_id)


@login_required
@require_POST
def step(request: PageRequest, hazard_id: int, action: str) -> HttpResponse:
    return PAGE.step(request, hazard_id, action)


@login_required
def photo(request: PageRequest, token: str) -> FileResponse:
    """An evidence photo, for those who may see what it belongs to."""
    item = Photo.objects.filter(token=token).select_related("hazard", "task").first()
    if item is None:
        raise Http404
    if item.hazard_id:
        visible = Hazard.objects.restrict(request.user).filter(pk=item.hazard_id).exists()
    elif item.task_id is not None:
        visible = InspectionTask.objects.restrict(request.user).filter(pk=item.task_id).exists()
    elif item.inspection_id is not None:
        visible = Inspection.objects.restrict(request.user).filter(pk=item.inspection_id).exists()
    elif item.progress_report_id is not None:
        reports = ProgressReport.objects.restrict(request.user)
        visible = reports.filter(pk=item.progress_report_id).exists()
    else:
        visible = False
    if not visible:
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
