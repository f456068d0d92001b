"""The hazards API: reporting (with photos and a retried key), the ledger and one hazard
within the caller's jurisdiction, the closed loop's steps and their refusals, the
dashboard's figures, and inspection tasks with their once-only record."""

from __future__ import annotations

import base64
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from redline.conftest import login
from redline.core.models import ChangeLog
from redline.hazards.inspection import task_generate
from redline.hazards.models import Hazard, InspectionTask, Photo
from redline.hazards.services import hazard_transition
from redline.hazards.tests.factories import JPEG, PNG, measure_with_cycle, report, user
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise

pytestmark = pytest.mark.django_db

EN = {"accept-language": "en"}
ZONE = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, tzinfo=ZONE)  # a Monday: inspection tasks' period
END = dt.datetime(2026, 3, 5, tzinfo=ZONE)
PLAN = {
    "plan_responsible": "Wang Wei, maintenance workshop",
    "plan_measures": "Build a firewall round tank area T-2.",
    "plan_funds": "12.5",
    "plan_contingency": "Foam trailer on standby; drill the tank-fire plan monthly.",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def b64(content: bytes, name: str = "p.jpg") -> dict[str, str]:
    return {"name": name, "content_base64": base64.b64encode(content).decode()}


def body(enterprise: int, **fields):
    return {
        "enterprise": enterprise,
        "name": "Leaking flange",
        "description": "The flange on line 3 drips.",
        "hazard_type": "equipment",
        "level": "general",
    } | fields


def get(client, path, params=None):
    return client.get(f"/api/v1{path}", params or {}, headers=EN)


def post(client, path, payload, key=None):
    headers = EN | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/v1{path}", payload, content_type="application/json", headers=headers)


def take(client, username, hazard_id, action, **fields):
    """One step as `username`, with the version read just before."""
    login(client, username)
    version = get(client, f"/hazards/{hazard_id}").json()["version"]
    return post(client, f"/hazards/{hazard_id}/steps/{action}", {"version": version} | fields)


def future(days: int = 10) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


# --- reporting ---------------------------------------------------------------------------


def test_report_with_a_photo_and_a_retried_key(client, world):
    ent = world.orgs["ent"].arg
    login(client, "ent-operator")
    payload = body(ent, photos=[b64(JPEG, "leak.jpg")])
    first = post(client, "/hazards", payload, key="report-1")
    assert first.status_code == 201, first.content
    hazard = first.json()
    assert hazard["state"] == "reported" and hazard["source"] == "api"
    assert hazard["enterprise"] == {"id": ent, "name": "U-S11-hazchem"}
    assert hazard["number"].startswith("YH") and hazard["version"] == 1
    assert hazard["overdue"] is False and hazard["fire_composite"] is None
    assert [e["action"] for e in hazard["timeline"]] == ["report"]
    assert hazard["timeline"][0]["photos"] == hazard["photos"]
    assert len(hazard["photos"]) == 1 and hazard["photos"][0]["content_type"] == "image/jpeg"
    assert {"assign", "fix_on_spot", "comment"} <= set(hazard["available_steps"])
    assert "plan" not in hazard["available_steps"]
    # The photo is served to a reader who may see the hazard.
    assert client.get(hazard["photos"][0]["url"]).status_code == 200

    # A retry with the same key creates nothing and answers the same hazard.
    again = post(client, "/hazards", payload, key="report-1")
    assert again.status_code == 200
    assert again.json()["id"] == hazard["id"]
    assert Hazard.objects.count() == 1 and Photo.objects.count() == 1
    # A new key is a new report.
    assert post(client, "/hazards", body(ent), key="report-2").status_code == 201
    assert Hazard.objects.count() == 2


def test_determination_makes_a_hazard_major_and_is_shown(client, world):
    ent = world.orgs["ent"].arg
    login(client, "ent-operator")
    cited = post(client, "/hazards", body(ent, determination_items=["HC-01"])).json()
    assert cited["level"] == "major"
    assert cited["determination_items"][0]["id"] == "HC-01"
    assert cited["determination_items"][0]["standard"] == "hazchem-2017"
    assert cited["determination_items"][0]["status"] == "confirmed"
    assert "statutory assessment" in cited["determination_items"][0]["text"]

    fire_unit = world.orgs["ent2"].arg
    login(client, "ent2-operator")
    answer = post(
        client,
        "/hazards",
        body(
            fire_unit,
            hazard_type="fire",
            fire_place_type="crowded",
            fire_elements=["7.3.1", "7.3.2", "7.3.3"],
        ),
    )
    assert answer.status_code == 201, answer.content
    found = answer.json()
    assert found["level"] == "major"
    composite = found["fire_composite"]
    assert composite["place_type"] == "crowded" and composite["is_major"] is True
    assert composite["rules"][0] == {
        "id": "crowded-3",
        "counted": ["7.3.1", "7.3.2", "7.3.3"],
        "threshold": 3,
        "matched": True,
    }


def test_bad_photos_and_unknown_fields_are_refused_naming_them(client, world):
    ent = world.orgs["ent"].arg
    login(client, "ent-operator")
    gif = post(client, "/hazards", body(ent, photos=[b64(b"GIF89a" + b"\x00" * 20, "a.gif")]))
    assert gif.status_code == 422
    assert gif.json()["error"]["code"] == "validation_error"
    assert "a.gif" in gif.json()["error"]["fields"]["photos"]
    garbled = post(
        client, "/hazards", body(ent, photos=[{"name": "x.jpg", "content_base64": "%%%"}])
    )
    assert garbled.status_code == 422 and "photos" in garbled.json()["error"]["fields"]
    unknown = post(client, "/hazards", body(ent, colour="red"))
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"] == {"colour": "Unknown field."}
    bad_level = post(client, "/hazards", body(ent, level="huge"))
    assert bad_level.status_code == 422 and "level" in bad_level.json()["error"]["fields"]
    # A malformed body (a required field missing) is the API's 400.
    missing = post(client, "/hazards", {"enterprise": ent})
    assert missing.status_code == 400 and "name" in missing.json()["error"]["fields"]
    assert Hazard.objects.count() == 0 and Photo.objects.count() == 0


def test_reporting_for_a_unit_outside_the_jurisdiction_is_not_found(client, world):
    login(client, "ent2-operator")
    answer = post(client, "/hazards", body(world.orgs["ent"].arg))
    assert answer.status_code == 404
    assert Hazard.objects.count() == 0


# --- reading -----------------------------------------------------------------------------


ORG_KEYS = [
    "cityhall",
    "office",
    "d1",
    "s11",
    "emergency",
    "fire_d1",
    "education",
    "cdc_d2",
    "ent",
    "ent2",
]
MATRIX = [(org, role) for org in ORG_KEYS for role in ROLES]
# Units with a hazard and an inspection task in the access matrix (see world.py).
MATRIX_UNITS = ["U-S11-hazchem", "U-S21-fire", "U-S12-mixed", "U-S22-school"]


@pytest.fixture
def placed(world):
    """A hazard and an inspection task in each of MATRIX_UNITS: {unit pk: hazard pk}."""
    reporter = user("cityhall-inspector")
    hazards = {}
    for unit in Enterprise.objects.filter(name__in=MATRIX_UNITS):
        hazards[unit.pk] = report(reporter, unit.pk, source="government").pk
        measure_with_cycle(unit, name=unit.name)
    task_generate(start=START, end=START + dt.timedelta(days=1), now=START)
    return hazards


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_api_reads_hold_exactly_the_jurisdiction(client, world, placed, org, role):
    login(client, world.username(org, role))
    visible = {h for unit, h in placed.items() if unit in world.visible(org)}
    listed = get(client, "/hazards", {"page_size": 500}).json()
    assert {h["id"] for h in listed["items"]} == visible and listed["count"] == len(visible)
    assert get(client, "/hazards/dashboard").json()["totals"]["total"] == len(visible)
    for hazard_id in placed.values():
        answer = get(client, f"/hazards/{hazard_id}")
        assert answer.status_code == (200 if hazard_id in visible else 404)
        if hazard_id not in visible:
            assert answer.json()["error"]["code"] == "not_found"
    tasks = get(client, "/tasks", {"page_size": 500}).json()["items"]
    assert {t["enterprise_id"] for t in tasks} == set(placed) & world.visible(org)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_api_comment_step_and_denials_change_nothing(client, world, placed, org, role):
    """The comment step is the unit's writers' (operator, inspector, manager, admin), or a
    government inspector's or manager's (any visible hazard); viewers only read."""
    login(client, world.username(org, role))
    government = not org.startswith("ent")
    writers = (
        {"inspector", "manager", "admin"}
        if government
        else {"operator", "inspector", "manager", "admin"}
    )
    for unit, hazard_id in placed.items():
        if unit not in world.visible(org):
            want = 404
        elif role not in writers:
            want = 403
        else:
            want = 200
        answer = post(
            client, f"/hazards/{hazard_id}/steps/comment", {"version": 1, "comment": "Seen."}
        )
        assert answer.status_code == want, (unit, answer.content)
        hazard = Hazard.objects.get(pk=hazard_id)
        assert hazard.version == (2 if want == 200 else 1)
        assert hazard.events.filter(action="comment").count() == (1 if want == 200 else 0)


def test_ledger_filters(client, world):
    ent = world.orgs["ent"].arg
    general = report(user("ent-operator"), ent)
    major = report(user("ent-operator"), ent, level="major", name="No firewall")
    other = Enterprise.objects.get(name="U-S12-hazchem")
    elsewhere = report(user("emergency-inspector"), other.pk, source="government")
    login(client, "emergency-inspector")

    def ids(**params):
        answer = get(client, "/hazards", params)
        assert answer.status_code == 200, answer.content
        return {h["id"] for h in answer.json()["items"]}

    assert ids() == {general.pk, major.pk, elsewhere.pk}
    assert ids(level="major") == {major.pk}
    assert ids(unit=ent) == {general.pk, major.pk}
    assert ids(region=world.regions["S12"]) == {elsewhere.pk}
    assert ids(source="government") == {elsewhere.pk}
    assert ids(state="open") == {general.pk, major.pk, elsewhere.pk}
    assert ids(state="closed") == set()
    assert ids(q=major.number) == {major.pk}
    assert ids(q="firewall") == {major.pk}
    assert ids(listed=True) == set()
    assert ids(overdue=True) == set()
    # A value outside the vocabulary is a malformed request, not "no filter".
    assert get(client, "/hazards", {"level": "huge"}).status_code == 400
    page = get(client, "/hazards", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 3 and page["pages"] == 2 and len(page["items"]) == 1


def test_the_ledger_costs_the_same_queries_for_more_rows(client, world):
    ent = world.orgs["ent"].arg
    report(user("ent-operator"), ent)
    login(client, "d1-viewer")
    get(client, "/hazards")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert get(client, "/hazards").json()["count"] == 1
    for index in range(4):
        report(user("ent-operator"), ent, name=f"Hazard {index}")
    with CaptureQueriesContext(connection) as five:
        assert get(client, "/hazards").json()["count"] == 5
    assert len(five) == len(one)


def test_a_step_refused_for_the_role_says_nothing_of_the_state(client, world):
    """A viewer gets 403 whatever the hazard's state or the version sent; the refusal does
    not tell them the state (a step from a wrong state, by someone who may take it, does)."""
    hazard = report(user("ent-operator"), world.orgs["ent"].arg)
    login(client, "d1-viewer")
    for action, version in (("accept", hazard.version), ("assign", 99)):
        refused = post(client, f"/hazards/{hazard.pk}/steps/{action}", {"version": version})
        assert refused.status_code == 403, refused.json()
        assert "reported" not in refused.json()["error"]["message"].lower()
    wrong_state = take(client, "ent-manager", hazard.pk, "accept")
    assert wrong_state.status_code == 409
    assert "reported" in wrong_state.json()["error"]["message"].lower()
    hazard.refresh_from_db()
    assert hazard.state == "reported" and hazard.version == 1


def test_anonymous_requests_are_refused(client, world):
    assert get(client, "/hazards").status_code == 401
    assert post(client, "/hazards", body(world.orgs["ent"].arg)).status_code == 401
    assert get(client, "/tasks").status_code == 401


# --- steps -------------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_and_changes_nothing(client, world):
    hazard = report(user("ent-operator"), world.orgs["ent"].arg)
    login(client, "ent-operator")
    answer = post(
        client, f"/hazards/{hazard.pk}/steps/assign", {"version": 7, "deadline": future()}
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
    hazard.refresh_from_db()
    assert hazard.state == "reported" and hazard.version == 1 and hazard.deadline is None
    assert list(hazard.events.values_list("action", flat=True)) == ["report"]


def test_two_people_acting_on_the_same_version_one_wins(client, world):
    hazard = report(user("ent-operator"), world.orgs["ent"].arg)
    login(client, "ent-operator")
    read = get(client, f"/hazards/{hazard.pk}").json()
    # Someone else takes a step after this reader loaded the hazard.
    hazard_transition(
        actor=user("emergency-inspector"),
        hazard_id=hazard.pk,
        action="assign",
        version=hazard.version,
        data={"deadline": future(3)},
    )
    answer = post(
        client,
        f"/hazards/{hazard.pk}/steps/fix_on_spot",
        {"version": read["version"], "comment": "Tightened."},
    )
    assert answer.status_code == 409
    hazard.refresh_from_db()
    assert hazard.state == "rectifying" and hazard.rectified_by_id is None


def test_refused_steps(client, world):
    hazard = report(user("ent-operator"), world.orgs["ent"].arg)
    stamp = ChangeLog.objects.count()
    login(client, "ent-viewer")
    forbidden = post(
        client, f"/hazards/{hazard.pk}/steps/assign", {"version": 1, "deadline": future()}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "permission_denied"
    login(client, "ent-operator")
    not_here = post(client, f"/hazards/{hazard.pk}/steps/fly", {"version": 1})
    assert not_here.status_code == 422 and "action" in not_here.json()["error"]["fields"]
    wrong_field = post(
        client, f"/hazards/{hazard.pk}/steps/fix_on_spot", {"version": 1, "deadline": future()}
    )
    assert wrong_field.status_code == 422
    assert wrong_field.json()["error"]["fields"] == {"deadline": "Unknown field."}
    past = post(
        client, f"/hazards/{hazard.pk}/steps/assign", {"version": 1, "deadline": "2001-01-01"}
    )
    assert past.status_code == 422 and "deadline" in past.json()["error"]["fields"]
    no_version = post(client, f"/hazards/{hazard.pk}/steps/assign", {"deadline": future()})
    assert no_version.status_code == 400 and "version" in no_version.json()["error"]["fields"]
    login(client, "ent2-admin")
    outside = post(client, f"/hazards/{hazard.pk}/steps/comment", {"version": 1, "comment": "x"})
    assert outside.status_code == 404
    hazard.refresh_from_db()
    assert hazard.state == "reported" and hazard.version == 1
    assert list(hazard.events.values_list("action", flat=True)) == ["report"]
    assert ChangeLog.objects.count() == stamp


def test_a_general_hazard_through_the_api(client, world):
    hazard = report(user("ent-operator"), world.orgs["ent"].arg)
    fixed = take(client, "ent-operator", hazard.pk, "assign", deadline=future(5))
    assert fixed.status_code == 200, fixed.content
    assert fixed.json()["deadline"] == future(5)
    assert fixed.json()["rectifier"] == "ent-operator"
    submitted = take(
        client,
        "ent-operator",
        hazard.pk,
        "submit",
        comment="Gasket replaced.",
        photos=[b64(PNG, "after.png")],
    )
    assert submitted.json()["state"] == "awaiting"
    assert submitted.json()["timeline"][-1]["photos"][0]["content_type"] == "image/png"
    closed = take(client, "ent-manager", hazard.pk, "accept", comment="Dry.")
    assert closed.json()["state"] == "closed" and closed.json()["closed_at"] is not None
    assert closed.json()["accepted_by"] == "ent-manager"


def test_a_major_hazard_through_the_api(client, world):
    ent = world.orgs["ent"].arg
    login(client, "ent-operator")
    reported = post(
        client,
        "/hazards",
        body(
            ent,
            name="Tank farm without a firewall",
            description="Tank area T-2 has no firewall.",
            hazard_type="layout",
            level="major",
            source="comprehensive",
        ),
    )
    assert reported.status_code == 201
    hazard_id = reported.json()["id"]
    assert reported.json()["source"] == "comprehensive"

    listed = take(
        client,
        "emergency-inspector",
        hazard_id,
        "list",
        comment="City list, batch 3",
        supervision_deadline=future(60),
    )
    assert listed.status_code == 200, listed.content
    assert listed.json()["listed"] is True and listed.json()["listed_by"] == "应急管理局"

    plan_deadline = future(30)
    planned = take(client, "ent-manager", hazard_id, "plan", plan_deadline=plan_deadline, **PLAN)
    assert planned.status_code == 200, planned.content
    plan = planned.json()
    assert plan["state"] == "rectifying"
    assert plan["plan_deadline"] == plan_deadline == plan["deadline"]
    assert plan["plan_responsible"] == PLAN["plan_responsible"]
    assert plan["plan_contingency"] == PLAN["plan_contingency"]
    assert float(plan["plan_funds"]) == 12.5

    no_evidence = take(client, "ent-manager", hazard_id, "submit", comment="Firewall built.")
    assert no_evidence.status_code == 422 and "photos" in no_evidence.json()["error"]["fields"]
    submitted = take(
        client,
        "ent-manager",
        hazard_id,
        "submit",
        comment="Firewall built.",
        photos=[b64(JPEG, "wall.jpg")],
    )
    assert submitted.status_code == 200 and submitted.json()["state"] == "awaiting"

    # Who rectified a major hazard may not accept it.
    own_work = take(client, "ent-manager", hazard_id, "accept", comment="done")
    assert own_work.status_code == 403
    assert "rectified" in own_work.json()["error"]["message"]
    accepted = take(client, "ent-admin", hazard_id, "accept", comment="Inspected on site.")
    assert accepted.status_code == 200 and accepted.json()["state"] == "signoff"
    assert "sign_off" not in accepted.json()["available_steps"]

    login(client, "emergency-manager")
    assert "sign_off" in get(client, f"/hazards/{hazard_id}").json()["available_steps"]
    closed = take(client, "emergency-manager", hazard_id, "sign_off", comment="Signed off.")
    assert closed.status_code == 200
    final = closed.json()
    assert final["state"] == "closed" and final["signed_off_by"] == "emergency-manager"
    assert [e["action"] for e in final["timeline"]] == [
        "report",
        "auto_report",
        "list",
        "plan",
        "submit",
        "accept",
        "sign_off",
    ]
    assert [e["to_state"] for e in final["timeline"][3:]] == [
        "rectifying",
        "awaiting",
        "signoff",
        "closed",
    ]
    assert final["timeline"][4]["photos"][0]["content_type"] == "image/jpeg"
    assert set(final["available_steps"]) == {"reopen", "comment"}


# --- dashboard ---------------------------------------------------------------------------


def test_dashboard_figures(client, world):
    ent = world.orgs["ent"].arg
    operator = user("ent-operator")
    report(operator, ent)
    report(operator, ent, level="major", name="No firewall")
    closed = report(operator, ent, name="Loose handrail")
    hazard_transition(actor=operator, hazard_id=closed.pk, action="fix_on_spot", version=1, data={})
    hazard_transition(
        actor=user("ent-manager"), hazard_id=closed.pk, action="accept", version=2, data={}
    )
    late = report(
        user("emergency-inspector"),
        Enterprise.objects.get(name="U-S12-hazchem").pk,
        name="Blocked exit",
    )
    hazard_transition(
        actor=user("emergency-inspector"),
        hazard_id=late.pk,
        action="assign",
        version=1,
        data={"deadline": future(1)},
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=False):
        login(client, "d1-viewer")
        answer = get(client, "/hazards/dashboard")
        assert answer.status_code == 200, answer.content
        data = answer.json()
        overdue = {h["id"] for h in get(client, "/hazards", {"overdue": True}).json()["items"]}
    totals = data["totals"]
    assert totals["total"] == 4
    assert totals["open_general"] == 2 and totals["open_major"] == 1
    assert totals["closed"] == 1 and totals["closure_rate"] == 25.0
    assert totals["overdue"] == 1 and totals["overdue_major"] == 0
    assert totals["dismissed"] == 0 and set(totals["mean_days"]) == {"general"}
    rows = {row["region_id"]: row for row in data["regions"]}
    assert set(rows) == {world.regions["S11"], world.regions["S12"]}
    s11, s12 = rows[world.regions["S11"]], rows[world.regions["S12"]]
    assert (s11["total"], s11["closed"], s11["open_major"], s11["closure_rate"]) == (3, 1, 1, 33.3)
    assert (s12["total"], s12["overdue"], s12["closure_rate"]) == (1, 1, 0.0)
    assert overdue == {late.pk}

    login(client, "d1-viewer")
    only_major = get(client, "/hazards/dashboard", {"level": "major"}).json()["totals"]
    assert only_major["total"] == 1 and only_major["open_major"] == 1
    login(client, "ent2-operator")
    assert get(client, "/hazards/dashboard").json()["totals"]["total"] == 0


# --- inspection tasks --------------------------------------------------------------------


@pytest.fixture
def tasks(world):
    unit = Enterprise.objects.get(pk=world.orgs["ent"].arg)
    measure, _cycle = measure_with_cycle(unit, name="api")
    task_generate(start=START, end=END, now=START)
    return list(InspectionTask.objects.filter(measure=measure).order_by("due_at"))


def test_task_list(client, world, tasks):
    assert len(tasks) == 3
    first = tasks[0]
    with time_machine.travel(first.due_at + dt.timedelta(hours=1), tick=False):
        login(client, "ent-operator")
        page = get(client, "/tasks").json()
        assert page["count"] == 3
        item = page["items"][0]
        assert item["id"] == first.pk and item["enterprise_id"] == world.orgs["ent"].arg
        assert item["measure"] == {"id": first.measure_id, "description": "Check the valve api"}
        assert item["status"] == "due" and item["result"] == "" and item["checked_at"] is None
        assert [t["status"] for t in page["items"]] == ["due", "upcoming", "upcoming"]

        def ids(**params):
            return [t["id"] for t in get(client, "/tasks", params).json()["items"]]

        assert ids(status="due") == [first.pk]
        assert ids(status="upcoming") == [t.pk for t in tasks[1:]]
        assert ids(status="missed") == []
        day = tasks[1].due_at.astimezone(ZONE).date().isoformat()
        assert ids(**{"from": day, "to": day}) == [tasks[1].pk]
        assert ids(enterprise=world.orgs["ent2"].arg) == []
        assert get(client, "/tasks", {"status": "sometime"}).status_code == 400

        login(client, "d1-viewer")
        assert get(client, "/tasks").json()["count"] == 3
        login(client, "ent2-operator")
        assert get(client, "/tasks").json()["count"] == 0


def test_recording_a_task_once(client, world, tasks):
    first = tasks[0]
    with time_machine.travel(first.due_at + dt.timedelta(hours=1), tick=False):
        login(client, "ent2-operator")
        assert post(client, f"/tasks/{first.pk}/record", {"result": "normal"}).status_code == 404
        login(client, "ent-operator")
        why = post(client, f"/tasks/{first.pk}/record", {"result": "other"})
        assert why.status_code == 422 and "note" in why.json()["error"]["fields"]
        unknown = post(client, f"/tasks/{first.pk}/record", {"result": "normal", "mood": "ok"})
        assert unknown.status_code == 422 and "mood" in unknown.json()["error"]["fields"]
        early = post(client, f"/tasks/{tasks[1].pk}/record", {"result": "normal"})
        assert early.status_code == 422

        payload = {
            "result": "normal",
            "note": "Valve closed, no leak.",
            "inspector_name": "Li Na",
            "photos": [b64(JPEG)],
        }
        done = post(client, f"/tasks/{first.pk}/record", payload, key="task-1")
        assert done.status_code == 200, done.content
        recorded = done.json()
        assert recorded["result"] == "normal" and recorded["status"] == "done"
        assert recorded["inspector_name"] == "Li Na" and recorded["checked_at"] is not None
        again = post(client, f"/tasks/{first.pk}/record", payload, key="task-1")
        assert again.status_code == 200 and again.json() == recorded
        assert Photo.objects.filter(task=first).count() == 1

        login(client, "ent-inspector")
        second = post(client, f"/tasks/{first.pk}/record", {"result": "hazard"}, key="task-2")
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "conflict"
    first.refresh_from_db()
    assert first.result == "normal" and first.inspector_name == "Li Na"


# --- schema ------------------------------------------------------------------------------


def test_the_openapi_schema_builds(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for path in (
        "/api/v1/hazards",
        "/api/v1/hazards/dashboard",
        "/api/v1/hazards/{hazard_id}",
        "/api/v1/hazards/{hazard_id}/steps/{action}",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}/record",
    ):
        assert path in paths
    assert set(paths["/api/v1/hazards"]) == {"get", "post"}
