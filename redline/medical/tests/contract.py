"""The capacity-alert machine's records for the workflow contract suite
(`redline/core/tests/test_workflow_contract.py`, `redline/core/tests/contract.py`).

The medical tests' world (`conftest.py`: the access-test city with two hospitals, a fever
clinic, their accounts, D2's government, D1's CDC and the health commission), and one report
of hospital A past three thresholds: its ICU alert stays open, its staff-absence alert is
acknowledged, its bed-occupancy alert closed. Who sees them is conftest's `VISIBLE`."""

from __future__ import annotations

from typing import Any

import time_machine

from redline.accounts.models import User
from redline.core.tests.contract import Someone
from redline.core.workflow import Transition
from redline.medical.models import CapacityAlert
from redline.medical.services import capacity_alert_transition, capacity_thresholds_load
from redline.medical.tests.conftest import NOW, VISIBLE, med, submit
from redline.medical.vocab import AlertState, Metric
from redline.organisations.access import ROLES
from redline.organisations.tests.world import World

UNIT = "hosp_a"
STATES = {
    AlertState.OPEN: (Metric.ICU_OCCUPANCY, []),
    AlertState.ACKNOWLEDGED: (Metric.STAFF_ABSENCE, [("acknowledge", "")]),
    AlertState.CLOSED: (Metric.BED_OCCUPANCY, [("close", "Beds freed.")]),
}
ACTORS = {"acknowledge": ("cdc_d1", "operator"), "close": ("health", "inspector")}
DATA: dict[str, dict[str, Any]] = {
    "acknowledge": {"comment": "Calling the hospital."},
    "close": {"comment": "Staff back from leave."},
}


class CapacityAlertContract:
    sample = "close"

    def setup(self, world: World) -> None:
        # The medical tests' fixture, as a builder (it takes the world; `db` is unused).
        self.med = med.__wrapped__(world, None)
        self.records: dict[str, int] = {}
        # The shipped thresholds (a migration loads them; a transactional test's flush
        # does not leave them for the next one).
        capacity_thresholds_load()
        with time_machine.travel(NOW, tick=False):
            submit(
                self.med.user("ha", "operator"), icu_occupied=9, staff_absent=12, beds_occupied=95
            )
            for state, (metric, path) in STATES.items():
                alert = CapacityAlert.objects.get(hospital_id=self.med.units[UNIT], metric=metric)
                for action, comment in path:
                    alert = capacity_alert_transition(
                        actor=self.med.user(*ACTORS[action]),
                        alert_id=alert.pk,
                        action=action,
                        version=alert.version,
                        comment=comment,
                    )
                assert alert.state == state, (state, alert.state)
                self.records[state] = alert.pk

    def record_in(self, state: str, transition: Transition) -> CapacityAlert:
        return CapacityAlert.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: CapacityAlert) -> User:
        return self.med.user(*ACTORS[action])

    def people(self, record: CapacityAlert) -> list[Someone]:
        unit = {pk: key for key, pk in self.med.units.items()}[record.hospital_id]
        names = {f"{key}-{role}": key for key in VISIBLE for role in ROLES}
        users = User.objects.filter(username__in=names).select_related("organisation__region")
        return [
            Someone(u, self.med.sees_unit(names[u.username], unit))
            for u in users.order_by("username")
        ]

    def valid_data(self, action: str, record: CapacityAlert, actor: User) -> dict[str, Any]:
        return dict(DATA[action])

    def api_url(self, record: CapacityAlert, action: str) -> str:
        return f"/api/v1/medical/alerts/{record.pk}/steps/{action}"
