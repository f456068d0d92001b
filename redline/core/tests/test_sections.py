"""What each role is shown: the navigation and the overview's sections follow what concerns
the user's organisation (`redline.core.sections`); a dashboard that concerns nobody in a
user's jurisdiction says so instead of showing zeros.

The roles are the demo's (README "Demo logins"), built on the access-test city
(redline/conftest.py `world`) with what the demo adds: the city CDC, the health commission,
a hospital with its own account, and the demo enterprise inside a chemical park. What each
is shown is written down here, not computed by the code under test."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password

from redline.accounts.models import User
from redline.conftest import login
from redline.engines.credit_code import compose
from redline.organisations.access import ROLES
from redline.organisations.models import (
    ChemicalPark,
    Enterprise,
    Organisation,
    Region,
    SectorMandate,
)

pytestmark = pytest.mark.django_db

# The demo's levels and the organisation of the test city standing for each.
LEVELS = {
    "city": "cityhall",
    "committee": "office",
    "district": "d1",
    "subdistrict": "s11",
    "dept": "emergency",
    "cdc": "cdc_city",
    "districtcdc": "cdc_d2",
    "health": "health",
    "hospital": "hospital",
    "enterprise": "ent",
}
GENERAL = {"home", "regions", "enterprises", "tokens"}
SAFETY = {"riskmap", "campaigns", "hazards", "inspections", "accidents"}
# The menu of each level's inspector (besides GENERAL); "tasks" is the units' own
# inspection tasks for a unit's account, the units' self-inspection (read-only) and
# reporting what an inspection found for the government side; "committee" the Safety
# Committee's key tasks for the office, the governments and the departments.
NAV = {
    "city": SAFETY | {"parks", "epidemic", "medical", "tasks", "committee"},
    "committee": SAFETY | {"parks", "epidemic", "tasks", "committee"},
    "district": SAFETY | {"parks", "epidemic", "medical", "tasks", "committee"},
    "subdistrict": SAFETY | {"parks", "tasks", "committee"},
    "dept": SAFETY | {"parks", "tasks", "committee"},
    "cdc": {"epidemic", "medical"},
    "districtcdc": {"epidemic", "medical"},
    "health": SAFETY | {"epidemic", "medical", "tasks", "committee"},
    "hospital": SAFETY | {"medical", "tasks"},
    "enterprise": SAFETY | {"parks", "tasks"},
}
UNIT_ACCOUNTS = {"hospital", "enterprise"}
# The city cockpit and the situation report: the government bodies that safety concerns.
for _level in ("city", "committee", "district", "subdistrict", "dept", "health"):
    NAV[_level] = NAV[_level] | {"cockpit", "reports"}
# Education and training: the government bodies that safety concerns (a unit sees its own
# training on its unit page).
for _level in ("city", "committee", "district", "subdistrict", "dept", "health"):
    NAV[_level] = NAV[_level] | {"training"}
# The assessment of districts: the government bodies and departments the Safety Committee's
# work concerns (they read the published ranking).
for _level in ("city", "committee", "district", "subdistrict", "dept", "health"):
    NAV[_level] = NAV[_level] | {"assessment"}
# The overview's sections, by what each stands for in NAV.
SECTIONS = {"home-safety": "hazards", "home-epidemic": "epidemic", "home-capacity": "medical"}


@pytest.fixture
def client(client, settings):
    """Pages in English (they follow the language cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def roles(world):
    """The organisations the demo has and the access-test city lacks, with their users."""
    city = Region.objects.get(pk=world.regions["C"])
    s21 = Region.objects.get(pk=world.regions["S21"])
    hospital = Enterprise(
        name="H-demo",
        credit_code=compose("1", "2", s21.code[:6], "HC000001"),
        kind="hospital",
        region=s21,
    )
    hospital.sector_list = ["fire"]
    hospital.save()
    health = Organisation.objects.create(
        name="卫健委", kind="department", department_type="health", region=city
    )
    for kind in ("hospital", "fever_clinic"):
        SectorMandate.objects.create(department=health, region=city, unit_kind=kind)
    made = {
        "cdc_city": Organisation.objects.create(name="市疾控", kind="public_health", region=city),
        "health": health,
        "hospital": Organisation.objects.create(
            name=hospital.name, kind="enterprise", region=s21, enterprise=hospital
        ),
    }
    ent = Enterprise.objects.get(pk=world.orgs["ent"].arg)
    park = ChemicalPark.objects.create(name="化工园区", region=ent.region)
    Enterprise.objects.filter(pk=ent.pk).update(chemical_park=park)
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(username=f"{key}-{role}", password=password, organisation=org, roles=[role])
            for key, org in made.items()
            for role in ROLES
        ]
    )
    return {"hospital": hospital.pk}


def expected_nav(level: str, role: str) -> set[str]:
    keys = GENERAL | NAV[level]
    if role == "viewer" and level not in UNIT_ACCOUNTS:
        keys -= {"tasks"}  # reporting what an inspection found is the inspectors'
    if role == "admin":
        keys |= {"audit"}
    return keys


@pytest.mark.parametrize("role", ["viewer", "inspector", "admin"])
@pytest.mark.parametrize("level", list(LEVELS))
def test_each_role_sees_the_menu_and_overview_sections_that_concern_it(client, roles, level, role):
    login(client, f"{LEVELS[level]}-{role}")
    home = client.get("/")
    assert home.status_code == 200
    keys = {key for _url, _label, key in home.context["nav_items"]}
    assert keys == expected_nav(level, role)
    body = home.content.decode()
    for section, key in SECTIONS.items():
        assert (f'id="{section}"' in body) == (key in NAV[level]), section
    assert ('id="home-sectors"' in body) == ("hazards" in NAV[level])
    if role == "inspector":
        for url, _label, key in home.context["nav_items"]:
            # Every link of the menu answers (nothing the menu offers is a 404).
            assert client.get(url).status_code in (200, 302), key


def test_medical_with_no_capacity_units_in_scope_does_not_say_all_have_reported(client, roles):
    # The emergency bureau: capacity does not concern it and no hospital is in its scope.
    login(client, "emergency-viewer")
    page = client.get("/medical/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="not-concerned"' in body
    assert "There are no hospitals or fever clinics in the jurisdiction" in body
    assert "Every unit has reported" not in body
    # District D1's government follows capacity, but has no hospital (the one is in D2).
    login(client, "d1-viewer")
    page = client.get("/medical/")
    assert page.status_code == 200
    assert page.context["view"].totals.units == 0
    body = page.content.decode()
    assert "No operating hospitals or fever clinics here." in body
    assert "Every unit has reported" not in body


def test_an_unrelated_epidemic_dashboard_says_so(client, roles):
    login(client, "emergency-viewer")
    page = client.get("/epidemic/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="not-concerned"' in body and "no case counts or signals" in body
    # Those it concerns get the dashboard, with nothing to show or not.
    login(client, "cdc_city-viewer")
    assert client.get("/epidemic/").context["data"].total_open == 0
