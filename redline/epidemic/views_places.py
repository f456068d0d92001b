"""Key places and key groups: the key-place list, a key place's page (its people, key
groups, recent counts and open signals), the regional key-group summary, and recording a
key-group count."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from redline.core.errors import DomainError
from redline.core.web import PageRequest, show_on_form
from redline.epidemic import selectors, services
from redline.epidemic.forms import KeyGroupForm, condition_label, where_of
from redline.epidemic.reporting import reporter
from redline.epidemic.views_counts import submitter
from redline.epidemic.vocab import KeyGroup
from redline.organisations import selectors as org_selectors
from redline.organisations.models import Enterprise
from redline.organisations.vocab import UnitKind


def _section(request: PageRequest) -> None:
    request.nav_section = "epidemic"


@login_required
@require_GET
def place_list(request: PageRequest) -> HttpResponse:
    _section(request)
    filters = {key: request.GET.get(key, "") for key in selectors.PLACE_FILTERS}
    places = selectors.key_places(request.user, filters)
    page = Paginator(places, settings.REDLINE_PAGE_SIZE).get_page(request.GET.get("page"))
    figures = selectors.place_figures(
        request.user, [p.pk for p in page.object_list], timezone.localdate()
    )
    for place in page.object_list:
        place.figures = figures[place.pk]  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "kinds": [(k, UnitKind(k).label) for k in UnitKind.key_places()],
        "regions": org_selectors.region_choices(request.user, filters.get("region")),
    }
    return render(request, "epidemic/places_list.html", context)


@login_required
@require_GET
def place_detail(request: PageRequest, place_id: int) -> HttpResponse:
    _section(request)
    try:
        place = selectors.key_place_get(request.user, place_id)
    except Enterprise.DoesNotExist:
        raise Http404 from None
    today = timezone.localdate()
    who = reporter(request.user)
    recent = selectors.recent_counts(request.user, place, today)
    signals = list(selectors.open_signals(request.user, place))
    for item in [*recent, *signals]:
        item.condition.label = condition_label(item.condition)  # type: ignore[attr-defined]
    context = {
        "place": place,
        "people": selectors.responsible_people(request.user, place),
        "groups": selectors.place_groups(request.user, place),
        "recent": recent,
        "recent_days": selectors.RECENT_DAYS,
        "signals": signals,
        "today": today,
        "may_submit": who.may_submit and not place.is_archived and who.covers_place(place),
    }
    return render(request, "epidemic/place_detail.html", context)


@login_required
@require_GET
def group_summary(request: PageRequest) -> HttpResponse:
    _section(request)
    region_value = request.GET.get("region", "")
    region = org_selectors.region_filter(request.user, region_value)
    groups, rows = selectors.group_summary(request.user, region)
    labels = dict(KeyGroup.choices)
    context = {
        "groups": [(g, labels[g]) for g in groups],
        "rows": [
            (row, list(zip([labels[g] for g in groups], row.cell_list(groups), strict=True)))
            for row in rows
        ],
        "regions": org_selectors.region_choices(request.user, region_value),
        "region_value": region_value,
        "may_submit": reporter(request.user).may_submit,
    }
    return render(request, "epidemic/groups_summary.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def group_entry(request: PageRequest) -> HttpResponse:
    _section(request)
    who = submitter(request)
    initial = {"as_of": timezone.localdate(), "where": request.GET.get("where", "")}
    form = KeyGroupForm(request.POST or None, who=who, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            where = where_of(who, form.cleaned_data["where"])
            if where is None:
                form.add_error("where", _("You may not submit data there."))
            else:
                try:
                    _row, outcome = services.key_group_count_record(
                        user=request.user, data=form.service_data(where)
                    )
                except DomainError as failure:
                    status = show_on_form(form, failure, {"region": "where", "place": "where"})
                else:
                    messages.success(request, _outcome_message(outcome))
                    if where.place is not None:
                        return redirect("epidemic:place", place_id=where.place.pk)
                    return redirect("epidemic:groups")
    return render(request, "epidemic/groups_entry.html", {"form": form}, status=status)


def _outcome_message(outcome: str) -> str:
    if outcome == "created":
        return _("Key-group count recorded.")
    if outcome == "replaced":
        return _("Key-group count for that date replaced.")
    return _("The same figure was already recorded; nothing changed.")
