"""Enforcement actions taken on an inspection, on the workflow kernel:

    issued --report_compliance (the unit: done, paid, stopped; evidence)--> compliance reported
    compliance reported --verify (the body's re-inspection finds it done)--> closed
    compliance reported --reject (the re-inspection does not: a new deadline)--> issued
    issued --revoke (the body's managers, with a reason)--> revoked

The machine is declared in `inspections/workflow.py`; these are its hooks, issuing, and
its deadlines. An order to rectify and a suspension carry a deadline, swept like a
hazard's: a reminder to the unit before it, the overdue flag after, escalation to the
issuing body, then the district and city governments (the one deadline sweep,
`redline.core.deadlines`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.core.deadlines import Deadlines, Subjects, sweep
from redline.core.errors import PermissionDenied, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.notify import notify, users_of
from redline.core.readers import Choice, Money, Ref, Text
from redline.core.records import log_change
from redline.core.workflow import Prepared, Step, take_step, write_event
from redline.inspections.models import EnforcementAction, Finding, Inspection
from redline.inspections.vocab import EnforcementKind, EnforcementState, InspectionState
from redline.inspections.workflow import ENFORCEMENT, NEW_DEADLINE, of_the_body
from redline.organisations import selectors as org_selectors
from redline.organisations.vocab import RegionLevel

if TYPE_CHECKING:
    from redline.accounts.models import User

E = EnforcementState


# --- the kernel's hooks ------------------------------------------------------------------


def prepare(step: Step) -> Prepared:
    action: EnforcementAction = step.record
    if step.action == "report_compliance":
        return Prepared({"complied_at": step.now})
    if step.action == "verify":
        return Prepared({"closed_at": step.now})
    if step.action == "reject":
        changes: dict[str, Any] = {"complied_at": None}
        shown: dict[str, Any] = {}
        if action.kind in EnforcementKind.with_deadline():
            if "deadline" not in step.values:
                raise ValidationFailed(fields={"deadline": _("This field is required.")})
            changes |= {
                "deadline": step.values["deadline"],
                "reminded_at": None,
                "overdue_since": None,
                "escalation_level": 0,
            }
            shown["deadline"] = step.values["deadline"].isoformat()
        return Prepared(changes, shown)
    if step.action == "revoke":
        return Prepared({"closed_at": step.now})
    return Prepared()


def within(step: Step) -> None:
    if step.files:
        from redline.hazards import evidence

        evidence.store(
            evidence.check_uploads(step.files),
            actor=step.actor,
            inspection=step.record.inspection,
            item_code=f"enforcement:{step.record.pk}",
        )


def after(step: Step) -> None:
    action: EnforcementAction = step.record
    receivers = _unit_users(action) if step.action != "report_compliance" else _body_users(action)
    notify(
        receivers,
        key=f"enforcement:{action.pk}:v{action.version}",
        subject=f"{action.number} {action.get_kind_display()}: {action.get_state_display()}",
        url=url(action),
    )


def url(action: EnforcementAction) -> str:
    return reverse("enforcement-detail", args=[action.pk])


def _unit_users(action: EnforcementAction) -> list[Any]:
    from redline.organisations.models import Organisation

    orgs = Organisation.objects.filter(enterprise_id=action.enterprise_id)
    return users_of([o.pk for o in orgs])


def _body_users(action: EnforcementAction) -> list[Any]:
    return users_of([action.organisation_id])


# --- issuing -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnforcementInput(Input):
    inspection: int = read(Ref(_lazy("Choose an inspection of your body.")))
    kind: str = read(Choice(EnforcementKind.values))
    description: str = read(Text(limit=4000))
    legal_basis: str = read(Text(limit=300))
    finding: int | None = read(Ref(_lazy("Choose a finding of this inspection.")), None)
    amount: Decimal | None = read(Money(), None)  # a fine, in CNY
    deadline: dt.date | None = read(NEW_DEADLINE, None)


@transaction.atomic
def enforcement_issue(
    *, actor: User, data: EnforcementInput, idempotency_key: str = ""
) -> tuple[EnforcementAction, bool]:
    """Issue an enforcement action on an inspection of the actor's body (on site or
    completed). A fine needs its amount, an order to rectify or a suspension its deadline.
    A retry with the same key returns the action the first one issued."""
    key = f"{actor.pk}:{idempotency_key.strip()}"[:120] if idempotency_key.strip() else None
    if key:
        done = EnforcementAction.objects.restrict(actor).filter(idempotency_key=key).first()
        if done is not None:
            return done, False
    inspection = Inspection.objects.get_for(actor, "view", pk=data.inspection)
    if not of_the_body(actor, inspection):
        raise PermissionDenied(_("Only the inspecting body issues its enforcement actions."))
    if inspection.state not in (
        InspectionState.IN_PROGRESS,
        InspectionState.AWAITING_UNIT,
        InspectionState.CLOSED,
    ):
        raise ValidationFailed(
            fields={"inspection": _("Enforcement follows an inspection on site or completed.")}
        )
    errors: dict[str, Any] = {}
    finding = None
    if data.finding is not None:
        finding = Finding.objects.filter(pk=data.finding, inspection=inspection).first()
        if finding is None:
            errors["finding"] = _("Choose a finding of this inspection.")
    if data.kind == EnforcementKind.FINE and not data.amount:
        errors["amount"] = _("A fine needs its amount.")
    if data.kind in EnforcementKind.with_deadline() and data.deadline is None:
        errors["deadline"] = _("This field is required.")
    if errors:
        raise ValidationFailed(fields=errors)
    now = timezone.now()
    action = EnforcementAction(
        number="",
        inspection=inspection,
        finding=finding,
        enterprise_id=inspection.enterprise_id,
        organisation_id=inspection.organisation_id,
        kind=data.kind,
        description=data.description,
        legal_basis=data.legal_basis,
        amount=data.amount if data.kind == EnforcementKind.FINE else None,
        deadline=data.deadline if data.kind in EnforcementKind.with_deadline() else None,
        issued_by=actor,
        issued_at=now,
        idempotency_key=key,
    )
    try:
        with transaction.atomic():
            action.save()
    except IntegrityError:
        found = EnforcementAction.objects.restrict(actor).filter(idempotency_key=key)
        existing = found.first() if key else None
        if existing is None:
            raise
        return existing, False
    action.number = f"ZF{now:%Y}-{action.pk:06d}"
    EnforcementAction.objects.filter(pk=action.pk).update(number=action.number)
    write_event(
        ENFORCEMENT,
        action,
        actor=actor,
        action="issue",
        at=now,
        to_state=action.state,
        data={"kind": action.kind, "deadline": str(action.deadline or "")},
    )
    log_change(actor, "create", action, None, enterprise_id=action.enterprise_id)
    notify(
        _unit_users(action),
        key=f"enforcement:{action.pk}:issue",
        subject=f"{action.number} {action.get_kind_display()}",
        body=action.description,
        url=url(action),
    )
    return action, True


def enforcement_step(
    *,
    actor: User,
    action_id: int,
    action: str,
    version: int | None,
    data: Any = None,
    files: Any = (),
) -> EnforcementAction:
    record: EnforcementAction = take_step(
        ENFORCEMENT,
        actor=actor,
        pk=action_id,
        action=action,
        version=version,
        data=data,
        files=files,
    )
    return record


# --- deadlines ----------------------------------------------------------------------------

ESCALATION = {2: RegionLevel.DISTRICT, 3: RegionLevel.CITY}


def _who(action: EnforcementAction, level: int) -> tuple[list[Any], list[str]]:
    if not level:
        return _unit_users(action), []
    if level == 1:
        return _body_users(action), [str(action.organisation)]
    orgs = org_selectors.governments_at(action.enterprise.region, (ESCALATION[level],))
    return users_of([o.pk for o in orgs]), [str(o) for o in orgs]


ENFORCEMENT_DEADLINES = Deadlines(
    machine=ENFORCEMENT,
    late=lambda: EnforcementAction.objects.filter(state=E.ISSUED),
    due="deadline",
    remind_days=lambda: settings.REDLINE_HAZARD_REMIND_DAYS,
    escalation_days=lambda: settings.REDLINE_HAZARD_ESCALATION_DAYS[:3],
    subjects=Subjects(
        remind=_lazy("Enforcement deadline %(date)s: %(name)s"),
        overdue=_lazy("Overdue: %(name)s (deadline %(date)s)"),
        escalate=_lazy("Escalated: %(name)s is overdue (deadline %(date)s)"),
    ),
    who=_who,
    name=lambda action: f"{action.number} {action.get_kind_display()} · {action.enterprise}",
    url=url,
    key="enforcement",
    related=("enterprise__region", "organisation"),
)


def enforcement_deadlines_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    return sweep(ENFORCEMENT_DEADLINES, now=now)
