"""One answer for one record everywhere: for each kind of organisation and each kind of
record, the unit's own record (the API's enterprise detail, the key place's page, the
key-place list) and its epidemic data (counts, signals, series, on pages and in the API)
are all visible or all 404 (absent from lists).

The rule (docs/architecture.md, "The one door"): a record of a unit follows the unit; a
region's own records follow the region (its governments and health authorities). A
department with a mandate over hospitals or fever clinics (the health commission) is a
health authority in the mandate's region, as a CDC is in its own. `SEES` below is written
from that rule, never computed by the code under test.

The door is action-dependent: `CHANGES` states, for each kind of organisation, which records
of each kind (units, hazards, risk points, signals, counts, capacity reports and alerts,
campaigns) it may change (the action of that kind of record: `ACTION`), as a manager; the
door (`restrict(user, action)`) must say exactly that, and the write endpoints that ask it
(units, risk points, counts, capacity reports, campaigns) must agree: 404 for a record the
user does not see, 403 for one they see but may not change. Hazards, signals and alerts
change by their workflows' steps, which load through the door and then decide who takes
which step."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from redline.campaigns.models import Campaign
from redline.core.errors import DomainError
from redline.core.models import ChangeLog
from redline.engines.credit_code import compose
from redline.epidemic.models import CaseCount, Signal
from redline.epidemic.tests.counts_data import add_users
from redline.epidemic.tests.signal_data import ZONE, calm, condition
from redline.hazards.models import Hazard, unit_copies
from redline.medical.models import CapacityAlert, CapacityReport
from redline.medical.tests.conftest import FIGURES  # a day's consistent capacity figures
from redline.organisations.models import Enterprise, Organisation, Region, SectorMandate
from redline.risk.models import RiskObject, RiskUnit

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=ZONE)
CODE = "ili-door"

# The records: key places of each kind with their counts, signal and series; a chemical
# enterprise (a unit that is no key place, with no epidemic data); and a district's own
# (place-less) counts, signal and series.
PLACES = ("nursing", "school", "hospital", "workplace")
RECORDS = (*PLACES, "chemical", "district")
ALL = set(RECORDS)
HEALTH = {"nursing", "school", "hospital", "workplace", "district"}
# What each kind of organisation sees (the city's D1 holds S11 and S12, D2 holds S21):
# nursing = U-S11-nursing, school = U-S21-school, hospital = a hospital in S12,
# workplace = a large workplace in S21 registered in the industry sector,
# chemical = U-S11-hazchem, district = D1's own data.
SEES: dict[str, set[str]] = {
    "cityhall": ALL,  # city government
    "office": ALL,  # city Safety Committee office
    "d1": {"nursing", "hospital", "chemical", "district"},  # district government (D1)
    "s11": {"nursing", "chemical"},  # subdistrict office (S11): no district sums
    "emergency": {"chemical", "workplace"},  # hazchem + industry mandates, city-wide
    "fire_d1": set(),  # fire mandate in D1: none of these units is in its sector
    "education": {"school"},  # schools and kindergartens, city-wide
    "health": HEALTH,  # health commission: hospital + fever-clinic mandates, city-wide
    "cdc_city": HEALTH,  # the city CDC
    "cdc_d2": {"school", "workplace"},  # D2's CDC: D2's key places
    "ent": {"chemical"},  # the chemical enterprise's own account
    "hospital_own": {"hospital"},  # the hospital's own account
}

# What each kind of organisation may change (as a manager) of each kind of record. The
# records of a unit: `UNITS` (each with one hazard and one risk point); epidemic records:
# `EPIDEMIC` (counts and a signal of each key place and of D1); capacity: the hospital's
# report and alert, and D1's alert; campaigns: a city-wide hazchem one and a fire one in D2.
UNITS = ("nursing", "school", "hospital", "workplace", "chemical")
EPIDEMIC = (*PLACES, "district")
CAMPAIGNS = ("hazchem campaign", "fire campaign")
KINDS: dict[str, tuple[str, ...]] = {
    "unit": UNITS,
    "hazard": UNITS,
    "risk point": UNITS,
    "signal": EPIDEMIC,
    "counts": EPIDEMIC,
    "capacity report": ("hospital",),
    "capacity alert": ("hospital", "district"),
    "campaign": CAMPAIGNS,
}
# The door's action for changing each kind of record.
ACTION = {
    "unit": "change",
    "hazard": "change",
    "risk point": "change",
    "signal": "change",
    "counts": "report",
    "capacity report": "report_capacity",
    "capacity alert": "change",
    "campaign": "manage",
}
# Campaigns are city-wide programmes: every government body and department sees them all,
# a unit the live ones covering it (the chemical enterprise: the hazchem one), public
# health none.
CAMPAIGNS_SEEN: dict[str, set[str]] = {
    org: set(CAMPAIGNS)
    for org in ("cityhall", "office", "d1", "s11", "emergency", "fire_d1", "education", "health")
} | {"cdc_city": set(), "cdc_d2": set(), "ent": {"hazchem campaign"}, "hospital_own": set()}
NONE: set[str] = set()


def _changes(
    units: set[str],
    epidemic: set[str] = NONE,
    counts: set[str] = NONE,
    alerts: set[str] = NONE,
    capacity: set[str] = NONE,
    campaigns: set[str] = NONE,
) -> dict[str, set[str]]:
    """A row of CHANGES: a unit's hazards and risk points change with the unit."""
    return {
        "unit": units,
        "hazard": units,
        "risk point": units,
        "signal": epidemic,
        "counts": counts,
        "capacity report": capacity,
        "capacity alert": alerts,
        "campaign": campaigns,
    }


