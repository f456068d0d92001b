"""The public report form's guards: a form's stamp sends one report, and the hourly limit per
address holds when reports arrive at the same moment (on the database the suite runs on,
SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from redline.core.errors import ValidationFailed
from redline.core.tests.races import in_threads, race_connection
from redline.core.tests.test_workflow_contract import committed_world
from redline.hazards import public
from redline.hazards.models import Hazard, PublicReportStamp
from redline.hazards.public import PublicReportInput, hazard_report_public

pytestmark = pytest.mark.django_db

IP = "203.0.113.40"
# How long a racer that went first waits for the other at the barrier: the other never comes
# while the first holds the address's lock (that is what is tested), so the wait runs out.
BARRIER_SECONDS = 2.0


def data(world: Any, place: str) -> PublicReportInput:
    return PublicReportInput.of(
        {"region": world.regions["S11"], "place": place, "description": "Blocked fire exit."}
    )


def form_post(client: Any, world: Any, place: str) -> dict[str, Any]:
    stamp = client.get(reverse("public-report")).context["form"].initial["stamp"]
    return {
        "region": world.regions["S11"],
        "place": place,
        "description": "Gas cylinders by a grill.",
        "stamp": stamp,
        "website": "",
    }


def test_a_form_sends_one_report(client, world):
    posted = form_post(client, world, "Lane 5")
    with time_machine.travel(time.time() + 10):
        first = client.post(reverse("public-report"), posted)
        again = client.post(reverse("public-report"), posted)
    assert first.status_code == 200
    assert again.status_code == 422
    assert again.context["form"].errors["stamp"]
    assert Hazard.objects.filter(location="Lane 5").count() == 1
    # A new form (a new stamp) sends another.
    posted = form_post(client, world, "Lane 5")
    with time_machine.travel(time.time() + 10):
        other = client.post(reverse("public-report"), posted)
    assert other.status_code == 200
    assert Hazard.objects.filter(location="Lane 5").count() == 2


def test_a_refused_report_leaves_its_stamp_unused(client, world, settings):
    settings.REDLINE_PUBLIC_REPORT_LIMIT = 1
    hazard_report_public(data=data(world, "before"), ip="127.0.0.1")  # the test client's
    posted = form_post(client, world, "Lane 6")
    with time_machine.travel(time.time() + 10):
        refused = client.post(reverse("public-report"), posted)
        assert refused.status_code == 422
        assert not PublicReportStamp.objects.exists()
        settings.REDLINE_PUBLIC_REPORT_LIMIT = 5
        sent = client.post(reverse("public-report"), posted)
    assert sent.status_code == 200
    assert Hazard.objects.filter(location="Lane 6").count() == 1


def test_a_stamp_without_a_nonce_is_refused(client, world):
    from django.core import signing

    from redline.hazards.forms import STAMP_SALT

    posted = form_post(client, world, "Lane 7")
    posted["stamp"] = signing.dumps(time.time(), salt=STAMP_SALT)  # the former stamp
    with time_machine.travel(time.time() + 10):
        answer = client.post(reverse("public-report"), posted)
    assert answer.status_code == 422 and answer.context["form"].errors["stamp"]
    assert not Hazard.objects.filter(location="Lane 7").exists()


def test_used_stamps_are_forgotten_once_expired(world):
    old = PublicReportStamp.objects.create(
        nonce="old", used_at=timezone.now() - public.STAMP_MAX_AGE - dt.timedelta(minutes=1)
    )
    recent = PublicReportStamp.objects.create(
        nonce="recent", used_at=timezone.now() - public.STAMP_MAX_AGE + dt.timedelta(minutes=1)
    )
    hazard_report_public(data=data(world, "P"), stamp="new")
    assert set(PublicReportStamp.objects.values_list("nonce", flat=True)) == {"recent", "new"}
    assert not PublicReportStamp.objects.filter(pk=old.pk).exists()
    assert recent.pk


def test_the_stamp_lives_as_long_as_the_form_is_valid():
    from redline.hazards.forms import MAX_FILL_SECONDS

    assert public.STAMP_MAX_AGE.total_seconds() == MAX_FILL_SECONDS


# --- at the same moment ------------------------------------------------------------------


def _racers(
    monkeypatch: Any, attach: Callable[[], None], *works: Callable[[], Any], after: str
) -> tuple[list[Any], int]:
    """Each work's outcome, run at once; the racers meet at a barrier just after `after`
    (a step of `public`), so without a lock both pass it before either saves. Also how many
    met there (2: nothing kept them apart)."""
    barrier = threading.Barrier(len(works), timeout=BARRIER_SECONDS)
    met: list[bool] = []
    step = getattr(public, after)

    def step_then_meet(*args: Any, **kwargs: Any) -> Any:
        answer = step(*args, **kwargs)
        try:
            barrier.wait()
            met.append(True)
        except threading.BrokenBarrierError:
            pass
        return answer

    monkeypatch.setattr(public, after, step_then_meet)
    return in_threads(attach, *works), len(met)


@pytest.mark.django_db(transaction=True)
def test_the_hourly_limit_holds_for_reports_at_the_same_moment(
    world, settings, monkeypatch, tmp_path
):
    world = committed_world(world)
    settings.REDLINE_PUBLIC_REPORT_LIMIT = 3
    for place in ("one", "two"):
        hazard_report_public(data=data(world, place), ip=IP)

    def send(place: str) -> Callable[[], Any]:
        return lambda: hazard_report_public(data=data(world, place), ip=IP)

    attach = race_connection(tmp_path)
    outcomes, met = _racers(
        monkeypatch, attach, send("racer A"), send("racer B"), after="_within_limit"
    )
    sent = [o for o in outcomes if isinstance(o, Hazard)]
    refused = [o for o in outcomes if isinstance(o, ValidationFailed)]
    assert (len(sent), len(refused), met) == (1, 1, 0), outcomes
    ip_hash = public._ip_hash(IP)
    (count,) = in_threads(
        attach,
        lambda: Hazard.objects.filter(reporter_ip_hash=ip_hash).count(),
    )
    assert count == 3


@pytest.mark.django_db(transaction=True)
def test_one_stamp_sent_twice_at_the_same_moment_sends_one_report(world, monkeypatch, tmp_path):
    world = committed_world(world)

    def send(place: str) -> Callable[[], Any]:
        return lambda: hazard_report_public(data=data(world, place), stamp="the-same-stamp")

    attach = race_connection(tmp_path)
    outcomes, _met = _racers(monkeypatch, attach, send("twin A"), send("twin B"), after="_ip_hash")
    sent = [o for o in outcomes if isinstance(o, Hazard)]
    refused = [o for o in outcomes if isinstance(o, ValidationFailed)]
    assert (len(sent), len(refused)) == (1, 1), outcomes
    assert "stamp" in refused[0].fields
    (count,) = in_threads(
        attach,
        lambda: Hazard.objects.filter(location__startswith="twin").count(),
    )
    assert count == 1
