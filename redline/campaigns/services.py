"""Writes to the special rectification campaigns. Web views, the API and the CLI call these.

Who may create and edit a campaign is the door's (the action "manage",
`redline.organisations.access`): the city government or the city Safety Committee office,
by a user holding the manager or administrator role. Values are validated through the
model (422 naming the field), updates carry the version read (409), and every change goes
to the change log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from redline.campaigns.models import Campaign, CampaignSector
from redline.core import audit
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.records import clean_or_fail, save_versioned
from redline.organisations.access import can
from redline.organisations.models import Region

FIELDS = (
    "name",
    "name_en",
    "sectors",
    "regions",
    "starts_on",
    "ends_on",
    "standards",
    "targets",
    "description",
    "is_archived",
)


def may_manage(user: Any) -> bool:
    """May the user create and edit campaigns (the door's action "manage": a manager or
    administrator of the city government or of the city Safety Committee office, or a
    superuser)?"""
    return can(user, "manage")


def ensure_may_manage(user: Any) -> None:
    if not may_manage(user):
        raise PermissionDenied()


def _regions(actor: Any, value: Any) -> list[Region]:
    if value in (None, ""):
        return []
    if isinstance(value, Region | int | str) or not isinstance(value, Iterable):
        value = [value]
    ids = []
    for entry in value:
        pk = entry.pk if isinstance(entry, Region) else entry
        try:
            ids.append(int(pk))
        except (TypeError, ValueError):
            raise ValidationFailed(fields={"regions": _("No such region.")}) from None
    found = list(Region.objects.restrict(actor).filter(pk__in=ids).order_by("path"))
    if len(found) != len(set(ids)):
        raise ValidationFailed(fields={"regions": _("No such region.")})
    return found


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _targets(value: Any) -> Any:
    """Targets as stored: unset ones left out, decimals from forms as plain numbers."""
    if not isinstance(value, Mapping):
        return value
    return {k: _number(v) for k, v in value.items() if v is not None and v != ""}


def _snapshot(campaign: Campaign, regions: list[Region]) -> dict[str, Any]:
    data = audit.snapshot(campaign)
    data["regions"] = [[r.pk, str(r)] for r in regions]
    return data


def _apply(campaign: Campaign, data: Mapping[str, Any]) -> None:
    for name, value in data.items():
        if name == "sectors":
            items = value.split(",") if isinstance(value, str) else list(value or [])
            campaign.sector_list = [str(s) for s in items if s]
        elif name == "standards":
            campaign.standards = list(value) if isinstance(value, list | tuple) else value
        elif name == "targets":
            campaign.targets = _targets(value)
        elif name in ("name", "name_en", "description"):
            setattr(campaign, name, (value or "").strip() if isinstance(value, str) else value)
        else:
            setattr(campaign, name, value)


@transaction.atomic
def campaign_save(
    *,
    actor: Any,
    data: Mapping[str, Any],
    campaign_id: int | None = None,
    version: int | None = None,
) -> Campaign:
    """Create a campaign (no `campaign_id`) or change one read at `version`."""
    ensure_may_manage(actor)
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValidationFailed(fields={k: _("Unknown field.") for k in unknown})
    if campaign_id is None:
        campaign, before, old_regions = Campaign(), None, []
    else:
        campaign = Campaign.objects.get_for(actor, "manage", pk=campaign_id)
        if version is None:
            raise ValidationFailed(fields={"version": _("Give the version you read.")})
        old_regions = list(campaign.regions.order_by("path"))
        before = _snapshot(campaign, old_regions)
    regions = _regions(actor, data["regions"]) if "regions" in data else old_regions
    _apply(campaign, {k: v for k, v in data.items() if k != "regions"})
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
    actor: Any,
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
