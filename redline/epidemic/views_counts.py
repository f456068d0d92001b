"""Case-count pages: the list (as known now or on a past day), entering one day's counts for
a region or key place, importing a CSV/.xlsx file with a row-level error report, the
import templates, and the disease/syndrome catalogue."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from redline.core import jobs, spreadsheet
from redline.core.errors import Conflict, DomainError
from redline.core.spreadsheet.jobs import queue_import
from redline.core.web import PageRequest, raise_for_access
from redline.epidemic import imports, selectors, services
from redline.epidemic.forms import (
    CountEntryForm,
    ImportForm,
    Where,
    WhereDayForm,
    condition_label,
    where_choices,
    where_of,
)
from redline.epidemic.imports import recorded_message
from redline.epidemic.models import CaseCount
from redline.epidemic.reporting import Reporter, reporter
from redline.epidemic.tasks import IMPORT_JOB
from redline.epidemic.vocab import CountSource
from redline.organisations import selectors as org_selectors

COUNT_FILTERS = ("condition", "region", "place", "from", "to", "as_known_on")


def _section(request: PageRequest) -> None:
    request.nav_section = "epidemic"


def submitter(request: PageRequest) -> Reporter:
    """The user's submission rights; 403 for read-only users."""
    who = reporter(request.user)
    if not who.may_submit:
        raise PermissionDenied
    return who


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


# --- the list ------------------------------------------------------------------------------


