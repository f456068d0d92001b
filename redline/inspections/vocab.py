"""The words of government inspection: kinds of inspection, where an inspection and its
findings stand, the answers a checklist item takes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InspectionKind(models.TextChoices):
    ENFORCEMENT = "enforcement", _("Enforcement inspection")  # 执法检查
    SUPERVISION = "supervision", _("Supervision and guidance")  # 督导检查 / 指导服务
    AUDIT = "audit", _("Audit-style inspection")  # 审计式检查 (definition unconfirmed)
    JOINT = "joint", _("Joint inspection")  # 联合检查

    @classmethod
    def needs_two_inspectors(cls) -> frozenset[str]:
        """Enforcement is done by at least two law-enforcement officers."""
        return frozenset({cls.ENFORCEMENT, cls.JOINT})


class InspectionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("On site")
    AWAITING_UNIT = "awaiting_unit", _("Awaiting the unit's answers")
    CLOSED = "closed", pgettext_lazy("inspection", "Closed")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def open_states(cls) -> list[str]:
        return [cls.PLANNED, cls.IN_PROGRESS, cls.AWAITING_UNIT]


class FindingState(models.TextChoices):
    OPEN = "open", _("Awaiting the unit's answer")
    ANSWERED = "answered", _("Answered by the unit")
    CLOSED = "closed", pgettext_lazy("finding", "Closed")


class FindingOutcome(models.TextChoices):
    """What a finding became."""

    HAZARD = "hazard", _("A hidden hazard (rectification loop)")
    ENFORCEMENT = "enforcement", _("An enforcement action")
    NOTE = "note", _("A note for the unit")


class Compliance(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    NON_COMPLIANT = "non_compliant", _("Non-compliant")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Signer(models.TextChoices):
    INSPECTOR = "inspector", _("Inspector")
    UNIT = "unit", _("The unit's representative")


# The units a checklist's number items are measured in (`checklist_data.UNITS`), as read.
UNIT_LABELS = {
    "h": pgettext_lazy("unit", "h"),
    "months": pgettext_lazy("unit", "months"),
    "persons": pgettext_lazy("unit", "persons"),
    "%": "%",
    "%LEL": "%LEL",
    "m": pgettext_lazy("unit", "m"),
    "V": "V",
    "MPa": "MPa",
}


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


class EnforcementKind(models.TextChoices):
    RECTIFY = "rectify", _("Order to rectify by a deadline")  # 责令限期整改
    SUSPEND = "suspend", _("Suspension of production or business")  # 责令停产停业整顿
    FINE = "fine", _("Fine")  # 罚款
    SEIZE = "seize", _("Seizure or sealing")  # 查封、扣押

    @classmethod
    def with_deadline(cls) -> frozenset[str]:
        return frozenset({cls.RECTIFY, cls.SUSPEND})


class EnforcementState(models.TextChoices):
    ISSUED = "issued", _("Issued: awaiting compliance")
    COMPLIED = "complied", _("Compliance reported: awaiting re-inspection")
    CLOSED = "closed", pgettext_lazy("enforcement", "Closed")
    REVOKED = "revoked", _("Revoked")


# --- the audit working paper (审计式检查 工作底稿) ------------------------------------------


class AuditSampleKind(models.TextChoices):
    """The kinds of record an audit paper samples for verification on site."""

    TASK = "task", _("Inspection-task record")
    HAZARD = "hazard", _("Closed hidden hazard")
    MEASURE = "measure", _("Control measure")


class AuditResult(models.TextChoices):
    """What the team found when it verified a sampled record on site."""

    PENDING = "pending", _("To verify")
    VERIFIED = "verified", _("Verified")
    DISCREPANCY = "discrepancy", _("Discrepancy")
