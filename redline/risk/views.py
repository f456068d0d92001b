"""Risk pages: an enterprise's inventory and four-colour map, event assessment (htmx),
the city's risk map, and major hazard installations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core.errors import DomainError
from redline.core.web import PageRequest, raise_for_access, show_on_form
from redline.organisations import selectors as org_selectors
from redline.organisations.access import may
from redline.organisations.models import Enterprise, Region
from redline.risk import selectors, services
from redline.risk.forms import (
    AssessmentForm,
    InstallationForm,
    NewEventForm,
    ParkAssessmentForm,
    RiskObjectForm,
    RiskUnitForm,
    SubstanceFormSet,
)
from redline.risk.models import MajorHazardInstallation, RiskEvent, RiskObject, RiskUnit
from redline.risk.standards import default_rule_set, park_guides, rule_sets
from redline.risk.vocab import LEVEL_COLOURS, Method, RiskLevel


def visible_enterprise(
    request: PageRequest, enterprise_id: int, action: str = "view"
) -> Enterprise:
    """The unit the URL names: 404 when the user cannot see it, 403 when they see it but may
    not take `action` on it."""
    try:
        return org_selectors.enterprise_get(request.user, enterprise_id, action)
    except DomainError as failure:
        raise_for_access(failure)
        raise


def _legend() -> list[tuple[int, str | Promise, str]]:
    return [(level, label, LEVEL_COLOURS[level]) for level, label in RiskLevel.choices]


@login_required
def inventory(request: PageRequest, enterprise_id: int) -> HttpResponse:
    request.nav_section = "enterprises"
    enterprise = visible_enterprise(request, enterprise_id)
    total, tree = selectors.inventory(enterprise)
    units = [unit for node in tree for unit in node.children]
    context = {
        "enterprise": enterprise,
        "total": total,
        "tree": tree,
        "units": units,
        "placed": [u for u in units if u.item.site_x is not None and u.item.site_y is not None],
        "installations": selectors.installations_of(enterprise),
        "can_change": may(request.user, "change", enterprise),
        "legend": _legend(),
        "region_levels": _region_badges(request.user, enterprise),
    }
    return render(request, "risk/inventory.html", context)


def _region_badges(user: Any, enterprise: Enterprise) -> list[tuple[Region, Any]]:
    """The unit's subdistrict and district with their derived levels (as the user sees
    them): one aggregate per region, whatever the size of the user's jurisdiction."""
    ancestors = [r for r in enterprise.region.ancestors() if r.parent_id]
    visible = set(
        Region.objects.restrict(user)
        .filter(pk__in=[r.pk for r in ancestors])
        .values_list("pk", flat=True)
    )
    chain = [r for r in ancestors if r.pk in visible]
    return [(region, selectors.region_summary(user, region)) for region in reversed(chain)]


@login_required
def event_assess(request: PageRequest, event_id: int) -> HttpResponse:
    event = RiskEvent.objects.select_related("unit__risk_object").get_for(
        request.user, "change", pk=event_id
    )
    rule_set = rule_sets()[event.rule_set]
    initial: dict[str, Any] = {"version": event.version}
    for stage in ("inherent", "residual"):
        for name, value in (getattr(event, f"{stage}_factors") or {}).items():
            initial[f"{stage}_{name}"] = f"{value:g}"
    form = AssessmentForm(request.POST or None, initial=initial, rule_set=rule_set)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            event = services.risk_event_save(
                actor=request.user,
                unit_id=event.unit_id,
                event_id=event.pk,
                version=form.cleaned_data["version"],
                data=form.service_data(),
            )
        except DomainError as failure:
            status = show_on_form(form, failure)
        else:
            return _assessed(request, event)
    elif request.method == "POST":
        status = 422
    context = {
        "event": event,
        "form": form,
        "rule_set": rule_set,
        "inherent_fields": form.stage_fields("inherent"),
        "residual_fields": form.stage_fields("residual"),
    }
    return render(request, "risk/_assess_form.html", context, status=status)


def _warn(request: PageRequest, event: RiskEvent) -> None:
    """The saved assessment's warnings, for the next page (its row shows them too)."""
    for warning in services.assessment_warnings(event):
        messages.warning(request, warning.message)


