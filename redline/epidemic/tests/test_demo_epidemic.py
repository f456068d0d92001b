"""The epidemic part of `redline demo --scale small`: seven years of simulated daily counts,
the injected outbreaks recorded and reproducible from their seed, the evaluation printed and
on its page agreeing with the engine run as `redline detect` runs it, and two weeks of daily
runs whose signals the city CDC has partly verified.

The small city is built once for the module (only the organisations' base and this step),
with the clock fixed, inside a transaction rolled back at the end."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import time_machine
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from redline.conftest import login
from redline.engines.detection.run import detect
from redline.engines.detection.simulate import Baseline, OutbreakPlan, simulate_with_outbreaks
from redline.epidemic.models import (
    CaseCount,
    Condition,
    DetectionRun,
    IngestBatch,
    KeyGroupCount,
    Signal,
    SignalEvent,
    SimulatedOutbreak,
    series_key,
)
from redline.epidemic.vocab import CountSource, KeyGroup, SignalState
from redline.organisations.models import Enterprise, Region
from redline.organisations.vocab import RegionLevel, UnitKind

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
SEED = 7
PLAN = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "demo_series.yaml").read_text("utf-8")
)
N = PLAN["years"] * 365
FIRST_DAY = TODAY - dt.timedelta(days=N)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from redline.epidemic.demo import build_epidemic
    from redline.organisations import demo as city

    lines: list[str] = []
    with (
        django_db_blocker.unblock(),
        pytest.MonkeyPatch.context() as patch,
        time_machine.travel(NOW, tick=False),
    ):
        patch.setattr(city, "STEPS", [build_epidemic])
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # An empty database as `redline demo` needs (the session's access-test world
            # comes back with the rollback).
            call_command("flush", interactive=False, verbosity=0)
            cache.clear()  # the evaluation's cached alarms belong to other tests' data
            city.build(seed=SEED, scale="small", progress=lines.append)
            yield lines
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def district_totals(code: str, district: Region) -> np.ndarray:
    """The district's daily series as the counts hold it (its subtree summed)."""
    totals = np.zeros(N, dtype=np.int64)
    rows = CaseCount.objects.filter(
        condition__code=code, region__path__startswith=district.path
    ).values_list("day", "count")
    for day, count in rows:
        totals[(day - FIRST_DAY).days] += count
    return totals


def test_progress_prints_the_evaluation(demo):
    text = "\n".join(demo)
    for code in ("influenza", "hfmd", "fever_respiratory_place", "gastro_place"):
        assert re.search(
            rf"detection of {code} \(\S+\): injected \d+ outbreaks, \d+ after the method's "
            rf"history, detected \d+ \(\d+%\), median delay [\d.]+ days",
            text,
        ), code
    assert re.search(
        r"method mpm: injected \d+ outbreaks, detected \d+ \(\d+%\), median delay [\d.]+ days",
        text,
    )
    assert "daily detection runs: 14 days" in text


def test_counts_cover_seven_years_known_the_next_day(demo):
    days = CaseCount.objects.values_list("day", flat=True)
    assert min(days) == FIRST_DAY
    assert max(days) == TODAY - dt.timedelta(days=1)
    assert (TODAY - min(days)).days >= 6 * 365
    (batch,) = IngestBatch.objects.all()
    assert batch.source == CountSource.DEMO and batch.rows == CaseCount.objects.count()
    for day, known, key, region, place in CaseCount.objects.values_list(
        "day", "known_from", "series_key", "region_id", "place_id"
    ):
        assert known == day + dt.timedelta(days=1)
        assert key == series_key(region, place)
    for entry in PLAN["district"]:
        assert CaseCount.objects.filter(condition__code=entry["condition"]).exists()


def test_key_groups_of_regions_and_places(demo):
    subdistricts = Region.objects.filter(level=RegionLevel.SUBDISTRICT)
    for sub in subdistricts:
        groups = dict(
            KeyGroupCount.objects.filter(region=sub, place=None).values_list("group", "count")
        )
        assert set(groups) >= {KeyGroup.AGED_65, KeyGroup.UNDERLYING, KeyGroup.UNVACCINATED}
        assert 0 < groups[KeyGroup.AGED_65] < sub.population
        assert groups[KeyGroup.UNVACCINATED] <= groups[KeyGroup.AGED_65]
    for home in Enterprise.objects.filter(kind=UnitKind.NURSING_HOME):
        groups = dict(home.key_groups.values_list("group", "count"))
        assert groups[KeyGroup.RESIDENTS] + groups[KeyGroup.STAFF] == home.headcount
        assert groups[KeyGroup.AGED_65] <= groups[KeyGroup.RESIDENTS]
    assert not KeyGroupCount.objects.filter(source="").exists()