ALL_UNITS = set(UNITS)
KEY_PLACES = set(PLACES)
HEALTH_ALERTS = {"hospital", "district"}
CHANGES: dict[str, dict[str, set[str]]] = {
    # The city: everything, and it manages the campaigns; governments submit no data.
    "cityhall": _changes(ALL_UNITS, HEALTH, alerts=HEALTH_ALERTS, campaigns=set(CAMPAIGNS)),
    "office": _changes(ALL_UNITS, HEALTH, alerts=HEALTH_ALERTS, campaigns=set(CAMPAIGNS)),
    # A district or subdistrict: what it sees; campaigns are the city's.
    "d1": _changes(
        {"nursing", "hospital", "chemical"},
        {"nursing", "hospital", "district"},
        alerts=HEALTH_ALERTS,
    ),
    "s11": _changes({"nursing", "chemical"}, {"nursing"}),
    # A sector or kind department: the units of its mandates and their records.
    "emergency": _changes({"chemical", "workplace"}, {"workplace"}),
    "fire_d1": _changes(NONE),
    "education": _changes({"school"}, {"school"}),
    # The health commission reads the key places (oversight for epidemic work) but changes
    # only the units of its own mandates (the hospital); as a health authority it acts on
    # the epidemic and capacity records of its region; it submits no data.
    "health": _changes({"hospital"}, HEALTH, alerts=HEALTH_ALERTS),
    # A CDC: the key places of its region and their records; it submits their counts and
    # the region's.
    "cdc_city": _changes(KEY_PLACES, HEALTH, counts=HEALTH, alerts=HEALTH_ALERTS),
    "cdc_d2": _changes(
        {"school", "workplace"}, {"school", "workplace"}, counts={"school", "workplace"}
    ),
    # A unit's own account: itself; a key place submits its own counts, a hospital its
    # capacity reports.
    "ent": _changes({"chemical"}),
    "hospital_own": _changes(
        {"hospital"},
        {"hospital"},
        counts={"hospital"},
        alerts={"hospital"},
        capacity={"hospital"},
    ),
}


def _unit(name: str, sub: Region, kind: str, sectors: list[str], serial: int) -> Enterprise:
    unit = Enterprise(
        name=name,
        credit_code=compose("1", "2", sub.code[:6], f"DA{serial:06d}"),
        kind=kind,
        region=sub,
    )
    unit.sector_list = sectors
    unit.save()
    return unit


def _signal(number: str, cond, region: Region, place: Enterprise | None) -> Signal:  # type: ignore[no-untyped-def]
    return Signal.objects.create(
        number=number,
        condition=cond,
        region=region,
        place=place,
        method="ears-c2",
        first_date=TODAY - dt.timedelta(days=1),
        last_date=TODAY - dt.timedelta(days=1),
        count=9,
        opened_at=NOW - dt.timedelta(hours=20),
        verify_due_at=NOW + dt.timedelta(hours=4),
    )


