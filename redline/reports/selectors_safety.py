"""The report's sections on accidents (against last year and the control indicators), risk
colours and hidden hazards, each read through the selector its app's pages use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from redline.accidents import selectors as accidents
from redline.core.filters import days_of
from redline.hazards import selectors as hazards
from redline.organisations.models import Region
from redline.organisations.vocab import Sector
from redline.reports.periods import Period
from redline.reports.shapes import Chart, Figure, Section, Table
from redline.reports.shapes import change as _change
from redline.reports.shapes import link as _link
from redline.risk import selectors as risk
from redline.risk.vocab import LEVEL_COLOURS, RiskLevel

# --- accidents -----------------------------------------------------------------------------


_Sums = dict[str, tuple[int, int]]  # (accidents, deaths) by group


@dataclass
class _Tallies:
    """A period's (accidents, deaths): in all, by sector, by month ("YYYY-MM") and by
    district (as `accidents.tally(by="region")` keys them: the district's id)."""

    total: tuple[int, int] = (0, 0)
    sectors: _Sums = field(default_factory=dict)
    months: _Sums = field(default_factory=dict)
    districts: _Sums = field(default_factory=dict)


def _add(sums: _Sums, key: str, n: int, d: int) -> None:
    n0, d0 = sums.get(key, (0, 0))
    sums[key] = (n0 + n, d0 + d)


def _accident_tallies(
    user: Any, periods: tuple[Period, Period], place: Region | None
) -> tuple[_Tallies, _Tallies]:
    """Each period's tallies, summed from one read of the accident list (the door, and the
    region's subtree) grouped by month, sector and region: the periods are whole local
    months, so a group's month says its period (the tally's [start, end) of local dates)."""
    spans = Q()
    for period in periods:
        low, high = period.bounds()
        spans |= Q(occurred_at__gte=low, occurred_at__lt=high)
    found = accidents.accident_list(user, {"region": place.pk} if place else {}).filter(spans)
    groups = (
        found.order_by()
        .annotate(month=TruncMonth("occurred_at"))
        .values_list("month", "sector", "region_id", "region__path")
        .annotate(n=Count("pk"), d=Sum("deaths", default=0))
    )
    out = (_Tallies(), _Tallies())
    of_month = {month: out[i] for i, period in enumerate(periods) for month in period.months()}
    district_of = accidents.districts_of(user) if place is None else None
    for month, sector, region_id, path, n, d in groups:
        key = timezone.localtime(month).strftime("%Y-%m")
        tallies = of_month[key]
        tallies.total = (tallies.total[0] + n, tallies.total[1] + d)
        _add(tallies.sectors, sector, n, d)
        _add(tallies.months, key, n, d)
        if district_of is not None:
            _add(tallies.districts, str(district_of(path, region_id)), n, d)
    return out


def accidents_section(user: Any, period: Period, place: Region | None, as_at: dt.date) -> Section:
    before = period.last_year()
    now, then = _accident_tallies(user, (period, before), place)
    now_total, then_total = now.total, then.total
    region_q = place.pk if place else ""
    link = _link("accident-list", region=region_q, year=period.start.year)
    section = Section("accidents", _("Production safety accidents"))
    section.figures = [
        Figure("accidents.total", pgettext("situation report", "Accidents"), now_total[0], link),
        Figure("accidents.deaths", pgettext("situation report", "Deaths"), now_total[1], link),
        Figure(
            "accidents.last_year.total",
            _("Accidents, same period last year"),
            then_total[0],
            _link("accident-list", region=region_q, year=before.start.year),
        ),
        Figure(
            "accidents.last_year.deaths",
            _("Deaths, same period last year"),
            then_total[1],
            _link("accident-list", region=region_q, year=before.start.year),
        ),
        Figure(
            "accidents.change",
            _("Change in accidents (%)"),
            _change(*_pair(now_total, then_total, 0)),
            link,
            "%",
        ),
        Figure(
            "accidents.deaths_change",
            _("Change in deaths (%)"),
            _change(*_pair(now_total, then_total, 1)),
            link,
            "%",
        ),
    ]
    sectors_now, sectors_then = now.sectors, then.sectors
    labels = dict(Sector.choices)
    rows = []
    for code in sorted(set(sectors_now) | set(sectors_then)):
        n, d = sectors_now.get(code, (0, 0))
        n0, d0 = sectors_then.get(code, (0, 0))
        rows.append([str(labels.get(code, code)), n, n0, n - n0, d, d0, d - d0])
        section.figures.append(
            Figure(
                f"accidents.sector.{code}.increase",
                _("Increase in accidents: %(sector)s") % {"sector": labels.get(code, code)},
                n - n0,
                _link("accident-list", sector=code, region=region_q, year=period.start.year),
                subject=str(labels.get(code, code)),
                detail=True,
            )
        )
    columns = [
        _("Sector"),
        pgettext("situation report", "Accidents"),
        _("Last year"),
        pgettext("situation report", "Change"),
        pgettext("situation report", "Deaths"),
        _("Last year"),
        pgettext("situation report", "Change"),
    ]
    section.tables.append(
        Table("accidents.by_sector", _("Accidents by sector"), list(columns), rows)
    )
    if place is None:
        districts = {d.pk: d for d in Region.objects.restrict(user).defer("boundary")}
        now_r, then_r = now.districts, then.districts
        region_rows = []
        for key in sorted(set(now_r) | set(then_r), key=lambda k: int(k)):
            n, d = now_r.get(key, (0, 0))
            n0, d0 = then_r.get(key, (0, 0))
            name = str(districts[int(key)]) if int(key) in districts else key
            region_rows.append([name, n, n0, n - n0, d, d0, d - d0])
            section.figures.append(
                Figure(
                    f"accidents.region.{key}.increase",
                    _("Increase in accidents: %(region)s") % {"region": name},
                    n - n0,
                    _link("accident-list", region=key, year=period.start.year),
                    subject=name,
                    detail=True,
                )
            )
        section.tables.append(
            Table(
                "accidents.by_region",
                _("Accidents by region"),
                [_("Region"), *columns[1:]],
                region_rows,
            )
        )
    months_now, months_then = now.months, then.months
    months = period.months()
    section.charts.append(
        Chart(
            "accidents.trend",
            _("Accidents by month, this year and last year"),
            "line",
            [m[5:] for m in months],
            [
                (str(period.start.year), [months_now.get(m, (0, 0))[0] for m in months]),
                (
                    str(before.start.year),
                    [months_then.get(f"{before.start.year}{m[4:]}", (0, 0))[0] for m in months],
                ),
            ],
            ["#c62828", "#90a4ae"],
        )
    )
    # Control indicators of the period's year, as at its last day.
    indicators = accidents.indicators_visible(user, period.start.year)
    if place is not None:
        indicators = indicators.filter(region__path__startswith=place.path)
    progress = accidents.indicator_progress(
        user, list(indicators.order_by("region__path", "sector")), today=as_at
    )
    flags = {"exceeded": _("Exceeded"), "on_pace": _("On pace to exceed"), "within": _("Within")}
    section.tables.append(
        Table(
            "accidents.indicators",
            _("Control indicators: the year to %(day)s") % {"day": as_at.isoformat()},
            [
                _("Region"),
                _("Sector"),
                _("Accident ceiling"),
                pgettext("situation report", "Accidents"),
                _("Accident share (%)"),
                _("Death ceiling"),
                pgettext("situation report", "Deaths"),
                _("Death share (%)"),
                pgettext("control indicator", "Assessment"),
            ],
            [
                [
                    str(p.indicator.region),
                    str(labels.get(p.indicator.sector, ""))
                    if p.indicator.sector
                    else _("All sectors"),
                    p.indicator.max_accidents,
                    p.accidents,
                    p.accident_share,
                    p.indicator.max_deaths,
                    p.deaths,
                    p.death_share,
                    str(flags.get(_worst(p.accident_flag, p.death_flag), "")),
                ]
                for p in progress
            ],
        )
    )
    section.figures.append(
        Figure(
            "accidents.indicators.exceeded",
            _("Control indicators exceeded"),
            sum(1 for p in progress if "exceeded" in (p.accident_flag, p.death_flag)),
            _link("accident-indicators", year=period.start.year),
        )
    )
    section.figures.append(
        Figure(
            "accidents.indicators.on_pace",
            _("Control indicators on pace to be exceeded"),
            sum(1 for p in progress if _worst(p.accident_flag, p.death_flag) == "on_pace"),
            _link("accident-indicators", year=period.start.year),
        )
    )
    return section


def _pair(now: tuple[int, int], then: tuple[int, int], index: int) -> tuple[int, int]:
    return now[index], then[index]


def _worst(*flags: str) -> str:
    for flag in ("exceeded", "on_pace"):
        if flag in flags:
            return flag
    return "within"


# --- risk ----------------------------------------------------------------------------------


def risk_section(user: Any, place: Region | None) -> Section:
    summaries = risk.region_summaries(user)
    regions = list(
        Region.objects.restrict(user).filter(pk__in=summaries).order_by("path").defer("boundary")
    )
    section = Section("risk", _("Risk distribution by colour"))
    if not regions:
        return section
    top = place or regions[0]
    summary = summaries.get(top.pk, risk.Summary())
    link = reverse("risk-map")
    keys = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}
    for level, label in RiskLevel.choices:
        section.figures.append(
            Figure(f"risk.{keys[level]}", str(label), summary.counts[level], link)
        )
    below = [r for r in regions if r.parent_id == top.pk]
    section.tables.append(
        Table(
            "risk.by_region",
            _("Risk points by region and colour"),
            [_("Region"), *[str(label) for _level, label in RiskLevel.choices]],
            [[str(r), *[summaries[r.pk].counts[lv] for lv in (1, 2, 3, 4)]] for r in below],
        )
    )
    section.charts.append(
        Chart(
            "risk.colours",
            _("Risk points by colour"),
            "bar",
            [str(label) for _level, label in RiskLevel.choices],
            [(_("Risk points"), [summary.counts[lv] for lv in (1, 2, 3, 4)])],
            [LEVEL_COLOURS[lv] for lv in (1, 2, 3, 4)],
        )
    )
    section.notes.append(
        _("Risk colours are the inventory as it stands now, not a flow of the period.")
    )
    return section


