"""Early-warning pages: the dashboard (map of open signals by region, counts, overdue
verifications, the latest run and "run now"), the signal list, a signal with its chart,
triggering data, timeline and the steps the reader may take, and a series' page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from redline.core.errors import DomainError, NotFound
from redline.core.errors import PermissionDenied as DomainPermissionDenied
from redline.core.sections import concerns, not_concerned
from redline.core.web import show_on_form
from redline.epidemic import selectors_signals as selectors
from redline.epidemic import services_signals as services
from redline.epidemic.detection import detection_run
from redline.epidemic.forms_signals import RunForm, SignalStepForm
from redline.epidemic.models import Condition, Signal
from redline.epidemic.reporting import reporter
from redline.epidemic.tasks import scheduled_day
from redline.epidemic.vocab import SignalState
from redline.epidemic.workflow import OUTCOMES, TRANSITIONS, available, may_run_detection
from redline.organisations import selectors as org_selectors

PAGE_SIZE = 25
# What the notes field is called in each step's form.
COMMENT_LABELS = {
    "verify": gettext_lazy("Verification notes (required for a false or uncertain signal)"),
    "respond": gettext_lazy("Investigation findings and response measures"),
    "close": gettext_lazy("Conclusion"),
    "comment": gettext_lazy("Comment"),
}


def _section(request: HttpRequest) -> None:
    request.nav_section = "epidemic"  # type: ignore[attr-defined]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _section(request)
    if not concerns(request.user).epidemic and not selectors.anything_visible(request.user):
        return _nothing_to_show(request)
    now = timezone.now()
    data = selectors.dashboard(request.user, now=now)
    day, _known = scheduled_day(now)
    context = {
        "data": data,
        "map": selectors.map_geojson(data.regions),
        "map_max": max((r.open for r in data.regions), default=0),
        "now": now,
        "can_run": may_run_detection(request.user),
        "run_form": RunForm(initial={"day": day}),
    }
    return render(request, "epidemic/dashboard.html", context)


def _nothing_to_show(request: HttpRequest) -> HttpResponse:
    links = []
    if reporter(request.user).may_submit:
        links.append((reverse("epidemic:count-entry"), _("Enter case counts")))
    return not_concerned(
        request,
        title=_("Epidemic monitoring"),
        message=_("There are no case counts or signals in the jurisdiction of %(org)s."),
        who=_(
            "Epidemic monitoring is followed by the public-health bodies (CDC), the health "
            "commission and the departments supervising key places, and the city and "
            "district governments."
        ),
        links=links,
    )


@login_required
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    """A detection run on demand, as the scheduled one but for the day chosen."""
    if not may_run_detection(request.user):
        raise PermissionDenied
    form = RunForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("day", []):
            messages.error(request, f"{_('Data up to')}: {error}")
        return redirect("epidemic:dashboard")
    now = timezone.now()
    day = form.cleaned_data["day"]
    try:
        run = detection_run(
            day=day, now=now, as_known_on=max(day, timezone.localdate(now)), user=request.user
        )
    except DomainError as failure:
        for message in failure.fields.values() or [failure.message]:
            messages.error(request, message)
        return redirect("epidemic:dashboard")
    messages.success(
        request,
        _(
            "Detection run for %(day)s done: %(series)d series, %(alarms)d alarms, "
            "%(opened)d new signals."
        )
        % {
            "day": day.isoformat(),
            "series": run.series,
            "alarms": run.alarms,
            "opened": run.signals_opened,
        },
    )
    return redirect("epidemic:dashboard")


def _filters(request: HttpRequest) -> dict[str, Any]:
    return {name: request.GET.get(name, "") for name in selectors.SIGNAL_FILTERS}


@login_required
def signal_list(request: HttpRequest) -> HttpResponse:
    _section(request)
    filters = _filters(request)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    now = timezone.now()
    # No COUNT over every signal: one row more than a page says whether there is a next.
    rows = list(
        selectors.signal_list(request.user, filters, now=now).order_by("-opened_at", "-id")[
            (number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1
        ]
    )
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for signal in rows:
        signal.is_overdue = selectors.is_overdue(signal, now)  # type: ignore[attr-defined]
    context = {
        "rows": rows,
        "page_number": number,
        "has_next": has_next,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "filters": filters,
        "states": [("open", pgettext("signals", "Open")), *SignalState.choices],
        "conditions": Condition.objects.order_by("code"),
        "regions": org_selectors.region_choices(request.user),
    }
    return render(request, "epidemic/signal_list.html", context)


def _visible(request: HttpRequest, signal_id: int) -> Signal:
    try:
        return selectors.signal_get(request.user, signal_id)
    except Signal.DoesNotExist:
        raise Http404 from None


def _detail_context(
    request: HttpRequest, signal: Signal, failed: str = "", form: SignalStepForm | None = None
) -> dict[str, Any]:
    now = timezone.now()
    steps = []
    for transition in available(request.user, signal):
        step_form = (
            form
            if form is not None and transition.name == failed
            else SignalStepForm(initial={"version": signal.version}, prefix=transition.name)
        )
        fields = [step_form[name] for name in transition.fields]
        steps.append((transition, step_form, fields, COMMENT_LABELS[transition.name]))
    return {
        "signal": signal,
        "events": selectors.timeline(signal),
        "steps": steps,
        "failed": failed,
        "overdue": selectors.is_overdue(signal, now),
        "chart": selectors.evidence_chart(signal),
        "rows": selectors.evidence_rows(signal),
        "outcomes": OUTCOMES,
        "series_url": _series_url(signal),
    }


def _series_url(signal: Signal) -> str:
    if signal.place_id:
        return reverse(
            "epidemic:series-place",
            args=[signal.condition.code, signal.region_id, signal.place_id],
        )
    return reverse("epidemic:series", args=[signal.condition.code, signal.region_id])


@login_required
def signal_detail(request: HttpRequest, signal_id: int) -> HttpResponse:
    _section(request)
    signal = _visible(request, signal_id)
    return render(request, "epidemic/signal_detail.html", _detail_context(request, signal))


@login_required
@require_POST
def signal_step(request: HttpRequest, signal_id: int, action: str) -> HttpResponse:
    _section(request)
    signal = _visible(request, signal_id)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Http404
    form = SignalStepForm(request.POST, prefix=action)
    status = 422
    if form.is_valid():
        try:
            services.signal_transition(
                actor=request.user,
                signal_id=signal.pk,
                action=action,
                version=form.cleaned_data["version"],
                data=form.data_for(transition.fields),
            )
        except DomainPermissionDenied as refused:
            form.add_error(None, refused.message)
            status = 403
        except DomainError as failure:
            status = show_on_form(form, failure)
            signal = _visible(request, signal_id)
        else:
            messages.success(request, str(transition.label))
            return redirect("epidemic:signal-detail", signal.pk)
    context = _detail_context(request, signal, failed=action, form=form)
    context["step_error"] = True
    return render(request, "epidemic/signal_detail.html", context, status=status)


def _day(request: HttpRequest) -> dt.date:
    today = timezone.localdate()
    text = request.GET.get("day", "")
    if not text:
        return today - dt.timedelta(days=1)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Http404 from None
    return min(day, today)


def _series(request: HttpRequest, code: str, region_id: int, place_id: int | None) -> HttpResponse:
    _section(request)
    day = _day(request)
    try:
        view = selectors.series_view(
            request.user, condition_code=code, region_id=region_id, place_id=place_id, day=day
        )
    except NotFound:
        raise Http404 from None
    chart = {
        "dates": view.dates,
        "counts": view.counts,
        "upperbounds": view.upperbounds,
        "alarms": view.alarms,
        **view.extras,
    }
    return render(request, "epidemic/series.html", {"view": view, "chart": chart})


@login_required
def series(request: HttpRequest, code: str, region_id: int) -> HttpResponse:
    return _series(request, code, region_id, None)


@login_required
def series_place(request: HttpRequest, code: str, region_id: int, place_id: int) -> HttpResponse:
    return _series(request, code, region_id, place_id)
