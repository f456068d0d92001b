"""The surveillance API lists (counts, conditions, signals, runs) and the pages that list
the same rows cost the same number of queries with a few rows as with many (STYLE.md); the
rows added hang off different conditions, regions, key places, batches, bodies and users,
so an N+1 on any of them shows. (The places, groups, place, evaluation and series pages
have their own query-count tests in test_places.py, test_evaluation_page.py and
test_series.py.)"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from redline.accounts.models import User
from redline.conftest import login
from redline.core.tests.queries import assert_flat
from redline.epidemic.models import CaseCount, DetectionRun, IngestBatch, Signal, series_key
from redline.epidemic.tests.signal_data import add_cdc, condition
from redline.organisations.models import Enterprise, Region

pytestmark = pytest.mark.django_db

SUBS = ("S11", "S12", "S21", "S22")
PLACES = ("U-S11-school", "U-S12-nursing", "U-S21-school", "U-S22-nursing")
DAY = dt.date(2026, 3, 1)
serial = itertools.count(1)


def many(step: int) -> int:
    return 1 if step == 0 else 3


def where(world, index: int) -> tuple[Region, Enterprise | None]:
    """A subdistrict, or a key place in one (alternately)."""
    if index % 2:
        place = Enterprise.objects.select_related("region").get(name=PLACES[index % 4])
        return place.region, place
    return Region.objects.get(pk=world.regions[SUBS[index % 4]]), None


def add_counts(world, step: int) -> list[str]:
    """Counts of a new condition each, in other regions and places, from other batches."""
    shown = []
    users = list(User.objects.filter(username__endswith="-operator").order_by("pk")[:6])
    for k in range(many(step)):
        n = next(serial)
        cond = condition(f"qe-count-{n}")
        region, place = where(world, step + k)
        batch = IngestBatch.objects.create(
            key=f"qe-batch-{n}",
            source=("form", "api", "file")[n % 3],
            received_at=timezone.now(),
            received_by=users[n % len(users)],
        )
        CaseCount.objects.bulk_create(
            CaseCount(
                condition=cond,
                region=region,
                place=place,
                series_key=series_key(region.pk, place.pk if place else None),
                day=DAY + dt.timedelta(days=d),
                count=n + d,
                known_from=DAY + dt.timedelta(days=d),
                recorded_at=timezone.now(),
                batch=batch if d else None,
            )
            for d in range(2)
        )
        shown.append(cond.code)
    return shown


def add_signals(world, step: int) -> list[str]:
    """Signals of new conditions, in other regions and places, with other responsible
    bodies and runs, open and closed."""
    shown = []
    now = timezone.now()
    users = list(User.objects.filter(username__endswith="-manager").order_by("pk")[:6])
    for k in range(many(step)):
        n = next(serial)
        region, place = where(world, step + k)
        body = add_cdc(world, f"qe{n}", SUBS[(step + k) % 4])
        run = DetectionRun.objects.create(
            day=DAY,
            as_known_on=DAY,
            started_at=now - dt.timedelta(hours=n),
            finished_at=now,
            requested_by=users[n % len(users)],
        )
        signal = Signal.objects.create(
            number=f"EW-QE-{n}",
            condition=condition(f"qe-signal-{n}"),
            region=region,
            place=place,
            method="ears-c2",
            first_date=DAY,
            last_date=DAY + dt.timedelta(days=1),
            count=5 + n,
            opened_at=now - dt.timedelta(days=n % 3, hours=1),
            verify_due_at=now + dt.timedelta(hours=12 - n % 24),
            run=run,
            responsible=body,
            state=("new", "verifying", "closed")[n % 3],
            verified_by=users[(n + 1) % len(users)] if n % 3 else None,
            verified_at=now if n % 3 else None,
            closed_at=now if n % 3 == 2 else None,
        )
        shown.append(signal.number)
    return shown


def add_runs(world, step: int) -> list[str]:
    """Detection runs asked for by different users (and by the schedule), with errors."""
    now = timezone.now()
    users = [None, *User.objects.filter(username__endswith="-admin").order_by("pk")[:6]]
    shown = []
    for k in range(many(step)):
        n = next(serial)
        DetectionRun.objects.create(
            day=DAY + dt.timedelta(days=n % 20),
            as_known_on=DAY,
            started_at=now - dt.timedelta(minutes=n),
            finished_at=now,
            requested_by=users[(step + k) % len(users)],
            series=n,
            chunks_done=[1, 2],
            errors=[{"error": "timeout", "chunk": 1}] if k % 2 else [],
        )
        shown.append(f'"series": {n}')
    return shown


@pytest.mark.parametrize(
    ("url", "grow", "params"),
    [
        ("/api/v1/epidemic/counts", add_counts, {}),
        ("/epidemic/counts/", add_counts, {}),
        ("/api/v1/epidemic/conditions", add_counts, {}),
        ("/epidemic/conditions/", add_counts, {}),
        ("/api/v1/epidemic/signals", add_signals, {}),
        ("/epidemic/signals/", add_signals, {"state": ""}),
        ("/epidemic/", add_signals, {}),
        ("/api/v1/epidemic/runs", add_runs, {}),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
@pytest.mark.parametrize("username", ["cityhall-viewer", "d1-viewer"])
def test_surveillance_lists_cost_the_same_for_more_rows(client, world, url, grow, params, username):
    login(client, username)
    city = username.startswith("cityhall")
    # Codes and numbers are checked where the list shows them to this user: the pages
    # label conditions by name, and a district sees only its own half of the rows.
    listed = city and (url.startswith("/api/") or url == "/epidemic/signals/")

    def rows(step: int) -> list[str]:
        shown = grow(world, step)
        return shown if listed else []

    assert_flat(client, url, rows, params=params)


# --- one series: its chart and its signals --------------------------------------------------


def grow_series(world, cond, place: Enterprise | None):
    """More days of counts (in other subdistricts and key places of the district, or at the
    place), from other batches, and more signals of the series with other runs, bodies and
    verifiers (closed, since a series has one open signal per method)."""
    users = list(User.objects.filter(username__endswith="-manager").order_by("pk")[:6])
    district = Region.objects.get(pk=world.regions["D1"])
    spots = (
        [(place.region, place)]
        if place
        else [(Region.objects.get(pk=world.regions[s]), None) for s in ("S11", "S12")]
        + [where(world, 1)]
    )

    def grow(step: int) -> list[str]:
        shown = []
        now = timezone.now()
        for k in range(many(step)):
            n = next(serial)
            region, spot = spots[(step + k) % len(spots)]
            batch = IngestBatch.objects.create(
                key=f"qe-series-batch-{n}",
                source=("form", "api", "file")[n % 3],
                received_at=now,
                received_by=users[n % len(users)],
            )
            CaseCount.objects.bulk_create(
                CaseCount(
                    condition=cond,
                    region=region,
                    place=spot,
                    series_key=series_key(region.pk, spot.pk if spot else None),
                    day=DAY - dt.timedelta(days=n * 3 + d),
                    count=n + d,
                    known_from=DAY - dt.timedelta(days=n * 3 + d),
                    recorded_at=now,
                    batch=batch,
                )
                for d in range(3)
            )
            run = DetectionRun.objects.create(
                day=DAY,
                as_known_on=DAY,
                started_at=now - dt.timedelta(hours=n),
                finished_at=now,
                requested_by=users[n % len(users)],
            )
            signal = Signal.objects.create(
                number=f"EW-QS-{n}",
                condition=cond,
                region=place.region if place else district,
                place=place,
                method="ears-c2",
                first_date=DAY - dt.timedelta(days=n),
                last_date=DAY - dt.timedelta(days=n - 1),
                count=5 + n,
                upperbound=2.5 if n % 2 else None,
                opened_at=now - dt.timedelta(days=n % 3, hours=n),
                verify_due_at=now + dt.timedelta(hours=12),
                run=run,
                responsible=add_cdc(world, f"qs{n}", ("S11", "S12")[n % 2]),
                # One open signal per series and method: the others are closed.
                state="closed",
                verified_by=users[(n + 1) % len(users)] if n % 2 else None,
                verified_at=now if n % 2 else None,
                closed_at=now,
            )
            shown.append(signal.number)
        return shown

    return grow


@pytest.mark.parametrize("kind", ["district", "place"])
@pytest.mark.parametrize("username", ["cityhall-viewer", "d1-viewer"])
def test_a_series_page_costs_the_same_for_more_counts_and_signals(client, world, kind, username):
    cond = condition("qe-series")
    place = where(world, 1)[1] if kind == "place" else None
    login(client, username)
    if place is None:
        url = f"/epidemic/series/{cond.code}/{world.regions['D1']}/"
    else:
        url = f"/epidemic/series/{cond.code}/{place.region_id}/{place.pk}/"
    assert_flat(client, url, grow_series(world, cond, place), params={"day": DAY.isoformat()})


# --- one signal's timeline ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/epidemic/signals/{id}/", "/api/v1/epidemic/signals/{id}"])
def test_a_signals_timeline_costs_the_same_for_more_steps(client, world, url):
    """A long timeline (steps by different people) reads in as many queries as a short one."""
    from redline.epidemic.models import SignalEvent

    signal = Signal.objects.get(number=add_signals(world, 0)[0])
    actors = list(User.objects.filter(username__startswith="d1-").order_by("pk"))
    login(client, "cityhall-viewer")

    def grow(step: int) -> list[str]:
        shown = []
        for _k in range(many(step)):
            n = next(serial)
            actor = actors[n % len(actors)]
            SignalEvent.objects.create(
                signal=signal,
                at=timezone.now() - dt.timedelta(hours=50 - n),
                actor=actor,
                actor_name=actor.username,
                organisation_name="QE机构",
                action="comment",
                from_state=signal.state,
                to_state=signal.state,
                comment=f"QE说明{n}",
            )
            shown.append(f"QE说明{n}")
        return shown

    assert_flat(client, url.format(id=signal.pk), grow)
