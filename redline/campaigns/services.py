"""Writes to the special rectification campaigns. Web views, the API and the CLI call these.

Who may create and edit a campaign is the door's (the action "manage",
`redline.organisations.access`): the city government or the city Safety Committee office,
by a user holding the manager or administrator role. Values are validated through the
model (422 naming the field), updates carry the version read (409), and every change goes
to the change log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from redline.campaigns.models import Campaign, CampaignSector
from redline.core import audit
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.inputs import UNSET, Input, Maybe, Unset
from redline.core.records import clean_or_fail, save_versioned
from redline.organisations.access import can
from redline.organisations.models import Region

if TYPE_CHECKING:
    from redline.accounts.models import User


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignInput(Input):
    """A campaign's fields as an edge read them; an update changes those given. The regions
    come as records or ids (none: the whole city), found through the door either way; the
    targets are percentages by target. The model checks the rest (the sectors and standards
    it knows, the period, each target's range)."""

    name: Maybe[str] = UNSET
    name_en: Maybe[str] = UNSET
    code: Maybe[str] = UNSET
    sectors: Maybe[tuple[str, ...]] = UNSET
    regions: Maybe[tuple[Region | int, ...]] = UNSET
    starts_on: Maybe[dt.date] = UNSET
    ends_on: Maybe[dt.date] = UNSET
    standards: Maybe[tuple[str, ...]] = UNSET
    targets: Maybe[Mapping[str, float]] = UNSET
    description: Maybe[str] = UNSET
    is_archived: Maybe[bool] = UNSET


def may_manage(user: User) -> bool:
    """May the user create and edit campaigns (the door's action "manage": a manager or
    administrator of the city government or of the city Safety Committee office, or a
    superuser)?"""
    return can(user, "manage")


def ensure_may_manage(user: User) -> None:
    if not may_manage(user):
        raise PermissionDenied()


def _regions(actor: User, value: tuple[Region | int, ...]) -> list[Region]:
    """The regions named, where the actor may see them; a field error for any other."""
    ids = {entry.pk if isinstance(entry, Region) else entry for entry in value}
    if not ids:
        return []
    found = list(Region.objects.restrict(actor).filter(pk__in=ids).order_by("path"))
    if len(found) != len(ids):
        raise ValidationFailed(fields={"regions": _("No such region.")})
    return found


def _snapshot(campaign: Campaign, regions: list[Region]) -> dict[str, Any]:
    data = audit.snapshot(campaign)
    data["regions"] = [[r.pk, str(r)] for r in regions]
    return data


def _apply(campaign: Campaign, data: CampaignInput) -> None:
    for name, value in data.given().items():
        if name == "regions":
            continue  # not a field of the row: set after the save
        if name == "sectors":
            campaign.sector_list = list(value)
        elif name == "standards":
            campaign.standards = list(value)
        elif name == "targets":
            campaign.targets = dict(value)
        elif name in ("name", "name_en", "code", "description"):
            setattr(campaign, name, value.strip())
        else:
            setattr(campaign, name, value)


@transaction.atomic
def campaign_save(
    *,
    actor: User,
    data: CampaignInput,
    campaign_id: int | None = None,
    version: int | None = None,
) -> Campaign:
    """Create a campaign (no `campaign_id`) or change one read at `version`."""
    ensure_may_manage(actor)
    if campaign_id is None:
        campaign, before, old_regions = Campaign(), None, []
    else:
        campaign = Campaign.objects.get_for(actor, "manage", pk=campaign_id)
        if version is None:
            raise ValidationFailed(fields={"version": _("Give the version you read.")})
        old_regions = list(campaign.regions.order_by("path"))
        before = _snapshot(campaign, old_regions)
    regions = old_regions if isinstance(data.regions, Unset) else _regions(actor, data.regions)
    _apply(campaign, data)
    clean_or_fail(campaign)

    if before is None:
        campaign.save()
        campaign.regions.set(regions)
        _log(actor, "create", campaign, None, regions)
        return campaign

    after = _snapshot(campaign, regions)
    changed = {k for k, v in after.items() if before.get(k) != v} - {"updated_at"}
    if not changed:
        if campaign.version != version:
            raise Conflict()
        return campaign
    if version is None:
        raise Conflict()  # (no row has no version)
    save_versioned(campaign, version)
    if "sectors" in changed:
        CampaignSector.sync([campaign])
    campaign.regions.set(regions)
    action = "update"
    if changed == {"is_archived"}:
        action = "archive" if campaign.is_archived else "restore"
    _log(actor, action, campaign, before, regions)
    return campaign


def _log(
    actor: User,
    action: str,
    campaign: Campaign,
    before: dict[str, Any] | None,
    regions: list[Region],
) -> None:
    audit.record(
        actor=actor,
        action=action,
        instance=campaign,
        before=before,
        after=_snapshot(campaign, regions),
        enterprise_id=None,
    )
