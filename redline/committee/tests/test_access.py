"""The generated access matrix of the Safety Committee's records: every organisation x role
of the access-test world against every list, detail, export and API endpoint, and every write
a body may be refused. What each sees comes from the description below (the world's regions
and who a task names), never from the code under test.

The tasks (`TASKS`): who leads, who cooperates, where. A task is seen by the city
government and the office (all), by the bodies it names, and by a government below the city
whose region it reaches (placed in its subtree or above it, or city-wide)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook

from redline.committee import services
from redline.committee.models import KeyTask, Meeting, ProgressReport
from redline.committee.tests import build
from redline.core.models import ChangeLog
from redline.organisations.access import ROLES
from redline.organisations.tests.world import SUBDISTRICTS

pytestmark = pytest.mark.django_db

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
WRITERS = {"operator", "manager", "admin"}
# Where each government below the city sits: its region and the regions above it.
GOVERNMENTS = {"d1": ("D1", {"C", "D1"}), "s11": ("S11", {"C", "D1", "S11"})}


@dataclass(frozen=True)
class Shape:
    title: str
    lead: str
    cooperating: tuple[str, ...]
    regions: tuple[str, ...]  # region keys of the world; () the whole city


TASKS = [
    Shape("T-emergency-D1", "emergency", ("fire_d1",), ("D1",)),
    Shape("T-education-city", "education", (), ()),
    Shape("T-cdc-S21", "cdc_d2", ("emergency",), ("S21",)),
    Shape("T-fire-S11", "fire_d1", (), ("S11",)),
    Shape("T-office-S12", "office", (), ("S12",)),
]


def _district(region: str) -> str:
    return SUBDISTRICTS.get(region, region)


def sees(org: str, shape: Shape) -> bool:
    """By the description: the city's bodies all; the bodies named; a government below the
    city whose region the task reaches."""
    if org in ("cityhall", "office") or org == shape.lead or org in shape.cooperating:
        return True
    if org in GOVERNMENTS:
        own, above = GOVERNMENTS[org]
        if not shape.regions:
            return True
        for region in shape.regions:
            placed = {region, _district(region), "C"}  # the task's region and those above it
            if region in above or own in placed:
                return True
    return False


def reports(org: str, role: str, shape: Shape) -> bool:
    """Who may report progress: writers of a body named, or of a government below the city
    the task reaches."""
    named = org == shape.lead or org in shape.cooperating
    return role in WRITERS and (named or (org in GOVERNMENTS and sees(org, shape)))


@pytest.fixture
def tasks(world):
    meeting = build.meeting()
    made = {}
    for shape in TASKS:
        made[shape.title] = build.deploy(
            world,
            at=meeting,
            title=shape.title,
            lead=world.orgs[shape.lead].pk,
            lead_person=None,
            cooperating=[str(world.orgs[k].pk) for k in shape.cooperating],
            regions=[str(world.regions[k]) for k in shape.regions],
        )
        build.report(made[shape.title], f"{shape.lead}-operator")
    return made


def as_user(client, world, org, role):
    user = build.user(world.username(org, role))
    client.force_login(user)
    return user


def expected(org):
    return {s.title for s in TASKS if sees(org, s)}


def test_the_description_is_not_trivial():
    seen = {org: expected(org) for org in ORG_KEYS}
    assert seen["cityhall"] == seen["office"] == {s.title for s in TASKS}
    assert seen["ent"] == seen["ent2"] == set()
    assert seen["d1"] == {"T-emergency-D1", "T-education-city", "T-fire-S11", "T-office-S12"}
    assert seen["s11"] == {"T-emergency-D1", "T-education-city", "T-fire-S11"}
    assert seen["emergency"] == {"T-emergency-D1", "T-cdc-S21"}


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_lists_details_and_exports_hold_exactly_what_each_sees(client, world, tasks, org, role):
    as_user(client, world, org, role)
    want = expected(org)
    page = client.get("/committee/tasks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert {t for t in tasks if t in html} == want
    assert page.context["page"].paginator.count == len(want)
    for title, task in tasks.items():
        status = 200 if title in want else 404
        assert client.get(f"/committee/tasks/{task.pk}/").status_code == status, title
        assert client.get(f"/api/v1/committee/tasks/{task.pk}").status_code == status, title
        reports_api = client.get(f"/api/v1/committee/tasks/{task.pk}/reports")
        assert reports_api.status_code == status, title
    listed = client.get("/api/v1/committee/tasks", {"page_size": 100}).json()
    assert {item["title"] for item in listed["items"]} == want and listed["count"] == len(want)
    sheet = load_workbook(io.BytesIO(client.get("/committee/tasks/export.xlsx").content)).active
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == want
    owed = client.get("/api/v1/committee/owed").json()
    owed_tasks = {t for row in owed["bodies"] for t in row["tasks"]}
    assert owed_tasks == {task.pk for title, task in tasks.items() if title in want}
    assert client.get("/committee/owed/").status_code == 200
    dashboard = client.get("/committee/")
    assert dashboard.status_code == 200
    if org.startswith("ent"):
        assert 'id="not-concerned"' in dashboard.content.decode()
    else:
        assert dashboard.context["data"].total == len(want)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_meetings_and_their_reports_follow_the_tasks(client, world, tasks, org, role):
    as_user(client, world, org, role)
    meeting = Meeting.objects.get()
    status = 200 if expected(org) else 404
    assert client.get(f"/committee/meetings/{meeting.pk}/").status_code == status
    assert client.get(f"/api/v1/committee/meetings/{meeting.pk}").status_code == status
    listed = client.get("/api/v1/committee/meetings").json()["count"]
    assert listed == (1 if expected(org) else 0)
    page = client.get("/committee/meetings/")
    counts = [m.task_count for m in page.context["page"]]
    assert counts == ([len(expected(org))] if expected(org) else [])  # only the tasks seen
    user = build.user(world.username(org, role))
    seen = set(ProgressReport.objects.restrict(user).values_list("task__title", flat=True))
    assert seen == expected(org)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_a_denied_report_changes_nothing(client, world, tasks, org, role):
    as_user(client, world, org, role)
    for shape in TASKS:
        task = KeyTask.objects.get(pk=tasks[shape.title].pk)
        before = (
            task.version,
            task.next_report_due,
            ProgressReport.objects.count(),
            ChangeLog.objects.count(),
        )
        answer = client.post(
            f"/api/v1/committee/tasks/{task.pk}/reports",
            {"text": "进展", "figure": 3},
            content_type="application/json",
            headers={"Idempotency-Key": f"{org}-{role}-{shape.title}"},
        )
        if not sees(org, shape):
            assert answer.status_code == 404, (shape.title, answer.content)
        elif not reports(org, role, shape):
            assert answer.status_code == 403, (shape.title, answer.content)
        else:
            assert answer.status_code == 201, (shape.title, answer.content)
            continue
        task.refresh_from_db()
        after = (
            task.version,
            task.next_report_due,
            ProgressReport.objects.count(),
            ChangeLog.objects.count(),
        )
        assert after == before, shape.title


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_only_the_citys_managers_record_meetings_and_deploy_tasks(client, world, org, role):
    as_user(client, world, org, role)
    allowed = org in ("cityhall", "office") and role in ("manager", "admin")
    meeting = client.post(
        "/api/v1/committee/meetings",
        {"title": "专题会议", "held_on": "2026-06-01", "kind": "special"},
        content_type="application/json",
    )
    assert meeting.status_code == (201 if allowed else 403), meeting.content
    data = build.task_data(world, lead_person=None)
    data["deadline"] = data["deadline"].isoformat()
    data["first_report_due"] = data["first_report_due"].isoformat()
    deployed = client.post("/api/v1/committee/tasks", data, content_type="application/json")
    assert deployed.status_code == (201 if allowed else 403), deployed.content
    assert KeyTask.objects.count() == (1 if allowed else 0)
    pages = [client.get("/committee/tasks/new/"), client.get("/committee/meetings/new/")]
    assert [p.status_code for p in pages] == [200 if allowed else 403] * 2


def test_the_door_and_a_service_agree_on_who_reports(world, tasks):
    """`may(user, "report_progress", task)` for every user and task is the description's."""
    from redline.organisations.access import may

    for org in ORG_KEYS:
        for role in ROLES:
            user = build.user(world.username(org, role))
            for shape in TASKS:
                task = tasks[shape.title]
                assert may(user, "report_progress", task) == reports(org, role, shape), (
                    org,
                    role,
                    shape.title,
                )
    # A report by a body that may is taken; the service names who reported.
    report, created = services.progress_report_submit(
        actor=build.user("s11-operator"),
        task_id=tasks["T-fire-S11"].pk,
        data=services.ProgressReportInput.of({"text": "街道排查完成"}),
    )
    assert created and report.organisation_id == world.orgs["s11"].pk
