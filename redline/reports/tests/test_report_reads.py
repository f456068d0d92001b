"""The situation report reads lean, with the same figures: its accident figures are the
accident tally's (the selector the accident pages and the API count with), though read in
one grouped pass for the period and the same period last year; a region's are its district's
user's; and the whole report is computed in a fixed small number of queries for the city's
and a district's user, however many accidents, hazards, people or units there are."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from redline.accidents.selectors import tally
from redline.accounts.models import User
from redline.organisations.vocab import Sector
from redline.reports.figures import Period, compute

# The report's figures, every section: the scope, a few grouped counts per section, the
# training compliance's five reads, the assessment's rankings (this year's, then last
# year's); measured 32 on the small demo for both users (12 more before the accident figures
# were read in one pass, the hazards' and the inspections' flows each in one aggregate, the
# fines with the enforcement actions by kind and the signals raised with their conditions).
MAX_QUERIES = 34


def _by_key(rows: list[list[Any]]) -> dict[str, list[Any]]:
    return {str(row[0]): row[1:] for row in rows}


@pytest.mark.parametrize("username", ["city-manager", "district-viewer"])
def test_the_accident_figures_are_the_accident_tallys(city, username):
    reader = User.objects.get(username=username)
    today = timezone.localdate()
    labels = dict(Sector.choices)
    periods = [
        Period.parse(str(today.year - 1)),
        Period.parse(f"{today.year - 1}-Q{(today.month - 1) // 3 + 1}"),
        Period.parse(f"{today.year - 1}-{today.month:02d}"),
        Period.current("quarter", today),
    ]
    counted = 0
    for period in periods:
        before = period.last_year()
        figures = compute(reader, period, sections=["accidents"])
        values = figures.values()
        [now] = tally(reader, period.start, period.end)
        [then] = tally(reader, before.start, before.end)
        assert (values["accidents.total"], values["accidents.deaths"]) == (
            now.accidents,
            now.deaths,
        )
        assert values["accidents.last_year.total"] == then.accidents
        assert values["accidents.last_year.deaths"] == then.deaths
        counted += now.accidents + then.accidents

        section = figures.section("accidents")
        tables = {t.key: t for t in section.tables}
        sectors = {
            str(labels[t.key]): (t.accidents, t.deaths)
            for t in tally(reader, period.start, period.end, by="sector")
        }
        sectors_then = {
            str(labels[t.key]): (t.accidents, t.deaths)
            for t in tally(reader, before.start, before.end, by="sector")
        }
        shown = _by_key(tables["accidents.by_sector"].rows)
        assert set(shown) == set(sectors) | set(sectors_then)
        for name, (n, _n0, _dn, d, _d0, _dd) in shown.items():
            assert (n, d) == sectors.get(name, (0, 0)), name
            assert shown[name][1] == sectors_then.get(name, (0, 0))[0], name

        regions = {t.key: t for t in tally(reader, period.start, period.end, by="region")}
        regions_then = {t.key: t for t in tally(reader, before.start, before.end, by="region")}
        keys = {f.key for f in section.figures if f.key.startswith("accidents.region.")}
        assert keys == {f"accidents.region.{k}.increase" for k in set(regions) | set(regions_then)}
        for key in set(regions) | set(regions_then):
            a, b = regions.get(key), regions_then.get(key)
            change = (a.accidents if a else 0) - (b.accidents if b else 0)
            assert values[f"accidents.region.{key}.increase"] == change, key

        [trend] = [c for c in section.charts if c.key == "accidents.trend"]
        months = {t.key: t.accidents for t in tally(reader, period.start, period.end, by="month")}
        months_then = {
            t.key: t.accidents for t in tally(reader, before.start, before.end, by="month")
        }
        this_year, last_year = (values for _name, values in trend.series)
        assert this_year == [months.get(m, 0) for m in period.months()]
        assert last_year == [months_then.get(m, 0) for m in before.months()]
    assert counted > 0


def test_a_regions_accident_figures_are_its_district_users(city):
    reader = User.objects.get(username="city-manager")
    district_user = User.objects.get(username="district-viewer")
    assert district_user.organisation is not None
    district = district_user.organisation.region
    today = timezone.localdate()
    for period in (Period.parse(str(today.year - 1)), Period.current("year", today)):
        mine = compute(district_user, period, sections=["accidents"]).section("accidents")
        citys = compute(reader, period, district.code, sections=["accidents"]).section("accidents")
        assert {
            f.key: f.value for f in mine.figures if not f.key.startswith("accidents.region.")
        } == {f.key: f.value for f in citys.figures}
        tables = {t.key: t.rows for t in citys.tables}
        for table in mine.tables:
            if table.key != "accidents.by_region":
                assert table.rows == tables[table.key], table.key
        assert [c.series for c in mine.charts] == [c.series for c in citys.charts]


@pytest.mark.parametrize("username", ["city-manager", "district-viewer"])
def test_the_report_is_computed_in_a_fixed_small_number_of_queries(
    city, username, django_assert_max_num_queries
):
    reader = User.objects.get(username=username)
    period = Period.parse(str(timezone.localdate().year - 1))
    compute(reader, period)  # the first fills the per-process caches (vocabularies)
    with django_assert_max_num_queries(MAX_QUERIES):
        figures = compute(reader, period)
    assert [s.key for s in figures.sections] == [
        "accidents",
        "risk",
        "hazards",
        "campaigns",
        "inspections",
        "training",
        "committee",
        "epidemic",
        "assessment",
    ]
