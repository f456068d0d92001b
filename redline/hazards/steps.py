"""What each step of the hidden-hazard loop changes and who hears of it: the hooks of the
hazard machine (`hazards/workflow.py`), which the workflow kernel calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed
from redline.core.notify import notify, users_of
from redline.core.workflow import Prepared, Step
from redline.hazards import evidence
from redline.hazards.models import Hazard, unit_copies
from redline.hazards.services import announce_report, hazard_url, unit_users
from redline.hazards.tally import closed_part, key_of, tally_move
from redline.hazards.vocab import HazardState, ManageType, SupervisionLevel
from redline.hazards.workflow import PLAN_FIELDS, RECTIFIER, SUPERVISING_BODY, UNIT
from redline.organisations import selectors as org_selectors
from redline.organisations.access import is_government_side
from redline.organisations.models import Enterprise, Organisation
from redline.organisations.vocab import OrganisationKind

if TYPE_CHECKING:
    from redline.accounts.models import User


def prepare(step: Step) -> Prepared:
    hazard: Hazard = step.record
    uploads = evidence.check_uploads(step.files)
    if (
        step.action == "submit"
        and not uploads
        and hazard.is_major
        and not hazard.photos.filter(event__action="submit").exists()
    ):
        raise ValidationFailed(
            fields={"photos": _("Attach photos of the rectification as evidence.")}
        )
    changes, shown = _changes_for(step.action, step.actor, hazard, step.values, step.now)
    if step.action == "plan" and changes.get("rectifier") is None:
        changes["rectifier"] = step.actor
    if changes.get("state", step.transition.target) == HazardState.CLOSED:
        changes["closed_at"] = step.now
    step.extra |= {"uploads": uploads, "tally": (key_of(hazard), closed_part(hazard))}
    return Prepared(changes, shown)


def within(step: Step) -> None:
    before_key, before_closed = step.extra["tally"]
    tally_move(before_key, before_closed, step.record)
    evidence.store(step.extra["uploads"], actor=step.actor, hazard=step.record, event=step.event)


def after(step: Step) -> None:
    _after_transition(step.record, step.action, step.actor, step.from_state)


def _rectifier(actor: User, hazard: Hazard, pk: int | None) -> Any:
    if pk is None:
        return (
            actor
            if actor.organisation is not None
            and actor.organisation.enterprise_id == hazard.enterprise_id
            else hazard.rectifier
        )
    assert hazard.enterprise_id is not None  # the steps naming a rectifier need a unit
    user = (
        get_user_model()
        .objects.filter(
            pk=pk,
            organisation__enterprise_id=hazard.enterprise_id,
            is_active=True,
        )
        .first()
    )
    if user is None:
        raise ValidationFailed(fields={"rectifier": RECTIFIER.refusal})
    return user


def _changes_for(
    name: str, actor: User, hazard: Hazard, values: Mapping[str, Any], now: dt.datetime
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
        deadline = values["deadline"]
        changes |= {
            "manage_type": ManageType.BY_DEADLINE,
            "deadline": deadline,
            "rectifier": _rectifier(actor, hazard, values.get("rectifier")),
        }
        shown["deadline"] = deadline.isoformat()
    elif name == "plan":
        plan = {name: values[name] for name in PLAN_FIELDS}
        changes |= plan | {
            "manage_type": ManageType.BY_DEADLINE,
            "deadline": plan["plan_deadline"],
            "rectifier": _rectifier(actor, hazard, values.get("rectifier")),
        }
        shown |= {k: str(v) if not isinstance(v, str) else v for k, v in plan.items()}
    elif name == "submit":
        changes |= {"rectified_by": actor, "rectified_at": now}
    elif name == "accept":
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
        if "deadline" in values:
            changes["deadline"] = values["deadline"]
            shown["deadline"] = changes["deadline"].isoformat()
    elif name == "list":
        body, level, deadline = _listing(actor, hazard, values)
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
        try:
            enterprise = Enterprise.objects.restrict(actor, "change", roles=False).get(
                pk=values["enterprise"]
            )
        except Enterprise.DoesNotExist:
            raise ValidationFailed(fields={"enterprise": UNIT.refusal}) from None
        changes |= {"enterprise": enterprise, "region": enterprise.region} | unit_copies(enterprise)
        if not hazard.sector and enterprise.sector_list:
            changes["sector"] = enterprise.sector_list[0]
        if "level" in values:
            changes["level"] = values["level"]
        shown["enterprise"] = str(enterprise)
    if "public_note" in values:
        note = values["public_note"]
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


def supervising_bodies(actor: User, hazard: Hazard) -> list[Organisation]:
    """The bodies an actor may name as the supervising body of a hazard listed for
    supervision: their own organisation first, then the governments and Safety Committee
    offices over the hazard's region and the departments supervising its unit, at the
    actor's level or below (in the actor's region)."""
    own = getattr(actor, "organisation", None)
    superuser = getattr(actor, "is_superuser", False)
    if own is None and not superuser:
        return []
    region = hazard.enterprise.region if hazard.enterprise is not None else hazard.region
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


def default_supervision_level(actor: User) -> str:
    """An actor lists at their own organisation's level by default."""
    own = getattr(actor, "organisation", None)
    level = own.level if own is not None else ""
    return level if level in SupervisionLevel.values else ""


def _listing(
    actor: User, hazard: Hazard, values: Mapping[str, Any]
) -> tuple[Organisation, str, dt.date]:
    """The supervising body and level of a listing, each checked against who the actor is
    (the kernel has read them and the deadline); every bad one is named."""
    errors: dict[str, str] = {}
    bodies = supervising_bodies(actor, hazard)
    body: Organisation | None = None
    if "supervising_body" not in values:
        own = actor.organisation
        body = own if own is not None and any(b.pk == own.pk for b in bodies) else None
        if body is None:
            errors["supervising_body"] = str(_("This field is required."))
    else:
        body = next((b for b in bodies if b.pk == values["supervising_body"]), None)
        if body is None:
            errors["supervising_body"] = SUPERVISING_BODY.refusal
    level = values.get("supervision_level") or default_supervision_level(actor)
    level = level or (body.region.level if body else "")
    own = actor.organisation
    if not level:
        errors["supervision_level"] = str(_("This field is required."))
    elif not actor.is_superuser and SupervisionLevel.rank(level) > SupervisionLevel.rank(
        own.level if own is not None else ""
    ):
        errors["supervision_level"] = _(
            "You cannot list above your own level (%(level)s): choose it or a lower one."
        ) % {"level": own.region.get_level_display() if own is not None else "—"}
    if errors:
        raise ValidationFailed(fields=errors)
    assert body is not None
    return body, level, values["supervision_deadline"]


def _after_transition(hazard: Hazard, action: str, actor: User, from_state: str) -> None:
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