# --- hazards -------------------------------------------------------------------------------


def hazards_section(user: Any, period: Period, place: Region | None) -> Section:
    filters = {"region": place.pk} if place else {}
    data = hazards.dashboard(user, filters)
    totals = data["totals"]
    low, high = period.bounds()
    # Reported and closed in the period, in one pass over the ledger.
    flows = hazards.hazard_list(user, filters).aggregate(
        found=Count("pk", filter=Q(reported_at__gte=low, reported_at__lt=high)),
        closed=Count("pk", filter=Q(closed_at__gte=low, closed_at__lt=high)),
    )
    found, closed = flows["found"], flows["closed"]
    region_q = place.pk if place else ""
    section = Section("hazards", _("Hidden hazards"))
    section.figures = [
        Figure(
            "hazards.found",
            _("Hazards reported in the period"),
            found,
            _link("hazard-list", region=region_q, **days_of("reported", period.start, period.end)),
        ),
        Figure(
            "hazards.closed_in_period",
            _("Hazards closed in the period"),
            closed,
            _link("hazard-list", region=region_q, **days_of("closed", period.start, period.end)),
        ),
        Figure(
            "hazards.open_general",
            _("Open general hazards"),
            totals["open_general"],
            _link("hazard-list", region=region_q, state="open", level="general"),
        ),
        Figure(
            "hazards.open_major",
            _("Open major hazards"),
            totals["open_major"],
            _link("hazard-list", region=region_q, state="open", level="major"),
        ),
        Figure(
            "hazards.overdue",
            _("Overdue hazards"),
            totals["overdue"],
            _link("hazard-list", region=region_q, overdue=1),
        ),
        Figure(
            "hazards.overdue_major",
            _("Overdue major hazards"),
            totals["overdue_major"],
            _link("hazard-list", region=region_q, overdue=1, level="major"),
        ),
        Figure(
            "hazards.listed_open",
            _("Major hazards under listed supervision"),
            totals["listed_open"],
            _link("hazard-list", region=region_q, listed=1, state="open"),
        ),
        Figure(
            "hazards.closure_rate",
            _("Closure rate (%)"),
            totals["closure_rate"],
            _link("hazard-dashboard", region=region_q),
            "%",
        ),
    ]
    rows = data["regions"]
    section.tables.append(
        Table(
            "hazards.by_region",
            _("Hazards by region (as they stand now)"),
            [
                _("Region"),
                _("Open general"),
                _("Open major"),
                _("Overdue"),
                _("Closed"),
                _("Closure rate (%)"),
            ],
            [
                [str(r.region), r.open_general, r.open_major, r.overdue, r.closed, r.closure_rate]
                for r in rows
            ],
            [_link("hazard-list", region=r.region.pk, overdue=1) for r in rows],
        )
    )
    for r in rows:
        section.figures.append(
            Figure(
                f"hazards.region.{r.region.pk}.overdue",
                _("Overdue hazards: %(region)s") % {"region": r.region},
                r.overdue,
                _link("hazard-list", region=r.region.pk, overdue=1),
                subject=str(r.region),
                detail=True,
            )
        )
    if rows:
        section.charts.append(
            Chart(
                "hazards.regions",
                _("Open and overdue hazards by region"),
                "bar",
                [str(r.region) for r in rows],
                [
                    (_("Open general"), [r.open_general for r in rows]),
                    (_("Open major"), [r.open_major for r in rows]),
                    (_("Overdue"), [r.overdue for r in rows]),
                ],
                ["#f1c40f", "#e63031", "#6d4c41"],
            )
        )
    section.notes.append(
        _(
            "Open, overdue and listed hazards are counted as they stand when the report is "
            "written, as on the hazard dashboard; reported and closed count the period."
        )
    )
    return section
