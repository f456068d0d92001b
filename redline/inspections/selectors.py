"""Reads of government inspections: the list with its filters, for the list page, the API
and the figures that link to it (the situation report, the cockpit). Every read starts from
`restrict(user)`; a bad filter is refused naming it (`core.filters`), a region goes through
the door (404 outside the jurisdiction)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from redline.core import readers
from redline.core.filters import Flag, day_range, day_range_q, read_filters
from redline.inspections.models import Inspection
from redline.inspections.vocab import InspectionKind, InspectionState
from redline.organisations.selectors import region_filter

LIST_FILTERS = (
    "state",
    "kind",
    "enterprise",
    "mine",
    "region",
    "planned_from",
    "planned_to",
    "completed_from",
    "completed_to",
)
FILTER_READERS = {
    "state": readers.Choice(InspectionState.values),
    "kind": readers.Choice(InspectionKind.values),
    "enterprise": readers.Count(),
    "mine": Flag(),
    **day_range("planned"),
    **day_range("completed"),
}


def inspection_list(user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Inspection]:
    """The inspections the user sees, filtered: by state, kind, unit, the user's own body
    (`mine`), region (the unit's, in its subtree), the days planned for and the days
    completed on (both days included)."""
    filters = filters or {}
    wanted = read_filters(FILTER_READERS, filters)
    found = Inspection.objects.restrict(user).select_related("enterprise", "organisation")
    if wanted.get("state"):
        found = found.filter(state=wanted["state"])
    if wanted.get("kind"):
        found = found.filter(kind=wanted["kind"])
    if wanted.get("enterprise"):
        found = found.filter(enterprise_id=wanted["enterprise"])
    if wanted.get("mine"):
        found = found.filter(organisation_id=getattr(user, "organisation_id", None) or 0)
    region = region_filter(user, filters.get("region"))
    if region is not None:
        found = found.filter(enterprise__region__path__startswith=region.path)
    found = found.filter(day_range_q("planned_on", "planned", wanted, moment=False))
    found = found.filter(day_range_q("completed_at", "completed", wanted, moment=True))
    return found.order_by("-planned_on", "-id")
