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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core.errors import Conflict, DomainError
from redline.core.errors import PermissionDenied as DomainPermissionDenied
from redline.core.sections import concerns, not_concerned
from redline.core.web import show_on_form
from redline.medical import selectors, services
from redline.medical.forms import AlertStepForm, CapacityReportForm
from redline.medical.models import CapacityAlert
from redline.medical.vocab import REPORT_FIELDS, AlertState, Level, Metric, ReportSource, Scope
from redline.medical.workflow import TRANSITIONS, action_label, available
from redline.organisations.access import can
from redline.organisations.models import Enterprise

PAGE_SIZE = 25


def _nav(request: HttpRequest) -> None:
    request.nav_section = "medical"  # type: ignore[attr-defined]


def _day(value: Any, default: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(str(value)) if value else default
    except ValueError:
        day = default
    return min(day, timezone.localdate())


def _region_id(value: Any) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


@login_required
def regional(request: HttpRequest) -> HttpResponse:
    _nav(request)
    own = selectors.own_health_unit(request.user)
    if own is not None and not request.GET:
        return redirect("medical-hospital", own.pk)
    if not concerns(request.user).capacity and not selectors.health_units(request.user).exists():
        return _nothing_to_show(request)
    day = _day(request.GET.get("day"), selectors.latest_day(request.user))
    view = selectors.regional_view(request.user, day, _region_id(request.GET.get("region")))
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


def _nothing_to_show(request: HttpRequest) -> HttpResponse:
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


def _hospital(request: HttpRequest, hospital_id: int) -> Enterprise:
    try:
        return selectors.visible_hospital(request.user, hospital_id)
    except Enterprise.DoesNotExist:
        raise Http404 from None


def _label(name: str) -> Any:
    return CapacityReportForm.base_fields[name].label


def _is_own(request: HttpRequest, hospital: Enterprise) -> bool:
    org = getattr(request.user, "organisation", None)
    return bool(org and org.enterprise_id == hospital.pk)


@login_required
def hospital(request: HttpRequest, hospital_id: int) -> HttpResponse:
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
def report(request: HttpRequest) -> HttpResponse:
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
    template = "medical/_report_form.html" if request.htmx else "medical/report_form.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
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
    template = "medical/_alert_rows.html" if request.htmx else "medical/alerts.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _alert(request: HttpRequest, alert_id: int) -> CapacityAlert:
    try:
        return selectors.alert_get(request.user, alert_id)
    except CapacityAlert.DoesNotExist:
        raise Http404 from None


def _alert_context(
    request: HttpRequest, alert: CapacityAlert, failed: str = "", form: AlertStepForm | None = None
) -> dict[str, Any]:
    steps = []
    for transition in available(request.user, alert):
        step_form = (
            form
            if form is not None and transition.name == failed
            else AlertStepForm(initial={"version": alert.version}, prefix=transition.name)
        )
        steps.append((transition, step_form))
    events = selectors.alert_timeline(alert)
    states = dict(AlertState.choices)
    levels = dict(Level.choices)
    for event in events:
        event.label = action_label(event.action)  # type: ignore[attr-defined]
        event.to_label = states.get(event.to_state, "")  # type: ignore[attr-defined]
        event.level_label = levels.get(event.level, "")  # type: ignore[attr-defined]
    return {
        "alert": alert,
        "events": events,
        "steps": steps,
        "failed": failed,
        "figures": [
            (_label(name), alert.evidence.get(name))
            for name in REPORT_FIELDS
            if name in alert.evidence
        ],
    }


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    _nav(request)
    alert = _alert(request, alert_id)
    return render(request, "medical/alert_detail.html", _alert_context(request, alert))


@login_required
@require_POST
def alert_step(request: HttpRequest, alert_id: int, action: str) -> HttpResponse:
    _nav(request)
    alert = _alert(request, alert_id)
    if action not in TRANSITIONS:
        raise Http404
    form = AlertStepForm(request.POST, prefix=action)
    status = 422
    if form.is_valid():
        try:
            services.capacity_alert_transition(
                actor=request.user,
                alert_id=alert.pk,
                action=action,
                version=form.cleaned_data["version"],
                comment=form.cleaned_data.get("comment") or "",
            )
        except DomainPermissionDenied as refused:
            form.add_error(None, refused.message)
            status = 403
        except Conflict as conflict:
            form.add_error(None, conflict.message)
            status = 409
            alert = _alert(request, alert_id)
        except DomainError as failure:
            status = show_on_form(form, failure)
        else:
            messages.success(request, str(TRANSITIONS[action].label))
            return redirect("medical-alert-detail", alert.pk)
    context = _alert_context(request, alert, failed=action, form=form)
    context["failed_form"] = form
    return render(request, "medical/alert_detail.html", context, status=status)
