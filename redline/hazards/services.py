"""Writes of hidden-hazard governance: reporting (by a unit, a government inspector, the
API, or the public), the closed loop's transitions, and the deadline sweep (reminders,
overdue flags, escalation up the responsibility chain).

Every write: the actor must see the hazard (404) and be allowed the step (403); values are
validated (422, naming the field); the version read must still be current and the state
the step leaves must still hold (409: two people acting at once cannot both succeed);
every change is in the change log and on the hazard's timeline; notifications leave after
the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from redline.core import audit
from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.notify import notify, users_of
from redline.core.workflow import ensure_allowed
from redline.engines.fire_composite import composite_determination
from redline.hazards import evidence
from redline.hazards.models import Hazard, HazardEvent, InspectionTask, unit_copies
from redline.hazards.standards import fire_rules, item
from redline.hazards.tally import closed_part, key_of, tally_add, tally_move
from redline.hazards.vocab import (
    Classification,
    HazardLevel,
    HazardSource,
    HazardState,
    HazardType,
    ManageType,
    SupervisionLevel,
)
from redline.hazards.workflow import TRANSITIONS, blocked_reason
from redline.organisations import selectors as org_selectors
from redline.organisations.access import can, is_government_side
from redline.organisations.models import Enterprise, Organisation
from redline.organisations.vocab import OrganisationKind, RegionLevel, Sector
from redline.risk.models import ControlMeasure

REPORT_FIELDS = (
    "enterprise",
    "name",
    "description",
    "hazard_type",
    "level",
    "classification",
    "source",
    "location",
    "measure",
    "task",
    "determination_items",
    "fire_place_type",
    "fire_elements",
)


# --- helpers ---------------------------------------------------------------------------


def text(data: Mapping[str, Any], name: str, *, required: bool, limit: int = 0) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        raise ValidationFailed(fields={name: _("This field is required.")})
    if limit and len(value) > limit:
        raise ValidationFailed(fields={name: _("At most %(n)d characters.") % {"n": limit}})
    return value


def choice(data: Mapping[str, Any], name: str, choices: Any, *, required: bool) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        if required:
            raise ValidationFailed(fields={name: _("This field is required.")})
        return ""
    if value not in choices.values:
        raise ValidationFailed(
            fields={name: _("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)}}
        )
    return value


def _date(data: Mapping[str, Any], name: str, *, required: bool) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise ValidationFailed(fields={name: _("This field is required.")})
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(fields={name: _("Give a date as YYYY-MM-DD.")}) from None


def _future_date(data: Mapping[str, Any], name: str) -> dt.date:
    value = _date(data, name, required=True)
    assert value is not None
    if value < timezone.localdate():
        raise ValidationFailed(fields={name: _("The deadline cannot be in the past.")})
    return value


def check_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(fields={name: _("Unknown field.") for name in unknown})


def _org_name(actor: Any) -> str:
    org = getattr(actor, "organisation", None)
    return str(org) if org else ""


def _actor_name(actor: Any) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return ""
    return actor.get_full_name() or actor.get_username()


def timeline_event(
    hazard: Hazard,
    *,
    actor: Any,
    action: str,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
    actor_name: str = "",
) -> HazardEvent:
    return HazardEvent.objects.create(
        hazard=hazard,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor_name or _actor_name(actor),
        organisation_name=_org_name(actor),
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=dict(data or {}),
    )


def hazard_url(hazard: Hazard) -> str:
    return reverse("hazard-detail", args=[hazard.pk])


def _hazard_for(actor: Any, hazard_id: int) -> Hazard:
    queryset = Hazard.objects.restrict(actor).select_related("enterprise", "region")
    try:
        return queryset.get(pk=hazard_id)
    except Hazard.DoesNotExist:
        raise NotFound() from None


# --- determination ---------------------------------------------------------------------


def determination(
    items: Iterable[str], place_type: str, elements: Iterable[str]
) -> tuple[list[str], bool, Any]:
    """Check the cited determination items and the fire composite input; say whether they
    make the hazard major, with the composite result (or None)."""
    cited: list[str] = []
    for item_id in dict.fromkeys(str(i).strip() for i in items or [] if str(i).strip()):
        try:
            entry = item(item_id)
        except KeyError:
            raise ValidationFailed(
                fields={"determination_items": _("No determination item %(id)s.") % {"id": item_id}}
            ) from None
        if entry.kind == "element":
            raise ValidationFailed(
                fields={
                    "determination_items": _(
                        "%(id)s is a fire composite element: give it under the composite "
                        "method's elements."
                    )
                    % {"id": item_id}
                }
            )
        cited.append(item_id)
    found = [str(e).strip() for e in elements or [] if str(e).strip()]
    composite = None
    if found or place_type:
        if not place_type:
            raise ValidationFailed(fields={"fire_place_type": _("Say what kind of place it is.")})
        try:
            composite = composite_determination(fire_rules(), place_type, found)
        except ValueError as error:
            raise ValidationFailed(fields={"fire_elements": str(error)}) from None
    major = bool(cited) or bool(composite and composite.is_major)
    return cited, major, composite


# --- reporting -------------------------------------------------------------------------


def _reported_hazard(
    actor: Any, data: Mapping[str, Any], *, source_default: str
) -> tuple[Hazard, Any]:
    """A new hazard from a unit's or a government's report (not saved)."""
    enterprise_value = data.get("enterprise")
    if enterprise_value in (None, ""):
        raise ValidationFailed(fields={"enterprise": _("This field is required.")})
    try:
        enterprise = Enterprise.objects.restrict(actor).get(pk=int(enterprise_value))
    except (Enterprise.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such unit in your jurisdiction.")) from None
    own = getattr(getattr(actor, "organisation", None), "enterprise_id", None) == enterprise.pk
    may_report = (own or getattr(actor, "is_superuser", False)) and (
        can(actor, "change") or can(actor, "inspect")
    )
    if not (may_report or (is_government_side(actor) and can(actor, "inspect"))):
        raise PermissionDenied()

    source = choice(data, "source", HazardSource, required=False) or source_default
    if source == HazardSource.PUBLIC:
        raise ValidationFailed(fields={"source": _("Public reports come through the public form.")})
    if source == HazardSource.GOVERNMENT and not is_government_side(actor):
        raise ValidationFailed(fields={"source": _("Only a government body reports this source.")})
    items, major_by_standard, composite = determination(
        data.get("determination_items") or [],
        text(data, "fire_place_type", required=False),
        data.get("fire_elements") or [],
    )
    level = choice(data, "level", HazardLevel, required=True)
    if major_by_standard:
        level = HazardLevel.MAJOR
    measure = task = None
    if data.get("task") not in (None, ""):
        task = (
            InspectionTask.objects.restrict(actor)
            .filter(pk=_int(data.get("task"), "task"), enterprise=enterprise)
            .select_related("measure")
            .first()
        )
        if task is None:
            raise ValidationFailed(fields={"task": _("No such inspection task of this unit.")})
        measure = task.measure
    if data.get("measure") not in (None, ""):
        measure = (
            ControlMeasure.objects.restrict(actor)
            .filter(pk=_int(data.get("measure"), "measure"), event__enterprise=enterprise)
            .first()
        )
        if measure is None:
            raise ValidationFailed(fields={"measure": _("No such control measure of this unit.")})
    sector = _sector_of(enterprise, items)
    hazard = Hazard(
        enterprise=enterprise,
        region=enterprise.region,
        sector=sector,
        **unit_copies(enterprise),
        name=text(data, "name", required=True, limit=200),
        description=text(data, "description", required=True),
        hazard_type=choice(data, "hazard_type", HazardType, required=True),
        level=level,
        classification=choice(data, "classification", Classification, required=False),
        source=source,
        location=text(data, "location", required=False, limit=300),
        measure=measure,
        task=task,
        determination_items=items,
        fire_place_type=text(data, "fire_place_type", required=False) if composite else "",
        fire_elements=sorted({str(e).strip() for e in data.get("fire_elements") or []})
        if composite
        else [],
        state=HazardState.REPORTED,
        reported_by=actor if getattr(actor, "pk", None) else None,
        reporter_name=_actor_name(actor),
        reported_at=timezone.now(),
    )
    return hazard, composite


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={field: _("Give a number.")}) from None


def _sector_of(enterprise: Enterprise, items: list[str]) -> str:
    """The sector a hazard is handled under: that of its determination standard, else the
    unit's first sector."""
    from redline.hazards.standards import determination_standards

    for item_id in items:
        sector = determination_standards()[item(item_id).standard_id].sector
        if sector in Sector.values:
            return sector
    sectors = enterprise.sector_list
    return sectors[0] if sectors else ""


