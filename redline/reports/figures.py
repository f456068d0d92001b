"""The figures of a period (安全生产形势分析): what the situation report writes and the cockpit
shows, for a user (their jurisdiction), a period and optionally a region.

Every figure is read through the selector the app's own dashboard or list uses, with the
user as reader (the one door), so the report's numbers are the dashboards' numbers for the
same scope by construction:

- accidents: `accidents.selectors.tally` (the whole view) or `accident_list` (a region),
  the control indicators' `indicator_progress` as at the period's last day;
- risk: `risk.selectors.region_summaries` (the risk map's four colours; a state, not a flow);
- hazards: `hazards.selectors.dashboard` (the hazard dashboard's open, overdue, closed, listed
  as they stand now) and, for the period, `hazard_list` reported / closed in it;
- campaigns: `campaigns.selectors.headlines` of the campaigns running in the period;
- inspections and enforcement: `Inspection` / `EnforcementAction` through `restrict`;
- training: `training.selectors.compliance` on the period's last day;
- the Safety Committee: `committee.selectors.summary`, the dashboard's counts (key tasks
  are an organisation's affair: a region narrows nothing there);
- epidemic signals (`signal_list`) and capacity alerts (`alert_list`) raised in the period;
- the assessment: `assessment.selectors.ranking` (the published ranking of the districts).

The sections are built in `selectors_safety.py` (accidents, risk, hazards) and
`selectors_work.py` (campaigns, inspections, training, committee, epidemic, assessment); their
shapes are in `shapes.py`. A figure is a key (`accidents.total`), a label, a number and the
link to its records; the generated statements cite figures by key (`statements.py`). A period
is a month (`2027-03`), a quarter (`2027-Q1`) or a year (`2027`) (`periods.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from redline.organisations.models import Region
from redline.organisations.selectors import region_filter
from redline.reports.periods import Period
from redline.reports.selectors_safety import accidents_section, hazards_section, risk_section
from redline.reports.selectors_work import (
    assessment_section,
    campaigns_section,
    committee_section,
    epidemic_section,
    inspections_section,
    training_section,
)
from redline.reports.shapes import Chart, Figure, Figures, Section, Table

__all__ = [
    "BUILDERS",
    "Chart",
    "Figure",
    "Figures",
    "Period",
    "Section",
    "Table",
    "compute",
    "top_region",
]


# Each section's builder, in the report's order: (user, period, place, as_at) -> Section.
BUILDERS: dict[str, Callable[[Any, Period, Region | None, dt.date], Section]] = {
    "accidents": accidents_section,
    "risk": lambda user, _period, place, _as_at: risk_section(user, place),
    "hazards": lambda user, period, place, _as_at: hazards_section(user, period, place),
    "campaigns": lambda user, period, _place, as_at: campaigns_section(user, period, as_at),
    "inspections": lambda user, period, place, _as_at: inspections_section(user, period, place),
    "training": lambda user, _period, place, as_at: training_section(user, place, as_at),
    "committee": lambda user, _period, _place, _as_at: committee_section(user),
    "epidemic": lambda user, period, place, _as_at: epidemic_section(user, period, place),
    "assessment": lambda user, period, _place, _as_at: assessment_section(user, period),
}


def compute(
    user: Any,
    period: Period,
    region: Any = None,
    *,
    today: dt.date | None = None,
    sections: Iterable[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Figures:
    """The period's figures as the user sees them; `region` (an id or an administrative code)
    is looked up through the door: outside the jurisdiction it is the same 404 as a region
    that does not exist (naming the field `region`). `sections` (keys of `BUILDERS`): only
    those are computed (the cockpit shows some of them); every one by default. `progress` is
    told (done, of, the section's title) after each section is built (a report job shows it)."""
    place = region_filter(user, region, codes=True)
    as_at = period.as_at(today)
    wanted = set(BUILDERS if sections is None else sections)
    if unknown := wanted - set(BUILDERS):
        raise ValueError(f"unknown sections: {', '.join(sorted(unknown))}")
    keys = [k for k in BUILDERS if k in wanted]
    built = []
    for key in keys:
        built.append(BUILDERS[key](user, period, place, as_at))
        if progress is not None:
            progress(len(built), len(keys), built[-1].title)
    return Figures(period=period, region=place, as_at=as_at, sections=built, top=top_region(user))


def top_region(user: Any) -> Region | None:
    """The one region at the top of the user's view (the city, a district), if there is one."""
    regions = list(Region.objects.restrict(user).order_by("path").defer("boundary"))
    depth = min((r.depth for r in regions), default=0)
    tops = [r for r in regions if r.depth == depth]
    return tops[0] if len(tops) == 1 else None
