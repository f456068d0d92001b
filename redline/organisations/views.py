"""Web pages of the organisation registry. Reads via selectors, writes via services."""

from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.core import changelog
from redline.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from redline.core.errors import PermissionDenied as DomainPermissionDenied
from redline.core.web import PageRequest, raise_for_access, show_on_form
from redline.organisations import exports, selectors, services
from redline.organisations.access import can, is_government_side, may
from redline.organisations.forms import EnterpriseForm, PersonForm
from redline.organisations.models import Enterprise, Person
from redline.organisations.vocab import Sector, UnitKind, UnitStatus


def _section(request: PageRequest, name: str) -> None:
    request.nav_section = name


def _visible_enterprise(
    request: PageRequest, enterprise_id: int, action: str = "view"
) -> Enterprise:
    """The unit the URL names: 404 when the user cannot see it, 403 when they see it but may
    not take `action` on it."""
    try:
        return selectors.enterprise_get(request.user, enterprise_id, action)
    except DomainError as failure:
        raise_for_access(failure)
        raise


@login_required
def regions(request: PageRequest) -> HttpResponse:
    _section(request, "regions")
    tree = selectors.region_tree(request.user)
    bodies = selectors.organisations_in(tree)
    for region in tree:
        region.bodies = bodies.get(region.pk, [])  # type: ignore[attr-defined]
    top_depth = min((r.depth for r in tree), default=0)
    context = {"regions": tree, "top_depth": top_depth, "top_offset": -top_depth}
    return render(request, "organisations/regions.html", context)


def _list_filters(request: PageRequest) -> dict[str, Any]:
    return {key: request.GET.get(key, "") for key in selectors.LIST_FILTERS}


@login_required
def enterprise_list(request: PageRequest) -> HttpResponse:
    _section(request, "enterprises")
    filters = _list_filters(request)
    units = selectors.enterprise_list(request.user, filters)
    page = Paginator(units, settings.REDLINE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "sectors": Sector.choices,
        "kinds": UnitKind.choices,
        "statuses": UnitStatus.choices,
        "regions": selectors.region_choices(request.user, filters.get("region")),
        "parks": selectors.parks_visible(request.user),
    }
    if request.htmx:
        return render(request, "organisations/_enterprise_rows.html", context)
    return render(request, "organisations/enterprise_list.html", context)


@login_required
def enterprise_export(request: PageRequest, fmt: str) -> HttpResponseBase:
    units = selectors.enterprise_list(request.user, _list_filters(request))
    units = units[: settings.REDLINE_EXPORT_MAX_ROWS]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        streamed = StreamingHttpResponse(
            exports.csv_rows(units, csv.writer(exports.Echo())), content_type="text/csv"
        )
        streamed["Content-Disposition"] = f'attachment; filename="units-{stamp}.csv"'
        return streamed
    content = exports.xlsx_bytes(units)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="units-{stamp}.xlsx"'
    return response


@login_required
def enterprise_detail(request: PageRequest, enterprise_id: int) -> HttpResponse:
    _section(request, "enterprises")
    enterprise = _visible_enterprise(request, enterprise_id)
    history = selectors.enterprise_history(request.user, enterprise)
    more = changelog.fragment(request, history, subject=enterprise)
    if more is not None:  # htmx asks for another page of the change log
        return more
    context = {
        "enterprise": enterprise,
        "people": selectors.people_of(enterprise),
        "chain": selectors.responsibility_chain(enterprise),
        "changes": changelog.page(request, history, subject=enterprise),
        "can_change": not enterprise.is_archived and may(request.user, "change", enterprise),
        "can_archive": may(request.user, "archive", enterprise),
        "can_report_hazard": not enterprise.is_archived
        and (
            (is_government_side(request.user) and may(request.user, "inspect", enterprise))
            or (
                getattr(request.user.organisation, "enterprise_id", None) == enterprise.pk
                and (can(request.user, "change") or can(request.user, "inspect"))
            )
        ),
    }
    return render(request, "organisations/enterprise_detail.html", context)


