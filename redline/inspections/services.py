"""Writes of government inspection: planning an inspection, and what the team sends from
the unit's site (answers, photos, signatures), each recognised by its idempotency key so a
phone that resends after a lost connection changes nothing the second time. The steps of an
inspection and of a finding are the workflow kernel's (`inspections/workflow.py`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.campaigns.models import Campaign
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.readers import Choice, Codes, Date, DateTime, Ref, Text
from redline.core.records import log_change
from redline.core.workflow import take_step, write_event
from redline.hazards import evidence
from redline.inspections import checklist
from redline.inspections.models import (
    Answer,
    ChecklistTemplate,
    Inspection,
    InspectionInspector,
    Receipt,
    Signature,
)
from redline.inspections.vocab import InspectionKind, InspectionState, Signer
from redline.inspections.workflow import FINDING, INSPECTION, on_the_team
from redline.organisations.access import is_government_side, role_allows
from redline.organisations.models import Enterprise
from redline.organisations.vocab import Sector

if TYPE_CHECKING:
    from redline.accounts.models import User
    from redline.inspections.models import Finding


@dataclasses.dataclass(frozen=True, kw_only=True)
class InspectionInput(Input):
    """An inspection as its body plans it."""

    enterprise: int = read(Ref(_lazy("Choose a unit in your jurisdiction.")))
    kind: str = read(Choice(InspectionKind.values))
    planned_on: dt.date = read(Date())
    inspectors: tuple[str, ...] = read(Codes())  # user ids; the first leads
    sector: str = read(Choice(Sector.values), "")  # default: the unit's first sector
    template: int | None = read(Ref(_lazy("Choose a checklist.")), None)  # default: current
    campaign: int | None = read(Ref(_lazy("Choose a campaign that covers the unit.")), None)


@transaction.atomic
def inspection_plan(
    *, actor: User, data: InspectionInput, idempotency_key: str = ""
) -> tuple[Inspection, bool]:
    """Plan an inspection of a unit the actor's body may inspect, with its team (two or
    more for enforcement and joint inspections), in the actor's body. Returns (inspection,
    created): a retried request with the same key returns the first one's inspection."""
    key = f"{actor.pk}:{idempotency_key.strip()}"[:120] if idempotency_key.strip() else None
    if key:
        existing = Inspection.objects.restrict(actor).filter(idempotency_key=key).first()
        if existing is not None:
            return existing, False
    if not is_government_side(actor) or actor.organisation is None:
        raise PermissionDenied(_("Inspections are planned by a government body."))
    enterprise = Enterprise.objects.get_for(actor, "inspect", pk=data.enterprise)
    sector = data.sector or (enterprise.sector_list[0] if enterprise.sector_list else "other")
    team = _team(actor, data)
    needed = 2 if data.kind in InspectionKind.needs_two_inspectors() else 1
    if len(team) < needed:
        raise ValidationFailed(
            fields={"inspectors": _("At least %(n)d inspectors.") % {"n": needed}}
        )
    campaign = _campaign(actor, data.campaign, enterprise)
    template = _template(data.template, sector, campaign)
    now = timezone.now()
    inspection = Inspection(
        number="",
        enterprise=enterprise,
        organisation=actor.organisation,
        kind=data.kind,
        sector=sector,
        template=template,
        campaign=campaign,
        planned_on=data.planned_on,
        created_by=actor,
        created_at=now,
        idempotency_key=key,
    )
    try:
        with transaction.atomic():
            inspection.save()
    except IntegrityError:
        found = Inspection.objects.restrict(actor).filter(idempotency_key=key)
        existing = found.first() if key else None
        if existing is None:
            raise
        return existing, False
    inspection.number = f"JC{data.planned_on:%Y}-{inspection.pk:06d}"
    Inspection.objects.filter(pk=inspection.pk).update(number=inspection.number)
    InspectionInspector.objects.bulk_create(
        InspectionInspector(inspection=inspection, user=user, lead=index == 0)
        for index, user in enumerate(team)
    )
    write_event(
        INSPECTION,
        inspection,
        actor=actor,
        action="plan",
        at=now,
        to_state=inspection.state,
        data={"team": [str(u) for u in team]},
    )
    log_change(actor, "create", inspection, None, enterprise_id=inspection.enterprise_id)
    return inspection, True


def _team(actor: User, data: InspectionInput) -> list[User]:
    """The inspectors named: active users of the actor's body who may inspect."""
    ids: list[int] = []
    for value in data.inspectors:
        try:
            ids.append(int(value))
        except ValueError:
            raise ValidationFailed(
                fields={"inspectors": _("Choose people of your body.")}
            ) from None
    if len(set(ids)) != len(ids):
        raise ValidationFailed(fields={"inspectors": _("Name each inspector once.")})
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(
            pk__in=ids, organisation=actor.organisation, is_active=True
        )
    }
    team = [users[i] for i in ids if i in users]
    if len(team) != len(ids) or not all(role_allows(u, "inspect") for u in team):
        raise ValidationFailed(
            fields={"inspectors": _("Choose people of your body who may inspect.")}
        )
    return team


def _campaign(actor: User, pk: int | None, enterprise: Enterprise) -> Campaign | None:
    """The campaign named, when the actor sees it and it covers the unit."""
    if pk is None:
        return None
    found: Campaign | None = (
        Campaign.objects.restrict(actor).covering(enterprise).filter(pk=pk).first()
    )
    if found is None:
        raise ValidationFailed(fields={"campaign": _("Choose a campaign that covers the unit.")})
    return found


