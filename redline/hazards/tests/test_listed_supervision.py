"""Listed supervision (挂牌督办): the supervising body, the level (not above the lister's)
and the supervision deadline are recorded, shown on the page and in the API, logged, and
announced to the unit; bad input is refused naming the field and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from redline.conftest import login
from redline.core.models import ChangeLog, Notification
from redline.hazards.models import Hazard
from redline.hazards.tests.factories import report, user

pytestmark = pytest.mark.django_db

EN = {"accept-language": "en"}
UNIT_USERS = {f"ent-{role}" for role in ("viewer", "operator", "inspector", "manager", "admin")}


def day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def major(world) -> Hazard:
    return report(user("ent-operator"), world.orgs["ent"].arg, level="major")


def unchanged(hazard: Hazard) -> None:
    """Nothing of the hazard changed: not listed, same version, no event, no log entry."""
    fresh = Hazard.objects.get(pk=hazard.pk)
    assert not fresh.listed and fresh.listed_by_id is None and fresh.version == hazard.version
    assert fresh.supervision_level == "" and fresh.supervision_deadline is None
    assert not fresh.events.filter(action="list").exists()
    assert ChangeLog.objects.filter(model="hazards.Hazard", object_id=str(hazard.pk)).count() == 1


def test_listing_on_the_page_records_body_level_deadline_and_tells_the_unit(client, world):
    hazard = major(world)
    login(client, "emergency-inspector")
    page = client.get(reverse("hazard-detail", args=[hazard.pk]))
    form = next(f for step, f, _names in page.context["steps"] if step.name == "list")
    # The lister's own body and level come pre-filled.
    assert form.initial["supervising_body"] == world.orgs["emergency"].pk
    assert form.initial["supervision_level"] == "city"
    deadline = day(45)
    done = client.post(
        reverse("hazard-step", args=[hazard.pk, "list"]),
        {
            "list-version": hazard.version,
            "list-comment": "City list, batch 3",
            "list-supervising_body": world.orgs["emergency"].pk,
            "list-supervision_level": "city",
            "list-supervision_deadline": deadline,
        },
    )
    assert done.status_code == 302
    hazard.refresh_from_db()
    assert hazard.listed and hazard.listed_by_id == world.orgs["emergency"].pk
    assert hazard.supervision_level == "city"
    assert hazard.supervision_deadline.isoformat() == deadline

    body = client.get(reverse("hazard-detail", args=[hazard.pk])).content.decode()
    assert 'id="supervision"' in body
    assert "应急管理局" in body and deadline in body and "市级挂牌督办" in body

    event = hazard.events.get(action="list")
    assert event.comment == "City list, batch 3"
    assert event.data == {
        "supervising_body": "应急管理局",
        "supervision_level": "city",
        "supervision_deadline": deadline,
    }
    entry = ChangeLog.objects.filter(model="hazards.Hazard", object_id=str(hazard.pk)).latest("id")
    assert entry.after["supervision_deadline"] == deadline
    assert entry.after["supervision_level"] == "city"

    told = Notification.objects.filter(key=f"hazard:{hazard.pk}:v{hazard.version}")
    unit = {n.recipient.username: n for n in told if n.recipient.username.startswith("ent-")}
    assert set(unit) == UNIT_USERS
    note = unit["ent-operator"]
    assert hazard.number in note.subject and deadline in note.body and "应急管理局" in note.body


def test_a_district_lists_at_its_level_naming_a_body_below_it(client, world):
    hazard = major(world)
    login(client, "d1-inspector")
    done = client.post(
        reverse("hazard-step", args=[hazard.pk, "list"]),
        {
            "list-version": hazard.version,
            "list-comment": "District list",
            "list-supervising_body": world.orgs["s11"].pk,
            "list-supervision_level": "district",
            "list-supervision_deadline": day(20),
        },
    )
    assert done.status_code == 302
    hazard.refresh_from_db()
    assert hazard.listed_by_id == world.orgs["s11"].pk and hazard.supervision_level == "district"
    # The supervising body hears of it too.
    assert Notification.objects.filter(
        key=f"hazard:{hazard.pk}:v{hazard.version}", recipient__username="s11-viewer"
    ).exists()


@pytest.mark.parametrize(
    ("username", "fields", "field", "message"),
    [
        ("emergency-inspector", {"supervision_deadline": ""}, "supervision_deadline", "必填"),
        ("emergency-inspector", {"supervision_deadline": -1}, "supervision_deadline", "早于"),
        ("d1-inspector", {"supervision_level": "city"}, "supervision_level", "不能高于"),
        # A body above the lister is not offered.
        ("d1-inspector", {"supervising_body": "emergency"}, "supervising_body", "有效的选项"),
    ],
)
def test_bad_listing_on_the_page_names_the_field_and_changes_nothing(
    client, world, username, fields, field, message
):
    hazard = major(world)
    data = {"supervision_deadline": day(30)} | fields
    if isinstance(data["supervision_deadline"], int):
        data["supervision_deadline"] = day(data["supervision_deadline"])
    if data.get("supervising_body") in world.orgs:
        data["supervising_body"] = world.orgs[data["supervising_body"]].pk
    login(client, username)
    refused = client.post(
        reverse("hazard-step", args=[hazard.pk, "list"]),
        {"list-version": hazard.version, "list-comment": "List it"}
        | {f"list-{k}": v for k, v in data.items()},
    )
    assert refused.status_code == 422
    form = next(f for step, f, _names in refused.context["steps"] if step.name == "list")
    assert field in form.errors and message in " ".join(form.errors[field])
    body = refused.content.decode()
    assert 'id="step-error"' in body and str(form.fields[field].label) in body
    unchanged(hazard)


def test_listing_through_the_api(client, world):
    hazard = major(world)
    login(client, "emergency-inspector")
    url = f"/api/v1/hazards/{hazard.pk}/steps/list"

    def take(version=hazard.version, **fields):
        payload = {"version": version, "comment": "City list"} | fields
        return client.post(url, payload, content_type="application/json", headers=EN)

    missing = take()
    assert missing.status_code == 422
    assert set(missing.json()["error"]["fields"]) == {"supervision_deadline"}
    past = take(supervision_deadline=day(-3))
    assert past.status_code == 422
    assert "past" in past.json()["error"]["fields"]["supervision_deadline"]
    unknown = take(supervision_deadline=day(9), supervision_level="province")
    assert unknown.status_code == 422 and "supervision_level" in unknown.json()["error"]["fields"]
    stranger = take(supervision_deadline=day(9), supervising_body=world.orgs["ent2"].pk)
    assert stranger.status_code == 422
    assert "supervising_body" in stranger.json()["error"]["fields"]
    unchanged(hazard)

    login(client, "s11-inspector")
    too_high = take(supervision_deadline=day(9), supervision_level="district")
    assert too_high.status_code == 422
    assert "own level" in too_high.json()["error"]["fields"]["supervision_level"]
    unchanged(hazard)

    login(client, "emergency-inspector")
    deadline = day(60)
    listed = take(
        supervision_deadline=deadline,
        supervision_level="district",
        supervising_body=world.orgs["d1"].pk,
    )
    assert listed.status_code == 200, listed.content
    out = listed.json()
    assert out["listed"] is True and out["listed_at"]
    assert out["supervising_body"] == {"id": world.orgs["d1"].pk, "name": "D1政府"}
    assert out["listed_by"] == "D1政府"
    assert out["supervision_level"] == "district"
    assert out["supervision_deadline"] == deadline
    assert out["timeline"][-1]["data"]["supervision_deadline"] == deadline
    again = client.get(f"/api/v1/hazards/{hazard.pk}", headers=EN).json()
    assert again["supervision_deadline"] == deadline and again["supervision_level"] == "district"
    recipients = set(
        Notification.objects.filter(key=f"hazard:{hazard.pk}:v{out['version']}").values_list(
            "recipient__username", flat=True
        )
    )
    assert UNIT_USERS <= recipients and "d1-viewer" in recipients
    # Listed once: a second listing is refused.
    second = take(version=out["version"], supervision_deadline=deadline)
    assert second.status_code == 409