def build(world) -> dict:  # type: ignore[no-untyped-def]
    regions = {key: Region.objects.get(pk=pk) for key, pk in world.regions.items()}
    units = {
        "nursing": Enterprise.objects.get(name="U-S11-nursing"),
        "school": Enterprise.objects.get(name="U-S21-school"),
        "hospital": _unit("D-S12-hospital", regions["S12"], "hospital", ["other"], 1),
        "workplace": _unit("D-S21-workplace", regions["S21"], "large_workplace", ["industry"], 2),
        "chemical": Enterprise.objects.get(name="U-S11-hazchem"),
    }
    health = Organisation.objects.create(
        name="卫健委", kind="department", department_type="health", region=regions["C"]
    )
    for kind in ("hospital", "fever_clinic"):
        SectorMandate.objects.create(department=health, region=regions["C"], unit_kind=kind)
    add_users(health, "health")
    cdc = Organisation.objects.create(name="市疾控", kind="public_health", region=regions["C"])
    add_users(cdc, "cdc_city")
    hospital = units["hospital"]
    own = Organisation.objects.create(
        name=hospital.name, kind="enterprise", region=hospital.region, enterprise=hospital
    )
    add_users(own, "hospital_own")

    cond = condition(CODE)
    signals = {}
    for key in PLACES:
        place = units[key]
        calm(cond, place.region, TODAY - dt.timedelta(days=1), place=place)
        signals[key] = _signal(f"EW-DOOR-{key}", cond, place.region, place)
    calm(cond, regions["D1"], TODAY - dt.timedelta(days=1))
    signals["district"] = _signal("EW-DOOR-district", cond, regions["D1"], None)
    return {
        "units": units,
        "signals": signals,
        "d1": regions["D1"],
        "records": _records(units, signals, regions),
    }


def _records(units: dict, signals: dict, regions: dict) -> dict:  # type: ignore[type-arg]
    """Every record of the tables, by kind and subject."""
    hazards = {}
    for n, (key, unit) in enumerate(units.items()):
        hazards[key] = Hazard.objects.create(
            enterprise=unit,
            region=unit.region,
            **unit_copies(unit),
            name=f"DOOR-hazard-{key}",
            description="door",
            hazard_type="equipment",
            level="general",
            source="daily",
            reported_at=NOW - dt.timedelta(days=1, minutes=n),
        )
    risk_points = {
        key: RiskObject.objects.create(enterprise=unit, name=f"DOOR-risk-{key}", kind="unit")
        for key, unit in units.items()
    }
    hospital = units["hospital"]
    report = CapacityReport.objects.create(
        hospital=hospital, day=TODAY - dt.timedelta(days=1), reported_at=NOW, **FIGURES
    )
    alerts = {
        key: CapacityAlert.objects.create(
            hospital=place,
            region=where,
            metric="icu_occupancy",
            level="alert",
            comparison="gte",
            threshold_value=85,
            value=90.0,
            peak_value=90.0,
            first_day=TODAY,
            last_day=TODAY,
            opened_at=NOW,
        )
        for key, place, where in (
            ("hospital", hospital, hospital.region),
            ("district", None, regions["D1"]),
        )
    }
    start, end = TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=30)
    hazchem = Campaign(name="DOOR危化品专项", starts_on=start, ends_on=end)
    hazchem.sector_list = ["hazchem"]
    hazchem.save()
    fire = Campaign(name="DOOR消防专项", starts_on=start, ends_on=end)
    fire.sector_list = ["fire"]
    fire.save()
    fire.regions.set([regions["D2"]])
    counts = {
        key: CaseCount.objects.filter(
            place=units.get(key), region=regions["D1"] if key == "district" else units[key].region
        ).first()
        for key in EPIDEMIC
    }
    return {
        "unit": units,
        "hazard": hazards,
        "risk point": risk_points,
        "signal": signals,
        "counts": counts,
        "capacity report": {"hospital": report},
        "capacity alert": alerts,
        "campaign": {"hazchem campaign": hazchem, "fire campaign": fire},
    }


