"""Key places and key groups on the web, and the pages of case counts: for every kind of
user exactly what each page shows, denied writes that change nothing, entering a day's
counts (a retried form records once), recording a key-group count, and list pages whose
number of queries does not grow with their rows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redline.core.models import ChangeLog
from redline.epidemic.models import CaseCount, IngestBatch, KeyGroupCount
from redline.epidemic.tests.counts_data import (
    DAY,
    KEY_PLACES,
    NOW,
    USERS,
    WRITE_ROLES,
    WRITERS,
    count,
    epi,
    sees,
    sees_place,
)
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Person

pytestmark = pytest.mark.django_db
__all__ = ["epi"]
MATRIX = [(org, role) for org in USERS for role in ROLES]


@pytest.fixture(autouse=True)
def clock(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(NOW, tick=False):
        yield


def as_user(client, epi, org, role):
    client.force_login(epi.user(org, role))


def totals():
    return (
        CaseCount.objects.count(),
        KeyGroupCount.objects.count(),
        IngestBatch.objects.count(),
        ChangeLog.objects.count(),
    )


# --- what each kind of user sees ------------------------------------------------------------


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_the_key_place_list_shows_exactly_the_jurisdiction(client, epi, org, role):
    as_user(client, epi, org, role)
    response = client.get("/epidemic/places/")
    assert response.status_code == 200
    shown = {p.name for p in response.context["page"].object_list}
    assert shown == {name for name in KEY_PLACES if sees_place(org, name)}
    html = response.content.decode()
    for name in [*KEY_PLACES, "U-S12-hazchem"]:  # an enterprise is not a key place
        assert (f">{name}</a>" in html) == (name in shown)


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_each_place_page_answers_404_outside_and_shows_only_visible_records(client, epi, org, role):
    as_user(client, epi, org, role)
    for name in KEY_PLACES:
        place = epi.places[name]
        response = client.get(f"/epidemic/places/{place.pk}/")
        if not sees_place(org, name):
            assert response.status_code == 404, name
            continue
        assert response.status_code == 200, name
        context = response.context
        assert [s.pk for s in context["signals"]] == [
            pk for pk, (_r, p, closed) in epi.signals.items() if p == name and not closed
        ]
        assert [g.pk for g in context["groups"]] == [
            pk for pk, (_r, p) in epi.groups.items() if p == name
        ]
        assert [s.condition.code for s in context["recent"]] == ["fever_respiratory_place"]
        assert {p.name for p in context["people"]} == set(
            Person.objects.filter(enterprise=place).values_list("name", flat=True)
        )
    unit = Enterprise.objects.get(name="U-S11-hazchem")
    assert client.get(f"/epidemic/places/{unit.pk}/").status_code == 404


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_the_count_list_shows_exactly_the_jurisdiction(client, epi, org, role):
    as_user(client, epi, org, role)
    response = client.get("/epidemic/counts/")
    assert response.status_code == 200
    shown = {c.pk for c in response.context["page"].object_list}
    assert shown == {pk for pk, (region, place) in epi.counts.items() if sees(org, region, place)}


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_the_key_group_summary_adds_up_exactly_the_visible_counts(client, epi, org, role):
    as_user(client, epi, org, role)
    response = client.get("/epidemic/groups/")
    assert response.status_code == 200
    own, at_places = set(), 0
    for _row, cells in response.context["rows"]:
        for _label, cell in cells:
            if cell.own:
                own.add(cell.own.pk)
            at_places += cell.places_total
    visible = {pk: rec for pk, rec in epi.groups.items() if sees(org, rec[0], rec[1])}
    assert own == {pk for pk, (_r, place) in visible.items() if place is None}
    assert at_places == sum(
        g.count for g in KeyGroupCount.objects.filter(pk__in=visible, place__isnull=False)
    )


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_entry_pages_are_for_submitters_and_refusals_change_nothing(client, epi, org, role):
    as_user(client, epi, org, role)
    allowed = org in WRITERS and role in WRITE_ROLES
    for url in ("/epidemic/counts/new/", "/epidemic/groups/new/"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    if allowed:
        return
    before = totals()
    place = epi.places["U-S21-school"]
    form = {"where": f"p{place.pk}", "date": "2026-03-09", "idempotency_key": "x", "c_hfmd": 4}
    assert client.post("/epidemic/counts/new/", form).status_code == 403
    group = {
        "where": f"p{place.pk}",
        "group": "staff",
        "count": 3,
        "as_of": "2026-03-09",
        "source": "x",
    }
    assert client.post("/epidemic/groups/new/", group).status_code == 403
    assert totals() == before


@pytest.mark.parametrize(("org", "role"), MATRIX)
def test_the_catalogue_is_reference_data_every_user_reads(client, epi, org, role):
    as_user(client, epi, org, role)
    response = client.get("/epidemic/conditions/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == len(epi.conditions)
    body = client.get("/api/v1/epidemic/conditions").json()
    assert len(body) == len(epi.conditions)


def test_pages_need_a_signed_in_user(client, epi):
    for url in (
        "/epidemic/counts/",
        "/epidemic/places/",
        "/epidemic/groups/",
        "/epidemic/conditions/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the place page ----------------------------------------------------------------------------


def test_the_place_page_shows_people_groups_recent_counts_and_open_signals(client, epi):
    place = epi.places["U-S11-school"]
    count(epi.conditions["gastro_place"], place.region, place, dt.date(2026, 3, 9), 4)
    count(epi.conditions["gastro_place"], place.region, place, dt.date(2026, 3, 10), 0)
    count(epi.conditions["gastro_place"], place.region, place, dt.date(2026, 2, 1), 9)  # too old
    as_user(client, epi, "cdc_d2", "viewer")
    assert client.get(f"/epidemic/places/{place.pk}/").status_code == 404
    as_user(client, epi, "place11", "operator")
    response = client.get(f"/epidemic/places/{place.pk}/")
    html = response.content.decode()
    assert "EW-TEST-1" in html and "EW-TEST-3" not in html  # the closed one is not open
    signal_pk = next(pk for pk, rec in epi.signals.items() if not rec[2] and rec[1] == place.name)
    assert f'href="/epidemic/signals/{signal_pk}/"' in html
    gastro = next(s for s in response.context["recent"] if s.condition.code == "gastro_place")
    assert (gastro.total, gastro.last_week, gastro.reported_days) == (4, 4, 2)
    assert gastro.values[-2:] == [4, 0] and gastro.values[0] is None
    assert "花名册" in html and "主要负责人" in html
    assert 'href="/epidemic/counts/new/?where=p' in html  # the place may report
    as_user(client, epi, "education", "manager")
    html = client.get(f"/epidemic/places/{place.pk}/").content.decode()
    assert "EW-TEST-1" in html and "/epidemic/counts/new/" not in html


# --- entering counts -----------------------------------------------------------------------


def test_a_key_place_enters_its_day_and_a_retry_records_once(client, epi):
    place = epi.places["U-S11-school"]
    as_user(client, epi, "place11", "operator")
    page = client.get("/epidemic/counts/new/")  # nothing to choose: its own place, today
    assert page.status_code == 200 and page.context["form"] is not None
    assert page.context["where"].place == place and page.context["day"] == NOW.date()
    form = page.context["form"]
    key = form.initial["idempotency_key"]
    data = {
        "where": f"p{place.pk}",
        "date": "2026-03-10",
        "idempotency_key": key,
        "c_fever_respiratory_place": "6",
        "c_gastro_place": "0",
    }
    response = client.post("/epidemic/counts/new/", data, follow=True)
    assert response.redirect_chain[-1][0] == f"/epidemic/places/{place.pk}/"
    assert "Recorded: 2 new, 0 corrected, 0 unchanged." in response.content.decode()
    before = totals()
    again = client.post("/epidemic/counts/new/", data, follow=True)
    assert "already recorded" in again.content.decode()
    assert totals() == before
    # The form for that day now shows the values known, to correct them.
    page = client.get("/epidemic/counts/new/", {"where": f"p{place.pk}", "date": "2026-03-10"})
    assert page.context["form"].initial["c_fever_respiratory_place"] == 6
    corrected = dict(data, idempotency_key="second", c_fever_respiratory_place="8")
    response = client.post("/epidemic/counts/new/", corrected, follow=True)
    assert "1 corrected, 1 unchanged" in response.content.decode()
    # Back in the browser, the first form changed and saved again with its old key.
    before = totals()
    stale = dict(data, c_fever_respiratory_place="9")
    response = client.post("/epidemic/counts/new/", stale)
    assert response.status_code == 409 and totals() == before
    fresh = response.context["form"]["idempotency_key"].value()
    assert fresh != key
    again = client.post("/epidemic/counts/new/", dict(stale, idempotency_key=fresh), follow=True)
    assert "1 corrected, 1 unchanged" in again.content.decode()


def test_a_cdc_chooses_where_and_when_then_enters_region_counts(client, epi):
    as_user(client, epi, "cdc_d2", "operator")
    first = client.get("/epidemic/counts/new/")
    assert first.context["form"] is None
    choices = [
        v for _g, items in first.context["choose"].fields["where"].choices for v, _l in items
    ]
    s21 = epi.regions["S21"]
    assert f"r{s21.pk}" in choices and f"r{epi.regions['S11'].pk}" not in choices
    assert f"p{epi.places['U-S22-nursing'].pk}" in choices
    future = client.get("/epidemic/counts/new/", {"where": f"r{s21.pk}", "date": "2026-03-11"})
    assert future.status_code == 422 and "in the future" in future.content.decode()
    outside = client.get("/epidemic/counts/new/", {"where": f"r{epi.regions['S11'].pk}"})
    assert outside.status_code == 422
    page = client.get("/epidemic/counts/new/", {"where": f"r{s21.pk}", "date": "2026-03-09"})
    data = {
        "where": f"r{s21.pk}",
        "date": "2026-03-09",
        "idempotency_key": page.context["form"].initial["idempotency_key"],
        "c_hfmd": "3",
        "c_measles": "2000000",
    }
    response = client.post("/epidemic/counts/new/", data)
    assert response.status_code == 422
    assert "plausible maximum" in str(response.context["form"].errors["c_measles"])
    data["c_measles"] = "-1"
    response = client.post("/epidemic/counts/new/", data)
    assert response.status_code == 422 and "c_measles" in response.context["form"].errors
    empty = {k: v for k, v in data.items() if not k.startswith("c_")}
    assert client.post("/epidemic/counts/new/", empty).status_code == 422
    assert not CaseCount.objects.filter(region=s21, day="2026-03-09").exists()
    data["c_measles"] = "1"
    response = client.post("/epidemic/counts/new/", data, follow=True)
    assert response.redirect_chain[-1][0].startswith("/epidemic/counts/?")
    assert sorted(
        CaseCount.objects.filter(region=s21, day="2026-03-09").values_list("count", flat=True)
    ) == [1, 3]
    tampered = dict(data, where=f"r{epi.regions['S11'].pk}", idempotency_key="t")
    assert client.post("/epidemic/counts/new/", tampered).status_code == 422


def test_recording_a_key_group_count_from_the_form(client, epi):
    place = epi.places["U-S21-school"]
    as_user(client, epi, "cdc_d2", "operator")
    form = client.get("/epidemic/groups/new/", {"where": f"p{place.pk}"}).context["form"]
    assert form.initial["where"] == f"p{place.pk}"
    data = {
        "where": f"p{place.pk}",
        "group": "staff",
        "count": "48",
        "as_of": "2026-03-09",
        "source": "人事",
    }
    response = client.post("/epidemic/groups/new/", data, follow=True)
    assert response.redirect_chain[-1][0] == f"/epidemic/places/{place.pk}/"
    assert "Key-group count recorded." in response.content.decode()
    data["count"] = "50"
    response = client.post("/epidemic/groups/new/", data, follow=True)
    assert "replaced" in response.content.decode()
    assert KeyGroupCount.objects.get(place=place, group="staff").count == 50
    data["as_of"] = "2026-03-30"
    response = client.post("/epidemic/groups/new/", data)
    assert response.status_code == 422 and "as_of" in response.context["form"].errors
    region = {
        "where": f"r{epi.regions['D2'].pk}",
        "group": "pregnant",
        "count": "310",
        "as_of": "2026-03-01",
        "source": "妇幼",
    }
    response = client.post("/epidemic/groups/new/", region, follow=True)
    assert response.redirect_chain[-1][0] == "/epidemic/groups/"


# --- queries do not grow with rows ---------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/epidemic/counts/", "/epidemic/places/", "/epidemic/groups/", "place"]
)
def test_list_pages_take_the_same_number_of_queries_for_more_rows(
    client, epi, url, django_assert_num_queries
):
    as_user(client, epi, "cityhall", "viewer")
    target = f"/epidemic/places/{epi.places['U-S11-school'].pk}/" if url == "place" else url
    with CaptureQueriesContext(connection) as before:
        client.get(target)
    # Twenty more days of counts at every key place, groups and people: more rows everywhere.
    for name in KEY_PLACES:
        place = epi.places[name]
        for days in range(2, 22):
            count(
                epi.conditions["gastro_place"],
                place.region,
                place,
                DAY + dt.timedelta(days=days - 20),
                days,
            )
        for group in ("staff", "unvaccinated", "aged_65"):
            KeyGroupCount.objects.create(
                region=place.region, place=place, group=group, count=5, as_of=DAY, source="s"
            )
        Person.objects.create(name=f"P-{name}", role="safety_manager", enterprise=place)
    with django_assert_num_queries(len(before)):
        response = client.get(target)
    assert response.status_code == 200
    assert re.search(r"\d", response.content.decode())
