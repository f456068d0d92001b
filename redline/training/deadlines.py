"""Certificate expiry on the one deadline sweep (`redline.core.deadlines`): a reminder to the
person's unit `reminder_days` before `valid_until` (60 days: the hazardous-chemical renewal
window, unconfirmed for the other kinds; `data/requirements.json`), and the expired flag the
day after it, each exactly once per certificate and expiry date. No escalation. Run by the
scheduler (`redline jobs`, `training/tasks.py`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

from redline.core.deadlines import Deadlines, Subjects, sweep
from redline.core.notify import users_of
from redline.organisations.models import Organisation
from redline.training import requirements as req
from redline.training.models import Certificate
from redline.training.vocab import CertificateState
from redline.training.workflow import CERTIFICATE

if TYPE_CHECKING:
    from redline.accounts.models import User


def _who(certificate: Certificate, level: int) -> tuple[list[User], list[str]]:
    """The person's unit's own accounts."""
    unit = certificate.person.enterprise_id
    if unit is None:
        return [], []
    orgs = Organisation.objects.filter(enterprise_id=unit, is_archived=False).values_list(
        "pk", flat=True
    )
    return users_of(list(orgs)), []


def _name(certificate: Certificate) -> str:
    return f"{certificate.person.name} {certificate.get_kind_display()} {certificate.number}"


def _valid() -> Any:
    return Certificate.objects.filter(state=CertificateState.VALID)


EXPIRY = Deadlines(
    machine=CERTIFICATE,
    late=_valid,
    due="valid_until",
    remind_days=lambda: req.requirements().reminder_days,
    escalation_days=lambda: (),
    subjects=Subjects(
        remind=gettext_lazy("Certificate expires on %(date)s: %(name)s"),
        overdue=gettext_lazy("Certificate expired (%(date)s): %(name)s"),
        escalate=gettext_lazy("Certificate expired (%(date)s): %(name)s"),
    ),
    who=_who,
    name=_name,
    url=lambda certificate: certificate.get_absolute_url(),
    key="certificate-expiry",
    related=("person__enterprise",),
)


def certificate_expiry_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    return sweep(EXPIRY, now=now)