@pytest.fixture(scope="module")
def door(django_db_setup, django_db_blocker, world):  # type: ignore[no-untyped-def]
    """This module's records (rolled back after the module)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build(world)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_table_covers_every_kind_of_organisation(world):
    kinds = {
        "cityhall": "city government",
        "office": "committee office",
        "d1": "district government",
        "s11": "subdistrict office",
        "emergency": "emergency department",
        "fire_d1": "fire department",
        "education": "education department",
        "health": "health commission",
        "cdc_city": "city CDC",
        "cdc_d2": "district CDC",
        "ent": "enterprise",
        "hospital_own": "hospital account",
    }
    assert set(kinds) == set(SEES) == set(CHANGES) == set(CAMPAIGNS_SEEN)
    for org, row in CHANGES.items():
        assert set(row) == set(KINDS) == set(ACTION), org
        for kind, changed in row.items():
            assert changed <= set(KINDS[kind]), (org, kind)
            assert changed <= _sees(org, kind), (org, kind, "changes what it does not see")


def _sees(org: str, kind: str) -> set[str]:
    """What `org` sees of a kind of record: a unit's records follow the unit, a region's
    its area (`SEES`); campaigns are `CAMPAIGNS_SEEN`."""
    if kind == "campaign":
        return CAMPAIGNS_SEEN[org]
    return SEES[org] & set(KINDS[kind])


def _visible(response) -> bool:  # type: ignore[no-untyped-def]
    """A detail answers 200 or 404, and nothing else."""
    assert response.status_code in (200, 404), response.status_code
    return response.status_code == 200


@pytest.mark.parametrize("org", list(SEES))
def test_each_record_is_all_visible_or_all_404(client, door, org):
    client.force_login(door_user(org))
    units, signals = door["units"], door["signals"]

    signal_page = {s.pk for s in client.get(reverse("epidemic:signal-list")).context["rows"]}
    signal_api = {
        item["id"] for item in client.get("/api/v1/epidemic/signals?page_size=100").json()["items"]
    }
    for record in RECORDS:
        expected = record in SEES[org]
        answers: dict[str, bool] = {}

        if record in units:
            unit = units[record]
            answers["api enterprise"] = _visible(client.get(f"/api/v1/enterprises/{unit.pk}"))
        if record in PLACES:
            unit = units[record]
            page = client.get(reverse("epidemic:place", args=[unit.pk]))
            answers["place page"] = _visible(page)
            if page.status_code == 200:
                # the place's page shows its counts and its open signal
                answers["counts on its page"] = bool(page.context["recent"])
                answers["signal on its page"] = signals[record] in page.context["signals"]
            listed = client.get(reverse("epidemic:places"), {"q": unit.name})
            answers["place list"] = unit.pk in {p.pk for p in listed.context["page"].object_list}
            counts = client.get("/api/v1/epidemic/counts", {"place": unit.pk})
            answers["counts api"] = counts.json()["count"] > 0
            count_page = client.get(reverse("epidemic:counts"), {"place": unit.pk})
            answers["counts page"] = bool(count_page.context["page"].object_list)
            by_place = client.get("/api/v1/epidemic/signals", {"place": unit.pk}).json()
            answers["signals api by place"] = signals[record].pk in {
                item["id"] for item in by_place["items"]
            }
            series = reverse("epidemic:series-place", args=[CODE, unit.region_id, unit.pk])
            answers["series"] = _visible(client.get(series))
        if record == "chemical":
            # no key place: its unit has no place page for anybody
            assert client.get(reverse("epidemic:place", args=[units[record].pk])).status_code == (
                404
            )
        if record == "district":
            d1 = door["d1"]
            day = (TODAY - dt.timedelta(days=1)).isoformat()
            counts = client.get(
                "/api/v1/epidemic/counts", {"region": d1.code, "from": day, "to": day}
            )
            # a region filter outside the user's regions answers 404, naming the field
            assert _visible(counts) or set(counts.json()["error"]["fields"]) == {"region"}
            answers["counts api"] = counts.status_code == 200 and any(
                item["place"] is None and item["region"]["id"] == d1.pk
                for item in counts.json()["items"]
            )
            series = reverse("epidemic:series", args=[CODE, d1.pk])
            answers["series"] = _visible(client.get(series))
        if record in signals:
            signal = signals[record]
            answers["signal page"] = _visible(
                client.get(reverse("epidemic:signal-detail", args=[signal.pk]))
            )
            answers["signal api"] = _visible(client.get(f"/api/v1/epidemic/signals/{signal.pk}"))
            answers["signal list"] = signal.pk in signal_page
            answers["signal list api"] = signal.pk in signal_api

        wrong = {path: seen for path, seen in answers.items() if seen != expected}
        assert not wrong, f"{org} / {record}: expected {'all' if expected else 'none'}: {wrong}"


@pytest.mark.parametrize("org", list(SEES))
def test_the_door_sees_and_changes_what_the_table_says(door, org):
    """`restrict(viewer)` holds what the organisation sees of each kind of record, and
    `restrict(manager, action)` what it may change; a viewer changes nothing."""
    viewer, manager = door_user(org), door_user(org, "manager")
    wrong = {}
    for kind, subjects in KINDS.items():
        records = door["records"][kind]
        model = type(next(iter(records.values())))
        seen = set(model.objects.restrict(viewer).values_list("pk", flat=True))
        changed = set(model.objects.restrict(manager, ACTION[kind]).values_list("pk", flat=True))
        viewer_changes = model.objects.restrict(viewer, ACTION[kind]).exists()
        answers = {
            "sees": {s for s in subjects if records[s].pk in seen},
            "changes": {s for s in subjects if records[s].pk in changed},
        }
        expected = {"sees": _sees(org, kind), "changes": CHANGES[org][kind]}
        if answers != expected or viewer_changes:
            wrong[kind] = (answers, viewer_changes)
    assert not wrong, f"{org}: {wrong}"


def _status(org: str, kind: str, subject: str) -> int:
    """What a write endpoint answers a manager: done, 403 seen but not changeable, 404."""
    if subject in CHANGES[org][kind]:
        return 200
    return 403 if subject in _sees(org, kind) else 404


@pytest.mark.parametrize("org", list(SEES))
def test_unit_and_risk_point_writes_agree_with_the_door(client, door, org):
    """The unit's edit page and API and the risk inventory's API answer as the door says;
    a refused write changes nothing and logs nothing."""
    client.force_login(door_user(org, "manager"))
    units, risk_points = door["records"]["unit"], door["records"]["risk point"]
    wrong = {}
    for subject in UNITS:
        unit = units[subject]
        before = (
            Enterprise.objects.get(pk=unit.pk).version,
            RiskUnit.objects.filter(risk_object=risk_points[subject]).count(),
            ChangeLog.objects.count(),
        )
        edit = client.get(reverse("enterprise-edit", args=[unit.pk])).status_code
        patch = client.patch(
            f"/api/v1/enterprises/{unit.pk}",
            data={"version": Enterprise.objects.get(pk=unit.pk).version, "headcount": 7},
            content_type="application/json",
        ).status_code
        added = client.post(
            f"/api/v1/risk-objects/{risk_points[subject].pk}/units",
            data={"name": "DOOR-added"},
            content_type="application/json",
        ).status_code
        answers = {"edit page": edit, "unit api": patch, "risk point api": added}
        risk = _status(org, "risk point", subject)
        want = {
            "edit page": _status(org, "unit", subject),
            "unit api": _status(org, "unit", subject),
            "risk point api": 201 if risk == 200 else risk,
        }
        if answers != want:
            wrong[subject] = answers, want
        if subject not in CHANGES[org]["unit"]:
            after = (
                Enterprise.objects.get(pk=unit.pk).version,
                RiskUnit.objects.filter(risk_object=risk_points[subject]).count(),
                ChangeLog.objects.count(),
            )
            assert after == before, (subject, "a refused write changed something")
    assert not wrong, f"{org}: {wrong}"


@pytest.mark.parametrize("org", list(SEES))
def test_count_submissions_agree_with_the_door(client, door, org):
    """A key place's or D1's count is accepted exactly where the door says "report"; else
    403 (the user submits nothing) or 422 naming the row's field."""
    client.force_login(door_user(org, "manager"))
    units = door["records"]["unit"]
    wrong = {}
    for n, subject in enumerate(EPIDEMIC):
        place = units.get(subject)
        row = {
            "condition": CODE,
            "region": (place.region if place else door["d1"]).code,
            "date": TODAY.isoformat(),
            "count": 3,
        } | ({"place": place.pk} if place else {})
        response = client.post(
            "/api/v1/epidemic/counts",
            {"rows": [row]},
            content_type="application/json",
            headers={"idempotency-key": f"door-{org}-{n}"},
        )
        accepted = response.status_code == 201
        if accepted != (subject in CHANGES[org]["counts"]):
            wrong[subject] = response.status_code
        elif not accepted:
            assert response.status_code in (403, 422), (subject, response.status_code)
    assert not wrong, f"{org}: {wrong}"


