"""The daily run spread over workers, in one process: the planned chunks, run in any order,
some twice, give the alarms and signals of the run done in one process; a chunk's message
lost is sent again only once it may no longer be waiting for a worker; the chunk that
completes the plan ends the run."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from redline.epidemic.detection import (
    DETECTION_STEP,
    detection_chunk_step,
    detection_dispatch,
    detection_run,
    run_alarms,
)
from redline.epidemic.models import DetectionRun, Signal
from redline.epidemic.tests.signal_data import add_cdc, at, calm, condition, outbreak, unit

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)


@pytest.fixture
def outbreaks(world):
    add_cdc(world, "cdc_city", "C")
    r = world.regions
    ili = condition("ili")
    outbreak(ili, r["S11"], D)
    calm(ili, r["S22"], D)
    outbreak(ili, r["S21"], D, place=unit("U-S21-school"), spike=40)
    calm(ili, r["S12"], D, place=unit("U-S12-school"))
    hfmd = condition("hfmd", method="ears-c3")
    outbreak(hfmd, r["S12"], D, place=unit("U-S12-nursing"), spike=30)
    calm(hfmd, r["S21"], D)
    condition("bad", method="no-such-method")
    return ili


def signal_keys():
    return sorted(Signal.objects.values_list("condition__code", "series_key", "first_date"))


def test_chunks_run_in_any_order_and_twice_give_the_one_process_result(outbreaks):
    now = at(D + dt.timedelta(days=1), 7)
    sent = []
    run, count = detection_dispatch(
        day=D, now=now, chunk_size=1, send=lambda name, kwargs: sent.append((name, kwargs))
    )
    assert count == len(sent) > 4 and {name for name, _ in sent} == {DETECTION_STEP}
    assert run.finished_at is None
    # The condition that cannot be analysed is recorded when the run is planned.
    assert [e["condition"] for e in run.errors] == ["bad"]
    for _name, kwargs in reversed(sent):
        detection_chunk_step(**kwargs)
    detection_chunk_step(**sent[0][1])  # a message delivered twice
    run.refresh_from_db()
    assert run.finished_at == now
    spread = (run_alarms(run), signal_keys(), run.series, len(run.chunks_done))
    assert len(run.chunks_done) == len(sent)

    Signal.objects.all().delete()
    DetectionRun.objects.all().delete()
    one = detection_run(day=D, now=now, chunk_size=1)
    assert (run_alarms(one), signal_keys(), one.series, len(one.chunks_done)) == spread


def test_lost_chunks_are_sent_again_only_after_the_pause(outbreaks):
    now = at(D + dt.timedelta(days=1), 7)
    sent = []

    def send(name, kwargs):
        sent.append(kwargs)

    with time_machine.travel(now, tick=False):
        run, first = detection_dispatch(day=D, now=now, chunk_size=1, send=send)
        detection_chunk_step(**sent[0])
        # Asked again at once: the chunks may still be waiting for a worker.
        again, none = detection_dispatch(day=D, now=now, chunk_size=1, send=send)
        assert again.pk == run.pk and none == 0 and len(sent) == first
    with time_machine.travel(now + dt.timedelta(hours=2), tick=False):
        again, resent = detection_dispatch(day=D, now=now, chunk_size=1, send=send)
    assert again.pk == run.pk and resent == first - 1
    for kwargs in sent[first:]:
        detection_chunk_step(**kwargs)
    run.refresh_from_db()
    assert run.finished_at is not None
    assert len({e["id"] for e in run.chunks_done}) == len(run.chunks_done) == first


def test_a_day_with_nothing_to_analyse_ends_at_once(world):
    now = at(D + dt.timedelta(days=1), 7)
    run, sent = detection_dispatch(day=D, now=now, send=lambda *a: None)
    assert sent == 0 and run.finished_at == now
