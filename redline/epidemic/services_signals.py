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
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from redline.core import audit
from redline.core.notify import notify, users_of
from redline.core.workflow import system_event, take_step
from redline.epidemic.models import Condition, DetectionRun, Signal, series_key
from redline.epidemic.vocab import SignalState
from redline.epidemic.workflow import MACHINE
from redline.organisations.models import Organisation, Region
from redline.organisations.vocab import DepartmentType, OrganisationKind, RegionLevel

if TYPE_CHECKING:
    from redline.accounts.models import User

# Verification still not done this long after its deadline: the second escalation level.
SECOND_ESCALATION = dt.timedelta(hours=24)


# --- helpers ---------------------------------------------------------------------------


def signal_url(signal: Signal) -> str:
    return reverse("epidemic:signal-detail", args=[signal.pk])


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
    system_event(
        MACHINE,
        signal,
        action="raised",
        at=now,
        before=None,
        to_state=signal.state,
        data={
            "period": period.isoformat(),
            "count": count,
            "upperbound": upperbound,
            "method": method,
            "run": run.pk if run else None,
            "responsible": str(responsible) if responsible else "",
        },
        actor_label="Redline",
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
    before = audit.snapshot(signal, exclude=MACHINE.audit_exclude)
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
    system_event(
        MACHINE,
        signal,
        action="continued",
        at=now,
        before=before,
        data={
            "period": period.isoformat(),
            "count": count,
            "upperbound": upperbound,
            "run": run.pk if run else None,
        },
        actor_label="Redline",
        comment="alarm continued",
    )
    return signal, "continued"


# --- steps -------------------------------------------------------------------------------


def signal_transition(
    *,
    actor: User,
    signal_id: int,
    action: str,
    version: int | None,
    data: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Signal:
    """Take one step of a signal's verification and response (on the workflow kernel;
    `epidemic/steps.py` says what each step changes and who hears of it)."""
    signal: Signal = take_step(
        MACHINE, actor=actor, pk=signal_id, action=action, version=version, data=data, now=now
    )
    return signal


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
                system_event(
                    MACHINE,
                    signal,
                    action="escalate",
                    at=now,
                    before={"escalation_level": level - 1},
                    after={"escalation_level": level},
                    data={
                        "level": level,
                        "to": names,
                        "due": timezone.localtime(signal.verify_due_at).isoformat(),
                    },
                    actor_label="Redline",
                    comment="verification overdue",
                )
                _announce(
                    signal, receivers, key=f"escalate:{level}", subject=ESCALATION_SUBJECTS[level]
                )
                done[f"escalated_{level}"] += 1
    return done
