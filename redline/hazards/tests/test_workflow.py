"""The closed loop: who may take which step, what each step needs, and what it records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog, Notification
from redline.hazards.models import Hazard
from redline.hazards.services import HazardReportInput, hazard_report, hazard_transition
from redline.hazards.tests.factories import JPEG, PNG, report, user
from redline.hazards.vocab import HazardState
from redline.hazards.workflow import MACHINE

pytestmark = pytest.mark.django_db

PLAN = {
    "plan_responsible": "Wang Wei, maintenance workshop",
    "plan_measures": "Replace the flange gasket; pressure-test line 3.",
    "plan_funds": "12.5",
    "plan_contingency": "Isolate line 3; leak kit and SCBA at the unit.",
}


def step(actor, hazard, action, photos=(), **data):
    hazard.refresh_from_db()
    return hazard_transition(
        actor=user(actor) if isinstance(actor, str) else actor,
        hazard_id=hazard.pk,
        action=action,
        version=hazard.version,
        data=data,
        photos=photos,
    )


def photo(name="p.jpg", content=JPEG):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def future(days=10):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def test_general_hazard_fixed_on_the_spot_then_accepted(world):
    ent = world.orgs["ent"].arg
    hazard = report(user("ent-operator"), ent)
    assert hazard.state == HazardState.REPORTED
    step("ent-operator", hazard, "fix_on_spot", comment="Tightened the bolts.", photos=[photo()])
    hazard = step("ent-manager", hazard, "accept", comment="Checked: dry.")
    assert hazard.state == HazardState.CLOSED
    assert hazard.closed_at is not None
    actions = list(hazard.events.values_list("action", flat=True))
    assert actions == ["report", "fix_on_spot", "accept"]
    assert ChangeLog.objects.filter(model="hazards.Hazard", object_id=str(hazard.pk)).count() == 3


def test_major_hazard_path_with_listed_supervision(world):
    ent = world.orgs["ent"].arg
    hazard, created = hazard_report(
        actor=user("ent-operator"),
        data=HazardReportInput.of(
            {
                "enterprise": ent,
                "name": "Tank farm without a firewall",
                "description": "Tank area T-2 has no firewall.",
                "hazard_type": "layout",
                "level": "major",
                "source": "comprehensive",
            }
        ),
        photos=[photo(), SimpleUploadedFile("b.png", PNG)],
    )
    assert created and hazard.is_major
    assert hazard.photos.count() == 2
    # Reported at once to the supervising department and the territorial governments.
    auto = hazard.events.get(action="auto_report")
    assert "应急管理局" in auto.data["to"] and "S11办事处" in auto.data["to"]
    assert "D1政府" in auto.data["to"]
    told = set(
        Notification.objects.filter(key=f"hazard:{hazard.pk}:major").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"emergency-inspector", "s11-manager", "d1-viewer"} <= told
    assert not any(name.startswith("fire_d1") for name in told)

    # A general-only step is not offered for a major hazard.
    names = {t.name for t in MACHINE.available(user("ent-operator"), hazard)}
    assert "plan" in names and "assign" not in names and "fix_on_spot" not in names

    # The unit cannot list it; the supervising department can.
    with pytest.raises(PermissionDenied):
        step("ent-manager", hazard, "list", comment="x")
    hazard = step(
        "emergency-inspector",
        hazard,
        "list",
        comment="City list, batch 3",
        supervision_deadline=future(60),
    )
    assert hazard.listed and hazard.listed_by_id == world.orgs["emergency"].pk
    assert hazard.state == HazardState.REPORTED

    # The plan needs all five implementations.
    with pytest.raises(ValidationFailed) as failure:
        step("ent-operator", hazard, "plan", **(PLAN | {"plan_contingency": ""}))
    assert "plan_contingency" in failure.value.fields
    with pytest.raises(ValidationFailed) as failure:
        step("ent-operator", hazard, "plan", **PLAN)
    assert "plan_deadline" in failure.value.fields
    hazard = step("ent-operator", hazard, "plan", plan_deadline=future(30), **PLAN)
    assert hazard.state == HazardState.RECTIFYING
    assert hazard.deadline == hazard.plan_deadline
    assert str(hazard.plan_funds) == "12.50"

    # Submitting a major hazard's rectification needs photos as evidence.
    with pytest.raises(ValidationFailed) as failure:
        step("ent-manager", hazard, "submit", comment="Firewall built.")
    assert "photos" in failure.value.fields
    hazard = step("ent-manager", hazard, "submit", comment="Firewall built.", photos=[photo()])
    assert hazard.state == HazardState.AWAITING_ACCEPTANCE

    # The rectifier may not accept it, even holding a role that accepts; someone else may.
    with pytest.raises(PermissionDenied) as refused:
        step("ent-manager", hazard, "accept", comment="done")
    assert "rectified" in refused.value.message or "整改人" in refused.value.message
    hazard = step("ent-admin", hazard, "accept", comment="Inspected on site.")
    assert hazard.state == HazardState.AWAITING_SIGNOFF

    # Under listed supervision, only the supervising department's sign-off closes it.
    with pytest.raises(PermissionDenied):
        step("ent-manager", hazard, "sign_off", comment="")
    with pytest.raises(PermissionDenied):
        step("d1-manager", hazard, "sign_off", comment="")
    hazard = step("emergency-manager", hazard, "sign_off", comment="Signed off.")
    assert hazard.state == HazardState.CLOSED
    timeline = list(hazard.events.values_list("action", "actor__username"))
    assert timeline == [
        ("report", "ent-operator"),
        ("auto_report", None),
        ("list", "emergency-inspector"),
        ("plan", "ent-operator"),
        ("submit", "ent-manager"),
        ("accept", "ent-admin"),
        ("sign_off", "emergency-manager"),
    ]


def test_rejection_and_reopening(world):
    ent = world.orgs["ent"].arg
    hazard = report(user("ent-operator"), ent)
    step("ent-operator", hazard, "assign", deadline=future())
    step("ent-operator", hazard, "submit", comment="Fixed")
    with pytest.raises(ValidationFailed) as failure:
        step("ent-manager", hazard, "reject")
    assert "comment" in failure.value.fields
    hazard = step("ent-manager", hazard, "reject", comment="Still dripping")
    assert hazard.state == HazardState.RECTIFYING and hazard.accepted_by is None
    step("ent-operator", hazard, "submit", comment="Gasket replaced")
    hazard = step("ent-manager", hazard, "accept")
    assert hazard.state == HazardState.CLOSED
    hazard = step("emergency-inspector", hazard, "reopen", comment="Found leaking again")
    assert hazard.state == HazardState.RECTIFYING and hazard.closed_at is None


def test_steps_outside_their_states_or_roles_are_refused(world):
    ent = world.orgs["ent"].arg
    hazard = report(user("ent-operator"), ent)
    with pytest.raises(Conflict):
        step("ent-manager", hazard, "accept")  # nothing submitted yet
    with pytest.raises(PermissionDenied):
        step("ent-viewer", hazard, "assign", deadline=future())
    with pytest.raises(ValidationFailed) as failure:
        step("ent-operator", hazard, "assign", deadline="2001-01-01")
    assert "deadline" in failure.value.fields
    with pytest.raises(ValidationFailed) as failure:
        step("ent-operator", hazard, "assign", deadline=future(), colour="red")
    assert "colour" in failure.value.fields
    # Refused steps changed nothing.
    hazard.refresh_from_db()
    assert hazard.state == HazardState.REPORTED and hazard.version == 1
    assert list(hazard.events.values_list("action", flat=True)) == ["report"]


def test_outside_jurisdiction_is_not_found(world):
    hazard = report(user("ent-operator"), world.orgs["ent"].arg)
    for outsider in ("ent2-admin", "fire_d1-admin", "education-admin", "cdc_d2-admin"):
        with pytest.raises(NotFound):
            step(outsider, hazard, "comment", comment="hello")
    assert Hazard.objects.restrict(user("ent2-admin")).filter(pk=hazard.pk).count() == 0
    assert Hazard.objects.restrict(user("d1-viewer")).filter(pk=hazard.pk).count() == 1
    with pytest.raises(NotFound):
        hazard_report(
            actor=user("ent2-operator"),
            data=HazardReportInput.of(
                {
                    "enterprise": world.orgs["ent"].arg,
                    "name": "x",
                    "description": "y",
                    "hazard_type": "other",
                    "level": "general",
                }
            ),
        )


def test_two_people_acting_at_once_one_gets_a_conflict(world):
    hazard = report(user("ent-operator"), world.orgs["ent"].arg)
    read_version = hazard.version
    hazard_transition(
        actor=user("ent-operator"),
        hazard_id=hazard.pk,
        action="fix_on_spot",
        version=read_version,
        data={"comment": "done"},
    )
    with pytest.raises(Conflict) as conflict:
        hazard_transition(
            actor=user("ent-manager"),
            hazard_id=hazard.pk,
            action="assign",
            version=read_version,
            data={"deadline": future()},
        )
    assert conflict.value.status == 409
    hazard.refresh_from_db()
    assert hazard.state == HazardState.AWAITING_ACCEPTANCE
    assert hazard.events.count() == 2


def test_a_retried_submission_creates_one_hazard(world):
    data = {
        "enterprise": world.orgs["ent"].arg,
        "name": "Blocked exit",
        "description": "Pallets in front of exit B.",
        "hazard_type": "fire",
        "level": "general",
    }
    first, created = hazard_report(
        actor=user("ent-operator"),
        data=HazardReportInput.of(data),
        idempotency_key="phone-7f3a",
        photos=[photo()],
    )
    again, created_again = hazard_report(
        actor=user("ent-operator"),
        data=HazardReportInput.of(data),
        idempotency_key="phone-7f3a",
        photos=[photo()],
    )
    assert created and not created_again and first.pk == again.pk
    assert Hazard.objects.filter(name="Blocked exit").count() == 1
    assert first.photos.count() == 1


def test_bad_photos_are_refused_naming_the_file(world):
    with pytest.raises(ValidationFailed) as failure:
        report(user("ent-operator"), world.orgs["ent"].arg) if False else hazard_report(
            actor=user("ent-operator"),
            data=HazardReportInput.of(
                {
                    "enterprise": world.orgs["ent"].arg,
                    "name": "x",
                    "description": "y",
                    "hazard_type": "other",
                    "level": "general",
                }
            ),
            photos=[SimpleUploadedFile("notes.txt", b"hello")],
        )
    assert "notes.txt" in failure.value.fields["photos"]
    assert not Hazard.objects.filter(name="x").exists()


def test_every_transition_has_a_rule_for_who():
    for transition in MACHINE.transitions.values():
        assert transition.sources, transition.name
        assert callable(transition.allowed)


def test_hazards_follow_their_unit_when_it_moves_or_changes_sector(world):
    from redline.organisations.models import Enterprise
    from redline.organisations.services import EnterpriseInput, enterprise_update

    unit = Enterprise.objects.get(pk=world.orgs["ent"].arg)
    hazard = report(user("ent-operator"), unit.pk)
    d1, emergency = user("d1-viewer"), user("emergency-viewer")
    assert Hazard.objects.restrict(d1).filter(pk=hazard.pk).exists()
    enterprise_update(
        actor=user("cityhall-admin"),
        enterprise_id=unit.pk,
        version=unit.version,
        data=EnterpriseInput(region=world.regions["S21"], sector_list=("fire",)),
    )
    hazard.refresh_from_db()
    assert hazard.region_id == world.regions["S21"] and hazard.unit_sectors == ",fire,"
    assert not Hazard.objects.restrict(d1).filter(pk=hazard.pk).exists()  # now in D2
    assert not Hazard.objects.restrict(emergency).filter(pk=hazard.pk).exists()  # not hazchem
    assert Hazard.objects.restrict(user("ent-viewer")).filter(pk=hazard.pk).exists()
