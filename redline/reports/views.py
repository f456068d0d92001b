"""The situation report page (choose a period, a region and a format; download) and the
city cockpit. Both read `figures.compute` with the signed-in user as reader (the one door):
a district's user gets its district, a region outside the jurisdiction answers 404.

The page previews the figures (a GET; the form's preview button redirects there); the
report file is long work, so asking for one (a POST)
queues a run for the jobs process (`redline.core.jobs`, the job in `reports/tasks.py`) and
answers at once with the run's page, which shows its progress and then its download. The
request is checked first (period, region through the door, format): a bad one queues
nothing. The form's one-time token makes a retried POST find its run instead of a second."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from redline.core import jobs
from redline.core.errors import DomainError, NotFound
from redline.core.sections import not_concerned
from redline.core.web import PageRequest
from redline.organisations.access import is_government_side
from redline.organisations.selectors import region_choices, region_filter
from redline.reports import documents
from redline.reports.figures import Figures, Period, compute, top_region
from redline.reports.statements import Statement, generate
from redline.risk import selectors as risk_selectors
from redline.risk.vocab import LEVEL_COLOURS, RiskLevel

REPORT_JOB = "reports.situation"
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
# The panels that refresh (`reports/_cockpit_live.html`, the element htmx polls): a refresh
# computes only these, not the risk map or the ranking it does not redraw.
LIVE_TARGET = "cockpit-live"
LIVE_SECTIONS = ("accidents", "hazards", "campaigns", "committee", "epidemic")


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
    data = request.POST if request.method == "POST" else request.GET
    values = {
        "period": data.get("period", "").strip() or Period.current("quarter", today).code,
        "region": data.get("region", "").strip(),
        "format": data.get("format", "").strip(),
    }
    errors: dict[str, str] = {}
    status = 200
    figures: Figures | None = None
    try:
        period = Period.parse(values["period"])
        if request.method == "POST" and data.get("action") == "preview":
            query = urlencode({k: values[k] for k in ("period", "region") if values[k]})
            return redirect(f"{reverse('situation-report')}?{query}")
        if request.method == "POST":
            return _ask_for_file(request, period, values)
        figures = compute(request.user, period, values["region"] or None, today=today)
    except NotFound:
        raise
    except DomainError as failure:
        errors.update(failure.fields or {"period": failure.message})
        status = 422
    context = {
        "values": values,
        "errors": errors,
        "regions": region_choices(request.user, values["region"]),
        "formats": [("pdf", "PDF"), ("docx", "Word (.docx)"), ("xlsx", "Excel (.xlsx)")],
        "figures": figures,
        "statements": _statements(figures),
        "token": uuid.uuid4().hex,
        "runs": jobs.runs_of(request.user).filter(kind=REPORT_JOB)[:10],
    }
    return render(request, "reports/situation.html", context, status=status)


def _statements(figures: Figures | None) -> list[Statement]:
    return generate(figures) if figures is not None else []


def _ask_for_file(request: PageRequest, period: Period, values: dict[str, str]) -> HttpResponse:
    """Check the request (a region outside the jurisdiction: 404, as for the preview) and
    queue the report; the run's page answers."""
    fmt = documents.check_format(values["format"])
    place = region_filter(request.user, values["region"] or None, codes=True)
    token = request.POST.get("token", "").strip()[:64] or uuid.uuid4().hex
    top = place or top_region(request.user)
    scope = str(top) if top is not None else _("whole jurisdiction")
    run = jobs.enqueue(
        kind=REPORT_JOB,
        user=request.user,
        params={
            "period": period.code,
            "region": place.code if place is not None else None,
            "format": fmt,
            "language": translation.get_language(),
            "back": f"{reverse('situation-report')}?{urlencode({'period': period.code})}",
        },
        token=token,
        title=_("Situation report: %(period)s, %(scope)s (%(format)s)")
        % {"period": period.label, "scope": scope, "format": fmt.upper()},
    )
    return redirect("job-run", run_id=run.pk)


@login_required
def cockpit(request: PageRequest) -> HttpResponse:
    request.nav_section = "cockpit"
    if not is_government_side(request.user):
        return _not_for(request, _("City cockpit"))
    today = timezone.localdate()
    period = Period.current("year", today)
    live = request.htmx and request.htmx.target == LIVE_TARGET
    sections = LIVE_SECTIONS if live else COCKPIT_SECTIONS
    figures = compute(request.user, period, None, today=today, sections=sections)
    context = {
        "figures": figures,
        "values": figures.values(),
        "sections": {s.key: s for s in figures.sections},
        "trend": _trend(figures, today),
        "refresh": REFRESH_SECONDS,
        "refreshed": timezone.localtime(),
    }
    template = "reports/_cockpit_live.html"
    if not live:
        template = "reports/cockpit.html"
        context |= {
            "map": _risk_map(request.user),
            "colours": LEVEL_COLOURS,
            "legend": [(level, label, LEVEL_COLOURS[level]) for level, label in RiskLevel.choices],
            "report_url": reverse("situation-report"),
        }
    response = render(request, template, context)
    # One address answers the page and its live panels: caches keep the two apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


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
