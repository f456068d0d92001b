"""A certificate's life, as a machine on the workflow kernel.

    valid --review (the unit or its supervisors' writers: the review date)--> valid
    valid --revoke (the same, with a reason)--> revoked

Recording a review (复审) moves the next review date by the kind's review interval (`steps.py`);
expiry is not a step: the one deadline sweep reminds before `valid_until` and flags the
certificate after it (`training/deadlines.py`). The kernel loads the certificate through the
door (it follows the person's unit), refuses with one code per reason and writes the timeline
and the change log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from redline.core.workflow import Date, Machine, Messages, Transition, step_fields
from redline.organisations.access import role_allows
from redline.training.models import Certificate, CertificateEvent
from redline.training.vocab import CertificateState

if TYPE_CHECKING:
    from redline.accounts.models import User

S = CertificateState


def writer(actor: User, certificate: Certificate) -> bool:
    """A writer (operator, manager, admin) of a body that may change the person's unit (the
    door's "change", which the kernel asked when it loaded the certificate)."""
    return role_allows(actor, "change")


WRITERS = _("the unit's or its supervisors' operators and managers")

CERTIFICATE = Machine(
    name="certificate",
    model=Certificate,
    event_model=CertificateEvent,
    event_record="certificate",
    transitions={
        t.name: t
        for t in [
            Transition(
                "review",
                _("Record a review"),
                frozenset({S.VALID}),
                None,
                writer,
                WRITERS,
                fields=step_fields(reviewed_on=Date()),
                required=frozenset({"reviewed_on"}),
            ),
            Transition(
                "revoke",
                _("Revoke"),
                frozenset({S.VALID}),
                S.REVOKED,
                writer,
                WRITERS,
                required=frozenset({"comment"}),
            ),
        ]
    },
    system_actions={
        "remind": _("Reminded: expires soon"),
        "overdue": _("Expired"),
        "escalate": _("Escalated"),
    },
    messages=Messages(
        stale=_(
            "Someone else changed this certificate since you opened it (it is now %(state)s). "
            "Reload it and check before acting."
        ),
        raced=_("Someone else acted on this certificate at the same moment. Reload it."),
        wrong_state=_("This certificate is %(state)s; that step is not possible now."),
    ),
    hooks="redline.training.steps",
    contract="redline.training.tests.contract:CertificateContract",
    related=("person__enterprise",),
    enterprise_of=lambda certificate: certificate.person.enterprise_id,
    comment_missing=_("Say why."),
)
