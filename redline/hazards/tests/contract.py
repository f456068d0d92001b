"""The hazard machine's records for the workflow contract suite
(`redline/core/tests/test_workflow_contract.py`, `redline/core/tests/contract.py`).

In the access-test city (`organisations/tests/world.py`): hazards of U-S11-hazchem (the
`ent` unit), a general one and a major one taken by real steps into each state they reach,
and a public report of S11 not yet tied to a unit (reported, and dismissed); a dismissed
hazard of the unit is a public report tied to it, then dismissed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from redline.accounts.models import User
from redline.core.tests.contract import Someone
from redline.core.workflow import Transition
from redline.hazards.models import Hazard
from redline.hazards.public import PublicReportInput, hazard_report_public
from redline.hazards.services import hazard_transition
from redline.hazards.tests.factories import JPEG, report, user
from redline.hazards.vocab import HazardState as S
from redline.organisations.access import ROLES
from redline.organisations.tests.world import OrgInfo, World

PLAN = {
    "plan_responsible": "Wang Wei, maintenance workshop",
    "plan_measures": "Replace the flange gasket; pressure-test line 3.",
    "plan_funds": "12.5",
    "plan_contingency": "Isolate line 3; leak kit and SCBA at the unit.",
}
# Which kind of hazard a step is for; a state that kind never reaches falls back to
# another kind (the step is refused for the state first either way).
KIND = {"plan": "major", "sign_off": "major", "list": "major"}
KIND |= {"dismiss": "public", "assign_unit": "public"}
KINDS = ("general", "major", "public")
ACTORS = {
    "fix_on_spot": "ent-operator",
    "assign": "ent-operator",
    "plan": "ent-operator",
    "submit": "ent-operator",
    "accept": "ent-manager",
    "sign_off": "emergency-manager",
    "reject": "ent-manager",
    "reopen": "ent-manager",
    "list": "s11-inspector",
    "dismiss": "s11-inspector",
    "assign_unit": "s11-inspector",
    "comment": "ent-operator",
}
# Where the public report is: S11 (in D1), about hazardous chemicals.
PUBLIC = {"sub": "S11", "district": "D1", "sector": "hazchem"}


def _sees_public_report(org: OrgInfo) -> bool:
    """A public report without a unit is seen by the governments of its region and the
    departments whose mandates cover its region and sector (world.py's rules)."""
    if org.rule == "all":
        return True
    if org.rule == "district":
        return org.arg == PUBLIC["district"]
    if org.rule == "subdistrict":
        return org.arg == PUBLIC["sub"]
    if org.rule == "sectors":
        sectors, district = org.arg  # type: ignore[misc]
        return PUBLIC["sector"] in sectors and district in (None, PUBLIC["district"])
    return False


def _future(days: int = 30) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")


def _step(username: str, hazard: Hazard, action: str, photos: Any = (), **data: Any) -> Hazard:
    return hazard_transition(
        actor=user(username),
        hazard_id=hazard.pk,
        action=action,
        version=hazard.version,
        data=data,
        photos=photos,
    )


class HazardContract:
    sample = "assign"

    def setup(self, world: World) -> None:
        self.world = world
        self.unit = world.orgs["ent"].arg
        self.records: dict[tuple[str, str], int] = {}
        operator = user("ent-operator")

        def general() -> Hazard:
            return report(operator, self.unit)

        def major() -> Hazard:
            return report(operator, self.unit, level="major", name="Tank farm without a wall")

        def planned() -> Hazard:
            return _step("ent-operator", major(), "plan", plan_deadline=_future(), **PLAN)

        def submitted(hazard: Hazard) -> Hazard:
            return _step("ent-operator", hazard, "submit", [_photo()], comment="Wall built.")

        def public() -> Hazard:
            return hazard_report_public(
                data=PublicReportInput.of(
                    {
                        "region": world.regions[PUBLIC["sub"]],
                        "place": "Warehouse lane 4",
                        "sector": PUBLIC["sector"],
                        "description": "Smoke from the basement",
                    }
                )
            )

        def fixed() -> Hazard:
            return _step("ent-operator", general(), "fix_on_spot", comment="Bolts tightened.")

        def listed() -> Hazard:
            hazard = _step(
                "emergency-inspector",
                major(),
                "list",
                comment="City list",
                supervision_deadline=_future(),
            )
            return _step("ent-operator", hazard, "plan", plan_deadline=_future(), **PLAN)

        made = {
            ("general", S.REPORTED): general(),
            ("general", S.RECTIFYING): _step(
                "ent-operator", general(), "assign", deadline=_future()
            ),
            ("general", S.AWAITING_ACCEPTANCE): fixed(),
            ("general", S.CLOSED): _step("ent-manager", fixed(), "accept", comment="Dry."),
            ("major", S.REPORTED): major(),
            ("major", S.RECTIFYING): planned(),
            ("major", S.AWAITING_ACCEPTANCE): submitted(planned()),
            # Accepted by someone other than its rectifier (ent-operator).
            ("major", S.AWAITING_SIGNOFF): _step(
                "ent-manager", submitted(listed()), "accept", comment="Inspected."
            ),
            ("major", S.CLOSED): _step(
                "ent-manager", submitted(planned()), "accept", comment="Inspected."
            ),
            ("public", S.REPORTED): public(),
            ("public", S.DISMISSED): _step(
                "s11-inspector", public(), "dismiss", comment="A barbecue."
            ),
            # A public report tied to the unit, then dismissed: the unit's steps from there.
            ("general", S.DISMISSED): _step(
                "s11-inspector",
                _step("s11-inspector", public(), "assign_unit", enterprise=self.unit),
                "dismiss",
                comment="Nothing there.",
            ),
        }
        for (kind, state), hazard in made.items():
            assert hazard.state == state, (kind, state, hazard.state)
            self.records[kind, state] = hazard.pk

    def record_in(self, state: str, transition: Transition) -> Hazard:
        for kind in (KIND.get(transition.name, "general"), *KINDS):
            if (kind, state) in self.records:
                return Hazard.objects.get(pk=self.records[kind, state])
        raise LookupError(f"no hazard in {state}")

    def actor_for(self, action: str, record: Hazard) -> User:
        return user(ACTORS[action])

    def people(self, record: Hazard) -> list[Someone]:
        inside = {
            key
            for key, org in self.world.orgs.items()
            if (
                record.enterprise_id in self.world.visible(key)
                if record.enterprise_id
                else _sees_public_report(org)
            )
        }
        names = {self.world.username(key, role): key for key in self.world.orgs for role in ROLES}
        users = User.objects.filter(username__in=names).select_related("organisation__region")
        return [Someone(u, names[u.username] in inside) for u in users.order_by("username")]

    def valid_data(self, action: str, record: Hazard, actor: User) -> dict[str, Any]:
        data: dict[str, dict[str, Any]] = {
            "fix_on_spot": {"comment": "Bolts tightened."},
            "assign": {"deadline": _future(), "comment": "Within the month."},
            "plan": PLAN | {"plan_deadline": _future()},
            "submit": {"comment": "Gasket replaced."},
            "accept": {"comment": "Checked on site."},
            "sign_off": {"comment": "Signed off."},
            "reject": {"comment": "Still dripping."},
            "reopen": {"comment": "Dripping again."},
            "list": {"comment": "City list", "supervision_deadline": _future(60)},
            "dismiss": {"comment": "Not a hazard."},
            "assign_unit": {"enterprise": self.unit},
            "comment": {"comment": "Seen on the round."},
        }
        return data[action]

    def api_url(self, record: Hazard, action: str) -> str:
        return f"/api/v1/hazards/{record.pk}/steps/{action}"
