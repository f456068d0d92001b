"""The signal machine's records for the workflow contract suite
(`redline/core/tests/test_workflow_contract.py`, `redline/core/tests/contract.py`).

In the access-test city with the city CDC and D1's CDC added (as `test_signal_access.py`
adds them): an outbreak in S11 of each of five conditions, raised by one detection run as
signals of D1's series, then taken by real steps into each state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from redline.accounts.models import User
from redline.core.tests.contract import Someone
from redline.core.workflow import Transition
from redline.epidemic.detection import detection_run
from redline.epidemic.models import Signal
from redline.epidemic.services_signals import signal_transition
from redline.epidemic.tests.signal_data import add_cdc, at, condition, outbreak, user
from redline.epidemic.vocab import SignalState as S
from redline.organisations.access import ROLES
from redline.organisations.tests.world import World

DAY = dt.date(2026, 3, 10)
RAISED = at(DAY + dt.timedelta(days=1), 7)
# Who sees a signal of D1's series (no key place), from test_signal_access.py's description:
# the city's government, committee office and CDC, D1's government and D1's CDC.
SEES = {"cityhall", "office", "cdc_city", "d1", "cdc_d1"}
ADDED = {"cdc_city": "C", "cdc_d1": "D1"}
ACTORS = {
    "verify": "cdc_d1-operator",
    "respond": "cdc_d1-manager",
    "close": "cdc_city-operator",
    "comment": "d1-inspector",
}
DATA: dict[str, dict[str, Any]] = {
    "verify": {"verification": "true"},
    "respond": {"comment": "Schools closed for three days.", "cases": 12},
    "close": {"comment": "Contained.", "outcome": "outbreak"},
    "comment": {"comment": "Noted."},
}
# The steps that take a new signal into each state.
PATHS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    S.NEW: [],
    S.MONITORING: [("verify", {"verification": "uncertain", "comment": "Watch it."})],
    S.INVESTIGATING: [("verify", DATA["verify"])],
    S.RESPONDING: [("verify", DATA["verify"]), ("respond", DATA["respond"])],
    S.CLOSED: [("verify", {"verification": "false", "comment": "A data-entry error."})],
}


class SignalContract:
    sample = "verify"

    def setup(self, world: World) -> None:
        self.world = world
        for key, region in ADDED.items():
            add_cdc(world, key, region)
        for state in PATHS:
            outbreak(condition(f"contract-{state}"), world.regions["S11"], DAY)
        detection_run(day=DAY, now=RAISED)
        self.records: dict[str, int] = {}
        for state, path in PATHS.items():
            signal = Signal.objects.get(condition__code=f"contract-{state}")
            assert signal.region_id == world.regions["D1"] and signal.place_id is None
            for action, data in path:
                signal = signal_transition(
                    actor=user(ACTORS[action]),
                    signal_id=signal.pk,
                    action=action,
                    version=signal.version,
                    data=data,
                    now=RAISED + dt.timedelta(hours=1),
                )
            assert signal.state == state, (state, signal.state)
            self.records[state] = signal.pk

    def record_in(self, state: str, transition: Transition) -> Signal:
        return Signal.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: Signal) -> User:
        return user(ACTORS[action])

    def people(self, record: Signal) -> list[Someone]:
        keys = [*self.world.orgs, *ADDED]
        names = {f"{key}-{role}": key for key in keys for role in ROLES}
        users = User.objects.filter(username__in=names).select_related("organisation__region")
        return [Someone(u, names[u.username] in SEES) for u in users.order_by("username")]

    def valid_data(self, action: str, record: Signal, actor: User) -> dict[str, Any]:
        return dict(DATA[action])

    def api_url(self, record: Signal, action: str) -> str:
        return f"/api/v1/epidemic/signals/{record.pk}/steps/{action}"
