"""Early-warning pages: the dashboard (map of open signals by region, counts, overdue
verifications, the latest run and "run now"), the signal list, a signal with its chart,
triggering data, timeline and the steps the reader may take, and a series' page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from redline.core.errors import DomainError, NotFound
from redline.core.sections import concerns, not_concerned
from redline.core.web import PageRequest
from redline.core.workflow import Transition
from redline.core.workflow.web import StepPage
from redline.epidemic import selectors_signals as selectors
from redline.epidemic.forms_signals import RunForm, SignalStepForm
from redline.epidemic.models import Condition, Signal
from redline.epidemic.reporting import reporter
from redline.epidemic.tasks import ask_detection, scheduled_day
from redline.epidemic.vocab import SignalState
from redline.epidemic.workflow import MACHINE, may_run_detection
from redline.organisations import selectors as org_selectors

PAGE_SIZE = 25
# What the notes field is called in each step's form.
COMMENT_LABELS = {
    "verify": gettext_lazy("Verification notes (required for a false or uncertain signal)"),
    "respond": gettext_lazy("Investigation findings and response measures"),
    "close": gettext_lazy("Conclusion"),
    "comment": gettext_lazy("Comment"),
}


def _section(request: PageRequest) -> None:
    request.nav_section = "epidemic"


@login_required
def dashboard(request: PageRequest) -> HttpResponse:
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
        "run_token": uuid.uuid4().hex,
    }
    return render(request, "epidemic/dashboard.html", context)


def _nothing_to_show(request: PageRequest) -> HttpResponse:
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
def run_now(request: PageRequest) -> HttpResponse:
    """A detection run on demand, as the scheduled one but for the day chosen: checked here,
    run by the jobs process (the run's page shows its progress, then what it found)."""
    if not may_run_detection(request.user):
        raise PermissionDenied
    form = RunForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("day", []):
            messages.error(request, f"{_('Data up to')}: {error}")
        return redirect("epidemic:dashboard")
    day = form.cleaned_data["day"]
    try:
        run = ask_detection(
            user=request.user,
            day=day,
            as_known_on=max(day, timezone.localdate()),
            token=request.POST.get("token", "")[:64] or uuid.uuid4().hex,
            language=translation.get_language() or "",
            back=reverse("epidemic:dashboard"),
        )
    except DomainError as failure:
        for message in failure.fields.values() or [failure.message]:
            messages.error(request, message)
        return redirect("epidemic:dashboard")
    return redirect("job-run", run_id=run.pk)


def _filters(request: PageRequest) -> dict[str, Any]:
    return {name: request.GET.get(name, "") for name in selectors.SIGNAL_FILTERS}


@login_required
def signal_list(request: PageRequest) -> HttpResponse:
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


def _visible(request: PageRequest, signal_id: int) -> Signal:
    try:
        return selectors.signal_get(request.user, signal_id)
    except Signal.DoesNotExist:
        raise Http404 from None


def _step_form(
    request: PageRequest, signal: Signal, transition: Transition, data: QueryDict | None
) -> SignalStepForm:
    form = SignalStepForm(data, prefix=transition.name)
    form.fields["comment"].label = COMMENT_LABELS[transition.name]
    return form


def _detail_context(request: PageRequest, signal: Signal) -> dict[str, Any]:
    _section(request)
    return {
        "signal": signal,
        "overdue": selectors.is_overdue(signal, timezone.now()),
        "chart": selectors.evidence_chart(signal),
        "rows": selectors.evidence_rows(signal),
        "series_url": _series_url(signal),
    }


PAGE = StepPage(
    machine=MACHINE,
    template="epidemic/signal_detail.html",
    step_url="epidemic:signal-step",
    detail_url="epidemic:signal-detail",
    get=_visible,
    form=_step_form,
    context=_detail_context,
    open_step="verify",
)


def _series_url(signal: Signal) -> str:
    if signal.place_id:
        return reverse(
            "epidemic:series-place",
            args=[signal.condition.code, signal.region_id, signal.place_id],
        )
    return reverse("epidemic:series", args=[signal.condition.code, signal.region_id])


@login_required
def signal_detail(request: PageRequest, signal_id: int) -> HttpResponse:
    return PAGE.detail(request, signal_id)


@login_required
@require_POST
def signal_step(request: PageRequest, signal_id: int, action: str) -> HttpResponse:
    return PAGE.step(request, signal_id, action)


def _day(request: PageRequest) -> dt.date:
    today = timezone.localdate()
    text = request.GET.get("day", "")
    if not text:
        return today - dt.timedelta(days=1)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Http404 from None
    return min(day, today)


def _series(request: PageRequest, code: str, region_id: int, place_id: int | None) -> HttpResponse:
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
def series(request: PageRequest, code: str, region_id: int) -> HttpResponse:
    return _series(request, code, region_id, None)


@login_required
def series_place(request: PageRequest, code: str, region_id: int, place_id: int) -> HttpResponse:
    return _series(request, code, region_id, place_id)
