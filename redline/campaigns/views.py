"""Campaign pages: the list with headline progress, one campaign's progress (breakdowns,
ranking, trend), and the form for those who may create and edit campaigns."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from redline.campaigns import selectors, services
from redline.campaigns.forms import CampaignForm
from redline.campaigns.models import Campaign, standard_title
from redline.core import changelog
from redline.core.errors import DomainError
from redline.core.models import ChangeLog
from redline.core.web import PageRequest, show_on_form
from redline.organisations.selectors import region_choices


def _section(request: PageRequest) -> None:
    request.nav_section = "campaigns"


def _visible(request: PageRequest, campaign_id: int) -> Campaign:
    try:
        return selectors.campaign_get(request.user, campaign_id)
    except Campaign.DoesNotExist:
        raise Http404 from None


@login_required
def campaign_list(request: PageRequest) -> HttpResponse:
    _section(request)
    archived = request.GET.get("archived") == "1"
    filters = {
        name: request.GET.get(name, "").strip()
        for name in selectors.LIST_FILTERS
        if request.GET.get(name, "").strip()
    }
    campaigns = list(selectors.campaign_list(request.user, filters, archived=archived))
    heads = selectors.headlines(request.user, campaigns)
    context = {
        "rows": [heads[c.pk] for c in campaigns],
        "filters": filters,
        "regions": region_choices(request.user, filters.get("region")),
        "archived": archived,
        "can_manage": services.may_manage(request.user),
    }
    return render(request, "campaigns/campaign_list.html", context)


@login_required
def campaign_detail(request: PageRequest, campaign_id: int) -> HttpResponse:
    _section(request)
    campaign = _visible(request, campaign_id)
    can_manage = services.may_manage(request.user)
    history = (
        ChangeLog.objects.restrict(request.user)
        .filter(model=campaign._meta.label, object_id=str(campaign.pk))
        .select_related("actor")
        if can_manage
        else ChangeLog.objects.none()
    )
    more = changelog.fragment(request, history, subject=campaign)
    if more is not None:  # htmx asks for another page of the change log
        return more
    progress = selectors.progress(request.user, campaign)
    context = {
        "campaign": campaign,
        "progress": progress,
        "standards": [(s, standard_title(s), len(s.items)) for s in campaign.standard_list()],
        "region_level": progress.regions[0].region.get_level_display()
        if progress.regions and progress.regions[0].region
        else "",
        "can_manage": can_manage,
        "changes": changelog.page(request, history, subject=campaign) if can_manage else None,
    }
    return render(request, "campaigns/campaign_detail.html", context)


@login_required
def campaign_edit(request: PageRequest, campaign_id: int | None = None) -> HttpResponse:
    _section(request)
    campaign = _visible(request, campaign_id) if campaign_id else None
    if not services.may_manage(request.user):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, user=request.user, campaign=campaign)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = services.campaign_save(
                    actor=request.user,
                    data=form.service_data(),
                    campaign_id=campaign.pk if campaign else None,
                    version=form.cleaned_data.get("version") if campaign else None,
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Campaign saved."))
                return redirect("campaign-detail", campaign_id=saved.pk)
    title = (
        _("Edit %(name)s") % {"name": campaign}
        if campaign
        else _("New special rectification campaign")
    )
    context = {"form": form, "campaign": campaign, "title": title}
    return render(request, "campaigns/campaign_form.html", context, status=status)
