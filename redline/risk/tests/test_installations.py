"""Major hazard installations: the worked example and the boundary cases give the same
answer through the CLI, the API and the installation page; re-grading is audited."""

from __future__ import annotations

import json

import pytest

from redline.accounts.models import User
from redline.core.models import ChangeLog
from redline.organisations.models import Enterprise
from redline.risk.models import MajorHazardInstallation
from redline.risk.tests.test_hazard_sources_cli import grade

pytestmark = pytest.mark.django_db

SO2 = "7446-09-5"
CASES = [
    ("worked-example", 60, [(SO2, 200)]),
    ("s-exactly-1", 0, [("液氨", 10)]),
    ("s-just-below-1", 0, [("液氨", 9.99)]),
    ("r-exactly-10", 10, [(SO2, 100)]),
    ("r-exactly-50", 10, [(SO2, 500)]),
    ("r-exactly-100", 10, [(SO2, 1000)]),
    *[(f"alpha-{people}", people, [(SO2, 200)]) for people in (0, 1, 29, 30, 49, 50, 99, 100)],
]


def substance(identifier, tonnes):
    key = "cas" if identifier[0].isdigit() else "name"
    return {key: identifier, "tonnes": tonnes}


def payload():
    return {
        "units": [
            {
                "id": name,
                "kind": "storage",
                "people_exposed": people,
                "substances": [substance(*s) for s in subs],
            }
            for name, people, subs in CASES
        ]
    }


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grade")
    out = folder / "out.json"
    result = grade(folder, payload(), "--output", str(out))
    assert result.returncode == 0, result.stderr
    return {u["id"]: u for u in json.loads(out.read_text(encoding="utf-8"))["units"]}


def test_expected_values(cli_results):
    expected = {
        "worked-example": (True, 1.5, 30, 3),
        "s-exactly-1": (True, 0.5, 1, 4),
        "s-just-below-1": (False, None, None, None),
        "r-exactly-10": (True, 1.0, 10, 3),
        "r-exactly-50": (True, 1.0, 50, 2),
        "r-exactly-100": (True, 1.0, 100, 1),
        "alpha-0": (True, 0.5, 10, 3),
        "alpha-1": (True, 1.0, 20, 3),
        "alpha-29": (True, 1.0, 20, 3),
        "alpha-30": (True, 1.2, 24, 3),
        "alpha-49": (True, 1.2, 24, 3),
        "alpha-50": (True, 1.5, 30, 3),
        "alpha-99": (True, 1.5, 30, 3),
        "alpha-100": (True, 2.0, 40, 3),
    }
    for name, (major, alpha, r, grade_) in expected.items():
        unit = cli_results[name]
        assert (unit["is_major"], unit["alpha"], unit["r_value"], unit["grade"]) == (
            major,
            alpha,
            r,
            grade_,
        ), name


def test_the_api_matches_the_cli(client, cli_results):
    client.force_login(User.objects.create_user("calc", password="x", roles=["viewer"]))
    response = client.post(
        "/api/v1/hazard-sources/grade", payload(), content_type="application/json"
    )
    assert {u["id"]: u for u in response.json()["units"]} == cli_results


@pytest.mark.parametrize(("name", "people", "subs"), CASES)
def test_the_installation_page_matches_the_cli(client, world, cli_results, name, people, subs):
    client.force_login(User.objects.get(username="ent-operator"))
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    form = {
        "name": name,
        "code": "",
        "kind": "storage",
        "people_exposed": people,
        "s-TOTAL_FORMS": 3,
        "s-INITIAL_FORMS": 0,
        "s-MIN_NUM_FORMS": 0,
        "s-MAX_NUM_FORMS": 50,
    }
    for i, (identifier, tonnes) in enumerate(subs):
        form[f"s-{i}-identifier"] = identifier
        form[f"s-{i}-tonnes"] = tonnes
    response = client.post(f"/enterprises/{unit.pk}/installations/new/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    installation = MajorHazardInstallation.objects.get(enterprise=unit, name=name)
    stored = dict(installation.grading_result)
    expected = dict(cli_results[name])
    stored.pop("id"), expected.pop("id")
    assert stored == expected
    page = client.get(response["Location"]).content.decode()
    if expected["is_major"]:
        assert f'<dd id="r-value">{expected["r_value"]}</dd>' in page


def test_the_page_names_a_bad_substance_and_saves_nothing(client, world):
    client.force_login(User.objects.get(username="ent-operator"))
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    form = {
        "name": "bad",
        "kind": "storage",
        "people_exposed": 10,
        "s-TOTAL_FORMS": 1,
        "s-INITIAL_FORMS": 0,
        "s-MIN_NUM_FORMS": 0,
        "s-MAX_NUM_FORMS": 50,
        "s-0-identifier": "甲醇",
        "s-0-tonnes": 900,
    }
    response = client.post(
        f"/enterprises/{unit.pk}/installations/new/", form, headers={"accept-language": "en"}
    )
    assert response.status_code == 422
    assert "甲醇" in response.content.decode()
    assert not MajorHazardInstallation.objects.filter(name="bad").exists()


def test_regrading_is_one_audited_action(client, world):
    from redline.risk import services

    me = User.objects.get(username="ent-operator")
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    installation = services.installation_save(
        actor=me,
        enterprise_id=unit.pk,
        data=services.InstallationInput(
            name="罐区", kind="storage", people_exposed=60, substances=(substance(SO2, 200),)
        ),
    )
    client.force_login(me)
    response = client.post(f"/enterprises/{unit.pk}/installations/{installation.pk}/regrade/")
    assert response.status_code == 302
    entry = ChangeLog.objects.filter(
        model="risk.MajorHazardInstallation", object_id=str(installation.pk)
    ).latest("id")
    assert entry.comment == "regrade" and entry.actor == me
    other = User.objects.get(username="ent2-operator")
    client.force_login(other)
    assert (
        client.post(f"/enterprises/{unit.pk}/installations/{installation.pk}/regrade/").status_code
        == 404
    )
