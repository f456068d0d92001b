"""Chemical parks: the risk class follows the score under the guide's bands (data)."""

from __future__ import annotations

import pytest

from redline.accounts.models import User
from redline.organisations.models import ChemicalPark, Enterprise, Region
from redline.risk.models import ParkAssessment
from redline.risk.standards import park_class, park_guides

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("score", "guide", "expected"),
    [
        (0, "2023", "A"),
        (59.99, "2023", "A"),
        (60, "2023", "B"),
        (69.99, "2023", "B"),
        (70, "2023", "C"),
        (84.99, "2023", "C"),
        (85, "2023", "D"),
        (100, "2023", "D"),
        (74.9, "2019", "B"),
        (75, "2019", "C"),
    ],
)
def test_class_bands(score, guide, expected):
    assert park_class(score, guide) == expected


def test_guides_are_flagged_where_not_confirmed():
    guides = park_guides()
    assert guides["2023"]["default"] and guides["2019"]["status"] == "unconfirmed"


@pytest.fixture
def park(world):
    park = ChemicalPark.objects.create(
        name="测试化工园区", region=Region.objects.get(code="100100")
    )
    Enterprise.objects.filter(name="U-S11-hazchem").update(chemical_park=park)
    return park


def test_assessment_from_the_page(client, park):
    client.force_login(User.objects.get(username="d1-operator"))
    response = client.post(
        f"/parks/{park.pk}/", {"assessed_on": "2026-11-01", "score": "69.5", "guide": "2023"}
    )
    assert response.status_code == 302
    assessment = ParkAssessment.objects.get(park=park)
    assert assessment.risk_class == "B"
    page = client.get(f"/parks/{park.pk}/").content.decode()
    assert "U-S11-hazchem" in page and "class-B" in page


@pytest.mark.parametrize(
    ("username", "status"), [("ent-operator", 403), ("d1-viewer", 403), ("ent2-viewer", 404)]
)
def test_who_may_assess(client, park, username, status):
    client.force_login(User.objects.get(username=username))
    response = client.post(
        f"/parks/{park.pk}/", {"assessed_on": "2026-11-01", "score": "69.5", "guide": "2023"}
    )
    assert response.status_code == status
    assert not ParkAssessment.objects.exists()


def test_bad_score_is_named(client, park):
    client.force_login(User.objects.get(username="d1-operator"))
    response = client.post(
        f"/parks/{park.pk}/", {"assessed_on": "2026-11-01", "score": "120", "guide": "2023"}
    )
    assert response.status_code == 422 and "score" in response.context["form"].errors
    assert not ParkAssessment.objects.exists()


def test_park_list_is_scoped(client, park):
    client.force_login(User.objects.get(username="cityhall-viewer"))
    assert "测试化工园区" in client.get("/parks/").content.decode()
    client.force_login(User.objects.get(username="ent2-viewer"))
    assert "测试化工园区" not in client.get("/parks/").content.decode()
    assert client.get(f"/parks/{park.pk}/").status_code == 404
