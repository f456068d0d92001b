"""Campaign progress is computed live, in the user's view, and matches figures worked out
by hand from the records listed in `data.py`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redline.accounts.models import User
from redline.campaigns import selectors
from redline.campaigns.tests.data import (
    TODAY,
    ZONE,
    at,
    build_fire_records,
    fire_campaign,
    hazard,
    task,
    unit,
)

pytestmark = pytest.mark.django_db


def who(username: str) -> User:
    return User.objects.select_related("organisation__region").get(username=username)


@pytest.fixture
def campaign(world):
    build_fire_records()
    made = fire_campaign()
    return selectors.campaign_get(who("office-viewer"), made.pk)


def figures(tally: selectors.Tally) -> dict[str, object]:
    return {
        "units": tally.units,
        "inspected": tally.inspected,
        "general": tally.general,
        "major": tally.major,
        "closed": tally.closed,
        "open": tally.open,
        "overdue": tally.overdue,
        "major_closed": tally.major_closed,
        "major_cited": tally.major_cited,
        "inspected_share": tally.inspected_share,
        "closure_rate": tally.closure_rate,
        "overdue_rate": tally.overdue_rate,
        "major_closed_share": tally.major_closed_share,
    }


# Worked out by hand from data.py.
# D1: units A B C D; inspected A (government hazard 2), D (task); hazards 1 2 3 4 10.
D1 = {
    "units": 4,
    "inspected": 2,
    "general": 3,  # 1, 4, 10
    "major": 2,  # 2, 3
    "closed": 3,  # 1, 2, 10
    "open": 2,  # 3, 4
    "overdue": 1,  # 3
    "major_closed": 1,  # 2
    "major_cited": 2,  # 2 (F17-D1), 3 (F17-D2)
    "inspected_share": 50.0,
    "closure_rate": 60.0,  # 3 / 5
    "overdue_rate": 20.0,  # 1 / 5
    "major_closed_share": 50.0,
}
# D2: units E F G H; inspected E (government hazard 6); hazards 5 6 11 12.
D2 = {
    "units": 4,
    "inspected": 1,
    "general": 2,  # 5, 12
    "major": 2,  # 6, 11
    "closed": 1,  # 11
    "open": 3,  # 5, 6, 12
    "overdue": 1,  # 6 (5 awaits acceptance: not overdue)
    "major_closed": 1,  # 11
    "major_cited": 0,  # 11 cites a hazardous-chemicals item only
    "inspected_share": 25.0,
    "closure_rate": 25.0,  # 1 / 4
    "overdue_rate": 25.0,  # 1 / 4
    "major_closed_share": 50.0,
}
CITY = {
    "units": 8,
    "inspected": 3,
    "general": 5,
    "major": 4,
    "closed": 4,
    "open": 5,
    "overdue": 2,
    "major_closed": 2,
    "major_cited": 2,
    "inspected_share": 37.5,
    "closure_rate": 44.4,  # 4 / 9
    "overdue_rate": 22.2,  # 2 / 9
    "major_closed_share": 50.0,
}


def test_the_city_sees_the_whole_campaign(campaign):
    progress = selectors.progress(who("cityhall-viewer"), campaign, today=TODAY)
    assert figures(progress.totals) == CITY
    assert progress.totals.found == 9
    assert [r.label for r in progress.regions] == ["区D1", "区D2"]
    assert figures(progress.regions[0].tally) == D1
    assert figures(progress.regions[1].tally) == D2


def test_targets_against_the_actual_values(campaign):
    progress = selectors.progress(who("office-viewer"), campaign, today=TODAY)
    results = {r.kind.key: (r.target, r.actual, r.met) for r in progress.results}
    assert results == {
        "inspected_share": (90.0, 37.5, False),
        "major_closed_share": (100.0, 50.0, False),
        "closure_share": (40.0, 44.4, True),
        "overdue_rate": (10.0, 22.2, False),
    }
    assert progress.met == 1
    # Score: mean attainment (actual / target capped at 1; target / actual for overdue).
    by_hand = (37.5 / 90 + 50 / 100 + 1 + 10 / 22.2) / 4
    assert progress.score == round(100 * by_hand, 1) == 59.2


def test_ranking_by_score(campaign):
    progress = selectors.progress(who("office-viewer"), campaign, today=TODAY)
    d1 = round(100 * (50 / 90 + 50 / 100 + 1 + 10 / 20) / 4, 1)  # 63.9
    d2 = round(100 * (25 / 90 + 50 / 100 + 25 / 40 + 10 / 25) / 4, 1)  # 45.1
    assert [(r.label, r.score, r.rank) for r in progress.region_ranking] == [
        ("区D1", d1, 1),
        ("区D2", d2, 2),
    ]
    assert (d1, d2) == (63.9, 45.1)


def test_departments_are_those_with_a_mandate_for_the_sectors(campaign):
    progress = selectors.progress(who("office-viewer"), campaign, today=TODAY)
    # Only D1 fire rescue holds a fire mandate; its units are D1's fire units (A B C D).
    assert [r.label for r in progress.departments] == ["D1消防"]
    assert figures(progress.departments[0].tally) == D1
    assert progress.department_ranking[0].rank == 1


def test_a_district_sees_only_its_district(campaign):
    progress = selectors.progress(who("d1-viewer"), campaign, today=TODAY)
    assert figures(progress.totals) == D1
    # Its rows are its subdistricts.
    rows = {r.label: figures(r.tally) for r in progress.regions}
    assert set(rows) == {"街道S11", "街道S12"}
    assert rows["街道S11"] == {
        "units": 2,  # A, B
        "inspected": 1,  # A
        "general": 2,  # 1, 10
        "major": 1,  # 2
        "closed": 3,
        "open": 0,
        "overdue": 0,
        "major_closed": 1,
        "major_cited": 1,
        "inspected_share": 50.0,
        "closure_rate": 100.0,
        "overdue_rate": 0.0,
        "major_closed_share": 100.0,
    }
    assert rows["街道S12"]["units"] == 2 and rows["街道S12"]["overdue"] == 1
    # The department's figures are cut to the district too.
    assert figures(progress.departments[0].tally) == D1


def test_a_department_sees_its_mandate(campaign):
    progress = selectors.progress(who("fire_d1-viewer"), campaign, today=TODAY)
    assert figures(progress.totals) == D1


def test_an_enterprise_sees_only_itself(campaign):
    progress = selectors.progress(who("ent2-viewer"), campaign, today=TODAY)  # U-S21-fire
    assert progress.totals.units == 1 and progress.totals.inspected == 1
    assert (progress.totals.general, progress.totals.major) == (1, 1)  # 5, 6


def test_region_limited_campaign(world):
    build_fire_records()
    d2 = unit("U-S21-fire").region.parent
    made = fire_campaign(regions=[d2.pk])
    campaign = selectors.campaign_get(who("office-viewer"), made.pk)
    progress = selectors.progress(who("office-viewer"), campaign, today=TODAY)
    assert figures(progress.totals) == D2
    assert [r.label for r in progress.regions] == ["区D2"]
    # D1 fire rescue's mandate lies outside the campaign's regions.
    assert progress.departments == []


def test_weekly_trend_is_cumulative(campaign):
    trend = selectors.progress(who("office-viewer"), campaign, today=TODAY).trend
    assert len(trend["weeks"]) == 53 and trend["weeks"][0] == "2026-01-01"
    # The fifth week (29 Jan - 4 Feb) adds hazard 5 (1 Feb), the first one found.
    assert trend["found"][4] == 1 and trend["closed"][4] == 0
    # The week of 15 June (from 11 June, index 23) holds every hazard found and closed.
    assert trend["weeks"][23] == "2026-06-11"
    assert (trend["found"][23], trend["closed"][23]) == (9, 4)
    # Weeks not yet begun are empty.
    assert trend["found"][24] is None and trend["closed"][-1] is None


def test_the_trend_splits_weeks_at_local_midnight(world):
    """Weeks run from local midnight to local midnight (the trend is counted in the
    database by each week's first moment, not by a local date per hazard); a hazard closed
    after the last week does not count."""
    made = fire_campaign()
    campaign = selectors.campaign_get(who("office-viewer"), made.pk)
    where = unit("U-S11-fire")
    last_minute = dt.datetime(2026, 1, 7, 23, 59, tzinfo=ZONE)  # of the first week
    hazard(where, reported_at=last_minute)
    hazard(
        where,
        reported_at=last_minute + dt.timedelta(minutes=1),  # the second week's first
        state="closed",
        closed_at=dt.datetime(2026, 1, 14, 23, 59, tzinfo=ZONE),
    )
    # The last week (from 31 Dec) ends at midnight on 7 January 2027.
    hazard(where, reported_at=at(12, 30), state="closed", closed_at=at(1, 6, 2027))
    hazard(
        where,
        reported_at=at(12, 30),
        state="closed",
        closed_at=dt.datetime(2027, 1, 7, tzinfo=ZONE),
    )
    trend = selectors.progress(who("office-viewer"), campaign, today=dt.date(2027, 2, 1)).trend
    assert (trend["found"][:2], trend["closed"][:2]) == ([1, 2], [0, 1])
    assert (trend["found"][-1], trend["closed"][-1]) == (4, 2)
    assert trend["closed"][-2] == 1


def test_headlines_for_the_list_match_the_page(campaign):
    user = who("d1-viewer")
    heads = selectors.headlines(user, [campaign], today=TODAY)
    head = heads[campaign.pk]
    expected = {k: v for k, v in D1.items() if k != "major_cited"} | {"major_cited": 0}
    assert figures(head.totals) == expected
    assert head.score == selectors.progress(user, campaign, today=TODAY).score


def test_query_count_does_not_grow_with_the_data(campaign, django_assert_max_num_queries):
    user = who("d1-viewer")
    with django_assert_max_num_queries(8):
        selectors.progress(user, campaign, today=TODAY)
    with CaptureQueriesContext(connection) as before:
        selectors.progress(who("cityhall-viewer"), campaign, today=TODAY)
    for name in ("U-S12-fire", "U-S21-mixed", "U-S22-fire"):
        for day in (3, 4, 5):
            hazard(unit(name), level="major", reported_at=at(5, day))
        task(unit(name), at(5, 9), "normal")
    with CaptureQueriesContext(connection) as after:
        progress = selectors.progress(who("cityhall-viewer"), campaign, today=TODAY)
    assert progress.totals.found == 18
    assert len(after.captured_queries) == len(before.captured_queries)


def test_list_headlines_take_two_queries(campaign, django_assert_num_queries):
    other = fire_campaign(name="第二个", sectors=["construction"], standards=[])
    user = who("office-viewer")
    campaigns = list(selectors.campaign_list(user))
    assert {c.pk for c in campaigns} == {campaign.pk, other.pk}
    with django_assert_num_queries(2):
        selectors.headlines(user, campaigns, today=TODAY)
