"""Writes of epidemic signals: raising one from an alarm of the daily run (or continuing the
open one), the verification and response steps, and the sweep that escalates verifications
left overdue up the chain.

Every step by a person: the actor must see the signal (404) and be allowed the step (403);
values are validated (422, naming the field); the version read must still be current and
the state the step leaves must still hold (409: of two people acting at once only one
succeeds); every change is in the change log and on the signal's timeline; notifications
leave after the commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from redline.core import audit
from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.notify import notify, users_of
from redline.core.workflow import ensure_allowed
from redline.epidemic.models import Condition, DetectionRun, Signal, SignalEvent, series_key
from redline.epidemic.vocab import SignalState, Verification
from redline.epidemic.workflow import OUTCOMES, TRANSITIONS, VERIFIED_STATE, blocked_reason
from redline.organisations.models import Organisation, Region
from redline.organisations.vocab import DepartmentType, OrganisationKind, RegionLevel

# Verification still not done this long after its deadline: the second escalation level.
SECOND_ESCALATION = dt.timedelta(hours=24)
AUDIT_EXCLUDE = ("evidence",)  # the triggering data is on the signal itself, not in the log


# --- helpers ---------------------------------------------------------------------------


def signal_url(signal: Signal) -> str:
    return reverse("epidemic:signal-detail", args=[signal.pk])


def _actor_name(actor: Any) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return ""
    return actor.get_full_name() or actor.get_username()


def _org_name(actor: Any) -> str:
    org = getattr(actor, "organisation", None)
    return str(org) if org else ""


def timeline_event(
    signal: Signal,
    *,
    actor: Any,
    action: str,
    at: dt.datetime,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: Mapping[str, Any] | None = None,
    actor_name: str = "",
) -> SignalEvent:
    return SignalEvent.objects.create(
        signal=signal,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor_name or _actor_name(actor),
        organisation_name=_org_name(actor),
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=dict(data or {}),
    )


def responsible_body(region: Region) -> Organisation | None:
    """The public-health body that verifies a signal in `region`: the nearest one at or
    above it (the district's CDC for a district or a place in it), else the city's."""
    ancestors = region.ancestors()
    depth = {r.pk: i for i, r in enumerate(ancestors)}
    bodies = Organisation.objects.filter(
        kind=OrganisationKind.PUBLIC_HEALTH, is_archived=False, region_id__in=list(depth)
    )
    ranked = sorted(bodies, key=lambda o: (-depth[o.region_id], o.pk))
    return ranked[0] if ranked else None


def _bodies(region: Region, *, level: str, kinds: tuple[str, ...], **extra: Any) -> list[int]:
    """Organisations of these kinds at the ancestor of `region` at this level."""
    ancestors = [r.pk for r in region.ancestors() if r.level == level]
    return list(
        Organisation.objects.filter(
            region_id__in=ancestors, kind__in=kinds, is_archived=False, **extra
        ).values_list("pk", flat=True)
    )


def district_government(region: Region) -> list[int]:
    return _bodies(region, level=RegionLevel.DISTRICT, kinds=(OrganisationKind.GOVERNMENT,))


def city_cdc(region: Region) -> list[int]:
    return _bodies(region, level=RegionLevel.CITY, kinds=(OrganisationKind.PUBLIC_HEALTH,))


def city_government_and_health(region: Region) -> list[int]:
    government = _bodies(region, level=RegionLevel.CITY, kinds=(OrganisationKind.GOVERNMENT,))
    health = _bodies(
        region,
        level=RegionLevel.CITY,
        kinds=(OrganisationKind.DEPARTMENT,),
        department_type=DepartmentType.HEALTH,
    )
    return government + health


def _where(signal: Signal) -> str:
    return str(signal.place or signal.region)


def _announce(signal: Signal, org_ids: list[int], *, key: str, subject: Any) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(subject) % {
            "number": signal.number,
            "condition": str(signal.condition),
            "where": _where(signal),
        }
        body = _("Cases: %(count)s on %(date)s (upper bound %(bound)s), method %(method)s.") % {
            "count": signal.count,
            "date": signal.last_date.isoformat(),
            "bound": "—" if signal.upperbound is None else f"{signal.upperbound:.2f}",
            "method": signal.method,
        }
    notify(
        users_of(org_ids),
        key=f"signal:{signal.pk}:{key}",
        subject=text,
        body=body,
        url=signal_url(signal),
    )


# --- raising -----------------------------------------------------------------------------


@transaction.atomic
def signal_raise(
    *,
    condition: Condition,
    region_id: int,
    place_id: int | None,
    method: str,
    params: Mapping[str, Any],
    period: dt.date,
    count: int,
    upperbound: float | None,
    evidence: Mapping[str, Any],
    now: dt.datetime,
    run: DetectionRun | None = None,
) -> tuple[Signal | None, str]:
    """Turn an alarm on a series' latest period into a signal. Returns the signal and what
    happened: "opened" (a new signal), "continued" (the open signal of the series now runs
    to this period) or "unchanged" (a signal already covers this period: a rerun).

    De-duplicated: one open signal per condition, series and method (a constraint holds it
    even for two runs at once). A series whose signal was closed and alarms again later
    gets a new signal."""
    key = series_key(region_id, place_id)
    same = Signal.objects.filter(condition=condition, series_key=key, method=method)
    current = same.open().first()
    if current is not None:
        return _continue(current, period, count, upperbound, evidence, now, run)
    if same.filter(first_date__lte=period, last_date__gte=period).exists():
        return None, "unchanged"  # a closed signal already covered this period
    region = Region.objects.get(pk=region_id)
    responsible = responsible_body(region)
    signal = Signal(
        number=f"tmp-{uuid.uuid4().hex[:20]}",
        condition=condition,
        region=region,
        place_id=place_id,
        method=method,
        params=dict(params),
        first_date=period,
        last_date=period,
        count=count,
        upperbound=upperbound,
        evidence=dict(evidence),
        run=run,
        responsible=responsible,
        state=SignalState.NEW,
        opened_at=now,
        verify_due_at=now + dt.timedelta(hours=condition.verify_hours),
    )
    try:
        with transaction.atomic():
            signal.save()
    except IntegrityError:
        # Another run opened this series' signal a moment ago: continue that one.
        current = same.open().first()
        if current is None:
            raise
        return _continue(current, period, count, upperbound, evidence, now, run)
    signal.number = f"EW-{timezone.localtime(now).year}-{signal.pk:06d}"
    Signal.objects.filter(pk=signal.pk).update(number=signal.number)
    timeline_event(
        signal,
        actor=None,
        actor_name="Redline",
        action="raised",
        at=now,
        to_state=signal.state,
        data={
            "period": period.isoformat(),
            "count": count,
            "upperbound": upperbound,
            "method": method,
            "run": run.pk if run else None,
            "responsible": str(responsible) if responsible else "",
        },
    )
    audit.record(
        actor=None,
        action="create",
        instance=signal,
        before=None,
        after=audit.snapshot(signal, exclude=AUDIT_EXCLUDE),
        enterprise_id=place_id,
        comment=f"detection run {run.pk}" if run else "",
    )
    receivers = ([responsible.pk] if responsible else []) + district_government(region)
    _announce(
        signal,
        receivers,
        key="raised",
        subject=gettext_lazy("Early-warning signal %(number)s: %(condition)s at %(where)s"),
    )
    return signal, "opened"


def _continue(
    signal: Signal,
    period: dt.date,
    count: int,
    upperbound: float | None,
    evidence: Mapping[str, Any],
    now: dt.datetime,
    run: DetectionRun | None,
) -> tuple[Signal, str]:
    """The open signal now runs to `period`: once per period (a rerun changes nothing)."""
    if period <= signal.last_date:
        return signal, "unchanged"
    before = audit.snapshot(signal, exclude=AUDIT_EXCLUDE)
    updated = (
        Signal.objects.filter(pk=signal.pk, last_date__lt=period)
        .exclude(state=SignalState.CLOSED)
        .update(
            last_date=period, count=count, upperbound=upperbound, evidence=dict(evidence), run=run
        )
    )
    if updated != 1:
        return signal, "unchanged"
    signal.refresh_from_db()
    timeline_event(
        signal,
        actor=None,
        actor_name="Redline",
        action="continued",
        at=now,
        data={
            "period": period.isoformat(),
            "count": count,
            "upperbound": upperbound,
            "run": run.pk if run else None,
        },
    )
    audit.record(
        actor=None,
        action="update",
        instance=signal,
        before=before,
        after=audit.snapshot(signal, exclude=AUDIT_EXCLUDE),
        enterprise_id=signal.place_id,
        comment="alarm continued",
    )
    return signal, "continued"


# --- steps -------------------------------------------------------------------------------


def _signal_for(actor: Any, signal_id: int) -> Signal:
    queryset = Signal.objects.restrict(actor).select_related(
        "condition", "region", "place", "responsible"
    )
    try:
        return queryset.get(pk=signal_id)
    except Signal.DoesNotExist:
        raise NotFound() from None


def _text(data: Mapping[str, Any], name: str, *, required: bool, limit: int = 4000) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        raise ValidationFailed(fields={name: _("This field is required.")})
    if len(value) > limit:
        raise ValidationFailed(fields={name: _("At most %(n)d characters.") % {"n": limit}})
    return value


def _check_fields(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(fields={name: _("Unknown field.") for name in unknown})


def _step_values(
    action: str, data: Mapping[str, Any], signal: Signal, actor: Any, now: dt.datetime
) -> tuple[str | None, dict[str, Any], dict[str, Any], str]:
    """(target state, changes to the signal, data for the timeline, comment)."""
    transition = TRANSITIONS[action]
    changes: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    target = transition.target
    if action == "verify":
        verdict = str(data.get("verification") or "").strip()
        if not verdict:
            raise ValidationFailed(fields={"verification": _("This field is required.")})
        if verdict not in Verification.values:
            raise ValidationFailed(
                fields={
                    "verification": _("Choose one of: %(values)s.")
                    % {"values": ", ".join(Verification.values)}
                }
            )
        # A true signal needs no explanation; ruling one out or leaving it open does.
        comment = _text(data, "comment", required=verdict != Verification.TRUE)
        target = VERIFIED_STATE[Verification(verdict)]
        changes |= {
            "verification": verdict,
            "verified_at": now,
            "verified_by_id": actor.pk if getattr(actor, "pk", None) else None,
        }
        shown["verification"] = verdict
    else:
        comment = _text(data, "comment", required=transition.needs_comment)
    if action == "respond" and data.get("cases") not in (None, ""):
        try:
            cases = int(data["cases"])
        except (TypeError, ValueError):
            cases = -1
        if cases < 0:
            raise ValidationFailed(fields={"cases": _("Give a whole number of 0 or more.")})
        shown["cases"] = cases
    if action == "close" and data.get("outcome") not in (None, ""):
        outcome = str(data["outcome"])
        if outcome not in OUTCOMES:
            raise ValidationFailed(
                fields={
                    "outcome": _("Choose one of: %(values)s.") % {"values": ", ".join(OUTCOMES)}
                }
            )
        shown["outcome"] = outcome
    if target == SignalState.CLOSED:
        changes["closed_at"] = now
    if target is not None:
        changes["state"] = target
    return target, changes, shown, comment


@transaction.atomic
def signal_transition(
    *,
    actor: Any,
    signal_id: int,
    action: str,
    version: int | None,
    data: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Signal:
    """Take one step of a signal's verification and response."""
    now = now or timezone.now()
    data = dict(data or {})
    signal = _signal_for(actor, signal_id)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationFailed(fields={"action": _("Unknown step.")})
    ensure_allowed(transition, actor, signal)
    _check_fields(data, transition.fields)
    if version is None:
        raise ValidationFailed(fields={"version": _("Give the version you read.")})
    if int(version) != signal.version:
        raise Conflict(
            _(
                "Someone else acted on this signal since you opened it (it is now %(state)s). "
                "Reload it and check before acting."
            )
            % {"state": signal.get_state_display()}
        )
    reason = blocked_reason(transition, actor, signal)
    if reason is not None:
        if signal.state not in transition.sources:
            raise ValidationFailed(str(reason))
        raise PermissionDenied(str(reason))
    target, changes, shown, comment = _step_values(action, data, signal, actor, now)
    before = audit.snapshot(signal, exclude=AUDIT_EXCLUDE)
    from_state = signal.state
    updated = Signal.objects.filter(pk=signal.pk, version=signal.version, state=from_state).update(
        **changes, version=F("version") + 1
    )
    if updated != 1:
        raise Conflict(
            _("Someone else acted on this signal at the same moment. Reload it and check.")
        )
    signal.refresh_from_db()
    timeline_event(
        signal,
        actor=actor,
        action=action,
        at=now,
        from_state=from_state,
        to_state=signal.state,
        comment=comment,
        data=shown,
    )
    audit.record(
        actor=actor,
        action="state" if from_state != signal.state else "update",
        instance=signal,
        before=before,
        after=audit.snapshot(signal, exclude=AUDIT_EXCLUDE),
        enterprise_id=signal.place_id,
        comment=f"{action}: {comment}" if comment else action,
    )
    _after_step(signal, action, target)
    return signal


def _after_step(signal: Signal, action: str, target: str | None) -> None:
    """Who hears about a step: a confirmed signal goes to the district government and the
    city CDC; a closed one to those who were told it was raised."""
    if action == "verify" and target == SignalState.INVESTIGATING:
        _announce(
            signal,
            district_government(signal.region) + city_cdc(signal.region),
            key=f"v{signal.version}",
            subject=gettext_lazy(
                "Signal %(number)s confirmed (%(condition)s at %(where)s): field investigation"
            ),
        )
    elif target == SignalState.CLOSED:
        receivers = [signal.responsible_id] if signal.responsible_id else []
        _announce(
            signal,
            receivers + district_government(signal.region),
            key=f"v{signal.version}",
            subject=gettext_lazy("Signal %(number)s closed (%(condition)s at %(where)s)"),
        )


# --- overdue verification ----------------------------------------------------------------

ESCALATION_SUBJECTS: dict[int, Any] = {
    1: gettext_lazy("Signal %(number)s not verified in time (%(condition)s at %(where)s)"),
    2: gettext_lazy(
        "Signal %(number)s still not verified a day after its deadline (%(condition)s at %(where)s)"
    ),
}


def _escalation_receivers(signal: Signal, level: int) -> list[int]:
    if level == 1:
        return district_government(signal.region) + city_cdc(signal.region)
    return city_government_and_health(signal.region)


def signal_deadlines_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate signals still awaiting verification past their deadline: level 1 (the
    district government and the city CDC) at the deadline, level 2 (the city government and
    the health commission) a day later. Each level once per signal (a conditional update
    claims it), so the sweep may run as often as wanted, twice at once, or after a crash."""
    now = now or timezone.now()
    done = {"escalated_1": 0, "escalated_2": 0}
    for level in (1, 2):
        cutoff = now if level == 1 else now - SECOND_ESCALATION
        candidates = Signal.objects.filter(
            state=SignalState.NEW, escalation_level=level - 1, verify_due_at__lt=cutoff
        )
        for pk in list(candidates.order_by("pk").values_list("pk", flat=True)):
            with transaction.atomic():
                claimed = Signal.objects.filter(
                    pk=pk, state=SignalState.NEW, escalation_level=level - 1
                ).update(escalation_level=level)
                if claimed != 1:
                    continue
                signal = Signal.objects.select_related("condition", "region", "place").get(pk=pk)
                receivers = _escalation_receivers(signal, level)
                names = [str(o) for o in Organisation.objects.filter(pk__in=receivers)]
                timeline_event(
                    signal,
                    actor=None,
                    actor_name="Redline",
                    action="escalate",
                    at=now,
                    data={
                        "level": level,
                        "to": names,
                        "due": timezone.localtime(signal.verify_due_at).isoformat(),
                    },
                )
                audit.record(
                    actor=None,
                    action="update",
                    instance=signal,
                    before={"escalation_level": level - 1},
                    after={"escalation_level": level},
                    enterprise_id=signal.place_id,
                    comment="verification overdue",
                )
                _announce(
                    signal, receivers, key=f"escalate:{level}", subject=ESCALATION_SUBJECTS[level]
                )
                done[f"escalated_{level}"] += 1
    return done
