"""The report's sections on accidents (against last year and the control indicators), risk
colours and hidden hazards, each read through the selector its app's pages use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Sum
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


def _accident_rows(
    user: Any, period: Period, place: Region | None, by: str | None
) -> dict[str, tuple[int, int]]:
    """(accidents, deaths) per group (`by` sector or month; None: the total under "")."""
    if place is None:
        return {
            t.key: (t.accidents, t.deaths) for t in accidents.tally(user, *_days(period), by=by)
        }
    # The tally has no region parameter: a region reads the accident list (the same door and
    # the same [start, end) of local dates) with the tally's sums.
    low, high = period.bounds()
    found = accidents.accident_list(user, {"region": place.pk}).filter(
        occurred_at__gte=low, occurred_at__lt=high
    )
    sums = {"n": Count("pk"), "d": Sum("deaths", default=0)}
    if by is None:
        row = found.aggregate(**sums)
        return {"": (row["n"], row["d"])}
    if by == "sector":
        grouped: Any = found.order_by().values("sector").annotate(**sums)
        return {r["sector"]: (r["n"], r["d"]) for r in grouped}
    out: dict[str, tuple[int, int]] = {}
    for occurred_at, dead in found.order_by().values_list("occurred_at", "deaths"):
        key = timezone.localtime(occurred_at).strftime("%Y-%m")
        n, d = out.get(key, (0, 0))
        out[key] = (n + 1, d + dead)
    return out


def _days(period: Period) -> tuple[dt.date, dt.date]:
    return period.start, period.end


def accidents_section(user: Any, period: Period, place: Region | None, as_at: dt.date) -> Section:
    before = period.last_year()
    now_total = _accident_rows(user, period, place, None).get("", (0, 0))
    then_total = _accident_rows(user, before, place, None).get("", (0, 0))
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
    sectors_now = _accident_rows(user, period, place, "sector")
    sectors_then = _accident_rows(user, before, place, "sector")
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
        now_r = {t.key: t for t in accidents.tally(user, *_days(period), by="region")}
        then_r = {t.key: t for t in accidents.tally(user, *_days(before), by="region")}
        region_rows = []
        for key in sorted(set(now_r) | set(then_r), key=lambda k: int(k)):
            a, b = now_r.get(key), then_r.get(key)
            n, d = (a.accidents, a.deaths) if a else (0, 0)
            n0, d0 = (b.accidents, b.deaths) if b else (0, 0)
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
    months_now = _accident_rows(user, period, place, "month")
    months_then = _accident_rows(user, before, place, "month")
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
    ledger = hazards.hazard_list(user, filters)
    found = ledger.filter(reported_at__gte=low, reported_at__lt=high).count()
    closed = ledger.filter(closed_at__gte=low, closed_at__lt=high).count()
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
