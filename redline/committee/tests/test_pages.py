"""The Safety Committee's pages and API lists: what they show, the steps taken from a task's
page (with evidence photos), deploying and recording from the pages, and the number of
queries of every list, which does not grow with the rows."""

from __future__ import annotations

import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from redline.committee.models import KeyTask, Meeting, ProgressReport
from redline.committee.tests import build
from redline.committee.vocab import TaskState
from redline.conftest import login
from redline.core.tests.queries import assert_flat
from redline.hazards.tests.factories import JPEG
from redline.organisations.models import Organisation, Person

pytestmark = pytest.mark.django_db

serial = itertools.count(1)
LEADS = ("emergency", "fire_d1", "education", "cdc_d2")
REGIONS = ("D1", "S11", "S21", "D2")


@pytest.fixture
def client(client, settings):
    """Pages in English (they follow the language cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def grow(world, step):
    """Tasks led by other bodies, placed in other regions, each with its own responsible
    person, reports (with a photo), and an overdue one."""
    made = []
    for _k in range(1 if step == 0 else 3):
        n = next(serial)
        lead = LEADS[n % len(LEADS)]
        person = Person.objects.create(
            name=f"联系人{n}", role="gov_contact", organisation_id=world.orgs[lead].pk
        )
        task = build.deploy(
            world,
            title=f"QK任务{n}",
            lead=world.orgs[lead].pk,
            lead_person=person.pk,
            cooperating=[str(world.orgs[LEADS[(n + 1) % len(LEADS)]].pk)],
            regions=[str(world.regions[REGIONS[n % len(REGIONS)]])],
        )
        build.report(task, f"{lead}-operator", figure=str(n))
        KeyTask.objects.filter(pk=task.pk).update(report_overdue_since=timezone.now())
        made.append(f"联系人{n}")
    return made


def test_lists_and_dashboards_cost_the_same_with_more_rows(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(client, "cityhall-viewer")
    for url in (
        "/committee/tasks/",
        "/committee/",
        "/committee/owed/",
        "/api/v1/committee/tasks",
        "/api/v1/committee/owed",
        "/committee/tasks/export.xlsx",
    ):
        assert_flat(client, url, lambda step: grow(world, step), check_text=url.endswith("/"))
    meeting = build.meeting()

    def meetings(step):
        titles = [f"会议{next(serial)}" for _ in range(1 if step == 0 else 3)]
        for title in titles:
            build.deploy(world, at=build.meeting(title=title))
        return titles

    assert_flat(client, "/committee/meetings/", meetings)
    assert_flat(client, "/api/v1/committee/meetings", meetings)

    def deployed_here(step):
        titles = [f"会上任务{next(serial)}" for _ in range(1 if step == 0 else 3)]
        for n, title in enumerate(titles):
            lead = LEADS[n % len(LEADS)]
            build.deploy(
                world,
                at=meeting,
                title=title,
                lead=world.orgs[lead].pk,
                lead_person=None,
                cooperating=[],
            )
        return titles

    assert_flat(client, f"/committee/meetings/{meeting.pk}/", deployed_here)


def test_a_task_page_shows_its_chain_and_reports_and_takes_a_report_with_photos(
    client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    task = build.deploy(world)
    login(client, "emergency-operator")
    page = client.get(f"/committee/tasks/{task.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    for text in ("Responsibility chain", "Lead department", "应急管理局", "D1消防", "应急联系人"):
        assert text in body, text
    steps = {t.name for t, _form, _fields in page.context["steps"]}
    assert steps == {"start", "report", "report_completion"}
    answer = client.post(
        f"/committee/tasks/{task.pk}/steps/report/",
        {
            "report-version": task.version,
            "report-comment": "Checked 12 units.",
            "report-figure": "40",
            "report-key": "page-1",
            "report-photos": [SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")],
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    report = ProgressReport.objects.get(task=task)
    assert report.photos.count() == 1 and report.text == "Checked 12 units."
    page = client.get(f"/committee/tasks/{task.pk}/").content.decode()
    assert "Checked 12 units." in page and report.photos.get().get_absolute_url() in page
    # The same form sent again (a double tap) is refused, and nothing is added.
    task.refresh_from_db()
    again = client.post(
        f"/committee/tasks/{task.pk}/steps/report/",
        {"report-version": task.version, "report-comment": "again", "report-key": "page-1"},
    )
    assert again.status_code == 409 and ProgressReport.objects.filter(task=task).count() == 1


def test_the_office_verifies_from_the_page_and_a_refusal_is_shown(client, world):
    task = build.in_state(world, TaskState.COMPLETION_REPORTED)
    login(client, "emergency-manager")
    refused = client.post(
        f"/committee/tasks/{task.pk}/steps/verify/", {"verify-version": task.version}
    )
    assert refused.status_code == 403
    login(client, "office-manager")
    page = client.get(f"/committee/tasks/{task.pk}/")
    assert {t.name for t, _f, _x in page.context["steps"]} == {"verify", "return", "cancel"}
    missing = client.post(
        f"/committee/tasks/{task.pk}/steps/return/", {"return-version": task.version}
    )
    assert missing.status_code == 422
    done = client.post(
        f"/committee/tasks/{task.pk}/steps/verify/",
        {"verify-version": task.version, "verify-comment": "Checked on site."},
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.VERIFIED


def test_the_office_records_a_meeting_and_deploys_a_task_from_the_pages(client, world):
    login(client, "office-manager")
    answer = client.post(
        "/committee/meetings/new/",
        {
            "title": "Plenary",
            "held_on": "2026-02-28",
            "kind": "plenary",
            "body": world.orgs["cityhall"].pk,
            "attendees": "Members",
            "minutes": "Deployed the year's key tasks.",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    meeting = Meeting.objects.get()
    assert meeting.body_id == world.orgs["cityhall"].pk
    form = client.get(f"/committee/tasks/new/?meeting={meeting.pk}")
    assert form.status_code == 200
    contact = Person.objects.get(organisation_id=world.orgs["emergency"].pk)
    answer = client.post(
        "/committee/tasks/new/",
        {
            "meeting": meeting.pk,
            "title": "Audit-style supervision",
            "lead": world.orgs["emergency"].pk,
            "lead_person": contact.pk,
            "cooperating": [world.orgs["fire_d1"].pk, world.orgs["education"].pk],
            "regions": [world.regions["D1"]],
            "deadline": "2099-12-31",
            "outcome": "Units inspected",
            "target_value": "60",
            "unit": "units",
            "cadence": "monthly",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    task = KeyTask.objects.get()
    assert task.meeting == meeting and task.supervisor_id == world.orgs["cityhall"].pk
    assert task.cooperating.count() == 2
    bad = client.post("/committee/tasks/new/", {"title": "x", "lead": world.orgs["ent"].pk})
    assert bad.status_code == 422
    edit = client.post(
        f"/committee/meetings/{meeting.pk}/edit/",
        {
            "title": "Plenary (2026)",
            "held_on": "2026-02-28",
            "kind": "plenary",
            "minutes": "Revised.",
            "version": meeting.version,
        },
    )
    assert edit.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Plenary (2026)" and meeting.version == 2
    stale = client.post(
        f"/committee/meetings/{meeting.pk}/edit/",
        {"title": "Old", "held_on": "2026-02-28", "kind": "plenary", "version": 1},
    )
    assert stale.status_code == 409


def test_what_each_owes_by_body_and_person(client, world):
    task = build.deploy(world)
    KeyTask.objects.filter(pk=task.pk).update(report_overdue_since=timezone.now())
    build.deploy(
        world, lead=world.orgs["education"].pk, lead_person=None, regions=[], cooperating=[]
    )
    login(client, "cityhall-viewer")
    page = client.get("/committee/owed/")
    bodies = {row.label: row for row in page.context["bodies"]}
    assert bodies["应急管理局"].leading == 1 and bodies["应急管理局"].reports_overdue == 1
    assert bodies["D1消防"].cooperating == 1 and bodies["教育局"].leading == 1
    assert page.context["bodies"][0].label == "应急管理局"  # the overdue first
    people = page.context["people"]
    assert [p.label for p in people] == ["应急联系人"] and people[0].overdue == 1
    one = client.get(f"/committee/owed/{world.orgs['fire_d1'].pk}/")
    assert one.status_code == 200 and task.title in one.content.decode()
    unit_org = Organisation.objects.get(pk=world.orgs["ent"].pk)
    assert client.get(f"/committee/owed/{unit_org.pk}/").status_code == 404


def test_the_dashboard_shows_states_departments_overdue_chains_and_campaigns(client, world):
    from redline.campaigns.models import Campaign

    late = build.deploy(world)
    KeyTask.objects.filter(pk=late.pk).update(report_overdue_since=timezone.now())
    build.in_state(world, TaskState.COMPLETION_REPORTED)
    today = timezone.localdate()
    campaign = Campaign(
        name="燃气安全专项整治",
        name_en="Gas safety campaign",
        starts_on=today.replace(day=1),
        ends_on=today.replace(day=28) if today.day < 28 else today,
    )
    campaign.sector_list = ["gas"]
    campaign.save()
    login(client, "office-viewer")
    page = client.get("/committee/")
    data = page.context["data"]
    assert data.open == 2 and data.awaiting_verification == 1
    assert [item.task.pk for item in data.overdue] == [late.pk]
    chain = [link.level for link in data.overdue[0].chain]
    assert chain == ["lead", "cooperating", "district", "office", "city"]
    body = page.content.decode()
    assert "Gas safety campaign" in body and "Overdue items" in body
    assert 'id="overdue-count">1<' in body
    login(client, "ent-viewer")
    assert 'id="not-concerned"' in client.get("/committee/").content.decode()


def test_the_menu_offers_the_committee_to_those_it_concerns(client, world):
    for name, shown in (
        ("office-viewer", True),
        ("d1-viewer", True),
        ("s11-viewer", True),
        ("education-viewer", True),
        ("cdc_d2-viewer", False),
        ("ent-viewer", False),
    ):
        login(client, name)
        keys = {key for _url, _label, key in client.get("/").context["nav_items"]}
        assert ("committee" in keys) == shown, name
