"""The certificate machine's records for the workflow contract suite
(`redline/core/tests/test_workflow_contract.py`, `redline/core/tests/contract.py`).

In the access-test city (`organisations/tests/world.py`), a special operator of U-S11-hazchem
holds a valid special-operation certificate and a revoked one. Who sees them is the world's
description of who sees the unit (`World.visible`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from redline.accounts.models import User
from redline.core.tests.contract import Someone
from redline.core.workflow import Transition
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Person
from redline.organisations.tests.world import World
from redline.training.models import Certificate
from redline.training.vocab import CertificateState

UNIT = "U-S11-hazchem"


class CertificateContract:
    sample = "review"

    def setup(self, world: World) -> None:
        self.world = world
        unit = Enterprise.objects.get(name=UNIT)
        self.unit_pk = unit.pk
        person = Person.objects.create(
            name="特种作业员甲", role="post_holder", post="氯化工", enterprise=unit
        )
        today = timezone.localdate()
        issued = today - dt.timedelta(days=400)
        self.records: dict[str, int] = {}
        for state in (CertificateState.VALID, CertificateState.REVOKED):
            certificate = Certificate.objects.create(
                person=person,
                kind="special_operation",
                category="hazchem",
                item="hazchem-chlorination",
                number=f"T-contract-{state}",
                issued_on=issued,
                valid_until=issued.replace(year=issued.year + 6) - dt.timedelta(days=1),
                review_due=issued.replace(year=issued.year + 3),
                state=state,
                created_at=timezone.now(),
            )
            self.records[state] = certificate.pk

    def record_in(self, state: str, transition: Transition) -> Certificate:
        return Certificate.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: Certificate) -> User:
        return User.objects.get(username=self.world.username("ent", "operator"))

    def people(self, record: Certificate) -> list[Someone]:
        names = {self.world.username(key, role): key for key in self.world.orgs for role in ROLES}
        users = User.objects.filter(username__in=names).select_related("organisation__region")
        return [
            Someone(u, self.unit_pk in self.world.visible(names[u.username]))
            for u in users.order_by("username")
        ]

    def valid_data(self, action: str, record: Certificate, actor: User) -> dict[str, Any]:
        if action == "review":
            return {"reviewed_on": timezone.localdate().isoformat(), "comment": ""}
        return {"comment": "Obtained by fraud."}

    def api_url(self, record: Certificate, action: str) -> str:
        return f"/api/v1/training/certificates/{record.pk}/steps/{action}"
