"""The plan's libraries as pages: who sees the targets and inspectors, who keeps a profile,
and that a bad profile is refused by field and changes nothing."""

from __future__ import annotations

import pytest

from redline.accounts.models import User
from redline.conftest import login
from redline.core.audit import ChangeLog
from redline.core.errors import PermissionDenied, ValidationFailed
from redline.inspections import library
from redline.inspections.models_plan import InspectorProfile
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db


def user(name: str) -> User:
    return User.objects.get(username=name)


def profile_of(name: str, **changes) -> library.InspectorInput:
    data = {"user": user(name).pk, "sectors": ["hazchem"], "capacity": 40} | changes
    return library.InspectorInput.of(data)


def test_a_body_keeps_its_own_inspectors_and_the_city_everybodys(world):
    manager = user("emergency-manager")
    saved = library.inspector_save(actor=manager, data=profile_of("emergency-inspector"))
    assert saved.sectors == ["hazchem"] and saved.capacity == 40
    # Another body's manager may not keep it; the city's planners may.
    with pytest.raises(PermissionDenied):
        library.inspector_save(
            actor=user("fire_d1-manager"), data=profile_of("emergency-inspector", capacity=5)
        )
    city = user(world.username("cityhall", "manager"))
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    library.inspector_save(
        actor=city,
        data=profile_of("emergency-inspector", capacity=60, recusals=[unit.credit_code]),
    )
    saved.refresh_from_db()
    assert saved.capacity == 60 and list(saved.recusals.all()) == [unit]
    log = ChangeLog.objects.filter(model="inspections.InspectorProfile").order_by("pk")
    assert [e.action for e in log] == ["create", "update"]
    assert log.last().after["recusals"] == [unit.credit_code]


def test_a_bad_profile_is_refused_by_field_and_changes_nothing(world):
    manager = user("emergency-manager")
    with pytest.raises(ValidationFailed) as failure:
        library.inspector_save(
            actor=manager,
            data=profile_of("emergency-viewer", sectors=[], capacity=0, recusals=["NOPE"]),
        )
    assert set(failure.value.fields) == {"user", "sectors", "capacity", "recusals"}
    assert "NOPE" in failure.value.fields["recusals"]
    assert not InspectorProfile.objects.exists()
    with pytest.raises(ValidationFailed) as unreadable:
        profile_of("emergency-inspector", sectors=["nuclear"], capacity="many")
    assert set(unreadable.value.fields) == {"sectors", "capacity"}


def test_pages_show_each_body_its_own_libraries(world, client):
    library.inspector_save(actor=user("emergency-manager"), data=profile_of("emergency-inspector"))
    fire = user("fire_d1-inspector")
    library.inspector_save(
        actor=user(world.username("cityhall", "manager")),
        data=profile_of("fire_d1-inspector", sectors=["fire"]),
    )
    login(client, "emergency-manager")
    page = client.get("/inspections/inspectors/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "emergency-inspector" in text and fire.username not in text
    targets = client.get("/inspections/targets/?sector=hazchem").content.decode()
    assert "U-S11-hazchem" in targets and "U-S21-fire" not in targets
    other = InspectorProfile.objects.get(user=fire)
    assert client.get(f"/inspections/inspectors/{other.pk}/").status_code == 404
    mine = InspectorProfile.objects.get(user__username="emergency-inspector")
    refused = client.post(
        f"/inspections/inspectors/{mine.pk}/",
        {"sectors": ["hazchem"], "capacity": "0", "recusals": "", "is_active": "on"},
    )
    assert refused.status_code == 422
    mine.refresh_from_db()
    assert mine.capacity == 40
    saved = client.post(
        f"/inspections/inspectors/{mine.pk}/",
        {"sectors": ["hazchem", "industry"], "capacity": "55", "recusals": "", "is_active": ""},
    )
    assert saved.status_code == 302
    mine.refresh_from_db()
    assert mine.capacity == 55 and mine.sectors == ["hazchem", "industry"] and not mine.is_active
    city = client
    login(city, world.username("cityhall", "manager"))
    both = city.get("/inspections/inspectors/").content.decode()
    assert "emergency-inspector" in both and fire.username in both
    login(client, "ent-operator")
    assert client.get("/inspections/inspectors/").status_code == 403
    assert client.get("/inspections/targets/").status_code == 403
