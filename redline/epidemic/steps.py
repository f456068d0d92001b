"""What each step of a signal's verification and response changes and who hears of it: the
hooks of the signal machine (`epidemic/workflow.py`), which the workflow kernel calls."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from redline.core.errors import ValidationFailed
from redline.core.workflow import Prepared, Step
from redline.epidemic.models import Signal
from redline.epidemic.services_signals import _announce, city_cdc, district_government
from redline.epidemic.vocab import SignalState, Verification
from redline.epidemic.workflow import VERIFIED_STATE


def prepare(step: Step) -> Prepared:
    """The changes to the signal and the data for the timeline."""
    values, actor, now = step.values, step.actor, step.now
    changes: dict[str, object] = {}
    shown: dict[str, object] = {}
    target = step.transition.target
    if step.action == "verify":
        verdict = Verification(values["verification"])
        # A true signal needs no explanation; ruling one out or leaving it open does.
        if verdict != Verification.TRUE and not step.comment:
            raise ValidationFailed(fields={"comment": _("This field is required.")})
        target = VERIFIED_STATE[verdict]
        changes |= {"verification": verdict, "verified_at": now, "verified_by_id": actor.pk}
        shown["verification"] = verdict.value
    for name in ("cases", "outcome"):  # what a response found, how a signal ended
        if name in values:
            shown[name] = values[name]
    if target == SignalState.CLOSED:
        changes["closed_at"] = now
    if target is not None:
        changes["state"] = target
    return Prepared(changes, shown)


def after(step: Step) -> None:
    _after_step(
        step.record,
        step.action,
        step.record.state if step.record.state != step.from_state else None,
    )


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
