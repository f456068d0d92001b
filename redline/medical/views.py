"""Pages of medical treatment capacity: the regional view (capacity against demand with its
trend), a hospital's page, the daily report form of a hospital's own users, and capacity
alerts with the health authority's steps."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core.errors import DomainError
from redline.core.sections import concerns, not_concerned
from redline.core.web import PageRequest, show_on_form
from redline.core.workflow.web import StepForm, StepPage
from redline.medical import selectors, services
from redline.medical.forms import CapacityReportForm
from redline.medical.models import CapacityAlert
from redline.medical.vocab import REPORT_FIELDS, AlertState, Level, Metric, ReportSource, Scope
from redline.medical.workflow import MACHINE
from redline.organisations.access import can
from redline.organisations.models import Enterprise

PAGE_SIZE = 25


def _nav(request: PageRequest) -> None:
    request.nav_section = "medical"


def _day(value: Any, default: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(str(value)) if value else default
    except ValueError:
        day = default
    return min(day, timezone.localdate())


@login_required
def regional(request: PageRequest) -> HttpResponse:
    _nav(request)
    own = selectors.own_health_unit(request.user)
    if own is not None and not request.GET:
        return redirect("medical-hospital", own.pk)
    if not concerns(request.user).capacity and not selectors.health_units(request.user).exists():
        return _nothing_to_show(request)
    day = _day(request.GET.get("day"), selectors.latest_day(request.user))
    view = selectors.regional_view(request.user, day, request.GET.get("region"))
    focus_query = {"region": view.focus.pk} if view.focus else {}
    today = timezone.localdate()
    context = {
        "view": view,
        "today": today,
        "late": day == today and timezone.localtime().hour >= settings.REDLINE_CAPACITY_REPORT_HOUR,
        "report_hour": settings.REDLINE_CAPACITY_REPORT_HOUR,
        "previous_day": (day - dt.timedelta(days=1)).isoformat(),
        "next_day": (day + dt.timedelta(days=1)).isoformat() if day < today else "",
        "focus_query": urlencode(focus_query),
        "ancestors": _ancestors(view),
        "thresholds": selectors.thresholds(),
        "chart": view.trend,
    }
    return render(request, "medical/regional.html", context)


def _nothing_to_show(request: PageRequest) -> HttpResponse:
    return not_concerned(
        request,
        title=_("Treatment capacity"),
        message=_("There are no hospitals or fever clinics in the jurisdiction of %(org)s."),
        who=_(
            "Treatment capacity is followed by the health commission, the public-health "
            "bodies (CDC), the hospitals and fever clinics themselves, and the city and "
            "district governments."
        ),
    )


def _ancestors(view: selectors.RegionalView) -> list[Any]:
    """The visible regions above the focus, for the breadcrumbs."""
    if view.focus is None:
        return []
    return [r for r in view.regions if view.focus.path.startswith(r.path) and r.pk != view.focus.pk]


def _hospital(request: PageRequest, hospital_id: int) -> Enterprise:
    try:
        return selectors.visible_hospital(request.user, hospital_id)
    except Enterprise.DoesNotExist:
        raise Http404 from None


def _label(name: str) -> Any:
    return CapacityReportForm.base_fields[name].label


def _is_own(request: PageRequest, hospital: Enterprise) -> bool:
    org = getattr(request.user, "organisation", None)
    return bool(org and org.enterprise_id == hospital.pk)


@login_required
def hospital(request: PageRequest, hospital_id: int) -> HttpResponse:
    _nav(request)
    unit = _hospital(request, hospital_id)
    page = selectors.hospital_page(request.user, unit)
    context = {
        "page": page,
        "hospital": unit,
        "can_report": _is_own(request, unit) and can(request.user, "change"),
        "chart": selectors.hospital_chart(page),
        "fields": [(name, _label(name)) for name in REPORT_FIELDS],
        "latest_figures": [
            (name, _label(name), page.latest.figures[name]) for name in REPORT_FIELDS
        ]
        if page.latest
        else [],
        "versions": [
            (v, [(_label(name), v.figures[name]) for name in REPORT_FIELDS]) for v in page.versions
        ],
    }
    return render(request, "medical/hospital.html", context)


@login_required
def report(request: PageRequest) -> HttpResponse:
    """The daily report of the user's own hospital or fever clinic: a new day starts from
    the latest earlier report; a day already reported shows its figures, to correct."""
    _nav(request)
    unit = selectors.own_health_unit(request.user)
    if unit is None or not can(request.user, "change"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    day = _day(source.get("day"), timezone.localdate())
    current = selectors.current_report(unit, day)
    previous = None if current else selectors.previous_report(unit, day)
    start = current or previous
    initial: dict[str, Any] = {"day": day, "version": current.version if current else 0}
    if start is not None:
        initial |= start.figures
    if current is not None:
        initial["note"] = current.note
    form = CapacityReportForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved, created = services.capacity_report_submit(
                    actor=request.user,
                    data=form.service_data(),
                    idempotency_key=form.cleaned_data.get("idempotency_key") or "",
                    source=ReportSource.FORM,
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                if created:
                    messages.success(
                        request,
                        _("Report of %(day)s saved (version %(version)d).")
                        % {"day": saved.day.isoformat(), "version": saved.version},
                    )
                else:
                    messages.info(request, _("Nothing new: this report was already saved."))
                return redirect("medical-hospital", unit.pk)
    context = {
        "form": form,
        "hospital": unit,
        "current": current,
        "previous": previous,
        "day": day,
    }
    template = "medical/_report_form.html" if request.htmx else "medical/report_form.html"
    return render(request, template, context, status=status)


@login_required
def alerts(request: PageRequest) -> HttpResponse:
    _nav(request)
    filters = {k: request.GET.get(k, "") for k in selectors.ALERT_FILTERS}
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    found = list(
        selectors.alert_list(request.user, filters).order_by("-opened_at", "-id")[
            (number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1
        ]
    )
    context = {
        "rows": found[:PAGE_SIZE],
        "has_next": len(found) > PAGE_SIZE,
        "page_number": number,
        "filters": filters,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "states": [
            ("active", _("Open or acknowledged")),
            *AlertState.choices,
            ("all", _("All")),
        ],
        "levels": Level.choices,
        "metrics": Metric.choices,
        "scopes": Scope.choices,
    }
    template = "medical/_alert_rows.html" if request.htmx else "medical/alerts.html"
    return render(request, template, context)


def _alert(request: PageRequest, alert_id: int) -> CapacityAlert:
    try:
        return selectors.alert_get(request.user, alert_id)
    except CapacityAlert.DoesNotExist:
        raise Http404 from None


def _alert_context(request: PageRequest, alert: CapacityAlert) -> dict[str, Any]:
    _nav(request)
    return {
        "alert": alert,
        "figures": [
            (_label(name), alert.evidence.get(name))
            for name in REPORT_FIELDS
            if name in alert.evidence
        ],
    }


PAGE = StepPage(
    machine=MACHINE,
    template="medical/alert_detail.html",
    step_url="medical-alert-step",
    detail_url="medical-alert-detail",
    get=_alert,
    form=lambda request, alert, transition, data: StepForm(data, prefix=transition.name),
    context=_alert_context,
)


@login_required
def alert_detail(request: PageRequest, alert_id: int) -> HttpResponse:
    return PAGE.detail(request, alert_id)


@login_required
@require_POST
def alert_step(request: PageRequest, alert_id: int, action: str) -> HttpResponse:
    return PAGE.step(request, alert_id, action)
