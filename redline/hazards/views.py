"""Hazard pages: the ledger (filters, .xlsx export), the dashboard, reporting a hazard,
a hazard's page with its timeline and the steps the reader may take, and evidence photos."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core.errors import DomainError
from redline.core.errors import PermissionDenied as DomainPermissionDenied
from redline.core.web import show_on_form
from redline.hazards import selectors, services
from redline.hazards.exports import ledger_xlsx
from redline.hazards.forms import PLACE_TYPE_LABELS, HazardReportForm, StepForm, item_text
from redline.hazards.models import Hazard, InspectionTask, Photo
from redline.hazards.services import STEP_FIELDS
from redline.hazards.vocab import HazardLevel, HazardSource, HazardState, SupervisionLevel
from redline.hazards.workflow import TRANSITIONS, action_label, available
from redline.organisations import selectors as org_selectors
from redline.organisations.access import can, is_government_side
from redline.organisations.models import Enterprise
from redline.organisations.vocab import Sector

PAGE_SIZE = 25


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The ledger's filters from the query string. `campaign` names a campaign: the ledger
    then shows the hazards in its scope (none, if the user may not see that campaign)."""
    filters: dict[str, Any] = {k: request.GET.get(k, "") for k in selectors.LEDGER_FILTERS}
    if request.GET.get("campaign"):
        from redline.campaigns.selectors import campaign_for_filter

        filters["campaign"] = request.GET["campaign"]
        filters["campaign_object"] = campaign_for_filter(request.user, request.GET["campaign"])
    return filters


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    request.nav_section = "hazards"  # type: ignore[attr-defined]
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
        "states": [("open", _("Open")), *HazardState.choices],
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
    template = "hazards/_ledger_rows.html" if request.htmx else "hazards/ledger.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
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
def dashboard(request: HttpRequest) -> HttpResponse:
    request.nav_section = "hazards"  # type: ignore[attr-defined]
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


def _reporting_units(request: HttpRequest) -> list[Enterprise]:
    org = getattr(request.user, "organisation", None)
    if org is not None and org.enterprise_id:
        return list(Enterprise.objects.filter(pk=org.enterprise_id))
    if is_government_side(request.user) and can(request.user, "inspect"):
        chosen = request.GET.get("enterprise") or request.POST.get("enterprise") or ""
        if chosen.isdigit():
            return list(Enterprise.objects.restrict(request.user).filter(pk=int(chosen)))
    return []


@login_required
def report(request: HttpRequest) -> HttpResponse:
    request.nav_section = "hazards"  # type: ignore[attr-defined]
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


def _prefill_task(request: HttpRequest, initial: dict[str, Any]) -> InspectionTask | None:
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


@login_required
def detail(request: HttpRequest, hazard_id: int) -> HttpResponse:
    request.nav_section = "hazards"  # type: ignore[attr-defined]
    try:
        hazard = selectors.hazard_get(request.user, hazard_id)
    except Hazard.DoesNotExist:
        raise Http404 from None
    return render(request, "hazards/detail.html", _detail_context(request, hazard))


UNIT_CHOICES = 1000


def _assignable_units(request: HttpRequest, hazard: Hazard) -> list[Enterprise]:
    """The units a public report may be assigned to: those of its region the user sees
    (the first UNIT_CHOICES by name)."""
    units = Enterprise.objects.restrict(request.user).filter(
        region__path__startswith=hazard.region.path, is_archived=False
    )
    return list(units.order_by("name")[:UNIT_CHOICES])


