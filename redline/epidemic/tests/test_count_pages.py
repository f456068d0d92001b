"""The reads behind the case-count list and the key-group summary, against the plain
computation they replace: a page of counts read from the days it spans is the same slice of
the fully sorted list (pages that split a day, corrections, the list as known on a past day,
each kind of user), in a bounded number of queries; the key-group summary added up in the
database equals the sum of the latest counts it reads through the door."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.paginator import Paginator

from redline.epidemic import selectors
from redline.epidemic.models import CaseCount, KeyGroupCount
from redline.epidemic.tests.counts_data import DAY, KEY_PLACES, USERS, count, epi

pytestmark = pytest.mark.django_db
__all__ = ["epi"]
ORDER = ("-day", "condition__code", "region__path", "place__name", "id")


@pytest.fixture
def more_counts(epi):
    """Several counts a day over five days (regions and key places, two conditions), some of
    them corrected later."""
    spots = [(epi.regions[r], None) for r in ("S11", "S12", "S21", "D1", "D2")] + [
        (epi.places[name].region, epi.places[name]) for name in KEY_PLACES
    ]
    conditions = [epi.conditions["hfmd"], epi.conditions["gastro_place"]]
    value = itertools.count(1)
    for days, (region, place), condition in itertools.product(range(5), spots, conditions):
        if (days + region.pk + (place.pk if place else 0)) % 3 == 0:
            continue  # not every series reports every day
        day = DAY - dt.timedelta(days=days + 1)
        row = count(condition, region, place, day, next(value))
        if days % 2 and place is None:  # corrected two days later
            CaseCount.objects.filter(pk=row.pk).update(superseded_on=day + dt.timedelta(days=2))
            count(condition, region, place, day, next(value), known_from=day + dt.timedelta(days=2))


@pytest.mark.parametrize("org", ["cityhall", "d1", "education"])
@pytest.mark.parametrize("as_known_on", [None, DAY - dt.timedelta(days=3)])
def test_pages_of_counts_are_the_fully_sorted_list_cut_in_pages(epi, more_counts, org, as_known_on):
    user = epi.user(org, "viewer")
    counts = selectors.case_counts(user, {"as_known_on": as_known_on})
    everything = [row.pk for row in counts.order_by(*ORDER)]
    assert len(everything) > 10
    for per_page in (1, 2, 3, 7, 10, 25):
        paginator = Paginator(selectors.CountsNewestFirst(counts), per_page)
        assert paginator.count == len(everything)
        pages = [[row.pk for row in paginator.page(n).object_list] for n in paginator.page_range]
        assert pages == [
            everything[start : start + per_page] for start in range(0, len(everything), per_page)
        ], per_page


def test_an_empty_list_has_one_empty_page(epi, more_counts):
    counts = selectors.case_counts(epi.user("ent", "viewer"))
    page = Paginator(selectors.CountsNewestFirst(counts), 25).get_page(1)
    assert page.paginator.count == 0 and list(page.object_list) == []


def test_a_page_reads_its_days_not_every_count(epi, more_counts, django_assert_num_queries):
    """The first page: its days and their counts; a later one also counts the days before."""
    counts = selectors.case_counts(epi.user("cityhall", "viewer"))
    rows = selectors.CountsNewestFirst(counts)
    with django_assert_num_queries(2):
        first = rows[0:3]
    with django_assert_num_queries(3):
        later = rows[20:23]
    assert len(first) == len(later) == 3
    everything = list(counts.order_by(*ORDER))
    assert rows[3] == everything[3] and list(rows) == everything and len(rows) == len(everything)
    with pytest.raises(IndexError):
        rows[len(everything)]


def _summary_by_hand(user, region=None):
    """The summary from the latest counts themselves, one by one."""
    latest = selectors.latest_group_counts(user)
    if region is not None:
        latest = latest.filter(region__path__startswith=region.path)
    figures: dict[tuple[str, str], dict] = {}
    for item in latest:
        cell = figures.setdefault(
            (item.region.path, item.group),
            {"own": None, "total": 0, "places": 0, "oldest": None},
        )
        if item.place_id is None:
            cell["own"] = (item.pk, item.count, item.as_of)
        else:
            cell["total"] += item.count
            cell["places"] += 1
            cell["oldest"] = min(filter(None, [cell["oldest"], item.as_of]))
    return figures


@pytest.mark.parametrize("org", USERS)
@pytest.mark.parametrize("within", [None, "D1"])
def test_the_key_group_summary_equals_the_latest_counts_added_one_by_one(epi, org, within):
    # Older figures (replaced by the latest), places of one region as of different dates,
    # and a group that only the key places report.
    for n, name in enumerate(KEY_PLACES):
        place = epi.places[name]
        for group, as_of in (("residents", DAY - dt.timedelta(days=9)), ("staff", DAY)):
            KeyGroupCount.objects.create(
                region=place.region,
                place=place,
                group=group,
                count=7 + n,
                as_of=as_of - dt.timedelta(days=n),
                source="s",
            )
    for n, key in enumerate(("S11", "D1", "D2")):
        KeyGroupCount.objects.create(
            region=epi.regions[key],
            group="aged_65",
            count=n,
            as_of=DAY - dt.timedelta(days=30),
            source="s",
        )
    user = epi.user(org, "viewer")
    region = epi.regions[within] if within else None
    groups, rows = selectors.group_summary(user, region)
    expected = _summary_by_hand(user, region)
    got = {
        (row.path, group): {
            "own": (cell.own.pk, cell.own.count, cell.own.as_of) if cell.own else None,
            "total": cell.places_total,
            "places": cell.places,
            "oldest": cell.places_oldest,
        }
        for row in rows
        for group, cell in row.cells.items()
    }
    assert got == expected
    assert [row.path for row in rows] == sorted({path for path, _g in expected})
    assert set(groups) == {group for _p, group in expected}
    assert {row.name for row in rows} == {
        str(r) for r in epi.regions.values() if r.path in {row.path for row in rows}
    }
