"""The situation report page (choose a period, a region and a format; download) and the
city cockpit. Both read `figures.compute` with the signed-in user as reader (the one door):
a district's user gets its district, a region outside the jurisdiction answers 404.

The report is written synchronously in the request: the jobs machinery
(`redline/core/jobs.py`) runs periodic jobs only and has no on-demand job with progress
yet; when it gains one, `_download` is the call to move there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from redline.core.errors import DomainError, NotFound
from redline.core.sections import not_concerned
from redline.core.web import PageRequest
from redline.organisations.access import is_government_side
from redline.organisations.selectors import region_choices
from redline.reports import documents
from redline.reports.figures import Figures, Period, compute
from redline.reports.statements import Statement, generate
from redline.risk import selectors as risk_selectors
from redline.risk.vocab import LEVEL_COLOURS, RiskLevel

# The cockpit refreshes its panels this often (htmx polling).
REFRESH_SECONDS = 120
# The report's sections the cockpit shows; only these are computed for it (the training
# compliance of every person, say, is the report's and costs most).
COCKPIT_SECTIONS = (
    "accidents",
    "risk",
    "hazards",
    "campaigns",
    "committee",
    "epidemic",
    "assessment",
)


def _not_for(request: PageRequest, title: str) -> HttpResponse:
    return not_concerned(
        request,
        title=title,
        message=_("%(org)s is not a government body: this page is for government bodies."),
        who=_("Government bodies"),
    )


@login_required
def situation(request: PageRequest) -> HttpResponse:
    request.nav_section = "reports"
    if not is_government_side(request.user):
        return _not_for(request, _("Situation report"))
    today = timezone.localdate()
    values = {
        "period": request.GET.get("period", "").strip() or Period.current("quarter", today).code,
        "region": request.GET.get("region", "").strip(),
        "format": request.GET.get("format", "").strip(),
    }
    errors: dict[str, str] = {}
    status = 200
    figures: Figures | None = None
    try:
        period = Period.parse(values["period"])
        figures = compute(request.user, period, values["region"] or None, today=today)
    except NotFound:
        raise
    except DomainError as failure:
        errors.update(failure.fields or {"period": failure.message})
        status = 422
    if figures is not None and values["format"]:
        try:
            fmt = documents.check_format(values["format"])
        except DomainError as failure:
            errors.update(failure.fields)
            status = 422
        else:
            return _download(figures, fmt)
    context = {
        "values": values,
        "errors": errors,
        "regions": region_choices(request.user, values["region"]),
        "formats": [("pdf", "PDF"), ("docx", "Word (.docx)"), ("xlsx", "Excel (.xlsx)")],
        "figures": figures,
        "statements": _statements(figures),
    }
    return render(request, "reports/situation.html", context, status=status)


def _statements(figures: Figures | None) -> list[Statement]:
    return generate(figures) if figures is not None else []


def _download(figures: Figures, fmt: str) -> HttpResponse:
    body = documents.write(figures, fmt)
    response = HttpResponse(body, content_type=documents.FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(
        True, documents.filename(figures, fmt)
    )
    return response


@login_required
def cockpit(request: PageRequest) -> HttpResponse:
    request.nav_section = "cockpit"
    if not is_government_side(request.user):
        return _not_for(request, _("City cockpit"))
    today = timezone.localdate()
    period = Period.current("year", today)
    figures = compute(request.user, period, None, today=today, sections=COCKPIT_SECTIONS)
    context = {
        "figures": figures,
        "values": figures.values(),
        "sections": {s.key: s for s in figures.sections},
        "trend": _trend(figures, today),
        "map": _risk_map(request.user),
        "colours": LEVEL_COLOURS,
        "legend": [(level, label, LEVEL_COLOURS[level]) for level, label in RiskLevel.choices],
        "refresh": REFRESH_SECONDS,
        "refreshed": timezone.localtime(),
        "report_url": reverse("situation-report"),
    }
    return render(request, "reports/cockpit.html", context)


def _trend(figures: Figures, today: dt.date) -> dict[str, Any]:
    """The accident trend of the year to date against last year (the report's chart)."""
    chart = next(c for c in figures.section("accidents").charts if c.key == "accidents.trend")
    shown = today.month if figures.period.start.year == today.year else 12
    return {
        "months": chart.categories[:shown],
        "series": [{"name": name, "values": values[:shown]} for name, values in chart.series],
    }


def _risk_map(user: Any) -> dict[str, Any] | None:
    """The risk map's regions (as the risk map page draws them, `riskmap.js`)."""
    return risk_selectors.risk_map(user).geojson()