@login_required
def enterprise_create(request: PageRequest) -> HttpResponse:
    _section(request, "enterprises")
    if not can(request.user, "create"):
        raise PermissionDenied
    form = EnterpriseForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                unit = services.enterprise_create(actor=request.user, data=form.service_data())
            except DomainError as failure:
                status = show_on_form(form, failure, {"sectors": "sector_list"})
            else:
                messages.success(request, _("Unit “%(name)s” registered.") % {"name": unit.name})
                return redirect("enterprise-detail", enterprise_id=unit.pk)
    context = {"form": form, "title": _("Register a unit")}
    return render(request, "organisations/enterprise_form.html", context, status=status)


@login_required
def enterprise_edit(request: PageRequest, enterprise_id: int) -> HttpResponse:
    _section(request, "enterprises")
    enterprise = _visible_enterprise(request, enterprise_id, "change")
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                version = int(form.cleaned_data.get("version") or 0)
                unit = services.enterprise_update(
                    actor=request.user,
                    enterprise_id=enterprise.pk,
                    version=version,
                    data=form.service_data(),
                )
            except DomainError as failure:
                status = show_on_form(form, failure, {"sectors": "sector_list"})
            else:
                messages.success(request, _("Changes saved."))
                return redirect("enterprise-detail", enterprise_id=unit.pk)
    context = {
        "form": form,
        "title": _("Edit %(name)s") % {"name": enterprise.name},
        "enterprise": enterprise,
    }
    return render(request, "organisations/enterprise_form.html", context, status=status)


@login_required
@require_POST
def enterprise_archive(request: PageRequest, enterprise_id: int, archived: bool) -> HttpResponse:
    enterprise = _visible_enterprise(request, enterprise_id)
    try:
        services.enterprise_set_archived(
            actor=request.user,
            enterprise_id=enterprise.pk,
            archived=archived,
            comment=request.POST.get("comment", ""),
        )
    except DomainPermissionDenied:
        raise PermissionDenied from None
    except (NotFound, Enterprise.DoesNotExist):
        raise Http404 from None
    messages.success(request, _("Unit archived.") if archived else _("Unit restored."))
    return redirect("enterprise-detail", enterprise_id=enterprise.pk)


@login_required
def person_edit(
    request: PageRequest, enterprise_id: int, person_id: int | None = None
) -> HttpResponse:
    _section(request, "enterprises")
    enterprise = _visible_enterprise(request, enterprise_id, "change")
    person = (
        get_object_or_404(enterprise.people.filter(is_archived=False), pk=person_id)
        if person_id
        else Person(enterprise=enterprise)
    )
    form = PersonForm(request.POST or None, instance=person)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                if person_id:
                    services.person_update(
                        actor=request.user,
                        person_id=person_id,
                        version=int(form.cleaned_data.get("version") or 0),
                        data=form.service_data(),
                    )
                else:
                    services.person_create(
                        actor=request.user, enterprise_id=enterprise.pk, data=form.service_data()
                    )
            except DomainError as failure:
                status = show_on_form(form, failure, {"sectors": "sector_list"})
            else:
                messages.success(request, _("Saved."))
                return redirect("enterprise-detail", enterprise_id=enterprise.pk)
    context = {"form": form, "enterprise": enterprise, "person": person if person_id else None}
    return render(request, "organisations/person_form.html", context, status=status)


@login_required
@require_POST
def person_archive(request: PageRequest, enterprise_id: int, person_id: int) -> HttpResponse:
    enterprise = _visible_enterprise(request, enterprise_id)
    person = get_object_or_404(enterprise.people.filter(is_archived=False), pk=person_id)
    try:
        services.person_archive(
            actor=request.user, person_id=person.pk, version=int(request.POST.get("version", 0))
        )
    except DomainPermissionDenied:
        raise PermissionDenied from None
    except Conflict as failure:
        messages.error(request, failure.message)
    except ValidationFailed as failure:
        messages.error(request, failure.message)
    else:
        messages.success(request, _("%(name)s removed from the unit.") % {"name": person.name})
    return redirect("enterprise-detail", enterprise_id=enterprise.pk)
