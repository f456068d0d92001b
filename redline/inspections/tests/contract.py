"""The inspection and finding machines' records for the workflow contract suite
(`redline/core/tests/test_workflow_contract.py`, `redline/core/tests/contract.py`).

The access-test world: the city's emergency department (mandate: hazardous chemicals and
industry, city-wide) inspects U-S11-hazchem with the hazardous-chemicals checklist; its
inspector and manager are the team. One inspection in each state; the one awaiting the
unit's answers has three findings, one in each state. Who sees them is the world's
description of who sees the unit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from redline.accounts.models import User
from redline.core.tests.contract import Someone
from redline.core.workflow import Transition
from redline.inspections import enforcement, services
from redline.inspections.models import EnforcementAction, Finding, Inspection
from redline.inspections.tests import build
from redline.inspections.vocab import EnforcementState, FindingState, InspectionState
from redline.organisations.access import ROLES
from redline.organisations.tests.world import World

UNIT = "U-S11-hazchem"


def _people(world: World, enterprise_id: int) -> list[Someone]:
    inside = {key for key in world.orgs if enterprise_id in world.visible(key)}
    names = {world.username(key, role): key for key in world.orgs for role in ROLES}
    users = User.objects.filter(username__in=names).select_related("organisation__region")
    return [Someone(u, names[u.username] in inside) for u in users.order_by("username")]


class InspectionContract:
    sample = "check_in"

    def setup(self, world: World) -> None:
        self.world = world
        team = build.Team.of(world)
        self.records = {
            InspectionState.PLANNED: build.planned(team).pk,
            InspectionState.IN_PROGRESS: build.ready_to_complete(team, bad=1).pk,
            InspectionState.AWAITING_UNIT: build.completed(team, bad=1).pk,
            InspectionState.CLOSED: build.completed(team, bad=0).pk,
            InspectionState.CANCELLED: build.cancelled(team).pk,
        }
        # Closing needs every finding answered: an inspection whose findings are.
        self.answered = build.all_answered(team).pk
        self.team = team

    def record_in(self, state: str, transition: Transition) -> Inspection:
        if state == InspectionState.AWAITING_UNIT and transition.name == "close":
            return Inspection.objects.get(pk=self.answered)
        return Inspection.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: Inspection) -> User:
        return self.team.manager if action == "cancel" else self.team.inspector

    def people(self, record: Inspection) -> list[Someone]:
        return _people(self.world, record.enterprise_id)

    def valid_data(self, action: str, record: Inspection, actor: User) -> dict[str, Any]:
        return {
            "check_in": {"place": "Gate 2, north plant"},
            "complete": {"summary": "Tank farm checked."},
            "close": {},
            "cancel": {"comment": "The unit is closed for overhaul."},
        }[action]

    def api_url(self, record: Inspection, action: str) -> str:
        return f"/api/v1/inspections/{record.pk}/steps/{action}"


class FindingContract:
    sample = "answer"

    def setup(self, world: World) -> None:
        self.world = world
        team = build.Team.of(world)
        inspection = build.completed(team, bad=3)
        findings = list(Finding.objects.filter(inspection=inspection).order_by("number"))
        assert len(findings) == 3, findings
        unit = team.unit_user
        for finding in findings[1:]:
            services.finding_step(
                actor=unit,
                finding_id=finding.pk,
                action="answer",
                version=finding.version,
                data={"comment": "Valve replaced; photos attached."},
            )
        closing = Finding.objects.get(pk=findings[2].pk)
        services.finding_step(
            actor=team.inspector,
            finding_id=closing.pk,
            action="accept",
            version=closing.version,
            data={},
        )
        self.records = {
            FindingState.OPEN: findings[0].pk,
            FindingState.ANSWERED: findings[1].pk,
            FindingState.CLOSED: findings[2].pk,
        }
        self.team = team

    def record_in(self, state: str, transition: Transition) -> Finding:
        return Finding.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: Finding) -> User:
        return self.team.unit_user if action == "answer" else self.team.inspector

    def people(self, record: Finding) -> list[Someone]:
        return _people(self.world, record.inspection.enterprise_id)

    def valid_data(self, action: str, record: Finding, actor: User) -> dict[str, Any]:
        return {
            "answer": {"comment": "Rectified on 3 March; see the hazard's evidence."},
            "accept": {},
            "return": {"comment": "Send the calibration certificate too."},
        }[action]

    def api_url(self, record: Finding, action: str) -> str:
        return f"/api/v1/findings/{record.pk}/steps/{action}"


class EnforcementContract:
    """Enforcement actions on a completed inspection of the world's hazchem unit: one
    issued (an order to rectify), one with compliance reported, one closed, one revoked."""

    sample = "report_compliance"

    def setup(self, world: World) -> None:
        self.world = world
        team = build.Team.of(world)
        inspection = build.completed(team, bad=1)
        issued = [build.enforcement(team, inspection) for _i in range(4)]
        unit = team.unit_user
        for record in issued[1:3]:
            enforcement.enforcement_step(
                actor=unit,
                action_id=record.pk,
                action="report_compliance",
                version=record.version,
                data={"comment": "Rectified."},
            )
        closing = EnforcementAction.objects.get(pk=issued[2].pk)
        enforcement.enforcement_step(
            actor=team.inspector,
            action_id=closing.pk,
            action="verify",
            version=closing.version,
            data={},
        )
        enforcement.enforcement_step(
            actor=team.manager,
            action_id=issued[3].pk,
            action="revoke",
            version=issued[3].version,
            data={"comment": "Issued to the wrong unit."},
        )
        self.records = {
            EnforcementState.ISSUED: issued[0].pk,
            EnforcementState.COMPLIED: issued[1].pk,
            EnforcementState.CLOSED: issued[2].pk,
            EnforcementState.REVOKED: issued[3].pk,
        }
        self.team = team

    def record_in(self, state: str, transition: Transition) -> EnforcementAction:
        return EnforcementAction.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: EnforcementAction) -> User:
        return {
            "report_compliance": self.team.unit_user,
            "revoke": self.team.manager,
        }.get(action, self.team.inspector)

    def people(self, record: EnforcementAction) -> list[Someone]:
        return _people(self.world, record.enterprise_id)

    def valid_data(self, action: str, record: EnforcementAction, actor: User) -> dict[str, Any]:
        later = (dt.date.today() + dt.timedelta(days=20)).isoformat()
        return {
            "report_compliance": {"comment": "Valve replaced on 3 March."},
            "verify": {"comment": "Seen on site."},
            "reject": {"comment": "Still leaking.", "deadline": later},
            "revoke": {"comment": "Issued in error."},
        }[action]

    def api_url(self, record: EnforcementAction, action: str) -> str:
        return f"/api/v1/enforcement/{record.pk}/steps/{action}"