def _template(
    pk: int | None, sector: str, campaign: Campaign | None = None
) -> ChecklistTemplate | None:
    """The checklist chosen; by default the current checklist of the campaign's programme
    for this sector, else the standing checklist of the sector."""
    if pk is not None:
        found = ChecklistTemplate.objects.filter(pk=pk).first()
        if found is None:
            raise ValidationFailed(fields={"template": _("Choose a checklist.")})
        return found
    current = ChecklistTemplate.objects.filter(sector=sector, is_current=True)
    if campaign is not None and campaign.code:
        written = current.filter(campaign_code=campaign.code).first()
        if written is not None:
            return written
    return current.filter(campaign_code="").first()


# --- what the team sends from the site ---------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnswerInput(Input):
    """One checklist answer from the phone; `value` is read against its item's answer type."""

    item: str = read(Text(limit=20))
    value: Any = None
    note: str = read(Text(limit=2000), "")
    answered_at: dt.datetime = read(DateTime())
    key: str = read(Text(limit=120))


def _on_site(actor: User, inspection_id: int) -> Inspection:
    """An inspection the actor is on the team of, on site (404 / 403 / 409)."""
    inspection = Inspection.objects.get_for(actor, "view", pk=inspection_id)
    if not on_the_team(actor, inspection):
        raise PermissionDenied(_("Only the inspection's team sends its answers."))
    if inspection.state != InspectionState.IN_PROGRESS:
        raise Conflict(
            _("This inspection is %(state)s: answers are taken on site only.")
            % {"state": inspection.get_state_display()}
        )
    return inspection


def _seen(inspection: Inspection, key: str, what: str) -> bool:
    """Record the submission's key; False when it was already received (a resend)."""
    try:
        with transaction.atomic():
            Receipt.objects.create(
                inspection=inspection, key=key, what=what, received_at=timezone.now()
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def answer_record(*, actor: User, inspection_id: int, data: AnswerInput) -> Answer | None:
    """Record one answer. A resend (same key) changes nothing; of two answers to the same
    item, the one answered last on the phone stands, whatever order they arrive in."""
    inspection = _on_site(actor, inspection_id)
    value = checklist.read_answer(inspection, data.item, data.value)
    if not _seen(inspection, data.key, f"answer:{data.item}"):
        return Answer.objects.filter(inspection=inspection, item_code=data.item).first()
    now = timezone.now()
    answered_at = min(data.answered_at, now)
    current = (
        Answer.objects.select_for_update()
        .filter(inspection=inspection, item_code=data.item)
        .first()
    )
    if current is not None and current.answered_at > answered_at:
        return current  # a later answer already stands
    before = None
    if current is None:
        current = Answer(inspection=inspection, item_code=data.item)
    else:
        before = {"value": current.value, "note": current.note}
    current.value, current.note = value, data.note
    current.answered_by, current.answered_at, current.received_at = actor, answered_at, now
    current.save()
    log_change(
        actor,
        "create" if before is None else "update",
        current,
        before,
        enterprise_id=inspection.enterprise_id,
    )
    return current


@transaction.atomic
def photo_add(*, actor: User, inspection_id: int, item: str, files: Iterable[Any], key: str) -> int:
    """Attach photos to a checklist item; a resend (same key) adds nothing. Returns how
    many photos the item has."""
    inspection = _on_site(actor, inspection_id)
    checklist.item_of(inspection, item)
    uploads = evidence.check_uploads(files)
    if not uploads:
        raise ValidationFailed(fields={"photos": _("This field is required.")})
    if _seen(inspection, key, f"photo:{item}"):
        evidence.store(uploads, actor=actor, inspection=inspection, item_code=item)
    return inspection.photos.filter(item_code=item).count()


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignatureInput(Input):
    signer: str = read(Choice(Signer.values))
    name: str = read(Text(limit=100))
    key: str = read(Text(limit=120))


@transaction.atomic
def signature_add(
    *, actor: User, inspection_id: int, data: SignatureInput, image: Any
) -> Signature | None:
    """A signature drawn on the phone: an inspector of the team signs for themselves; the
    unit's representative signs on the team's phone. A resend changes nothing."""
    inspection = _on_site(actor, inspection_id)
    uploads = evidence.check_uploads([image], field="signature")
    if not _seen(inspection, data.key, f"signature:{data.signer}"):
        return Signature.objects.filter(inspection=inspection, signer=data.signer).last()
    if data.signer == Signer.INSPECTOR:
        Signature.objects.filter(inspection=inspection, signer=data.signer, user=actor).delete()
    else:
        Signature.objects.filter(inspection=inspection, signer=data.signer).delete()
    [photo] = evidence.store(uploads, actor=actor, inspection=inspection, item_code="signature")
    signature = Signature.objects.create(
        inspection=inspection,
        signer=data.signer,
        user=actor if data.signer == Signer.INSPECTOR else None,
        name=data.name,
        photo=photo,
        signed_at=timezone.now(),
    )
    if data.signer == Signer.UNIT:
        Inspection.objects.filter(pk=inspection.pk).update(unit_representative=data.name)
    return signature


# --- steps ---------------------------------------------------------------------------------


def inspection_step(
    *, actor: User, inspection_id: int, action: str, version: int | None, data: Any = None
) -> Inspection:
    inspection: Inspection = take_step(
        INSPECTION, actor=actor, pk=inspection_id, action=action, version=version, data=data
    )
    return inspection


def finding_step(
    *, actor: User, finding_id: int, action: str, version: int | None, data: Any = None
) -> Finding:
    finding: Finding = take_step(
        FINDING, actor=actor, pk=finding_id, action=action, version=version, data=data
    )
    return finding