@login_required
@require_GET
def count_list(request: PageRequest) -> HttpResponse:
    _section(request)
    raw = {key: request.GET.get(key, "") for key in COUNT_FILTERS}
    bad = [key for key in ("from", "to", "as_known_on") if raw[key] and _day(raw[key]) is None]
    filters = {
        "condition": raw["condition"],
        "region": raw["region"],
        "place": raw["place"],
        "date_from": _day(raw["from"]),
        "date_to": _day(raw["to"]),
        "as_known_on": _day(raw["as_known_on"]),
    }
    counts = selectors.CountsNewestFirst(selectors.case_counts(request.user, filters))
    page = Paginator(counts, settings.REDLINE_PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.condition.label = condition_label(row.condition)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    place = None
    if raw["place"].isdigit():
        place = selectors.key_places(request.user).filter(pk=int(raw["place"])).first()
    context = {
        "page": page,
        "filters": raw,
        "bad_filters": bad,
        "query": query.urlencode(),
        "conditions": list(selectors.conditions(active_only=False)),
        "regions": org_selectors.region_choices(request.user, raw["region"]),
        "place": place,
        "historic": filters["as_known_on"] is not None,
        "may_submit": reporter(request.user).may_submit,
    }
    return render(request, "epidemic/counts_list.html", context)


# --- entering one day's counts -------------------------------------------------------------


def _current_counts(request: PageRequest, where: Where, day: dt.date) -> dict[int, int]:
    rows = (
        CaseCount.objects.restrict(request.user)
        .current()
        .filter(region=where.region, place=where.place, day=day)
    )
    return {row.condition_id: row.count for row in rows}


@login_required
@require_http_methods(["GET", "POST"])
def count_entry(request: PageRequest) -> HttpResponse:
    """Step 1 (GET without a place or with a bad one): where and which day. Step 2: the
    counts of every condition for that day, prefilled with the values known now."""
    _section(request)
    who = submitter(request)
    data = request.POST if request.method == "POST" else request.GET
    today = timezone.localdate()
    where_value = data.get("where", "")
    if not where_value:  # a key place reports for itself: nothing to choose
        options = [value for _group, items in where_choices(who) for value, _label in items]
        where_value = options[0] if len(options) == 1 else ""
    choose = WhereDayForm(
        {"where": where_value, "date": data.get("date") or today.isoformat()}
        if where_value
        else None,
        who=who,
        today=today,
        initial={"date": today},
    )
    where = where_of(who, where_value) if choose.is_bound and choose.is_valid() else None
    if where is None:
        status = 422 if choose.is_bound else 200
        context: dict[str, Any] = {"choose": choose, "form": None}
        return render(request, "epidemic/counts_entry.html", context, status=status)
    day: dt.date = choose.cleaned_data["date"]
    conditions = selectors.entry_conditions(place=where.place is not None)
    form = CountEntryForm(
        request.POST if request.method == "POST" else None,
        conditions=conditions,
        current=_current_counts(request, where, day),
        initial={"where": where.value, "date": day},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            status, done = _record_entry(request, form, where)
            if done is not None:
                return done
    context = {"choose": None, "form": form, "where": where, "day": day}
    return render(request, "epidemic/counts_entry.html", context, status=status)


def _record_entry(
    request: PageRequest, form: CountEntryForm, where: Where
) -> tuple[int, HttpResponse | None]:
    rows = form.rows(where)
    if not rows:
        form.add_error(None, _("Enter at least one count (0 for no cases)."))
        return 422, None
    try:
        recorded = services.case_counts_record(
            rows=rows,
            source=CountSource.FORM,
            key=form.cleaned_data.get("idempotency_key") or "",
            user=request.user,
        )
    except services.RowsInvalid as invalid:
        for error in invalid.errors:
            name = form.field_of_row(error.row) if error.field == "count" else None
            form.add_error(name, error.message)
        return 422, None
    except Conflict:
        # Saved once from this form with other values (the browser's back button): saving
        # again, under a new key, records the values now shown as a correction.
        assert isinstance(form.data, QueryDict)  # the POST
        form.data = form.data.copy()
        form.data["idempotency_key"] = uuid.uuid4().hex
        form.add_error(
            None,
            _(
                "These counts were already saved from this form with other values. Check "
                "them and save again to record a correction."
            ),
        )
        return 409, None
    except DomainError as failure:
        raise_for_access(failure)
        form.add_error(None, failure.message)
        return 422, None
    messages.success(request, recorded_message(recorded.result, recorded.replayed))
    if where.place is not None:
        return 302, redirect("epidemic:place", place_id=where.place.pk)
    day = form.cleaned_data["date"].isoformat()
    query = urlencode({"region": where.region.code, "from": day, "to": day})
    return 302, redirect(f"{reverse('epidemic:counts')}?{query}")


# --- import --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def count_import(request: PageRequest) -> HttpResponse:
    """The file is checked and recorded by the jobs process (`epidemic.import`): the page
    queues it and answers at once with the run's page."""
    _section(request)
    submitter(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            return queue_import(
                request,
                kind=IMPORT_JOB,
                file=form.cleaned_data["file"],
                title=_("Import of case counts"),
                back=reverse("epidemic:count-import"),
            )
    context = {
        "form": form,
        "token": uuid.uuid4().hex,
        "runs": jobs.runs_of(request.user).filter(kind=IMPORT_JOB)[:10],
        "count_columns": imports.COUNT_COLUMNS,
        "group_columns": imports.GROUP_COLUMNS,
        "max_mb": spreadsheet.MAX_BYTES // (1024 * 1024),
        "max_rows": spreadsheet.MAX_ROWS,
    }
    return render(request, "epidemic/import_counts.html", context, status=status)


TEMPLATES = {
    "counts.xlsx": ("xlsx", "epidemic-import-template.xlsx"),
    "counts.csv": ("rows", "epidemic-case-counts.csv"),
    "groups.csv": ("groups", "epidemic-key-groups.csv"),
}


@login_required
@require_GET
def count_template(request: PageRequest, name: str) -> HttpResponse:
    submitter(request)
    if name not in TEMPLATES:
        raise Http404
    kind, file_name = TEMPLATES[name]
    if kind == "xlsx":
        response = HttpResponse(imports.template_xlsx(request.user), content_type=spreadsheet.XLSX)
    else:
        response = HttpResponse(imports.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


# --- the catalogue -------------------------------------------------------------------------


@login_required
@require_GET
def condition_catalogue(request: PageRequest) -> HttpResponse:
    _section(request)
    rows = [
        {
            "condition": condition,
            "label": condition_label(condition),
            "params": sorted(condition.params.items()),
        }
        for condition in selectors.conditions(active_only=False).order_by(
            "-is_active", "kind", "method", "code"
        )
    ]
    return render(request, "epidemic/conditions.html", {"rows": rows})
