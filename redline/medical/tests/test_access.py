"""The access matrix: for every organisation and role of the test city, exactly what each
page and API endpoint of the module shows, and that a refused write changes nothing.

Expected visibility comes from conftest.VISIBLE, written from the access rules (city
government: everything; a district government: its district; a subdistrict: its own; a CDC:
the key places of its district; the health commission: every hospital and fever clinic; a
hospital: itself; enterprises and other departments: nothing), not from the code."""

from __future__ import annotations

import pytest

from redline.conftest import login
from redline.medical.evaluation import capacity_alerts_evaluate
from redline.medical.models import CapacityAlert, CapacityReport
from redline.medical.tests.conftest import (
    AUTHORITIES,
    FIGURES,
    NOW,
    OWN,
    TODAY,
    UNITS,
    VISIBLE,
    submit,
)
from redline.medical.vocab import AlertState
from redline.organisations.access import ROLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

EN = {"accept-language": "en"}
MATRIX = [(org, role) for org in VISIBLE for role in ROLES]
WRITERS = {"operator", "manager", "admin"}  # submit their own unit's report
# Whom treatment capacity concerns (redline/core/sections.py): health authorities, the city
# and district governments, the hospitals' own accounts.
CONCERNED = {"cityhall", "d1", "d2", "cdc_d1", "cdc_d2", "health", "ha", "hb"}
ACTORS = {"operator", "inspector", "manager", "admin"}  # the authority's steps on alerts


@pytest.fixture
def placed(med):
    """Each unit reports ICU 9 of 10 today: an ICU alert for each, and for D1, D2 and the
    city. Returns {alert id: ("unit", key) or ("region", key)}."""
    submit(med.user("ha", "operator"), icu_occupied=9)
    submit(med.user("hb", "operator"), icu_occupied=9)
    CapacityReport.objects.create(
        hospital_id=med.units["clinic_a"],
        day=TODAY,
        **(FIGURES | {"icu_occupied": 9}),
        reported_at=NOW,
    )
    capacity_alerts_evaluate(day=TODAY, now=NOW)
    by_unit = {pk: key for key, pk in med.units.items()}
    by_region = {pk: key for key, pk in med.regions.items()}
    alerts = {}
    for alert in CapacityAlert.objects.all():
        alerts[alert.pk] = (
            ("unit", by_unit[alert.hospital_id])
            if alert.hospital_id
            else ("region", by_region[alert.region_id])
        )
    assert sorted(alerts.values()) == sorted(
        [("unit", k) for k in UNITS] + [("region", k) for k in ("C", "D1", "D2")]
    )
    return alerts


def seen_alerts(med, org, placed) -> set[int]:
    return {
        pk
        for pk, (what, key) in placed.items()
        if (med.sees_unit(org, key) if what == "unit" else med.sees_region(org, key))
    }


def api(client, path, params=None):
    return client.get(f"/api/v1{path}", params or {}, headers=EN)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_reads_hold_exactly_the_jurisdiction(client, med, placed, org, role):
    login(client, f"{org}-{role}")
    units = {med.units[k] for k in UNITS if med.sees_unit(org, k)}
    alerts = seen_alerts(med, org, placed)

    reports = api(client, "/medical/reports", {"page_size": 500}).json()
    assert {r["hospital"]["id"] for r in reports["items"]} == units
    assert reports["count"] == len(units)
    listed = api(client, "/medical/alerts", {"state": "all", "page_size": 500}).json()
    assert {a["id"] for a in listed["items"]} == alerts
    for pk in placed:
        answer = api(client, f"/medical/alerts/{pk}")
        assert answer.status_code == (200 if pk in alerts else 404)
    totals = api(client, "/medical/regions", {"day": TODAY.isoformat()}).json()["totals"]
    assert totals["reporting"] == len(units) and totals["icu_occupied"] == 9 * len(units)

    page = client.get("/medical/", {"day": TODAY.isoformat()}, headers=EN)
    assert page.status_code == 200
    body = page.content.decode()
    for key in UNITS:
        assert (f"H-{key}<" in body) == med.sees_unit(org, key), key
    if units or org in CONCERNED:
        assert {a.pk for a in page.context["view"].alerts} == alerts
    else:  # no hospital in scope and capacity is not its business: said, not zeros
        assert 'id="not-concerned"' in body and not alerts
    for key, pk in med.units.items():
        answer = client.get(f"/medical/hospitals/{pk}/", headers=EN)
        assert answer.status_code == (200 if med.sees_unit(org, key) else 404)
    rows = client.get("/medical/alerts/", {"state": "all"}, headers=EN).context["rows"]
    assert {a.pk for a in rows} == alerts
    for pk in placed:
        answer = client.get(f"/medical/alerts/{pk}/", headers=EN)
        assert answer.status_code == (200 if pk in alerts else 404)
    form = client.get("/medical/report/", headers=EN)
    assert form.status_code == (200 if org in OWN and role in WRITERS else 403)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_writes_and_refusals_change_nothing(client, med, placed, org, role):
    login(client, f"{org}-{role}")
    alerts = seen_alerts(med, org, placed)
    for pk in placed:
        version = CapacityAlert.objects.get(pk=pk).version
        answer = client.post(
            f"/api/v1/medical/alerts/{pk}/steps/acknowledge",
            {"version": version},
            content_type="application/json",
            headers=EN,
        )
        if pk not in alerts:
            want = 404
        elif org in AUTHORITIES and role in ACTORS:
            want = 200
        else:
            want = 403
        assert answer.status_code == want, (pk, answer.content)
        state = CapacityAlert.objects.get(pk=pk).state
        assert state == (AlertState.ACKNOWLEDGED if want == 200 else AlertState.OPEN)

    for key, unit in med.units.items():
        before = CapacityReport.objects.filter(hospital_id=unit).count()
        answer = client.post(
            "/api/v1/medical/reports",
            {"hospital": unit, "day": TODAY.isoformat(), **FIGURES, "icu_occupied": 3},
            content_type="application/json",
            headers=EN | {"Idempotency-Key": f"{org}-{role}-{key}"},
        )
        if not med.sees_unit(org, key):
            want = 404
        elif OWN.get(org) == key and role in WRITERS:
            want = 201
        else:
            want = 403
        assert answer.status_code == want, (key, answer.content)
        after = CapacityReport.objects.filter(hospital_id=unit).count()
        assert after == before + (1 if want == 201 else 0)

    # The web form refuses as the API does.
    if org not in OWN or role not in WRITERS:
        count = CapacityReport.objects.count()
        answer = client.post("/medical/report/", {"day": TODAY.isoformat(), **FIGURES})
        assert answer.status_code == 403 and CapacityReport.objects.count() == count