def _baseline(entry: dict, level: float) -> Baseline:
    return Baseline.peaking(
        level=level, amplitude=entry["amplitude"], peak=entry["peak_day"], phi=entry["phi"]
    )


def _resimulate(entry: dict, level: float, seed: int, extra: list[OutbreakPlan]):
    """The documented recipe (demo_series.yaml + simulate.py), from the stored seed."""
    return simulate_with_outbreaks(
        _baseline(entry, level),
        N,
        np.random.default_rng(seed),
        outbreaks=entry["outbreaks"],
        ks=entry["ks"],
        gap=PLAN["gap_days"],
        first=30,
        last=N - 60,
        extra=extra,
        start=(FIRST_DAY - dt.date(FIRST_DAY.year, 1, 1)).days + 1,
        spread=entry["spread"],
        max_delay=PLAN["max_delay_spreads"] * entry["spread"],
    )


def test_district_series_and_outbreaks_reproduce_from_their_seed(demo):
    entry = next(e for e in PLAN["district"] if e["condition"] == "influenza")
    live = next(c for c in PLAN["current"] if c["condition"] == "influenza")
    district = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code")[0]
    recorded = list(SimulatedOutbreak.objects.filter(condition__code="influenza", region=district))
    (seed,) = {o.seed for o in recorded}
    population = sum(r.population for r in district.children.all())
    run = _resimulate(
        entry,
        entry["per_100k"] * population / 100_000,
        seed,
        [OutbreakPlan(N - 1 - live["days_before_end"], live["k"])],
    )
    np.testing.assert_array_equal(district_totals("influenza", district), run.counts)
    assert [(o.start, o.end, o.injected_cases, o.size_sd) for o in recorded] == [
        (
            FIRST_DAY + dt.timedelta(days=s.start),
            FIRST_DAY + dt.timedelta(days=s.end),
            s.cases,
            s.k,
        )
        for s in run.outbreaks
    ]
    # Each outbreak's cases were recorded in one subdistrict of the district.
    assert all(o.site.parent_id == district.pk for o in recorded)
    assert recorded[-1].end >= TODAY - dt.timedelta(days=3)  # still going on


def test_place_series_reproduce_from_their_seed(demo):
    entry = next(e for e in PLAN["places"] if e["kinds"] == ["school"])
    schools = Enterprise.objects.filter(kind=UnitKind.SCHOOL).order_by("pk")
    live = next(c for c in PLAN["current"] if c.get("kind") == "school")
    for index, school in enumerate(schools):
        recorded = list(
            SimulatedOutbreak.objects.filter(
                condition__code="fever_respiratory_place", place=school
            )
        )
        extra = [OutbreakPlan(N - 1 - live["days_before_end"], live["k"])] if index == 0 else []
        run = _resimulate(entry, entry["level"], recorded[0].seed, extra)
        stored = np.zeros(N, dtype=np.int64)
        for day, count in CaseCount.objects.filter(place=school).values_list("day", "count"):
            stored[(day - FIRST_DAY).days] = count
        np.testing.assert_array_equal(stored, run.counts)
        assert [o.start for o in recorded] == [
            FIRST_DAY + dt.timedelta(days=s.start) for s in run.outbreaks
        ]


def test_a_different_seed_gives_different_series():
    from redline.epidemic.demo import series_seed

    assert series_seed(SEED, "influenza", "990100") == series_seed(SEED, "influenza", "990100")
    assert series_seed(SEED, "influenza", "990100") != series_seed(SEED + 1, "influenza", "990100")


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _detect(code: str, district: Region) -> dict[dt.date, int]:
    """The alarms of `redline detect` (the CLI contract) on the district's series: daily, or
    by ISO week (dated by its Monday, complete weeks up to yesterday's)."""
    condition = Condition.objects.get(code=code)
    totals = district_totals(code, district)
    periods: dict[dt.date, int] = defaultdict(int)
    for i, count in enumerate(totals):
        day = FIRST_DAY + dt.timedelta(days=i)
        periods[_monday(day) if condition.aggregation == "weekly" else day] += int(count)
    if condition.aggregation == "weekly":
        yesterday = TODAY - dt.timedelta(days=1)
        last = _monday(yesterday) - dt.timedelta(days=0 if yesterday.weekday() == 6 else 7)
        periods = {d: c for d, c in periods.items() if d <= last}
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["series", "date", "count"])
    for day, count in sorted(periods.items()):
        writer.writerow(["s", day.isoformat(), count])
    params = [f"{name}={value}" for name, value in condition.params.items()]
    out = csv.DictReader(io.StringIO(detect(text.getvalue(), condition.method, params)))
    return {dt.date.fromisoformat(r["date"]): int(r["alarm"] or 0) for r in out}


