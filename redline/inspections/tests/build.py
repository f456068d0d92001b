"""Builders of inspections in the access-test world, through the services (as the phone
and the pages make them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from redline.accounts.models import User
from redline.hazards.tests.factories import JPEG
from redline.inspections import demo, services
from redline.inspections import enforcement as enf
from redline.inspections.models import ChecklistTemplate, EnforcementAction, Inspection
from redline.organisations.models import Enterprise
from redline.organisations.tests.world import World


def template(code: str = "hazchem") -> ChecklistTemplate:
    demo.checklists_load()
    return ChecklistTemplate.objects.get(code=code, is_current=True)


@dataclass
class Team:
    inspector: User
    manager: User
    unit_user: User
    enterprise: Enterprise
    template: ChecklistTemplate

    @classmethod
    def of(cls, world: World, unit: str = "U-S11-hazchem") -> Team:
        def user(name: str) -> User:
            return User.objects.get(username=name)

        return cls(
            inspector=user("emergency-inspector"),
            manager=user("emergency-manager"),
            unit_user=user("ent-operator"),
            enterprise=Enterprise.objects.get(name=unit),
            template=template(),
        )


def planned(team: Team, kind: str = "enforcement") -> Inspection:
    inspection, _created = services.inspection_plan(
        actor=team.inspector,
        data=services.InspectionInput.of(
            {
                "enterprise": team.enterprise.pk,
                "kind": kind,
                "planned_on": timezone.localdate(),
                "inspectors": [str(team.inspector.pk), str(team.manager.pk)],
                "template": team.template.pk,
            }
        ),
    )
    return inspection


def checked_in(team: Team) -> Inspection:
    inspection = planned(team)
    return services.inspection_step(
        actor=team.inspector,
        inspection_id=inspection.pk,
        action="check_in",
        version=inspection.version,
        data={"place": "Main gate"},
    )


def photo(content: bytes = JPEG) -> dict[str, str]:
    return demo.image(content, "p.jpg")


def answer_all(team: Team, inspection: Inspection, *, bad: int) -> None:
    demo.answer_all(team.inspector, inspection, failing=demo.failing_items(inspection, bad))


def sign(team: Team, inspection: Inspection) -> None:
    demo.sign_all([team.inspector, team.manager], inspection, "王主任")


def ready_to_complete(team: Team, *, bad: int) -> Inspection:
    inspection = checked_in(team)
    answer_all(team, inspection, bad=bad)
    sign(team, inspection)
    return Inspection.objects.get(pk=inspection.pk)


def completed(team: Team, *, bad: int) -> Inspection:
    inspection = ready_to_complete(team, bad=bad)
    return services.inspection_step(
        actor=team.inspector,
        inspection_id=inspection.pk,
        action="complete",
        version=inspection.version,
        data={"summary": "Checked."},
    )


def all_answered(team: Team) -> Inspection:
    inspection = completed(team, bad=1)
    for finding in inspection.findings.all():  # type: ignore[attr-defined]
        services.finding_step(
            actor=team.unit_user,
            finding_id=finding.pk,
            action="answer",
            version=finding.version,
            data={"comment": "Done."},
        )
    return Inspection.objects.get(pk=inspection.pk)


def enforcement(
    team: Team, inspection: Inspection, kind: str = "rectify", **changes: Any
) -> EnforcementAction:
    finding = inspection.findings.first()
    data = {
        "inspection": inspection.pk,
        "kind": kind,
        "description": "Replace the relief valve of tank T-2.",
        "legal_basis": "《安全生产法》第一百零二条",
        "finding": finding.pk if finding else None,
        "deadline": timezone.localdate() + dt.timedelta(days=10),
    } | changes
    action, _created = enf.enforcement_issue(
        actor=team.inspector,
        data=enf.EnforcementInput.of({k: v for k, v in data.items() if v is not None}),
    )
    return action


def cancelled(team: Team) -> Inspection:
    inspection = planned(team)
    return services.inspection_step(
        actor=team.manager,
        inspection_id=inspection.pk,
        action="cancel",
        version=inspection.version,
        data={"comment": "Postponed."},
    )


TODAY = dt.date(2026, 3, 2)
