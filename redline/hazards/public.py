"""Reports from the public: a web form anyone can use without an account, protected
against abuse (a per-address hourly limit here; the form adds a honeypot and a minimum
fill time), answered with a tracking number the reporter can look up later."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.core import audit
from redline.core.errors import Conflict, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.readers import Choice, Ref, Text
from redline.hazards import evidence
from redline.hazards.models import Hazard, PublicReportSender, PublicReportStamp, unit_copies
from redline.hazards.services import announce_report, timeline_event
from redline.hazards.tally import tally_add
from redline.hazards.vocab import HazardLevel, HazardSource, HazardState, HazardType
from redline.organisations import selectors as org_selectors
from redline.organisations.models import Organisation, Region
from redline.organisations.vocab import OrganisationKind, RegionLevel, Sector

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# How long a public report form's stamp is valid (`forms.PublicReportForm`); a used stamp is
# kept this long, then forgotten.
STAMP_MAX_AGE = dt.timedelta(hours=6)


def _tracking_code() -> str:
    body = "".join(secrets.choice(TRACKING_ALPHABET) for _i in range(12))
    return f"{body[:4]}-{body[4:8]}-{body[8:]}"


def _ip_hash(ip: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest() if ip else ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class PublicReportInput(Input):
    """A report from anyone, each field read once where it arrives."""

    region: int = read(Ref(_lazy("Choose the district or subdistrict.")))
    place: str = read(Text(limit=200))
    description: str = read(Text(limit=4000))
    name: str = read(Text(limit=200), "")
    sector: str = read(Choice(Sector.values), "")
    hazard_type: str = read(Choice(HazardType.values), HazardType.OTHER)
    contact: str = read(Text(limit=100), "")


@transaction.atomic
def hazard_report_public(
    *, data: PublicReportInput, photos: Iterable[Any] = (), ip: str = "", stamp: str = ""
) -> Hazard:
    """A report from anyone, without an account. It lands with the governments of the
    region chosen, who assign it to a unit or dismiss it; the reporter gets a tracking
    number. At most REDLINE_PUBLIC_REPORT_LIMIT reports per address per hour, and one report
    per form (`stamp`: the nonce of the form's signed stamp, when it came from the form)."""
    if stamp:
        _stamp_use(stamp)
    ip_hash = _ip_hash(ip)
    if ip_hash:
        _within_limit(ip_hash)
    try:
        region = Region.objects.get(pk=data.region)
    except Region.DoesNotExist:
        raise ValidationFailed(
            fields={"region": _("Choose the district or subdistrict.")}
        ) from None
    uploads = evidence.check_uploads(photos)
    description, sector = data.description, data.sector
    hazard = Hazard(
        region=region,
        sector=sector,
        **unit_copies(None, sector),
        name=data.name or description[:60],
        description=description,
        hazard_type=data.hazard_type,
        level=HazardLevel.GENERAL,
        source=HazardSource.PUBLIC,
        location=data.place,
        state=HazardState.REPORTED,
        reporter_name=_("Member of the public"),
        reporter_contact=data.contact,
        reporter_ip_hash=ip_hash,
        reported_at=timezone.now(),
    )
    for _attempt in range(5):
        hazard.tracking_code = _tracking_code()
        try:
            with transaction.atomic():
                hazard.save()
            break
        except IntegrityError:
            hazard.pk = None
            continue
    else:  # pragma: no cover - 32**12 codes
        raise Conflict(_("Please submit again."))
    event = timeline_event(
        hazard,
        actor=None,
        action="report",
        to_state=hazard.state,
        comment=description,
        actor_name=str(_("Member of the public")),
    )
    evidence.store(uploads, actor=None, hazard=hazard, event=event)
    tally_add(hazard)
    audit.record(
        actor=None,
        action="create",
        instance=hazard,
        before=None,
        after=audit.snapshot(hazard, exclude=("reporter_ip_hash", "reporter_contact")),
    )
    announce_report(hazard, None)
    return hazard


def _stamp_use(nonce: str) -> None:
    """Marks the form's stamp used (in the report's transaction: a refused report leaves it
    unused); a stamp already used is refused. Used stamps past their validity are
    forgotten."""
    now = timezone.now()
    PublicReportStamp.objects.filter(used_at__lt=now - STAMP_MAX_AGE).delete()
    try:
        with transaction.atomic():
            PublicReportStamp.objects.create(nonce=nonce, used_at=now)
    except IntegrityError:
        raise ValidationFailed(
            fields={"stamp": _("This form was already sent. Reload it to send another report.")}
        ) from None


def _within_limit(ip_hash: str) -> None:
    """Refuses a report from an address that sent the limit in the last hour. The address's
    row is locked first (PostgreSQL; SQLite's IMMEDIATE transactions take the write lock at
    their start), so two reports from it are counted one after the other, each seeing the
    other's report, and never both under the limit together."""
    PublicReportSender.objects.bulk_create(
        [PublicReportSender(ip_hash=ip_hash)], ignore_conflicts=True
    )
    PublicReportSender.objects.select_for_update().get(ip_hash=ip_hash)
    since = timezone.now() - dt.timedelta(hours=1)
    recent = Hazard.objects.filter(reporter_ip_hash=ip_hash, reported_at__gte=since).count()
    if recent >= settings.REDLINE_PUBLIC_REPORT_LIMIT:
        raise ValidationFailed(
            _("Too many reports from your connection in the last hour; try again later.")
        )


def hazard_track(code: str) -> Hazard | None:
    """What a member of the public may learn from a tracking number."""
    code = code.strip().upper()
    if not code:
        return None
    return Hazard.objects.filter(tracking_code=code).first()


@dataclass(frozen=True)
class Tracking:
    """What the tracking page tells a reporter: when, how far, who handles it, the outcome.
    Never the unit, the people, their comments or the internal steps."""

    received: dt.datetime
    state: str
    updated: dt.datetime
    handled_by: str
    progress: str
    outcome: str
    note: str


def hazard_tracking(hazard: Hazard) -> Tracking:
    closed = hazard.state == HazardState.CLOSED
    dismissed = hazard.state == HazardState.DISMISSED
    if closed:
        outcome = _("Rectified and accepted; the report is closed.")
    elif dismissed:
        outcome = _("Checked and not found to be a hazard; the report is closed.")
    else:
        outcome = ""
    return Tracking(
        received=hazard.reported_at,
        state=hazard.get_state_display(),
        updated=hazard.updated_at,
        handled_by=str(_handling_body(hazard) or ""),
        progress=_progress(hazard),
        outcome=outcome,
        note=hazard.public_note,
    )


def _progress(hazard: Hazard) -> str:
    if hazard.state == HazardState.REPORTED:
        if hazard.enterprise_id is None:
            return _("Received; being checked by the territorial government.")
        return _("Confirmed and passed to the responsible unit for rectification.")
    if hazard.state == HazardState.RECTIFYING:
        return _("Being rectified under supervision.")
    if hazard.state in (HazardState.AWAITING_ACCEPTANCE, HazardState.AWAITING_SIGNOFF):
        return _("Rectification done; being checked.")
    return _("Handling finished.")


def _handling_body(hazard: Hazard) -> Organisation | None:
    """The body answerable for the report now: the supervising body of a listed hazard, the
    department supervising the unit it was assigned to, else the most local government."""
    if hazard.listed_by_id:
        return hazard.listed_by
    if hazard.enterprise_id:
        departments = org_selectors.supervising_departments(hazard.enterprise, hazard.sector)
        if departments:
            return departments[0]
    region = hazard.region
    depth = {r.pk: i for i, r in enumerate(region.ancestors())}
    governments = org_selectors.governments_at(
        region, (RegionLevel.SUBDISTRICT, RegionLevel.DISTRICT)
    )
    # The most local first; a government before its Safety Committee office.
    ranked = sorted(
        governments,
        key=lambda o: (-depth.get(o.region_id, 0), o.kind != OrganisationKind.GOVERNMENT, o.pk),
    )
    return ranked[0] if ranked else None
