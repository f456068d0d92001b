"""The accident machine's records for the workflow contract suite
(`redline/core/tests/test_workflow_contract.py`, `redline/core/tests/contract.py`).

One accident in each state at U-S11-hazchem in the access-test world (`build.py` says who
sees it and why), recorded two hours ago so that its supplementary window is open. Who is
inside is the world's description (`build.SEES`), not the door's answer."""

from __future__ import annotations

from typing import Any

from redline.accidents.models import Accident
from redline.accidents.tests import build
from redline.accidents.vocab import AccidentState
from redline.accounts.models import User
from redline.core.tests.contract import Someone
from redline.core.workflow import Transition
from redline.organisations.access import ROLES
from redline.organisations.tests.world import World


class AccidentContract:
    sample = "start_investigation"

    def setup(self, world: World) -> None:
        self.world = world
        self.records = {s: build.in_state(world, s).pk for s in AccidentState.values}

    def record_in(self, state: str, transition: Transition) -> Accident:
        return Accident.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: Accident) -> User:
        return build.user(build.GOVERNMENT_WRITER)

    def people(self, record: Accident) -> list[Someone]:
        names = {self.world.username(key, role): key for key in self.world.orgs for role in ROLES}
        users = User.objects.filter(username__in=names).select_related("organisation__region")
        return [Someone(u, names[u.username] in build.SEES) for u in users.order_by("username")]

    def valid_data(self, action: str, record: Accident, actor: User) -> dict[str, Any]:
        return {
            "supplement": {"comment": "一名重伤人员经抢救无效死亡。", "deaths": 2},
            "start_investigation": {"investigating_body": "区政府事故调查组"},
            "submit_report": {"comment": "违章作业导致。", "deaths": 2},
        }[action]

    def api_url(self, record: Accident, action: str) -> str:
        return f"/api/v1/accidents/{record.pk}/steps/{action}"
