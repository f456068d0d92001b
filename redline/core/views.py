from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET

from redline.core import audit_api, changelog
from redline.core.errors import PermissionDenied as DomainPermissionDenied
from redline.core.models import ChangeLog
from redline.core.sections import concerns
from redline.core.web import PageRequest
from redline.epidemic import selectors_signals
from redline.medical import selectors as medical
from redline.organisations import selectors
from redline.organisations.access import role_allows
from redline.organisations.vocab import Sector, UnitKind, UnitStatus


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers that ignore the pages' <link rel="icon"> ask for /favicon.ico: send them to
    the icon, which the static files machinery (whitenoise) serves."""
    return HttpResponseRedirect(static("redline/favicon.svg"))


@login_required
def home(request: PageRequest) -> HttpResponse:
    request.nav_section = "home"
    units = selectors.enterprise_list(request.user)
    by_status = dict(units.values("status").annotate(n=Count("id")).values_list("status", "n"))
    by_kind = dict(units.values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    concern = concerns(request.user)
    regions = selectors.region_tree(request.user)
    top_depth = min((r.depth for r in regions), default=0)
    # The map shows the level below the user's top region (districts for the city).
    map_regions = [r for r in regions if r.depth == top_depth + 1 and r.boundary] or [
        r for r in regions if r.depth == top_depth and r.boundary
    ]
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            # `region_tree` counts each region's units (its subtree's) into `total_units`.
            "properties": {"name": str(r), "id": r.pk, "units": r.total_units},  # type: ignore[attr-defined]
            "geometry": r.boundary,
        }
        for r in map_regions
    ]
    context = {
        "total": sum(by_status.values()),
        "status_counts": [(label, by_status.get(code, 0)) for code, label in UnitStatus.choices],
        "kind_counts": [
            (label, by_kind.get(code, 0)) for code, label in UnitKind.choices if by_kind.get(code)
        ],
        "map": {"type": "FeatureCollection", "features": features} if features else None,
        "map_max": max((f["properties"]["units"] for f in features), default=0),
        "region_count": len(regions),
        "concerns": concern,
    }
    # Only the sections that concern the user's organisation (`redline.core.sections`).
    if concern.safety:
        context["sector_counts"] = [
            (label, units.in_sector(code).count()) for code, label in Sector.choices
        ]
    if concern.epidemic:
        context["epidemic"] = _epidemic_summary(request.user)
    if concern.capacity:
        context["capacity"] = _capacity_summary(request.user)
    return render(request, "core/home.html", context)


def _epidemic_summary(user: Any) -> dict[str, int]:
    now = timezone.now()
    return selectors_signals.signal_list(user, {"state": "open"}).aggregate(
        open=Count("id"), overdue=Count("id", filter=selectors_signals.overdue_q(now))
    )


def _capacity_summary(user: Any) -> dict[str, int]:
    return {
        "units": medical.health_units(user).count(),
        "alerts": medical.alert_list(user).count(),
    }


@login_required
def audit_log(request: PageRequest) -> HttpResponse:
    request.nav_section = "audit"
    if not role_allows(request.user, "administer"):
        raise PermissionDenied
    filters = {
        "q": request.GET.get("q", ""),
        "model": request.GET.get("model", ""),
        "action": request.GET.get("action", ""),
        "since": parse_date(request.GET.get("since", "") or "") or None,
        "until": parse_date(request.GET.get("until", "") or "") or None,
    }
    try:
        entries = audit_api.search(request.user, filters)
    except DomainPermissionDenied:
        raise PermissionDenied from None
    page = changelog.page(request, entries, param="page", per_page=50)
    context = {
        "page": page,
        "filters": filters,
        "actions": ChangeLog.Action.choices,
        # The record types in the log, one each (ordered by the type alone: the log's own
        # ordering would make every row distinct, and read them all).
        "models": changelog.record_types(
            ChangeLog.objects.restrict(request.user)
            .order_by("model")
            .values_list("model", flat=True)
            .distinct()
        ),
    }
    template = "core/_audit_rows.html" if request.htmx else "core/audit_log.html"
    return render(request, template, context)
