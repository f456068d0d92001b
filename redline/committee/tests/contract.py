"""The key task machine's records for the workflow contract suite
(`redline/core/tests/test_workflow_contract.py`, `redline/core/tests/contract.py`).

One task in each state, in the access-test world (`build.py` says who sees it and why): the
emergency department leads it, D1's fire department cooperates, it is placed in D1. Who is
inside is the world's description (`build.SEES`), not the door's answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from redline.accounts.models import User
from redline.committee.models import KeyTask
from redline.committee.tests import build
from redline.committee.vocab import TaskState
from redline.core.tests.contract import Someone
from redline.core.workflow import Transition
from redline.organisations.access import ROLES
from redline.organisations.tests.world import World

LEADS = {"start", "report", "report_completion"}


class KeyTaskContract:
    sample = "return"

    def setup(self, world: World) -> None:
        self.world = world
        self.records = {state: build.in_state(world, state).pk for state in TaskState.values}

    def record_in(self, state: str, transition: Transition) -> KeyTask:
        return KeyTask.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: KeyTask) -> User:
        return build.user(build.LEAD_WRITER if action in LEADS else build.OFFICE_MANAGER)

    def people(self, record: KeyTask) -> list[Someone]:
        names = {self.world.username(key, role): key for key in self.world.orgs for role in ROLES}
        users = User.objects.filter(username__in=names).select_related("organisation__region")
        return [Someone(u, names[u.username] in build.SEES) for u in users.order_by("username")]

    def valid_data(self, action: str, record: KeyTask, actor: User) -> dict[str, Any]:
        return {
            "start": {},
            "report": {"comment": "本月排查企业12家。", "figure": "35.5"},
            "report_completion": {"comment": "全部完成。", "figure": "100"},
            "verify": {"comment": "核查属实。"},
            "return": {"comment": "台账不全，请补充。"},
            "cancel": {"comment": "任务调整。"},
            "amend": {
                "comment": "市安委会第二次全体会议决定延期。",
                "deadline": (record.deadline + dt.timedelta(days=30)).isoformat(),
            },
        }[action]

    def api_url(self, record: KeyTask, action: str) -> str:
        return f"/api/v1/committee/tasks/{record.pk}/steps/{action}"