def test_the_evaluation_page_agrees_with_the_engine(client, demo):
    login(client, "cdc-manager")
    response = client.get(reverse("epidemic:evaluation"))
    assert response.status_code == 200
    html = response.content.decode()
    report = response.context["report"]
    assert len(report.outbreaks) == SimulatedOutbreak.objects.count()
    for item in SimulatedOutbreak.objects.all():
        assert f'id="outbreak-{item.pk}"' in html
    results = {r.outbreak.pk: r for r in report.outbreaks}
    checked: dict[str, int] = defaultdict(int)
    for code, weekly in (("influenza", False), ("hfmd", False), ("ili", True)):
        for district in Region.objects.filter(level=RegionLevel.DISTRICT):
            alarms = _detect(code, district)
            evaluated = min(alarms)
            for outbreak in SimulatedOutbreak.objects.filter(condition__code=code, region=district):
                result = results[outbreak.pk]
                start, end = outbreak.start, outbreak.end
                if weekly:  # the weeks holding its first and last day
                    start, end = _monday(start), _monday(end)
                assert result.scored == (start >= evaluated)
                if not result.scored:
                    continue
                hits = [d for d, a in sorted(alarms.items()) if a and start <= d <= end]
                # The alarm is known at the end of its period (a week's Sunday).
                known = hits[0] + dt.timedelta(days=6 if weekly else 0) if hits else None
                assert (result.detected, result.first_alarm) == (bool(hits), known)
                if known is not None:
                    assert result.delay_days == (known - outbreak.start).days
                checked[code] += 1
    assert checked["influenza"] >= 5 and checked["hfmd"] >= 5 and checked["ili"] >= 3
    by_code = {c.condition.code: c for c in report.conditions}
    # The printed figures are the page's.
    influenza = by_code["influenza"]
    assert any(
        f"detection of influenza (mpm): injected {influenza.injected} outbreaks, "
        f"{influenza.scored} after the method's history, detected {influenza.detected}" in line
        for line in demo
    )
    # Large outbreaks are found: every scored one of size 10 SD on the MPM series.
    large = [r for r in report.outbreaks if r.scored and r.outbreak.size_sd >= 10]
    assert large and sum(r.detected for r in large) / len(large) >= 0.75


def test_two_weeks_of_daily_runs_and_their_signals(demo):
    runs = DetectionRun.objects.order_by("day")
    assert [r.day for r in runs] == [TODAY - dt.timedelta(days=d) for d in range(14, 0, -1)]
    assert all(r.as_known_on == r.day + dt.timedelta(days=1) for r in runs)
    last = runs.last()
    # The last run's new signals await verification; earlier ones were verified by the CDC.
    fresh = Signal.objects.filter(opened_at__gte=last.started_at)
    assert fresh.exists() and all(s.state == SignalState.NEW for s in fresh)
    verified = Signal.objects.exclude(verification="")
    assert verified.exists()
    assert {s.verified_by.username for s in verified} == {"cdc-operator"}
    # The live outbreaks were found and confirmed.
    district = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code")[0]
    flu = Signal.objects.filter(condition__code="influenza", region=district, place=None)
    assert flu.filter(state__in=[SignalState.INVESTIGATING, SignalState.RESPONDING]).exists()
    cholera = Signal.objects.get(condition__code="cholera")
    assert cholera.method == "fixed" and cholera.count == 1
    school = Enterprise.objects.filter(kind=UnitKind.SCHOOL).order_by("pk")[0]
    assert Signal.objects.filter(condition__code="fever_respiratory_place", place=school).exists()
    events = defaultdict(list)
    for signal_id, action in SignalEvent.objects.values_list("signal_id", "action"):
        events[signal_id].append(action)
    assert all(actions[0] == "raised" for actions in events.values())