def _assessed(request: PageRequest, event: RiskEvent) -> HttpResponse:
    """The event's new row, with the unit's, object's, enterprise's and regions' badges
    swapped in place (htmx out-of-band), so nothing on the page shows a stale colour."""
    unit = event.unit
    enterprise = event.enterprise
    context = {
        "event": event,
        "unit": unit,
        "unit_summary": selectors.unit_summary(unit.pk),
        "object": unit.risk_object,
        "object_summary": selectors.object_summary(unit.risk_object_id),
        "enterprise_summary": selectors.enterprise_summary(enterprise.pk),
        "region_levels": _region_badges(request.user, enterprise),
        "can_change": True,
    }
    if not request.htmx:
        messages.success(request, _("Assessment saved."))
        _warn(request, event)
        return redirect("risk-inventory", enterprise_id=enterprise.pk)
    return render(request, "risk/_assessed.html", context)


@login_required
def risk_map(request: PageRequest) -> HttpResponse:
    request.nav_section = "riskmap"
    drawn = selectors.risk_map(request.user)
    context = {
        "map": drawn.geojson(),
        "rows": [(r, drawn.summaries[r.pk]) for r in drawn.shown],
        "overall": drawn.overall,
        "legend": _legend(),
        "colours": LEVEL_COLOURS,
    }
    return render(request, "risk/risk_map.html", context)


@login_required
def risk_map_region(request: PageRequest, region_id: int) -> HttpResponse:
    region = get_object_or_404(Region.objects.restrict(request.user), pk=region_id)
    pairs = selectors.enterprise_summaries(request.user, region)
    return render(
        request,
        "risk/_region_enterprises.html",
        {"region": region, "pairs": pairs[:200], "total": len(pairs)},
    )


