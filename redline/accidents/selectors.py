"""Reads of the accidents, each starting from `restrict(user)` (the one door): the list with
its filters, one accident, its files, the tally the situation report and the cockpit use, and
the control indicators' progress.

`tally(user, start, end, by=...)` counts accidents and deaths in [start, end) (local dates of
the accident), through the door, grouped by "level", "sector", "region" (the district of the
accident's region, or the region itself when it is the city) or "month"; `by=None` gives one
total row.

Progress against a control indicator (`indicator_progress`): the accidents and deaths so far
in the indicator's year, region subtree and sector (as the reader sees them), their share of
the ceiling, and a flag: "exceeded" when the actual passes the ceiling; "on pace" when, for
the current year, the actual scaled to the whole year (actual x days in the year / days
elapsed) passes it; else "within".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.accidents.models import Accident, AccidentFile, ControlIndicator
from redline.accidents.vocab import AccidentState, Level
from redline.core.errors import ValidationFailed
from redline.core.filters import Flag, Ids, day_range, day_range_q, read_filters
from redline.organisations.models import Region
from redline.organisations.selectors import department_filter, in_competence, region_filter
from redline.organisations.vocab import RegionLevel

LIST_FILTERS = (
    "q",
    "level",
    "state",
    "sector",
    "region",
    "department",
    "year",
    "occurred_from",
    "occurred_to",
    "serious",
    "unit",
    "indicator",
)
# Read and refused when bad (`core.filters`): the days of the accident (a period's figures
# link to them), `serious`, the serious and particularly serious ones (an assessment's
# one-vote veto), and `indicator`, the accidents counted against control indicators (ids,
# comma-separated: those in each one's region subtree and sector; a department's accident
# figures in its assessment).
READ_FILTERS = {**day_range("occurred"), "serious": Flag(), "indicator": Ids()}
SERIOUS = (Level.SERIOUS, Level.PARTICULARLY_SERIOUS)
BY = ("level", "sector", "region", "month")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def visible(user: Any) -> QuerySet[Accident]:
    return Accident.objects.restrict(user).select_related("unit", "region")


def accident_list(user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Accident]:
    """The accidents a list page or the API shows, filtered as asked (a region, or a
    department's competence, through the door: 404 naming the field for one the user does
    not see; bad days refused naming them)."""
    filters = filters or {}
    found = visible(user)
    if filters.get("level") in Level.values:
        found = found.filter(level=filters["level"])
    state = filters.get("state")
    if state == "open":
        found = found.filter(state__in=AccidentState.open_states())
    elif state in AccidentState.values:
        found = found.filter(state=state)
    if filters.get("sector"):
        found = found.filter(sector=filters["sector"])
    region = region_filter(user, filters.get("region"))
    if region is not None:
        found = found.filter(region__path__startswith=region.path)
    department = department_filter(user, filters.get("department"))
    if department is not None:
        found = in_competence(found, department)
    wanted = read_filters(READ_FILTERS, filters)
    found = found.filter(day_range_q("occurred_at", "occurred", wanted, moment=True))
    if wanted.get("serious"):
        found = found.filter(level__in=SERIOUS)
    if wanted.get("indicator"):
        found = found.filter(counted_q(user, wanted["indicator"]))
    year = _int(filters.get("year"))
    if year is not None and 2000 <= year <= 2100:
        start, end = _bounds(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
        found = found.filter(occurred_at__gte=start, occurred_at__lt=end)
    unit = _int(filters.get("unit"))
    if unit is not None:
        found = found.filter(unit_id=unit)
    text = str(filters.get("q") or "").strip()
    if text:
        found = found.filter(
            Q(number__icontains=text) | Q(place__icontains=text) | Q(unit__name__icontains=text)
        )
    return found


def counted_q(user: Any, ids: Iterable[int]) -> Q:
    """The accidents counted against these control indicators (the user sees them all, else
    the filter is refused naming `indicator`): in one's region subtree and, if it has one,
    its sector."""
    wanted = set(ids)
    found = list(indicators_visible(user).filter(pk__in=wanted))
    if len(found) != len(wanted):
        message = _("No such control indicator.")
        raise ValidationFailed(message, fields={"indicator": message})
    q = Q(pk__in=[])
    for indicator in found:
        q |= Q(region__path__startswith=indicator.region.path) & (
            Q(sector=indicator.sector) if indicator.sector else Q()
        )
    return q


def accident_get(user: Any, pk: Any) -> Accident:
    accident: Accident = Accident.objects.select_related("unit", "region", "created_by").get_for(
        user, "view", pk=pk
    )
    return accident


def files_of(user: Any, accident: Accident) -> list[AccidentFile]:
    return list(AccidentFile.objects.restrict(user).filter(accident=accident))


def file_get(user: Any, token: str) -> AccidentFile:
    item: AccidentFile = AccidentFile.objects.get_for(user, "view", token=token)
    return item


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end, dt.time.min, tzinfo=zone),
    )


@dataclass(frozen=True)
class Tally:
    key: str  # the group (a level, sector, region id, "YYYY-MM"; "" for the total)
    accidents: int
    deaths: int
    serious_injuries: int


def tally(user: Any, start: dt.date, end: dt.date, *, by: str | None = None) -> list[Tally]:
    """Accidents and deaths from `start` (included) to `end` (excluded) that the user sees,
    grouped `by` level, sector, region (district) or month, or one total row."""
    low, high = _bounds(start, end)
    found = Accident.objects.restrict(user).filter(occurred_at__gte=low, occurred_at__lt=high)
    sums = {
        "accidents": Count("pk"),
        "deaths": Sum("deaths", default=0),
        "serious_injuries": Sum("serious_injuries", default=0),
    }
    if by is None:
        row = found.aggregate(**sums)
        return [Tally("", row["accidents"], row["deaths"], row["serious_injuries"])]
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    if by == "region":
        return _by_district(user, found)
    field = {"level": "level", "sector": "sector", "month": "month"}[by]
    if by == "month":
        found = found.annotate(month=TruncMonth("occurred_at"))
    rows = found.values(field).annotate(**sums).order_by(field)
    out = []
    for row in rows:
        key = row[field]
        if by == "month":
            key = timezone.localtime(key).strftime("%Y-%m") if key else ""
        out.append(Tally(str(key), row["accidents"], row["deaths"], row["serious_injuries"]))
    return out


def _by_district(user: Any, found: QuerySet[Accident]) -> list[Tally]:
    rows = list(
        found.values("region_id", "region__path").annotate(
            accidents=Count("pk"),
            deaths=Sum("deaths", default=0),
            serious_injuries=Sum("serious_injuries", default=0),
        )
    )
    district_of = districts_of(user)
    totals: dict[int, list[int]] = {}
    for row in rows:
        key = district_of(row["region__path"], row["region_id"])
        sums = totals.setdefault(key, [0, 0, 0])
        sums[0] += row["accidents"]
        sums[1] += row["deaths"]
        sums[2] += row["serious_injuries"]
    return [Tally(str(k), *v) for k, v in sorted(totals.items())]


def districts_of(user: Any) -> Callable[[str, int], int]:
    """The group `tally(by="region")` counts an accident under, from its region's path and
    id: the district (as the user sees the districts) whose subtree holds the region, else
    the region itself (the city). The districts are read once, here."""
    districts = list(
        Region.objects.restrict(user)
        .filter(level=RegionLevel.DISTRICT)
        .order_by("path")
        .values_list("path", "pk")
    )

    def district_of(path: str, region_id: int) -> int:
        return next((pk for prefix, pk in districts if path.startswith(prefix)), region_id)

    return district_of


# --- control indicators ----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    indicator: ControlIndicator
    accidents: int
    deaths: int
    accident_share: float | None  # percent of the ceiling
    death_share: float | None
    accident_flag: str  # "exceeded", "on_pace" or "within"
    death_flag: str


def flag(actual: int, ceiling: int, elapsed: int, days: int) -> str:
    """The stated rule: exceeded when past the ceiling; on pace to exceed when the actual
    scaled to the whole year (actual x days / elapsed) passes it; else within."""
    if actual > ceiling:
        return "exceeded"
    if 0 < elapsed < days and actual * days > ceiling * elapsed:
        return "on_pace"
    return "within"


def _share(actual: int, ceiling: int) -> float | None:
    return round(100 * actual / ceiling, 1) if ceiling else None


def indicators_visible(user: Any, year: int | None = None) -> QuerySet[ControlIndicator]:
    found = ControlIndicator.objects.restrict(user).select_related("region")
    return found.filter(year=year) if year is not None else found


def _year_groups(user: Any, year: int, today: dt.date) -> list[tuple[str, str, int, int]]:
    """(region path, sector, accidents, deaths) of the accidents the user sees in `year` up
    to `today` (those with no region count in no indicator)."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    low, high = _bounds(start, min(end, today + dt.timedelta(days=1)))
    rows = (
        Accident.objects.restrict(user)
        .filter(occurred_at__gte=low, occurred_at__lt=high)
        .order_by()
        .values_list("region__path", "sector")
        .annotate(n=Count("pk"), dead=Sum("deaths", default=0))
    )
    return [(path, sector or "", n, dead) for path, sector, n, dead in rows if path]


def indicator_progress(
    user: Any, indicators: Iterable[ControlIndicator], *, today: dt.date | None = None
) -> list[Progress]:
    """Each indicator against the accidents the user sees so far in its year: one query per
    year, the accidents grouped by region and sector, whatever the number of indicators."""
    today = today or timezone.localdate()
    indicators = list(indicators)
    groups = {year: _year_groups(user, year, today) for year in {i.year for i in indicators}}
    out = []
    for indicator in indicators:
        year = indicator.year
        start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        days = (end - start).days
        elapsed = days if today >= end else max(0, (today - start).days + 1)
        accidents = deaths = 0
        for path, sector, n, dead in groups[year]:
            if path.startswith(indicator.region.path) and indicator.sector in ("", sector):
                accidents += n
                deaths += dead
        out.append(
            Progress(
                indicator,
                accidents,
                deaths,
                _share(accidents, indicator.max_accidents),
                _share(deaths, indicator.max_deaths),
                flag(accidents, indicator.max_accidents, elapsed, days),
                flag(deaths, indicator.max_deaths, elapsed, days),
            )
        )
    return out
