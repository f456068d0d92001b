"""What each step of an inspection or a finding changes: the hooks of the machines in
`inspections/workflow.py`, which the workflow kernel calls."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from redline.core.errors import ValidationFailed
from redline.core.workflow import Prepared, Step
from redline.inspections import checklist
from redline.inspections.models import AuditSample, Finding, Inspection
from redline.inspections.vocab import AuditResult, InspectionKind, InspectionState, Signer


def prepare(step: Step) -> Prepared:
    if step.machine.name == "inspection":
        return _prepare_inspection(step)
    return _prepare_finding(step)


def within(step: Step) -> None:
    if step.machine.name == "inspection" and step.action == "complete":
        checklist.record_findings(step.record, step.actor, step.now, step.extra["found"])


def _prepare_inspection(step: Step) -> Prepared:
    inspection: Inspection = step.record
    if step.action == "check_in":
        place = step.values["place"]
        return Prepared({"checked_in_at": step.now, "check_in_place": place}, {"place": place})
    if step.action == "complete":
        found, score = _completion(inspection)
        step.extra["found"] = found
        # Findings recorded on site before completing (an audit sample's discrepancies)
        # await the unit's answers too.
        awaiting = bool(found) or Finding.objects.filter(inspection=inspection).exists()
        changes: dict[str, Any] = {
            "completed_at": step.now,
            "score": None if score is None else Decimal(str(round(score, 1))),
            "summary": step.values.get("summary", inspection.summary),
            "state": InspectionState.AWAITING_UNIT if awaiting else InspectionState.CLOSED,
        }
        if not awaiting:
            changes["closed_at"] = step.now
        shown = {"findings": len(found), "score": None if score is None else round(score, 1)}
        return Prepared(changes, shown)
    if step.action == "close":
        return Prepared({"closed_at": step.now})
    return Prepared()


def _completion(inspection: Inspection) -> tuple[list[checklist.Found], float | None]:
    """What completing needs (every shown item answered, photos where an answer needs one,
    the signatures), every missing piece named; and what was found, and the score."""
    errors: dict[str, str] = {}
    found: list[checklist.Found] = []
    score: float | None = None
    if inspection.template is not None:
        missing, found, score = checklist.review(inspection)
        errors |= missing
    signed = list(inspection.signatures.all())
    inspectors = {s.user_id for s in signed if s.signer == Signer.INSPECTOR}
    needed = 2 if inspection.kind in InspectionKind.needs_two_inspectors() else 1
    if len(inspectors) < needed:
        errors["signatures"] = _("%(n)d inspectors must sign.") % {"n": needed}
    if not any(s.signer == Signer.UNIT for s in signed):
        errors["unit_signature"] = _("The unit's representative must sign.")
    pending = AuditSample.objects.filter(
        paper__inspection=inspection, result=AuditResult.PENDING
    ).count()
    if pending:  # an audit paper's sample is verified on site before completing
        errors["audit_samples"] = ngettext(
            "%(n)d sampled record is not verified yet.",
            "%(n)d sampled records are not verified yet.",
            pending,
        ) % {"n": pending}
    if errors:
        raise ValidationFailed(
            _("The inspection cannot be completed yet: see what is missing."), fields=errors
        )
    return found, score


def _prepare_finding(step: Step) -> Prepared:
    finding: Finding = step.record
    if step.action == "answer":
        return Prepared(
            {"answer": step.comment, "answered_by": step.actor, "answered_at": step.now}
        )
    if step.action == "accept":
        return Prepared({"closed_at": step.now})
    if step.action == "return":
        return Prepared({"answer": finding.answer})  # kept: the unit answers again
    return Prepared()