@login_required
def installation_edit(
    request: PageRequest, enterprise_id: int, installation_id: int | None = None
) -> HttpResponse:
    request.nav_section = "enterprises"
    enterprise = visible_enterprise(request, enterprise_id, "change")
    installation = (
        get_object_or_404(
            MajorHazardInstallation.objects.restrict(request.user),
            pk=installation_id,
            enterprise=enterprise,
        )
        if installation_id
        else MajorHazardInstallation(enterprise=enterprise)
    )
    initial_rows = []
    for s in installation.substances or []:
        initial_rows.append(
            {
                "identifier": s.get("cas") or s.get("name") or "",
                "row": s.get("row"),
                "category": s.get("category", ""),
                "tonnes": s.get("tonnes"),
            }
        )
    form = InstallationForm(request.POST or None, instance=installation)
    substances = SubstanceFormSet(request.POST or None, initial=initial_rows, prefix="s")
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and substances.is_valid():
            lines = [f.as_substance() for f in substances.forms]
            data = form.service_data(substances=[line for line in lines if line])
            try:
                saved = services.installation_save(
                    actor=request.user,
                    enterprise_id=enterprise.pk,
                    installation_id=installation.pk,
                    version=int(request.POST.get("version") or installation.version),
                    data=data,
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Installation saved and graded."))
                return redirect(
                    "installation-detail", enterprise_id=enterprise.pk, installation_id=saved.pk
                )
    context = {
        "enterprise": enterprise,
        "installation": installation,
        "form": form,
        "substances": substances,
    }
    return render(request, "risk/installation_form.html", context, status=status)


@login_required
def installation_detail(
    request: PageRequest, enterprise_id: int, installation_id: int
) -> HttpResponse:
    request.nav_section = "enterprises"
    enterprise = visible_enterprise(request, enterprise_id)
    installation = get_object_or_404(
        MajorHazardInstallation.objects.restrict(request.user),
        pk=installation_id,
        enterprise=enterprise,
    )
    context = {
        "enterprise": enterprise,
        "installation": installation,
        "result": installation.grading_result or {},
        "can_change": may(request.user, "change", enterprise),
    }
    return render(request, "risk/installation_detail.html", context)


@login_required
@require_POST
def installation_regrade(
    request: PageRequest, enterprise_id: int, installation_id: int
) -> HttpResponse:
    enterprise = visible_enterprise(request, enterprise_id)
    try:
        services.installation_regrade(actor=request.user, installation_id=installation_id)
    except DomainError as failure:
        raise_for_access(failure)
        messages.error(request, failure.message + " " + " ".join(failure.fields.values()))
    else:
        messages.success(request, _("Graded again from the recorded inventory."))
    return redirect(
        "installation-detail", enterprise_id=enterprise.pk, installation_id=installation_id
    )


@login_required
def park_list(request: PageRequest) -> HttpResponse:
    request.nav_section = "parks"
    visible = org_selectors.parks_visible(request.user).select_related("managing_body")
    parks = selectors.park_overviews(request.user, list(visible))
    return render(request, "risk/park_list.html", {"parks": parks})


@login_required
def park_detail(request: PageRequest, park_id: int) -> HttpResponse:
    request.nav_section = "parks"
    park = get_object_or_404(org_selectors.parks_visible(request.user), pk=park_id)
    can_assess = may(request.user, "create", park)
    form = ParkAssessmentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_assess:
            raise PermissionDenied
        status = 422
        if form.is_valid():
            try:
                services.park_assess(actor=request.user, park_id=park.pk, data=form.service_data())
            except DomainError as failure:
                show_on_form(form, failure)
            else:
                messages.success(request, _("Assessment recorded."))
                return redirect("park-detail", park_id=park.pk)
    overview = selectors.park_overview(request.user, park)
    points = [
        {
            "name": e.name,
            "value": [float(e.longitude), float(e.latitude)],
            "level": s.level or 0,
            "url": f"/enterprises/{e.pk}/risks/",
        }
        for e, s in overview.enterprises
        if e.latitude is not None and e.longitude is not None
    ]
    context = {
        "overview": overview,
        "park": park,
        "form": form,
        "can_assess": can_assess,
        "history": park.assessments.filter(is_archived=False)[:10],
        "map": {"boundary": park.boundary, "points": points, "colours": LEVEL_COLOURS},
        "guides": park_guides(),
    }
    return render(request, "risk/park_detail.html", context, status=status)


@login_required
def object_add(request: PageRequest, enterprise_id: int) -> HttpResponse:
    enterprise = visible_enterprise(request, enterprise_id, "change")
    form = RiskObjectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.risk_object_save(
                    actor=request.user, enterprise_id=enterprise.pk, data=form.service_data()
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Saved."))
                return redirect("risk-inventory", enterprise_id=enterprise.pk)
    context = {"enterprise": enterprise, "form": form, "title": _("Add an analysis object")}
    return render(request, "risk/record_form.html", context, status=status)


@login_required
def unit_add(request: PageRequest, object_id: int) -> HttpResponse:
    parent = RiskObject.objects.select_related("enterprise").get_for(
        request.user, "change", pk=object_id
    )
    form = RiskUnitForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.risk_unit_save(
                    actor=request.user, object_id=parent.pk, data=form.service_data()
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Saved."))
                return redirect("risk-inventory", enterprise_id=parent.enterprise_id)
    context = {
        "enterprise": parent.enterprise,
        "form": form,
        "title": _("Add an analysis unit to %(name)s") % {"name": parent.name},
    }
    return render(request, "risk/record_form.html", context, status=status)


@login_required
def event_add(request: PageRequest, unit_id: int) -> HttpResponse:
    unit = RiskUnit.objects.select_related("risk_object__enterprise").get_for(
        request.user, "change", pk=unit_id
    )
    method = (request.POST or request.GET).get("method") or "LEC"
    if method not in Method.values:
        method = "LEC"
    rule_set = default_rule_set(method)
    changing_method = request.method == "POST" and request.POST.get("action") == "method"
    form = NewEventForm(
        request.POST if request.method == "POST" and not changing_method else None,
        initial={
            "method": method,
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
        },
        rule_set=rule_set,
    )
    status = 200
    if request.method == "POST" and not changing_method:
        status = 422
        if form.is_valid():
            try:
                event = services.risk_event_save(
                    actor=request.user, unit_id=unit.pk, data=form.service_data()
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Saved."))
                _warn(request, event)
                return redirect("risk-inventory", enterprise_id=unit.risk_object.enterprise_id)
    context = {
        "enterprise": unit.risk_object.enterprise,
        "unit": unit,
        "form": form,
        "rule_set": rule_set,
        "inherent_fields": form.stage_fields("inherent"),
        "residual_fields": form.stage_fields("residual"),
    }
    return render(request, "risk/event_form.html", context, status=status)
