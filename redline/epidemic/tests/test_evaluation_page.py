"""The detection evaluation page: outbreaks scored against the engine's alarms on hand-made
series, and each user sees only the simulated series of their jurisdiction."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from redline.conftest import login
from redline.epidemic.messages import translated
from redline.epidemic.models import CaseCount, Condition, SimulatedOutbreak, series_key
from redline.organisations.models import Enterprise, Region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    caches["kept"].clear()  # the alarms are kept per data version: start each test without them


NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
DAYS = 60
FIRST = TODAY - dt.timedelta(days=DAYS)  # counts from FIRST to yesterday
CALM = [2, 3, 1, 2, 4, 2, 3]  # EARS C2 (minSigma 1) bound on these: 2.43 + 3.09 = 5.5
EARS = {"baseline": 7, "alpha": 0.001, "minSigma": 1}


def day(index: int) -> dt.date:
    return FIRST + dt.timedelta(days=index)


def record(condition, region: Region, place: Enterprise | None, spikes: dict[int, int]):
    key = series_key(region.pk, place.pk if place else None)
    CaseCount.objects.bulk_create(
        CaseCount(
            condition=condition,
            region=region,
            place=place,
            series_key=key,
            day=day(i),
            count=CALM[i % 7] + spikes.get(i, 0),
            known_from=day(i + 1),
            recorded_at=NOW,
        )
        for i in range(DAYS)
    )


def outbreak(condition, region, place, start: int, end: int, site=None) -> SimulatedOutbreak:
    return SimulatedOutbreak.objects.create(
        condition=condition,
        region=region,
        place=place,
        site=site,
        start=day(start),
        end=day(end),
        injected_cases=20,
        size_sd=5,
        seed=1,
    )


@pytest.fixture
def simulated(world):
    region = {key: Region.objects.get(pk=pk) for key, pk in world.regions.items()}
    school = Enterprise.objects.get(name="U-S11-school")
    nursing = Enterprise.objects.get(name="U-S21-nursing")
    by_region = Condition.objects.create(
        code="ev-region", name="评估（地区）", kind="disease", method="ears-c2", params=EARS
    )
    by_place = Condition.objects.create(
        code="ev-place", name="评估（重点场所）", kind="syndrome", method="ears-c2", params=EARS
    )
    # District D1's series: its subdistrict S11's counts, a spike on day 41 inside outbreak A.
    record(by_region, region["S11"], None, {41: 20})
    record(by_region, region["S21"], None, {})  # D2: calm, outbreak B is missed
    record(by_place, school.region, school, {50: 20})
    record(by_place, nursing.region, nursing, {})
    return {
        "A": outbreak(by_region, region["D1"], None, 40, 43, site=region["S11"]),
        "B": outbreak(by_region, region["D2"], None, 30, 33, site=region["S21"]),
        "C": outbreak(by_place, school.region, school, 49, 52),
        "D": outbreak(by_place, nursing.region, nursing, 20, 22),
    }


def page(client, username):
    login(client, username)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("epidemic:evaluation"))
    assert response.status_code == 200
    return response


def test_outbreaks_are_scored_against_the_engine_alarms(client, simulated):
    response = page(client, "cityhall-viewer")
    report = response.context["report"]
    results = {r.outbreak.pk: r for r in report.outbreaks}
    a, b, c, d = (results[simulated[k].pk] for k in "ABCD")
    assert (a.scored, a.detected, a.first_alarm, a.delay_days) == (True, True, day(41), 1)
    assert (b.scored, b.detected, b.first_alarm) == (True, False, None)
    assert (c.detected, c.delay_days) == (True, 1)
    assert not d.detected
    rows = {item.condition.code: item for item in report.conditions}
    for code in ("ev-region", "ev-place"):
        item = rows[code]
        assert (item.series, item.injected, item.scored, item.detected) == (2, 2, 2, 1)
        assert item.median_delay == 1
        assert item.evaluation.false_alarms == 0  # the only alarm is in outbreak A / C
    (method,) = report.methods
    assert method.method == "ears-c2"
    assert (method.figures.scored, method.figures.detected) == (4, 2)
    assert method.figures.fpr_percent == 0
    html = response.content.decode()
    for item in simulated.values():
        assert f'id="outbreak-{item.pk}"' in html
    assert 'id="method-ears-c2"' in html


def test_a_correction_is_never_served_from_the_cache(client, simulated):
    first = page(client, "cityhall-viewer").context["report"]
    b = simulated["B"]
    assert not next(r for r in first.outbreaks if r.outbreak.pk == b.pk).detected
    # A late report: day 31 in D2 (inside outbreak B) had 25 cases, known yesterday.
    old = CaseCount.objects.get(condition=b.condition, region=b.site, day=day(31))
    old.superseded_on = TODAY - dt.timedelta(days=1)
    old.save()
    CaseCount.objects.create(
        condition=b.condition,
        region=b.site,
        day=day(31),
        count=25,
        known_from=TODAY - dt.timedelta(days=1),
        recorded_at=NOW,
    )
    again = page(client, "cityhall-viewer").context["report"]
    result = next(r for r in again.outbreaks if r.outbreak.pk == b.pk)
    assert (result.detected, result.first_alarm) == (True, day(31))


def test_an_outbreak_before_the_method_has_history_is_not_scored(client, simulated):
    early = outbreak(simulated["A"].condition, simulated["A"].region, None, 3, 5)
    report = page(client, "cityhall-viewer").context["report"]
    result = next(r for r in report.outbreaks if r.outbreak.pk == early.pk)
    assert not result.scored and result.unscored == "too_early"  # EARS C2 starts on day 9


@pytest.mark.parametrize(
    ("method", "reason"),
    [
        ("no-such-method", "no-such-method"),  # not in the engine
        ("farrington-flexible", "too short"),  # 60 days: no 5 years of reference values
    ],
)
def test_a_series_the_method_cannot_evaluate_is_reported_not_scored(
    client, simulated, method, reason
):
    Condition.objects.filter(code="ev-place").update(method=method, params={})
    report = page(client, "cityhall-viewer").context["report"]
    item = next(i for i in report.conditions if i.condition.code == "ev-place")
    assert item.evaluation is None and reason in item.problem
    assert all(r.unscored == "not_evaluated" for r in item.outbreaks)
    html = page(client, "cityhall-viewer").content.decode()
    for key in "CD":
        assert f'id="outbreak-{simulated[key].pk}" class="ev-unscored"' in html
    with translation.override("zh-hans"):  # stored in English, shown in the reader's language
        shown = escape(translated(item.problem))
    assert shown != escape(item.problem) and shown in html


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        ("cityhall", "ABCD"),
        ("office", "ABCD"),
        ("d1", "AC"),  # the D1 district's series and the key places in it
        ("s11", "C"),  # not the whole district: only the school's own series
        ("education", "C"),  # schools anywhere, no district series
        ("cdc_d2", "BD"),
        ("fire_d1", ""),
        ("ent", ""),
    ],
)
def test_each_user_sees_the_series_of_their_jurisdiction(client, simulated, org, expected):
    response = page(client, f"{org}-viewer")
    seen = {r.outbreak.pk for r in response.context["report"].outbreaks}
    assert seen == {simulated[k].pk for k in expected}
    html = response.content.decode()
    for key, item in simulated.items():
        assert (f'id="outbreak-{item.pk}"' in html) == (key in expected)
    if not expected:
        assert 'id="evaluation-empty"' in html


def test_query_count_does_not_grow_with_outbreaks(client, simulated):
    """One query for the outbreaks, the regions' districts, the counts' version, the
    database's identity (the kept alarms outlive a database), and two per
    condition (its last day, its counts): never one per outbreak or series. With the alarms
    kept, the condition's counts are not read again."""
    login(client, "cityhall-viewer")

    def queries(*, cached: bool = False) -> int:
        if not cached:
            caches["kept"].clear()
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as seen:
            assert client.get(reverse("epidemic:evaluation")).status_code == 200
        return len(seen)

    before = queries()
    for start in range(10, 38, 3):
        outbreak(simulated["B"].condition, simulated["B"].region, None, start, start + 1)
    place = simulated["C"].place
    outbreak(simulated["C"].condition, place.region, place, 30, 31)
    assert queries() == before <= 13
    assert queries(cached=True) == before - 4  # two conditions' counts not read


def test_signed_out_visitors_are_sent_to_sign_in(client, simulated):
    response = client.get(reverse("epidemic:evaluation"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_alarms_are_kept_in_files_when_the_cache_is_one_process(
    client, simulated, settings, tmp_path, monkeypatch
):
    """The embedded default's cache lives in one process: the alarms are kept under the var
    directory instead, so another process finds them and does not read the counts again; the
    page says when they were computed."""
    kept = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path / "kept"),
    }
    settings.CACHES = {**settings.CACHES, "kept": kept}  # as settings make it without Redis
    first = page(client, "cityhall-viewer").content.decode()
    assert list((tmp_path / "kept").iterdir())
    assert 'id="evaluation-computed"' in first and "2026-03-02 10:00" in first
    cache.clear()  # another process: nothing in its memory, only the files
    with CaptureQueriesContext(connection) as seen:
        again = page(client, "cityhall-viewer").content.decode()
    assert not [q for q in seen if '"epidemic_casecount"."count"' in q["sql"]]
    assert again.count('class="ev-detected"') == first.count('class="ev-detected"') == 2
