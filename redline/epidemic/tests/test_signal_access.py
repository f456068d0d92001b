"""The generated access matrix for signals: every organisation x role against the list
page, the dashboard, the detail pages, the series pages, the API and the verification step.
What each may see comes from the description below (where each signal is), never from the
code under test; a denied request changes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse

from redline.conftest import login
from redline.core.models import ChangeLog
from redline.epidemic.detection import detection_run
from redline.epidemic.models import Signal, SignalEvent
from redline.epidemic.tests.signal_data import add_cdc, at, condition, outbreak, unit
from redline.organisations.access import ROLES

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)
NOW = at(DAY + dt.timedelta(days=1), 9)

# Where each signal is: (district, subdistrict or None, kind of key place or None).
WHERE = {
    "d1": ("D1", None, None),  # D1's summed series (the nursing home's cases are in it)
    "d2": ("D2", None, None),  # D2's summed series (the school's cases are in it)
    "school": ("D2", "S21", "school"),  # U-S21-school's own series
    "nursing": ("D1", "S11", "nursing_home"),  # U-S11-nursing's own series
}
# Who sees what: the rule of each organisation (world.py's and two CDCs added here).
RULES = {
    "cityhall": ("all",),
    "office": ("all",),
    "cdc_city": ("all",),
    "d1": ("district", "D1"),
    "s11": ("subdistrict", "S11"),
    "emergency": ("none",),
    "fire_d1": ("none",),
    "education": ("kinds", {"school", "kindergarten"}),
    "cdc_d1": ("district", "D1"),
    "cdc_d2": ("district", "D2"),
    "ent": ("none",),
    "ent2": ("none",),
}
# Who verifies: the responsible district CDC, or the city CDC; operators and managers.
VERIFIERS = {"d1": {"cdc_d1", "cdc_city"}, "d2": {"cdc_d2", "cdc_city"}}
VERIFIERS |= {"school": VERIFIERS["d2"], "nursing": VERIFIERS["d1"]}
WRITE_ROLES = {"operator", "manager", "admin"}
MATRIX = [(org, role) for org in RULES for role in ROLES]


def sees(org: str, name: str) -> bool:
    rule = RULES[org]
    district, sub, kind = WHERE[name]
    if rule[0] == "all":
        return True
    if rule[0] == "district":
        return district == rule[1]
    if rule[0] == "subdistrict":
        return sub == rule[1]
    if rule[0] == "kinds":
        return kind in rule[1]
    return False


@pytest.fixture
def placed(world):
    """The four signals of the description, by name."""
    add_cdc(world, "cdc_city", "C")
    add_cdc(world, "cdc_d1", "D1")
    r = world.regions
    school, nursing = unit("U-S21-school"), unit("U-S11-nursing")
    ili = condition("ili")
    outbreak(ili, r["S21"], DAY, place=school, spike=40)
    outbreak(ili, r["S11"], DAY, place=nursing, spike=30)
    with time_machine.travel(NOW, tick=False):
        detection_run(day=DAY, now=NOW)
    keys = {
        "d1": f"{r['D1']}:",
        "d2": f"{r['D2']}:",
        "school": f"{r['S21']}:{school.pk}",
        "nursing": f"{r['S11']}:{nursing.pk}",
    }
    found = {s.series_key: s for s in Signal.objects.all()}
    assert set(found) == set(keys.values())
    return {name: found[key] for name, key in keys.items()}


def series_url(signal: Signal) -> str:
    if signal.place_id:
        return reverse("epidemic:series-place", args=["ili", signal.region_id, signal.place_id])
    return reverse("epidemic:series", args=["ili", signal.region_id])


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_signals_visible_exactly_in_the_jurisdiction(client, world, placed, org, role):
    login(client, f"{org}-{role}")
    expected = {name for name in placed if sees(org, name)}
    expected_ids = {placed[name].pk for name in expected}

    page = client.get(reverse("epidemic:signal-list"))
    assert page.status_code == 200
    assert {s.pk for s in page.context["rows"]} == expected_ids
    html = page.content.decode()
    for name, signal in placed.items():
        assert (signal.number in html) == (name in expected), name

    dashboard = client.get(reverse("epidemic:dashboard"))
    assert dashboard.status_code == 200
    if RULES[org][0] == "none":  # nothing of it in scope, not its business: said, not zeros
        assert 'id="not-concerned"' in dashboard.content.decode()
    else:
        assert dashboard.context["data"].total_open == len(expected)

    api = client.get("/api/v1/epidemic/signals", {"page_size": 100})
    assert {item["id"] for item in api.json()["items"]} == expected_ids

    for name, signal in placed.items():
        status = 200 if name in expected else 404
        detail = client.get(reverse("epidemic:signal-detail", args=[signal.pk]))
        assert detail.status_code == status, name
        assert client.get(f"/api/v1/epidemic/signals/{signal.pk}").status_code == status, name
        # A place's series follows the signal; a district's sum only for those who see
        # the whole district.
        whole = RULES[org][0] == "all" or (
            RULES[org][0] == "district" and WHERE[name][0] == RULES[org][1]
        )
        series_status = 200 if (name in expected and (signal.place_id or whole)) else 404
        assert client.get(series_url(signal)).status_code == series_status, name


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_verification_by_the_responsible_cdc_only_and_denials_change_nothing(
    client, world, placed, org, role
):
    login(client, f"{org}-{role}")
    for name, signal in placed.items():
        before = (ChangeLog.objects.count(), SignalEvent.objects.count())
        answer = client.post(
            f"/api/v1/epidemic/signals/{signal.pk}/steps/verify",
            json.dumps({"version": 1, "verification": "uncertain", "comment": "核实中"}),
            content_type="application/json",
        )
        signal.refresh_from_db()
        if not sees(org, name):
            expected = 404
        elif org in VERIFIERS[name] and role in WRITE_ROLES:
            expected = 200
        else:
            expected = 403
        assert answer.status_code == expected, (name, answer.content)
        if expected == 200:
            assert signal.state == "monitoring" and signal.version == 2
        else:
            assert signal.state == "new" and signal.version == 1
            assert (ChangeLog.objects.count(), SignalEvent.objects.count()) == before
        # The web form answers the same way.
        if expected != 200:
            web = client.post(
                reverse("epidemic:signal-step", args=[signal.pk, "verify"]),
                {"verify-version": 1, "verify-verification": "true"},
            )
            assert web.status_code == expected, name
            signal.refresh_from_db()
            assert signal.state == "new"
