"""The early-warning pages: the dashboard (map, counts, overdue list, latest run, "run
now"), the signal list (filters, constant queries), a signal's page (chart data, triggering
data, timeline, steps) with its web steps, and the series pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from redline.conftest import login
from redline.core import jobs
from redline.epidemic.detection import detection_run
from redline.epidemic.messages import translated
from redline.epidemic.models import DetectionRun, Signal
from redline.epidemic.tests.signal_data import (
    add_cdc,
    at,
    calm,
    condition,
    outbreak,
    unit,
)
from redline.organisations.models import Region

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)
NOW = at(D + dt.timedelta(days=1), 9)


@pytest.fixture
def signals(world):
    add_cdc(world, "cdc_city", "C")
    add_cdc(world, "cdc_d1", "D1")
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    Region.objects.filter(level="district").update(boundary=square)
    r = world.regions
    ili = condition("ili", name="流感样病例")
    outbreak(ili, r["S11"], D)
    outbreak(ili, r["S21"], D, place=unit("U-S21-school"), spike=40)
    calm(ili, r["S12"], D)
    with time_machine.travel(NOW, tick=False):
        detection_run(day=D, now=NOW)
    return {s.series_key: s for s in Signal.objects.all()}


def test_the_dashboard_shows_the_map_counts_overdue_and_the_latest_run(client, world, signals):
    login(client, "cdc_city-manager")
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        page = client.get(reverse("epidemic:dashboard"))
    assert page.status_code == 200
    data = page.context["data"]
    assert data.total_open == 3 and data.overdue_count == 3
    by_region = {row.region.name: row.open for row in data.regions}
    assert by_region == {"区D1": 1, "区D2": 2}
    geo = page.context["map"]
    assert {f["properties"]["open"] for f in geo["features"]} == {1, 2}
    assert data.by_condition[0]["code"] == "ili" and data.by_condition[0]["open"] == 3
    html = page.content.decode()
    assert 'id="signal-map"' in html and 'id="run-now"' in html
    assert data.latest_run.series == 3
    assert 'id="run-errors"' not in html


def test_run_now_is_for_public_health_managers(client, world, signals):
    url = reverse("epidemic:run-now")
    login(client, "cdc_city-operator")
    assert 'id="run-now"' not in client.get(reverse("epidemic:dashboard")).content.decode()
    assert client.post(url, {"day": D.isoformat()}).status_code == 403
    login(client, "cityhall-manager")
    assert client.post(url, {"day": D.isoformat()}).status_code == 403
    assert DetectionRun.objects.count() == 1
    login(client, "cdc_d1-manager")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        answer = client.post(url, {"day": D.isoformat()}, follow=True)
        jobs.run_pending()  # the jobs process runs what the page queued
    assert answer.status_code == 200
    assert DetectionRun.objects.count() == 2 and Signal.objects.count() == 3
    run = DetectionRun.objects.order_by("-pk").first()
    assert run.requested_by.username == "cdc_d1-manager"
    assert run.as_known_on == (NOW + dt.timedelta(hours=1)).date()
    # A day in the future is refused with a message, and nothing runs.
    with time_machine.travel(NOW, tick=False):
        refused = client.post(url, {"day": (D + dt.timedelta(days=5)).isoformat()})
        assert refused["Location"] == reverse("epidemic:dashboard")
        assert jobs.run_pending() == 0  # nothing queued
    assert DetectionRun.objects.count() == 2


def test_the_dashboard_lists_the_latest_runs_problems(client, world, signals):
    condition("later", method="no-such-method")
    with time_machine.travel(NOW, tick=False):
        detection_run(day=D, now=NOW)
    login(client, "cityhall-viewer")
    html = client.get(reverse("epidemic:dashboard")).content.decode()
    assert 'id="run-errors"' in html and "no-such-method" in html
    assert "测试病种 later <code>later</code>" in html  # the condition's name, then its code
    run = DetectionRun.objects.latest("pk")
    stored = next(e["error"] for e in run.errors if e["condition"] == "later")
    assert stored == "unknown method no-such-method"  # stored in English
    with translation.override("zh-hans"):
        assert translated(stored) in html and translated(stored) != stored


def test_the_list_filters(client, world, signals):
    r = world.regions
    login(client, "cityhall-viewer")

    def numbers(**query):
        page = client.get(reverse("epidemic:signal-list"), query)
        assert page.status_code == 200
        return {s.series_key for s in page.context["rows"]}

    school = unit("U-S21-school")
    everything = set(signals)
    assert numbers() == everything
    assert numbers(state="open") == everything
    assert numbers(state="closed") == set()
    assert numbers(region=r["D1"]) == {f"{r['D1']}:"}
    assert numbers(region=r["S21"]) == {f"{r['S21']}:{school.pk}"}
    assert numbers(place=school.pk) == {f"{r['S21']}:{school.pk}"}
    assert numbers(condition="ili") == everything
    assert numbers(condition="other") == set()
    assert numbers(q=signals[f"{r['D1']}:"].number) == {f"{r['D1']}:"}
    with time_machine.travel(NOW, tick=False):
        assert numbers(overdue=1) == set()
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        assert numbers(overdue=1) == everything


def test_the_list_costs_the_same_queries_for_more_signals(client, world, signals):
    login(client, "cityhall-viewer")
    client.get(reverse("epidemic:signal-list"))
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(reverse("epidemic:signal-list")).context["rows"]) == 3
    other = condition("hfmd")
    for sub in ("S11", "S12", "S22"):
        outbreak(other, world.regions[sub], D)
    for name in ("U-S11-nursing", "U-S22-school"):
        place = unit(name)
        outbreak(other, place.region_id, D, place=place)
    with time_machine.travel(NOW, tick=False):
        detection_run(day=D, now=NOW)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("epidemic:signal-list")).context["rows"]) > 6
    assert len(many) == len(few)


def test_the_dashboard_costs_the_same_queries_for_more_signals(client, world, signals):
    login(client, "cityhall-viewer")
    client.get(reverse("epidemic:dashboard"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("epidemic:dashboard"))
    other = condition("hfmd")
    for sub in ("S11", "S12", "S22"):
        outbreak(other, world.regions[sub], D)
    with time_machine.travel(NOW, tick=False):
        detection_run(day=D, now=NOW)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("epidemic:dashboard"))
    assert len(many) == len(few)


def test_a_signal_page_and_its_verification_through_the_web(client, world, signals):
    signal = signals[f"{world.regions['D1']}:"]
    url = reverse("epidemic:signal-detail", args=[signal.pk])
    login(client, "cdc_d1-operator")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="signal-chart"' in html and 'id="step-verify"' in html and 'id="timeline"' in html
    chart = page.context["chart"]
    # D1 sums S11's outbreak day (25) and S12's calm count that day.
    assert chart["counts"][-1] == signal.count > 25 and chart["alarms"][-1] == 1
    assert len(chart["dates"]) == len(chart["upperbounds"]) == 28
    assert page.context["rows"][0]["alarm"] == 1  # newest first in the table
    embedded = html.split('id="chart-data" type="application/json">')[1].split("</script>")[0]
    assert json.loads(embedded) == chart

    step = reverse("epidemic:signal-step", args=[signal.pk, "verify"])
    missing = client.post(step, {"verify-version": 1, "verify-verification": "false"})
    assert missing.status_code == 422 and 'id="step-error"' in missing.content.decode()
    stale = client.post(step, {"verify-version": 9, "verify-verification": "true"})
    assert stale.status_code == 409
    signal.refresh_from_db()
    assert signal.state == "new"
    done = client.post(
        step, {"verify-version": 1, "verify-verification": "true", "verify-comment": "已电话核实"}
    )
    assert done.status_code == 302 and done.url == url
    signal.refresh_from_db()
    assert signal.state == "investigating"
    html = client.get(url).content.decode()
    assert "tl-raised" in html and "tl-verify" in html and "已电话核实" in html


def test_a_reader_who_may_not_act_sees_no_forms_and_is_refused(client, world, signals):
    signal = signals[f"{world.regions['D1']}:"]
    login(client, "d1-viewer")
    html = client.get(reverse("epidemic:signal-detail", args=[signal.pk])).content.decode()
    assert 'id="steps"' not in html
    login(client, "d1-manager")
    answer = client.post(
        reverse("epidemic:signal-step", args=[signal.pk, "verify"]),
        {"verify-version": 1, "verify-verification": "true"},
    )
    assert answer.status_code == 403
    signal.refresh_from_db()
    assert signal.state == "new"


def test_series_pages(client, world, signals):
    r = world.regions
    school = unit("U-S21-school")
    district = reverse("epidemic:series", args=["ili", r["D1"]])
    place = reverse("epidemic:series-place", args=["ili", r["S21"], school.pk])
    login(client, "cdc_city-viewer")
    with time_machine.travel(NOW, tick=False):
        page = client.get(district, {"day": D.isoformat()})
    assert page.status_code == 200
    view = page.context["view"]
    assert view.dates[-1] == D.isoformat() and view.counts[-1] == signals[f"{r['D1']}:"].count
    assert view.alarms[-1] == 1 and view.upperbounds[-1] is not None
    assert [s.series_key for s in view.signals] == [f"{r['D1']}:"]
    with time_machine.travel(NOW, tick=False):
        assert client.get(place, {"day": D.isoformat()}).context["view"].counts[-1] == 40

    # The district's CDC sees its district whole; another district's, not; the education
    # department sees the school's series but not the district's sum.
    login(client, "cdc_d2-viewer")
    assert client.get(district).status_code == 404
    assert client.get(place).status_code == 200
    login(client, "education-viewer")
    assert client.get(place).status_code == 200
    assert client.get(reverse("epidemic:series", args=["ili", r["D2"]])).status_code == 404
    login(client, "ent-viewer")
    assert client.get(place).status_code == 404
    assert client.get(reverse("epidemic:series", args=["nope", r["D1"]])).status_code == 404