@transaction.atomic
def hazard_report(
    *,
    actor: Any,
    data: Mapping[str, Any],
    photos: Iterable[Any] = (),
    idempotency_key: str = "",
    source_default: str = HazardSource.DAILY,
) -> tuple[Hazard, bool]:
    """Report a hidden hazard of a unit. Returns (hazard, created): a retried submission
    with the same idempotency key returns the hazard the first one created."""
    key = f"{actor.pk}:{idempotency_key.strip()}"[:120] if idempotency_key.strip() else None
    if key:
        existing = Hazard.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing, False
    check_fields(data, REPORT_FIELDS)
    uploads = evidence.check_uploads(photos)
    hazard, composite = _reported_hazard(actor, data, source_default=source_default)
    hazard.idempotency_key = key
    try:
        with transaction.atomic():
            hazard.save()
    except IntegrityError:
        # The same key won a race a moment ago: that hazard is the answer.
        existing = Hazard.objects.filter(idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return existing, False
    event = timeline_event(
        hazard,
        actor=actor,
        action="report",
        to_state=hazard.state,
        comment=hazard.description,
        data=_determination_data(hazard, composite),
    )
    evidence.store(uploads, actor=actor, hazard=hazard, event=event)
    if hazard.task_id:
        # The inspection's photos are the hazard's evidence too.
        evidence.share(hazard.task.photos.all(), hazard=hazard)
    tally_add(hazard)
    audit.record(
        actor=actor,
        action="create",
        instance=hazard,
        before=None,
        after=audit.snapshot(hazard),
        enterprise_id=hazard.enterprise_id,
    )
    announce_report(hazard, actor)
    return hazard, True


def _determination_data(hazard: Hazard, composite: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"level": hazard.level}
    if hazard.determination_items:
        data["items"] = list(hazard.determination_items)
    if composite is not None:
        data["fire_composite"] = {
            "place_type": composite.place_type,
            "is_major": composite.is_major,
            "rules": [
                {
                    "rule": o.rule.id,
                    "counted": list(o.counted),
                    "threshold": o.threshold,
                    "matched": o.matched,
                }
                for o in composite.outcomes
            ],
        }
    return data


def announce_report(hazard: Hazard, actor: Any) -> None:
    """A major hazard is reported at once to its supervising departments and territorial
    governments (recorded on the timeline); a general one only to the unit."""
    if hazard.enterprise_id is None:
        governments = org_selectors.governments_at(
            hazard.region, (RegionLevel.SUBDISTRICT, RegionLevel.DISTRICT)
        )
        _notify_orgs(
            hazard,
            [o.pk for o in governments],
            key="public",
            subject=_("Public report of a hidden hazard: %(name)s"),
        )
        return
    if not hazard.is_major:
        return
    departments = org_selectors.supervising_departments(hazard.enterprise, hazard.sector)
    governments = org_selectors.governments_at(
        hazard.enterprise.region, (RegionLevel.SUBDISTRICT, RegionLevel.DISTRICT)
    )
    receivers = [*departments, *[g for g in governments if g.kind == "government"]]
    timeline_event(
        hazard,
        actor=None,
        action="auto_report",
        actor_name="Redline",
        data={"to": [str(o) for o in receivers]},
    )
    _notify_orgs(
        hazard,
        [o.pk for o in receivers],
        key="major",
        subject=_("Major hidden hazard reported: %(name)s"),
    )


def _notify_orgs(hazard: Hazard, org_ids: list[int], *, key: str, subject: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(subject) % {"name": f"{hazard.number} {hazard.name}"}
        body = f"{hazard.enterprise or hazard.region} · {hazard.get_level_display()}"
    notify(
        users_of(org_ids),
        key=f"hazard:{hazard.pk}:{key}",
        subject=text,
        body=body,
        url=hazard_url(hazard),
    )


def unit_users(hazard: Hazard) -> list[Any]:
    users = get_user_model().objects.filter(
        organisation__enterprise_id=hazard.enterprise_id, is_active=True
    )
    found = list(users)
    if hazard.rectifier_id and all(u.pk != hazard.rectifier_id for u in found):
        found.append(hazard.rectifier)
    return found


# --- transitions -----------------------------------------------------------------------

STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "fix_on_spot": ("comment",),
    "assign": ("comment", "deadline", "rectifier"),
    "plan": (
        "comment",
        "plan_responsible",
        "plan_measures",
        "plan_funds",
        "plan_deadline",
        "plan_contingency",
        "rectifier",
    ),
    "submit": ("comment",),
    "accept": ("comment", "public_note"),
    "sign_off": ("comment", "public_note"),
    "reject": ("comment",),
    "reopen": ("comment", "deadline"),
    "list": ("comment", "supervising_body", "supervision_level", "supervision_deadline"),
    "dismiss": ("comment", "public_note"),
    "assign_unit": ("comment", "enterprise", "level"),
    "comment": ("comment",),
}


def _rectifier(actor: Any, hazard: Hazard, value: Any) -> Any:
    if value in (None, ""):
        return (
            actor
            if getattr(actor, "organisation", None)
            and (actor.organisation.enterprise_id == hazard.enterprise_id)
            else hazard.rectifier
        )
    user = (
        get_user_model()
        .objects.filter(
            pk=_int(value, "rectifier"),
            organisation__enterprise_id=hazard.enterprise_id,
            is_active=True,
        )
        .first()
    )
    if user is None:
        raise ValidationFailed(fields={"rectifier": _("Choose a user of this unit.")})
    return user


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(fields={field: _("Give an amount in 10,000 CNY.")}) from None
    if amount < 0 or amount >= Decimal("10000000000"):
        raise ValidationFailed(fields={field: _("Give an amount in 10,000 CNY.")})
    return amount.quantize(Decimal("0.01"))


def _changes_for(
    name: str, actor: Any, hazard: Hazard, data: Mapping[str, Any], now: dt.datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields a step sets, and what its timeline entry records."""
    changes: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    if name == "fix_on_spot":
        changes |= {
            "manage_type": ManageType.ON_THE_SPOT,
            "rectified_by": actor,
            "rectified_at": now,
            "rectifier": actor,
        }
    elif name == "assign":
        deadline = _future_date(data, "deadline")
        changes |= {
            "manage_type": ManageType.BY_DEADLINE,
            "deadline": deadline,
            "rectifier": _rectifier(actor, hazard, data.get("rectifier")),
        }
        shown["deadline"] = deadline.isoformat()
    elif name == "plan":
        plan = _five_implementations(data)
        changes |= plan | {
            "manage_type": ManageType.BY_DEADLINE,
            "deadline": plan["plan_deadline"],
            "rectifier": _rectifier(actor, hazard, data.get("rectifier")),
        }
        shown |= {k: str(v) if not isinstance(v, str) else v for k, v in plan.items()}
    elif name == "submit":
        changes |= {"rectified_by": actor, "rectified_at": now}
    elif name == "accept":
        if hazard.is_major and actor.pk in {hazard.rectified_by_id, hazard.rectifier_id}:
            raise PermissionDenied(
                _(
                    "The person who rectified a major hazard cannot accept it: acceptance "
                    "needs someone else."
                )
            )
        changes |= {"accepted_by": actor, "accepted_at": now}
        if hazard.listed:
            changes["state"] = HazardState.AWAITING_SIGNOFF
    elif name == "sign_off":
        changes |= {"signed_off_by": actor, "signed_off_at": now}
    elif name == "reject":
        changes |= {"accepted_by": None, "accepted_at": None}
    elif name == "reopen":
        changes |= {
            "closed_at": None,
            "accepted_by": None,
            "accepted_at": None,
            "signed_off_by": None,
            "signed_off_at": None,
            "overdue_since": None,
            "reminded_at": None,
            "escalation_level": 0,
        }
        if str(data.get("deadline") or "").strip():
            changes["deadline"] = _future_date(data, "deadline")
            shown["deadline"] = changes["deadline"].isoformat()
    elif name == "list":
        body, level, deadline = _listing(actor, hazard, data)
        changes |= {
            "listed": True,
            "listed_by": body,
            "listed_at": now,
            "supervision_level": level,
            "supervision_deadline": deadline,
        }
        shown |= {
            "supervising_body": str(body),
            "supervision_level": level,
            "supervision_deadline": deadline.isoformat(),
        }
    elif name == "assign_unit":
        value = data.get("enterprise")
        try:
            enterprise = Enterprise.objects.restrict(actor).get(pk=int(value or 0))
        except (Enterprise.DoesNotExist, TypeError, ValueError):
            raise ValidationFailed(
                fields={"enterprise": _("Choose a unit in your jurisdiction.")}
            ) from None
        changes |= {"enterprise": enterprise, "region": enterprise.region} | unit_copies(enterprise)
        if not hazard.sector and enterprise.sector_list:
            changes["sector"] = enterprise.sector_list[0]
        level = choice(data, "level", HazardLevel, required=False)
        if level:
            changes["level"] = level
        shown["enterprise"] = str(enterprise)
    if "public_note" in STEP_FIELDS[name]:
        note = text(data, "public_note", required=False, limit=2000)
        if note and not hazard.tracking_code:
            raise ValidationFailed(
                fields={"public_note": _("Only a public report has a reporter to answer.")}
            )
        if note and not is_government_side(actor):
            raise ValidationFailed(
                fields={"public_note": _("Only a government body answers the reporter.")}
            )
        if note:
            changes["public_note"] = note
            shown["public_note"] = note
    return changes, shown


# --- listed supervision ------------------------------------------------------------------

SUPERVISING_KINDS = (
    OrganisationKind.GOVERNMENT,
    OrganisationKind.COMMITTEE_OFFICE,
    OrganisationKind.DEPARTMENT,
)


def supervising_bodies(actor: Any, hazard: Hazard) -> list[Organisation]:
    """The bodies an actor may name as the supervising body of a hazard listed for
    supervision: their own organisation first, then the governments and Safety Committee
    offices over the hazard's region and the departments supervising its unit, at the
    actor's level or below (in the actor's region)."""
    own = getattr(actor, "organisation", None)
    superuser = getattr(actor, "is_superuser", False)
    if own is None and not superuser:
        return []
    region = hazard.enterprise.region if hazard.enterprise_id else hazard.region
    governments = Organisation.objects.filter(
        region__in=region.ancestors(),
        kind__in=[OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE],
        is_archived=False,
    ).select_related("region")
    departments = org_selectors.supervising_departments(hazard.enterprise, hazard.sector)
    bodies: dict[int, Organisation] = {}
    if own is not None and own.kind in SUPERVISING_KINDS:
        bodies[own.pk] = own
    for body in [*governments.order_by("region__path", "kind", "id"), *departments]:
        if superuser or (own is not None and body.region.path.startswith(own.region.path)):
            bodies.setdefault(body.pk, body)
    return list(bodies.values())


def default_supervision_level(actor: Any) -> str:
    """An actor lists at their own organisation's level by default."""
    own = getattr(actor, "organisation", None)
    level = own.level if own is not None else ""
    return level if level in SupervisionLevel.values else ""


def _listing(
    actor: Any, hazard: Hazard, data: Mapping[str, Any]
) -> tuple[Organisation, str, dt.date]:
    """The supervising body, level and deadline of a listing, each checked; every bad one
    is named."""
    errors: dict[str, str] = {}
    bodies = supervising_bodies(actor, hazard)
    body: Organisation | None = None
    chosen = data.get("supervising_body")
    if chosen in (None, ""):
        own = getattr(actor, "organisation", None)
        body = own if own is not None and any(b.pk == own.pk for b in bodies) else None
        if body is None:
            errors["supervising_body"] = str(_("This field is required."))
    else:
        try:
            wanted = int(chosen)
        except (TypeError, ValueError):
            wanted = 0
        body = next((b for b in bodies if b.pk == wanted), None)
        if body is None:
            errors["supervising_body"] = str(
                _(
                    "Choose your own body, or a government body or supervising department of "
                    "this unit at your level or below."
                )
            )
    level = ""
    try:
        level = choice(data, "supervision_level", SupervisionLevel, required=False)
        level = level or default_supervision_level(actor) or (body.region.level if body else "")
        if not level:
            raise ValidationFailed(fields={"supervision_level": _("This field is required.")})
        own = getattr(actor, "organisation", None)
        if not getattr(actor, "is_superuser", False) and SupervisionLevel.rank(
            level
        ) > SupervisionLevel.rank(own.level if own is not None else ""):
            raise ValidationFailed(
                fields={
                    "supervision_level": _(
                        "You cannot list above your own level (%(level)s): choose it or a "
                        "lower one."
                    )
                    % {"level": own.region.get_level_display() if own is not None else "—"}
                }
            )
    except ValidationFailed as failure:
        errors |= failure.fields
    deadline: dt.date | None = None
    try:
        deadline = _date(data, "supervision_deadline", required=True)
    except ValidationFailed as failure:
        errors |= failure.fields
    if deadline is not None and deadline < timezone.localdate():
        errors["supervision_deadline"] = _("The supervision deadline cannot be in the past.")
    if errors:
        raise ValidationFailed(fields=errors)
    assert body is not None and deadline is not None
    return body, level, deadline


def _five_implementations(data: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's five implementations, each required; every missing one is named."""
    readers = {
        "plan_responsible": lambda: text(data, "plan_responsible", required=True, limit=200),
        "plan_measures": lambda: text(data, "plan_measures", required=True),
        "plan_funds": lambda: (
            _money(data.get("plan_funds"), "plan_funds")
            if str(data.get("plan_funds") or "").strip()
            else _required("plan_funds")
        ),
        "plan_deadline": lambda: _future_date(data, "plan_deadline"),
        "plan_contingency": lambda: text(data, "plan_contingency", required=True),
    }
    plan: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, read in readers.items():
        try:
            plan[name] = read()
        except ValidationFailed as failure:
            errors |= failure.fields
    if errors:
        raise ValidationFailed(fields=errors)
    return plan


def _required(field: str) -> Any:
    raise ValidationFailed(fields={field: _("This field is required.")})


@transaction.atomic
def hazard_transition(
    *,
    actor: Any,
    hazard_id: int,
    action: str,
    version: int | None,
    data: Mapping[str, Any] | None = None,
    photos: Iterable[Any] = (),
) -> Hazard:
    """Take one step of the closed loop."""
    data = dict(data or {})
    hazard = _hazard_for(actor, hazard_id)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationFailed(fields={"action": _("Unknown step.")})
    ensure_allowed(transition, actor, hazard)
    check_fields(data, STEP_FIELDS[action])
    if version is None:
        raise ValidationFailed(fields={"version": _("Give the version you read.")})
    if int(version) != hazard.version:
        raise Conflict(
            _(
                "Someone else acted on this hazard since you opened it (it is now "
                "%(state)s). Reload it and check before acting."
            )
            % {"state": hazard.get_state_display()}
        )
    reason = blocked_reason(transition, actor, hazard)
    if reason is not None:
        if hazard.state not in transition.sources:
            raise ValidationFailed(str(reason))
        raise PermissionDenied(str(reason))
    comment = text(data, "comment", required=transition.needs_comment, limit=4000)
    uploads = evidence.check_uploads(photos)
    if (
        action == "submit"
        and not uploads
        and not hazard.photos.filter(event__action="submit").exists()
    ):
        if hazard.is_major:
            raise ValidationFailed(
                fields={"photos": _("Attach photos of the rectification as evidence.")}
            )
    now = timezone.now()
    changes, shown = _changes_for(action, actor, hazard, data, now)
    if action == "plan" and "rectifier" in changes and changes["rectifier"] is None:
        changes["rectifier"] = actor
    target = changes.pop("state", transition.target)
    if target is not None:
        changes["state"] = target
        if target == HazardState.CLOSED:
            changes["closed_at"] = now
    before = audit.snapshot(hazard)
    before_key, before_closed = key_of(hazard), closed_part(hazard)
    from_state = hazard.state
    values = {(k + "_id" if _is_relation(k) else k): _pk(v, k) for k, v in changes.items()}
    updated = Hazard.objects.filter(pk=hazard.pk, version=hazard.version, state=from_state).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if updated != 1:
        raise Conflict(
            _("Someone else acted on this hazard at the same moment. Reload it and check.")
        )
    hazard.refresh_from_db()
    tally_move(before_key, before_closed, hazard)
    event = timeline_event(
        hazard,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=hazard.state,
        comment=comment,
        data=shown,
        at=now,
    )
    evidence.store(uploads, actor=actor, hazard=hazard, event=event)
    audit.record(
        actor=actor,
        action="state" if from_state != hazard.state else "update",
        instance=hazard,
        before=before,
        after=audit.snapshot(hazard),
        enterprise_id=hazard.enterprise_id,
        comment=f"{action}: {comment}" if comment else action,
    )
    _after_transition(hazard, action, actor, from_state)
    return hazard


RELATIONS = {
    "rectifier",
    "rectified_by",
    "accepted_by",
    "listed_by",
    "signed_off_by",
    "enterprise",
    "region",
}


def _is_relation(name: str) -> bool:
    return name in RELATIONS


def _pk(value: Any, name: str) -> Any:
    if name in RELATIONS:
        return getattr(value, "pk", value)
    return value


def _after_transition(hazard: Hazard, action: str, actor: Any, from_state: str) -> None:
    """Who hears about a step."""
    body = ""
    with translation.override(settings.LANGUAGE_CODE):
        state = hazard.get_state_display()
        subject = f"{hazard.number} {hazard.name}: {state}"
        if action == "list":
            subject = _("%(name)s: placed under listed supervision") % {
                "name": f"{hazard.number} {hazard.name}"
            }
            body = _(
                "Supervising body: %(body)s. Level: %(level)s. Supervision deadline: %(deadline)s."
            ) % {
                "body": hazard.listed_by,
                "level": hazard.get_supervision_level_display(),
                "deadline": hazard.supervision_deadline,
            }
    if action == "assign_unit":
        announce_report(hazard, actor)
    if action in {"submit", "fix_on_spot", "reject", "reopen", "accept", "sign_off", "list"}:
        notify(
            unit_users(hazard),
            key=f"hazard:{hazard.pk}:v{hazard.version}",
            subject=subject,
            body=body,
            url=hazard_url(hazard),
        )
    if (
        hazard.state == HazardState.AWAITING_SIGNOFF
        or action == "list"
        or (hazard.is_major and action in {"submit", "plan"})
    ):
        departments = org_selectors.supervising_departments(hazard.enterprise, hazard.sector)
        org_ids = [o.pk for o in departments]
        if hazard.listed_by_id:
            org_ids.append(hazard.listed_by_id)
        notify(
            users_of(org_ids),
            key=f"hazard:{hazard.pk}:v{hazard.version}",
            subject=subject,
            body=body,
            url=hazard_url(hazard),
        )
