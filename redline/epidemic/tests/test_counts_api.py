"""The case-count endpoints: an idempotent batch (201, then 200 with the same body), 422 with
every row's problems, 400 without a key, 409 for a reused key, the counts as known on a past
day, filters and pages; and, for every kind of user, exactly which counts are visible and
that a refused batch records nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from redline.core.models import ChangeLog
from redline.epidemic.models import CaseCount, IngestBatch
from redline.epidemic.tests.counts_data import (
    DAY,
    NOW,
    USERS,
    WRITE_ROLES,
    WRITERS,
    epi,
    sees,
)
from redline.organisations.access import ROLES

pytestmark = pytest.mark.django_db
__all__ = ["epi"]

EN = {"accept-language": "en"}
URL = "/api/v1/epidemic/counts"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def as_user(client, epi, org, role):
    client.force_login(epi.user(org, role))


def post(client, rows, key="key-1"):
    headers = dict(EN)
    if key is not None:
        headers["idempotency-key"] = key
    return client.post(URL, {"rows": rows}, content_type="application/json", headers=headers)


def d2_row(epi, **changes):
    return {
        "condition": "hfmd",
        "region": epi.regions["S21"].code,
        "date": "2026-03-09",
        "count": 4,
    } | changes


def totals():
    return (CaseCount.objects.count(), IngestBatch.objects.count(), ChangeLog.objects.count())


def test_a_batch_is_recorded_once_201_then_200_with_the_same_body(client, epi):
    as_user(client, epi, "cdc_d2", "operator")
    rows = [d2_row(epi), d2_row(epi, condition="mumps", count=0)]
    first = post(client, rows)
    assert first.status_code == 201, first.content
    body = first.json()
    assert dt.datetime.fromisoformat(body["received_at"]) == NOW
    assert body | {"received_at": None} == {
        "key": "key-1",
        "received_at": None,
        "rows": 2,
        "created": 2,
        "corrected": 0,
        "unchanged": 0,
    }
    before = totals()
    again = post(client, rows)
    assert again.status_code == 200 and again.json() == body
    assert again["Idempotent-Replayed"] == "true"
    assert totals() == before


def test_a_bad_batch_answers_422_with_every_row_and_records_nothing(client, epi):
    as_user(client, epi, "cdc_d2", "operator")
    before = totals()
    response = post(
        client,
        [
            d2_row(epi),
            d2_row(epi, count=-1, date="2026-13-01"),
            d2_row(epi, condition="nope", region=epi.regions["S11"].code),
        ],
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "4 problems" in error["message"]
    assert [(r["row"], r["field"]) for r in error["rows"]] == [
        (2, "date"),
        (2, "count"),
        (3, "condition"),
        (3, "region"),
    ] or [(r["row"], r["field"]) for r in error["rows"]] == [
        (2, "count"),
        (2, "date"),
        (3, "condition"),
        (3, "region"),
    ]
    assert set(error["fields"]) == {
        "rows.2.date",
        "rows.2.count",
        "rows.3.condition",
        "rows.3.region",
    }
    assert "outside your jurisdiction" in error["fields"]["rows.3.region"]
    assert totals() == before
    # Fixed, the same key records it (a rejected batch did not use the key up).
    assert post(client, [d2_row(epi)]).status_code == 201


def test_the_key_header_is_required(client, epi):
    as_user(client, epi, "cdc_d2", "operator")
    response = post(client, [d2_row(epi)], key=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert post(client, [d2_row(epi)], key="  ").status_code == 400


def test_a_reused_key_with_other_rows_answers_409(client, epi):
    as_user(client, epi, "cdc_d2", "operator")
    assert post(client, [d2_row(epi)]).status_code == 201
    before = totals()
    response = post(client, [d2_row(epi, count=9)])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert totals() == before


def test_malformed_bodies(client, epi):
    as_user(client, epi, "cdc_d2", "operator")
    assert post(client, [d2_row(epi, colour="red")]).status_code == 400
    response = client.post(URL, {"rows": "x"}, content_type="application/json", headers=EN)
    assert response.status_code == 400
    response = post(client, [])
    assert response.status_code == 422 and "rows" in response.json()["error"]["fields"]


def test_a_reader_gets_403_and_an_anonymous_caller_401(client, epi):
    as_user(client, epi, "cityhall", "admin")
    before = totals()
    assert post(client, [d2_row(epi)]).status_code == 403
    client.logout()
    assert post(client, [d2_row(epi)]).status_code == 401
    assert client.get(URL).status_code == 401
    assert totals() == before


def test_counts_as_known_on_each_day(client, epi):
    as_user(client, epi, "cdc_d2", "operator")
    assert post(client, [d2_row(epi, count=4)], key="monday").status_code == 201
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        as_user(client, epi, "cdc_d2", "operator")  # a new day, a new session
        response = post(client, [d2_row(epi, count=6)], key="tuesday")
        assert response.json()["corrected"] == 1
    params = {"condition": "hfmd", "region": epi.regions["S21"].code, "from": "2026-03-09"}

    def values(**extra):
        items = client.get(URL, params | extra).json()["items"]
        return [(i["count"], i["known_from"], i["superseded_on"]) for i in items]

    as_user(client, epi, "cdc_d2", "viewer")
    assert values() == [(6, "2026-03-11", None)]
    assert values(as_known_on="2026-03-10") == [(4, "2026-03-10", "2026-03-11")]
    assert values(as_known_on="2026-03-11") == [(6, "2026-03-11", None)]
    assert values(as_known_on="2026-03-09") == []


def test_filters_and_pages(client, epi):
    as_user(client, epi, "cityhall", "viewer")
    body = client.get(URL, {"page_size": 5}).json()
    assert body["count"] == len(epi.counts) and body["pages"] == 3 and len(body["items"]) == 5
    second = client.get(URL, {"page_size": 5, "page": 2}).json()["items"]
    assert {i["id"] for i in body["items"]}.isdisjoint({i["id"] for i in second})
    place = epi.places["U-S21-nursing"]
    only = client.get(URL, {"place": place.pk}).json()["items"]
    assert [(i["place"]["id"], i["condition"]) for i in only] == [
        (place.pk, "fever_respiratory_place")
    ]
    d1 = client.get(URL, {"region": epi.regions["D1"].code}).json()
    assert d1["count"] == sum(
        1 for region, _p in epi.counts.values() if region in ("S11", "S12", "D1")
    )
    by_id = client.get(URL, {"region": epi.regions["D1"].pk}).json()
    assert by_id["count"] == d1["count"]
    nowhere = client.get(URL, {"region": "nowhere"})
    assert nowhere.status_code == 404 and set(nowhere.json()["error"]["fields"]) == {"region"}
    assert client.get(URL, {"condition": "hfmd"}).json()["count"] == 4
    assert client.get(URL, {"from": "2026-03-02"}).json()["count"] == 0
    assert client.get(URL, {"to": DAY.isoformat()}).json()["count"] == len(epi.counts)
    assert client.get(URL, {"from": "yesterday"}).status_code == 400


@pytest.mark.parametrize("org", USERS)
@pytest.mark.parametrize("role", ROLES)
def test_each_user_reads_exactly_the_counts_of_their_jurisdiction(client, epi, org, role):
    as_user(client, epi, org, role)
    body = client.get(URL, {"page_size": 100}).json()
    expected = {pk for pk, (region, place) in epi.counts.items() if sees(org, region, place)}
    assert {item["id"] for item in body["items"]} == expected
    assert body["count"] == len(expected)


@pytest.mark.parametrize("org", USERS)
@pytest.mark.parametrize("role", ROLES)
def test_each_user_may_post_only_where_they_report(client, epi, org, role):
    as_user(client, epi, org, role)
    school = epi.places["U-S11-school"]
    rows = (
        [d2_row(epi, condition="gastro_place", region=school.region.code, place=school.pk)]
        if org == "place11"
        else [d2_row(epi)]
    )
    before = totals()
    response = post(client, rows)
    if org in WRITERS and role in WRITE_ROLES:
        assert response.status_code == 201
        return
    assert response.status_code == 403
    assert totals() == before


def test_writers_are_refused_outside_their_jurisdiction(client, epi):
    as_user(client, epi, "cdc_d2", "manager")
    d1_place = epi.places["U-S11-nursing"]
    before = totals()
    response = post(
        client,
        [
            d2_row(epi, region=epi.regions["D1"].code),
            d2_row(epi, region=d1_place.region.code, place=d1_place.pk),
        ],
    )
    assert response.status_code == 422
    assert [(r["row"], r["field"]) for r in response.json()["error"]["rows"]] == [
        (1, "region"),
        (2, "place"),
    ]
    as_user(client, epi, "place11", "operator")
    other = epi.places["U-S12-school"]
    response = post(client, [d2_row(epi, region=other.region.code, place=other.pk)])
    assert response.status_code == 422
    assert totals() == before


def test_the_english_and_chinese_messages(client, epi):
    as_user(client, epi, "cdc_d2", "operator")
    response = client.post(
        URL,
        {"rows": [d2_row(epi, count=-1)]},
        content_type="application/json",
        headers={"idempotency-key": "zh", "accept-language": settings.LANGUAGE_CODE},
    )
    assert response.status_code == 422
    assert response.json()["error"]["rows"][0]["field"] == "count"
