"""The daily run: alarms on each series' latest period become signals, de-duplicated;
chunked and idempotent (twice, or resumed after a crash, gives the same signals); a past
day re-run on the data as then known gives the same alarms; methods not available yet are
recorded, never a crash; the scheduled job runs once a day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings

from redline.core.errors import ValidationFailed
from redline.core.models import Notification
from redline.epidemic import detection
from redline.epidemic.detection import detection_run, run_alarms
from redline.epidemic.models import DetectionRun, Signal, SignalEvent
from redline.epidemic.series import condition_series
from redline.epidemic.tasks import run_daily_detection
from redline.epidemic.tests.signal_data import (
    SPIKE,
    add_cdc,
    add_counts,
    at,
    calm,
    condition,
    outbreak,
    unit,
)
from redline.organisations.models import Organisation

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)


@pytest.fixture
def bodies(world):
    return {"city": add_cdc(world, "cdc_city", "C"), "d1": add_cdc(world, "cdc_d1", "D1")}


@pytest.fixture
def outbreaks(world, bodies):
    """ILI: an outbreak in D1 (S11) and at a school in S21; D2 otherwise calm."""
    cond = condition("ili")
    r = world.regions
    outbreak(cond, r["S11"], D)
    calm(cond, r["S22"], D)
    school = unit("U-S21-school")
    outbreak(cond, r["S21"], D, place=school, spike=40)
    return cond


def signal_keys():
    return sorted(Signal.objects.values_list("condition__code", "series_key", "first_date"))


def test_an_outbreak_raises_a_signal_with_its_evidence(world, bodies, outbreaks):
    now = at(D + dt.timedelta(days=1), 7)
    run = detection_run(day=D, now=now)
    r = world.regions
    school = unit("U-S21-school")
    assert run.finished_at == now and run.errors == []
    # D1's series, D2's (the school's outbreak is in it) and the school's own.
    assert run.series == 3
    keys = {s.series_key for s in Signal.objects.all()}
    assert keys == {f"{r['D1']}:", f"{r['D2']}:", f"{r['S21']}:{school.pk}"}
    assert run.alarms == 3 and run.signals_opened == 3

    signal = Signal.objects.get(series_key=f"{r['D1']}:")
    assert signal.number == f"EW-2026-{signal.pk:06d}"
    assert signal.region_id == r["D1"] and signal.place_id is None
    assert (signal.first_date, signal.last_date, signal.count) == (D, D, SPIKE)
    assert signal.method == "ears-c2" and signal.state == "new"
    assert signal.verify_due_at == now + dt.timedelta(hours=24)
    assert signal.responsible == bodies["d1"]
    evidence = signal.evidence
    assert evidence["as_known_on"] == D.isoformat() and evidence["method"] == "ears-c2"
    assert evidence["dates"][-1] == D.isoformat() and evidence["counts"][-1] == SPIKE
    assert evidence["alarms"][-1] == 1 and len(evidence["dates"]) == 28
    assert evidence["upperbounds"][-1] == pytest.approx(signal.upperbound)
    assert signal.upperbound < SPIKE
    assert len(evidence["counts"]) == len(evidence["upperbounds"]) == len(evidence["alarms"])

    # D2's signals are its own CDC's to verify.
    d2 = Signal.objects.get(series_key=f"{r['D2']}:")
    assert d2.responsible_id == world.orgs["cdc_d2"].pk
    place = Signal.objects.get(place=school)
    assert place.region_id == r["S21"] and place.responsible_id == world.orgs["cdc_d2"].pk

    event = signal.events.get()
    assert event.action == "raised" and event.to_state == "new"
    assert event.data["count"] == SPIKE and event.data["period"] == D.isoformat()
    # The responsible body's users and the district government are told.
    told = set(
        Notification.objects.filter(key=f"signal:{signal.pk}:raised").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"cdc_d1-operator", "cdc_d1-viewer", "d1-manager"} <= told
    assert not any(name.startswith(("cdc_d2-", "cdc_city-", "cityhall-")) for name in told)


def test_running_twice_gives_the_same_signals(world, bodies, outbreaks):
    first = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    before = signal_keys()
    events = SignalEvent.objects.count()
    again = detection_run(day=D, now=at(D + dt.timedelta(days=1), 8))
    assert again.pk != first.pk  # a finished run is repeated...
    assert signal_keys() == before  # ...without a second signal
    assert SignalEvent.objects.count() == events
    assert again.signals_opened == 0 and again.alarms == first.alarms
    assert run_alarms(again) == run_alarms(first)


def test_a_run_stopped_after_its_first_chunk_resumes_to_the_same_result(
    world, bodies, outbreaks, monkeypatch
):
    real = detection.signal_raise
    calls = {"n": 0}

    def crash_in_the_second_chunk(**kwargs):
        calls["n"] += 1
        signal = real(**kwargs)
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return signal

    monkeypatch.setattr(detection, "signal_raise", crash_in_the_second_chunk)
    now = at(D + dt.timedelta(days=1), 7)
    with pytest.raises(RuntimeError):
        detection_run(day=D, now=now, chunk_size=1)
    run = DetectionRun.objects.get()
    assert run.finished_at is None and len(run.chunks_done) == 1
    # The second chunk's signal went with its transaction.
    assert Signal.objects.count() == 1

    monkeypatch.setattr(detection, "signal_raise", real)
    resumed = detection_run(day=D, now=now, chunk_size=1)
    assert resumed.pk == run.pk and resumed.finished_at == now
    assert [c["id"] for c in resumed.chunks_done] == ["ili:0", "ili:1", "ili:2"]
    assert resumed.series == 3 and resumed.alarms == 3 and resumed.signals_opened == 3
    assert Signal.objects.count() == 3
    assert SignalEvent.objects.filter(action="raised").count() == 3

    # The same result as a run that never stopped.
    crashed = signal_keys()
    Signal.objects.all().delete()
    clean = detection_run(day=D, now=now, chunk_size=500)
    assert signal_keys() == crashed
    assert run_alarms(clean) == run_alarms(resumed)


def _chunk(cond, run):
    spec, params = detection.prepare(cond)
    since = detection.history_since(cond, params, D)
    series = condition_series(cond, day=D, as_known_on=D, since=since)
    return spec, params, series


def test_a_chunk_goes_through_the_engine_in_one_call_with_the_same_outcomes(
    world, bodies, outbreaks, monkeypatch
):
    run = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    spec, params, series = _chunk(outbreaks, run)
    assert len(series) == 3 and spec.batch is not None
    alone = [
        detection.evaluate(series, i, spec, params, condition=outbreaks, run=run)
        for i in range(len(series))
    ]
    monkeypatch.setattr(detection, "run_method", lambda *a, **k: pytest.fail("one by one"))
    together = detection.evaluate_all(series, spec, params, condition=outbreaks, run=run)
    assert together == alone and sum(o.alarm for o in together) == 3  # D1, D2 (its school), school


def test_a_batch_the_engine_refuses_is_told_series_by_series(world, bodies, outbreaks):
    run = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    spec, params, series = _chunk(outbreaks, run)

    def refuse(many, **_params):
        raise ValueError("The vector of observed is too short!")

    refusing = dataclasses.replace(spec, batch=refuse)
    outcomes = detection.evaluate_all(series, refusing, params, condition=outbreaks, run=run)
    assert [o.not_evaluable for o in outcomes] == ["The vector of observed is too short!"] * 3
    assert [o.key for o in outcomes] == list(series.keys)


def test_a_continuing_alarm_updates_the_open_signal_once_per_day(world, bodies):
    cond = condition("ili")
    r = world.regions
    outbreak(cond, r["S11"], D)
    detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    signal = Signal.objects.get()
    nxt = D + dt.timedelta(days=1)
    add_counts(cond, r["S11"], {nxt: 30})
    detection_run(day=nxt, now=at(nxt + dt.timedelta(days=1), 7))
    detection_run(day=nxt, now=at(nxt + dt.timedelta(days=1), 9))
    assert Signal.objects.count() == 1
    signal.refresh_from_db()
    assert (signal.first_date, signal.last_date, signal.count) == (D, nxt, 30)
    assert signal.evidence["dates"][-1] == nxt.isoformat()
    assert list(signal.events.values_list("action", flat=True)) == ["raised", "continued"]
    # Re-running the first day changes nothing: its alarm is covered.
    detection_run(day=D, now=at(nxt + dt.timedelta(days=1), 10))
    signal.refresh_from_db()
    assert signal.last_date == nxt and signal.events.count() == 2


def test_a_closed_signal_alarming_again_later_is_a_new_signal(world, bodies):
    from redline.epidemic.services_signals import signal_transition
    from redline.epidemic.tests.signal_data import user

    cond = condition("ili")
    r = world.regions
    outbreak(cond, r["S11"], D)
    detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    first = Signal.objects.get()
    signal_transition(
        actor=user("cdc_d1-operator"),
        signal_id=first.pk,
        action="verify",
        version=first.version,
        data={"verification": "false", "comment": "重复报告"},
    )
    # Re-running the same day does not reopen it.
    detection_run(day=D, now=at(D + dt.timedelta(days=1), 9))
    assert Signal.objects.count() == 1
    later = D + dt.timedelta(days=3)
    add_counts(cond, r["S11"], {D + dt.timedelta(days=i): 2 for i in (1, 2)} | {later: 35})
    detection_run(day=later, now=at(later + dt.timedelta(days=1), 7))
    assert Signal.objects.count() == 2
    second = Signal.objects.exclude(pk=first.pk).get()
    assert second.state == "new" and second.first_date == later
    assert second.number != first.number


def test_a_past_day_rerun_as_then_known_reproduces_its_alarms(world, bodies):
    cond = condition("ili")
    r = world.regions
    outbreak(cond, r["S11"], D)
    original = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    assert len(run_alarms(original)) == 1
    # Two days later the outbreak day is corrected: it was a data-entry error.
    add_counts(cond, r["S11"], {D: 2}, known_from=D + dt.timedelta(days=2))
    later = D + dt.timedelta(days=2)
    corrected = detection_run(day=D, as_known_on=later, now=at(later, 10))
    assert run_alarms(corrected) == []
    replay = detection_run(day=D, as_known_on=D, now=at(later, 11))
    assert run_alarms(replay) == run_alarms(original)
    assert replay.as_known_on == D and corrected.as_known_on == later
    assert Signal.objects.count() == 1  # nothing duplicated by the replays


def test_methods_not_available_and_bad_parameters_are_recorded_not_raised(
    world, bodies, outbreaks, monkeypatch
):
    monkeypatch.setattr(detection, "PLANNED", ("future-method",))
    condition("later", method="future-method")
    condition("typo", method="no-such-method")
    condition("badparam", params={"baseline": 7, "lag": 2})
    condition("badvalue", params={"alpha": "lots"})
    run = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    errors = {e["condition"]: e for e in run.errors}
    assert set(errors) == {"later", "typo", "badparam", "badvalue"}
    assert errors["later"]["method"] == "future-method"
    assert "future-method" in errors["later"]["error"]
    assert "no-such-method" in errors["typo"]["error"]
    assert "lag" in errors["badparam"]["error"]
    assert "alpha" in errors["badvalue"]["error"]
    # The other condition still ran.
    assert run.finished_at is not None and run.signals_opened == 3
    # Running again records each problem once.
    again = detection_run(day=D, now=at(D + dt.timedelta(days=1), 8))
    assert len(again.errors) == 4


def test_too_little_history_is_said_once_for_the_condition(world, bodies):
    cond = condition("young")
    add_counts(cond, world.regions["S11"], {D - dt.timedelta(days=1): 1, D: 9})
    run = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    assert run.series == 1 and run.alarms == 0
    assert [e["condition"] for e in run.errors] == ["young"]
    assert run.chunks_done[0]["not_evaluable"]


def test_a_rare_disease_signals_at_one_case_with_two_hours_to_verify(world, bodies):
    cond = condition("plague", method="fixed", params={"threshold": 1}, verify_hours=2)
    add_counts(cond, world.regions["S12"], {D - dt.timedelta(days=9): 0, D: 1})
    now = at(D + dt.timedelta(days=1), 7)
    run = detection_run(day=D, now=now)
    signal = Signal.objects.get()
    assert run.errors == [] and signal.count == 1
    assert signal.verify_due_at == now + dt.timedelta(hours=2)


def test_weekly_conditions_signal_on_the_last_complete_week(world, bodies):
    cond = condition("flu-weekly", aggregation="weekly")
    monday = D - dt.timedelta(days=D.weekday())  # 2026-03-09
    values = {}
    for week in range(1, 16):
        start = monday - dt.timedelta(days=7 * week)
        for day in range(7):
            values[start + dt.timedelta(days=day)] = (week + day) % 3
    values[monday - dt.timedelta(days=3)] = 60  # Friday of the last complete week
    values[monday] = 500  # this week is not complete on Tuesday: not analysed
    add_counts(cond, world.regions["S11"], values)
    detection_run(day=D, now=at(D, 7))
    signal = Signal.objects.get()
    last_week = monday - dt.timedelta(days=7)
    assert signal.first_date == last_week
    assert signal.evidence["dates"][-1] == last_week.isoformat()
    assert signal.evidence["aggregation"] == "weekly"


def test_inactive_conditions_are_not_run(world, bodies):
    cond = condition("off", active=False)
    outbreak(cond, world.regions["S11"], D)
    run = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    assert run.series == 0 and not Signal.objects.exists()


def test_bad_days_are_refused_naming_the_field(world):
    now = at(D, 7)
    with pytest.raises(ValidationFailed) as future:
        detection_run(day=D + dt.timedelta(days=1), now=now)
    assert "day" in future.value.fields
    with pytest.raises(ValidationFailed) as before:
        detection_run(day=D, as_known_on=D - dt.timedelta(days=1), now=now)
    assert "as_known_on" in before.value.fields
    assert not DetectionRun.objects.exists()


@override_settings(REDLINE_DETECTION_HOUR=6)
def test_the_scheduled_job_runs_yesterday_once_a_day_from_its_hour(world, bodies, outbreaks):
    today = D + dt.timedelta(days=1)
    assert "skipped" in run_daily_detection(now=at(today, 5))
    assert not DetectionRun.objects.exists()
    done = run_daily_detection(now=at(today, 6))
    assert done["day"] == D.isoformat() and done["signals_opened"] == 3
    run = DetectionRun.objects.get()
    assert run.day == D and run.as_known_on == today and run.requested_by is None
    assert "skipped" in run_daily_detection(now=at(today, 7))
    assert DetectionRun.objects.count() == 1
    # The next day: the next run.
    run_daily_detection(now=at(today + dt.timedelta(days=1), 6))
    assert DetectionRun.objects.count() == 2


@override_settings(REDLINE_DETECTION_HOUR=6)
def test_the_job_resumes_a_run_that_stopped(world, bodies, outbreaks, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(detection, "signal_raise", crash)
    today = D + dt.timedelta(days=1)
    with pytest.raises(RuntimeError):
        run_daily_detection(now=at(today, 6))
    monkeypatch.undo()
    result = run_daily_detection(now=at(today, 6) + dt.timedelta(minutes=15))
    assert result["signals_opened"] == 3
    assert DetectionRun.objects.count() == 1


def test_the_jobs_are_registered():
    from redline.core.jobs import registered

    names = {job.name for job in registered()}
    assert {"epidemic-detection", "signal-deadlines"} <= names


def test_the_command_runs_a_day_and_names_bad_options(world, bodies, outbreaks, capsys):
    with time_machine.travel(at(D + dt.timedelta(days=1), 8), tick=False):
        call_command("detect_run", "--day", D.isoformat())
        out = json.loads(capsys.readouterr().out)
        assert out["day"] == D.isoformat() and out["signals_opened"] == 3
        with pytest.raises(CommandError, match="--day"):
            call_command("detect_run", "--day", "2026-13-01")
        with pytest.raises(CommandError, match="--as-known-on"):
            call_command("detect_run", "--day", D.isoformat(), "--as-known-on", "2026-03-01")
    assert DetectionRun.objects.count() == 1
    assert Organisation.objects.filter(kind="public_health").count() >= 3


def test_mpm_signals_on_the_window_sum_and_reads_only_the_years_it_needs(world, bodies):
    from redline.epidemic.detection import history_since, prepare

    cond = condition("mpm-daily", method="mpm", params={"percentile": 80})
    start = D - dt.timedelta(days=6 * 365)
    values = {start + dt.timedelta(days=i): 1 for i in range((D - start).days + 1)}
    for back in range(7):
        values[D - dt.timedelta(days=back)] = 5
    add_counts(cond, world.regions["S11"], values)
    _spec, params = prepare(cond)
    since = history_since(cond, params, D)
    assert D - dt.timedelta(days=3 * 366 + 3 * 7 + 7 + 28) == since  # 3 years, 2 blocks
    run = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    assert run.errors == []
    signal = Signal.objects.get()
    assert signal.count == 35  # the 7-day sum the bound applies to, not the day's 5
    assert signal.upperbound == pytest.approx(7)
    evidence = signal.evidence
    assert evidence["current"][-1] == 35 and evidence["counts"][-1] == 5
    assert evidence["expected"][-1] == pytest.approx(7)
    assert evidence["unconfirmed"]  # the CIDARS block layout is flagged


def test_a_run_costs_the_same_queries_for_more_series(world, bodies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cond = condition("calm")
    calm(cond, world.regions["S11"], D)
    with CaptureQueriesContext(connection) as few:
        small = detection_run(day=D, now=at(D + dt.timedelta(days=1), 7))
    for name in ("U-S11-school", "U-S12-nursing", "U-S21-school", "U-S22-nursing"):
        place = unit(name)
        calm(cond, place.region_id, D, place=place)
    calm(cond, world.regions["S22"], D)
    with CaptureQueriesContext(connection) as many:
        large = detection_run(day=D, now=at(D + dt.timedelta(days=1), 8))
    assert (small.series, large.series) == (1, 6) and large.alarms == 0
    assert len(many) == len(few)


@pytest.mark.parametrize("value", ["24", "-1", "six"])
def test_a_bad_detection_hour_is_a_clear_startup_error(tmp_path, value):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDLINE_", "DJANGO_"))}
    env |= {
        "REDLINE_SECRET_KEY": "x" * 40,
        "REDLINE_VAR_DIR": str(tmp_path),
        "REDLINE_DETECTION_HOUR": value,
    }
    redline = str(Path(sys.executable).with_name("redline"))
    result = subprocess.run(
        [redline, "check"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "REDLINE_DETECTION_HOUR" in result.stderr