@pytest.mark.parametrize("org", list(SEES))
def test_capacity_reports_and_campaign_edits_agree_with_the_door(client, door, org):
    from redline.campaigns.services import CampaignInput, campaign_save

    manager = door_user(org, "manager")
    client.force_login(manager)
    hospital = door["records"]["unit"]["hospital"]
    response = client.post(
        "/api/v1/medical/reports",
        {"hospital": hospital.pk, "day": TODAY.isoformat(), **FIGURES},
        content_type="application/json",
        headers={"idempotency-key": f"door-capacity-{org}"},
    )
    reported = response.status_code == 201
    assert reported == ("hospital" in CHANGES[org]["capacity report"]), response.content
    for subject, campaign in door["records"]["campaign"].items():
        try:
            campaign_save(
                actor=manager,
                data=CampaignInput(description=f"DOOR {org}"),
                campaign_id=campaign.pk,
                version=Campaign.objects.get(pk=campaign.pk).version,
            )
        except DomainError as failure:
            assert failure.status in (403, 404), failure
            saved = False
        else:
            saved = True
        assert saved == (subject in CHANGES[org]["campaign"]), (subject, saved)


def door_user(org: str, role: str = "viewer"):  # type: ignore[no-untyped-def]
    from redline.accounts.models import User

    return User.objects.select_related("organisation").get(username=f"{org}-{role}")
