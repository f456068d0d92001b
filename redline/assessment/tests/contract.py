"""The assessment machine's records for the workflow contract suite
(`redline/core/tests/test_workflow_contract.py`).

A draft (the city sees it: only the city government and the Safety Committee office, by the
world's description) and a published assessment of another year (every government body and
department sees it; the public-health body and the units do not)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from redline.accounts.models import User
from redline.assessment.models import Assessment, AssessmentState
from redline.core.tests.contract import Someone
from redline.core.workflow import Transition
from redline.organisations.access import ROLES
from redline.organisations.tests.world import World

SEE_DRAFTS = ("cityhall", "office")
SEE_PUBLISHED = ("cityhall", "office", "d1", "s11", "emergency", "fire_d1", "education")


def make(state: str, year: int) -> Assessment:
    return Assessment.objects.create(
        title=f"{year}年度考核",
        scheme_version="2026.1",
        year=year,
        period_kind="year",
        state=state,
        inputs={"scheme": "2026.1", "subjects": {}} if state == AssessmentState.PUBLISHED else {},
        created_at=timezone.now(),
    )


class AssessmentContract:
    sample = "publish"

    def setup(self, world: World) -> None:
        self.world = world
        self.records = {
            AssessmentState.DRAFT: make(AssessmentState.DRAFT, 2031).pk,
            AssessmentState.PUBLISHED: make(AssessmentState.PUBLISHED, 2030).pk,
        }

    def record_in(self, state: str, transition: Transition) -> Assessment:
        return Assessment.objects.get(pk=self.records[state])

    def actor_for(self, action: str, record: Assessment) -> User:
        return User.objects.get(username=self.world.username("office", "manager"))

    def people(self, record: Assessment) -> list[Someone]:
        sees = SEE_PUBLISHED if record.state == AssessmentState.PUBLISHED else SEE_DRAFTS
        names = {self.world.username(key, role): key for key in self.world.orgs for role in ROLES}
        users = User.objects.filter(username__in=names).select_related("organisation__region")
        return [Someone(u, names[u.username] in sees) for u in users.order_by("username")]

    def valid_data(self, action: str, record: Assessment, actor: User) -> dict[str, Any]:
        return {"publish": {"comment": "市安委办〔2031〕1号"}}[action]

    def api_url(self, record: Assessment, action: str) -> str:
        return f"/api/v1/assessments/{record.pk}/steps/{action}"
