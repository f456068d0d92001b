"""Pages of the government side's own inspections: choosing the unit a hazard found on an
inspection belongs to (then the ordinary report form), and `/tasks/` for a government user:
the units' self-inspection in their jurisdiction, read-only (the tasks themselves are the
units' own, recorded by the units)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from redline.core.web import PageRequest
from redline.hazards import inspection, selectors
from redline.hazards.vocab import TaskStatus
from redline.organisations import selectors as org_selectors
from redline.organisations.access import can, is_government_side

UNIT_RESULTS = 20
MISSED_DAYS = 7
MISSED_ROWS = 50


def _unit_search(request: PageRequest, action: str = "view") -> dict[str, Any]:
    """Units of the user's jurisdiction (those they may take `action` on) matching the
    search (name or credit code), through the one door (`enterprise_list` reads
    `restrict`), the first UNIT_RESULTS by name."""
    query = request.GET.get("q", "").strip()
    units = org_selectors.enterprise_list(request.user, {"q": query}, action)
    found = list(units.order_by("name", "id")[: UNIT_RESULTS + 1])
    return {
        "q": query,
        "units": found[:UNIT_RESULTS],
        "more": len(found) > UNIT_RESULTS,
        "can_report": can(request.user, "inspect"),
    }


@login_required
def report_unit(request: PageRequest) -> HttpResponse:
    """Step 1 of a government report: the unit (step 2 is `hazard-report?enterprise=`)."""
    request.nav_section = "hazards"
    org = getattr(request.user, "organisation", None)
    if org is not None and org.enterprise_id:
        return redirect("hazard-report")  # a unit reports for itself
    if not (is_government_side(request.user) and can(request.user, "inspect")):
        raise PermissionDenied
    context = _unit_search(request, "inspect")
    template = "hazards/_unit_results.html" if request.htmx else "hazards/report_unit.html"
    return render(request, template, context)


@login_required
def government_tasks(request: PageRequest) -> HttpResponse:
    """`/tasks/` for a government user: what the inspection tasks are, the units' missed
    self-inspections of the last days, finding a unit's record, reporting a hazard."""
    request.nav_section = "tasks"
    if not is_government_side(request.user):
        raise PermissionDenied
    context = _unit_search(request) if "q" in request.GET else {"q": "", "units": None}
    if request.htmx:
        return render(request, "hazards/_unit_results.html", context)
    now = timezone.now()
    context |= {
        "missed": list(
            selectors.tasks_for(request.user)
            .filter(inspection.status_q(TaskStatus.MISSED, now))
            .filter(due_at__gte=now - dt.timedelta(days=MISSED_DAYS))
            .order_by("-due_at", "-id")[:MISSED_ROWS]
        ),
        "missed_days": MISSED_DAYS,
        "missed_rows": MISSED_ROWS,
        "can_report": can(request.user, "inspect"),
    }
    return render(request, "hazards/government_tasks.html", context)