def _detail_context(
    request: HttpRequest, hazard: Hazard, failed: str = "", form: StepForm | None = None
) -> dict[str, Any]:
    steps = available(request.user, hazard)
    units = (
        _assignable_units(request, hazard) if any(t.name == "assign_unit" for t in steps) else []
    )
    listing = _listing_choices(request, hazard) if any(t.name == "list" for t in steps) else {}
    forms = []
    for transition in steps:
        step_form = (
            form
            if form is not None and transition.name == failed
            else StepForm(
                initial={"version": hazard.version},
                rectifiers=_rectifiers(hazard),
                units=units,
                prefix=transition.name,
                **listing,
            )
        )
        required = _required_fields(transition)
        fields = [
            (step_form[name], name in required)
            for name in STEP_FIELDS[transition.name]
            # Only a public report has a reporter to answer, and a government body answers.
            if name != "public_note" or (hazard.tracking_code and is_government_side(request.user))
        ]
        forms.append((transition, step_form, fields))
    composite = selectors.fire_composite(hazard)
    events = selectors.timeline(hazard)
    states = dict(HazardState.choices)
    for event in events:
        event.label = action_label(event.action)  # type: ignore[attr-defined]
        changed = event.to_state and event.to_state != event.from_state
        event.to_label = states.get(event.to_state, "") if changed else ""  # type: ignore[attr-defined]
        level = event.data.get("supervision_level", "")
        event.supervision_label = (  # type: ignore[attr-defined]
            SupervisionLevel(level).label if level in SupervisionLevel.values else ""
        )
    return {
        "hazard": hazard,
        "events": events,
        "steps": forms,
        "failed": failed,
        "citations": [(c, item_text(c.item)) for c in selectors.citations(hazard)],
        "composite": composite,
        "place_types": PLACE_TYPE_LABELS,
        "photos": list(hazard.photos.filter(event__isnull=True)),
        "overdue": hazard.overdue_on(timezone.localdate()),
        "transitions": TRANSITIONS,
    }


def _required_fields(transition: Any) -> set[str]:
    required = {"comment"} if transition.needs_comment else set()
    if transition.name == "plan":
        required |= {n for n in STEP_FIELDS["plan"] if n.startswith("plan_")}
    if transition.name == "assign":
        required.add("deadline")
    if transition.name == "assign_unit":
        required.add("enterprise")
    if transition.name == "list":
        required |= {"supervising_body", "supervision_level", "supervision_deadline"}
    return required


def _listing_choices(request: HttpRequest, hazard: Hazard) -> dict[str, Any]:
    """The listing step's supervising bodies and default level, for the step's form."""
    return {
        "bodies": services.supervising_bodies(request.user, hazard),
        "supervision_level": services.default_supervision_level(request.user),
    }


@login_required
@require_POST
def step(request: HttpRequest, hazard_id: int, action: str) -> HttpResponse:
    try:
        hazard = selectors.hazard_get(request.user, hazard_id)
    except Hazard.DoesNotExist:
        raise Http404 from None
    if action not in TRANSITIONS:
        raise Http404
    units = _assignable_units(request, hazard) if action == "assign_unit" else []
    listing = _listing_choices(request, hazard) if action == "list" else {}
    form = StepForm(
        request.POST, rectifiers=_rectifiers(hazard), units=units, prefix=action, **listing
    )
    status = 422
    if form.is_valid():
        try:
            services.hazard_transition(
                actor=request.user,
                hazard_id=hazard.pk,
                action=action,
                version=form.cleaned_data["version"],
                data=form.data_for(STEP_FIELDS[action]),
                photos=request.FILES.getlist(f"{action}-photos"),
            )
        except DomainPermissionDenied as refused:
            # Shown on the page: the reader sees why (e.g. a rectifier accepting their own work).
            form.add_error(None, refused.message)
            status = 403
        except DomainError as failure:
            status = show_on_form(form, failure)
            hazard = selectors.hazard_get(request.user, hazard_id)
        else:
            messages.success(request, str(TRANSITIONS[action].label))
            return redirect("hazard-detail", hazard.pk)
    context = _detail_context(request, hazard, failed=action, form=form)
    context["step_error"] = True
    return render(request, "hazards/detail.html", context, status=status)


@login_required
def photo(request: HttpRequest, token: str) -> HttpResponse:
    """An evidence photo, for those who may see what it belongs to."""
    item = Photo.objects.filter(token=token).select_related("hazard", "task").first()
    if item is None:
        raise Http404
    if item.hazard_id:
        visible = Hazard.objects.restrict(request.user).filter(pk=item.hazard_id).exists()
    else:
        visible = InspectionTask.objects.restrict(request.user).filter(pk=item.task_id).exists()
    if not visible:
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
