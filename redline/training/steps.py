"""What each step of a certificate changes: the hooks of the certificate machine
(`training/workflow.py`)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed
from redline.core.workflow import Prepared, Step
from redline.training.models import Certificate
from redline.training.vocab import CertificateKind


def prepare(step: Step) -> Prepared:
    certificate: Certificate = step.record
    if step.action == "review":
        day = step.values["reviewed_on"]
        if not (certificate.issued_on <= day <= timezone.localdate(step.now)):
            raise ValidationFailed(
                fields={"reviewed_on": _("A review falls between the issue date and today.")}
            )
        if certificate.kind != CertificateKind.SPECIAL_OPERATION:
            raise ValidationFailed(
                fields={"reviewed_on": _("Only a special-operation certificate is reviewed.")}
            )
        from redline.training.services import certificate_rule_dates

        _valid, review_due = certificate_rule_dates(
            certificate.kind, certificate.issued_on, day, certificate.long_service
        )
        if review_due is not None and review_due >= certificate.valid_until:
            review_due = None
        return Prepared(
            {"reviewed_on": day, "review_due": review_due},
            {
                "reviewed_on": day.isoformat(),
                "review_due": review_due.isoformat() if review_due else "",
            },
        )
    return Prepared()
