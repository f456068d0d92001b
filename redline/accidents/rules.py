"""The reporting deadlines of Decree 493 as Redline tracks them, from
`data/decree493_reporting.json` (each rule with its article and whether it is confirmed or
derived). Pure functions of an accident's figures and time."""

from __future__ import annotations

import datetime as dt

from redline.accidents.vocab import ReportingClass, reporting_rules


def report_hours(level: str) -> int:
    """Hours from the accident until the report must have reached the authority of its
    level: 1 h for the unit (art. 9) + 2 h per step up from the county (art. 10, 11). The sum
    is DERIVED from the decree's limits (the decree states each limit, not the total)."""
    rules = reporting_rules()
    steps = int(rules["report_to"][level]["steps_up"])
    return int(rules["unit_report_hours"]["value"]) + steps * int(rules["per_level_hours"]["value"])


def report_authority(level: str) -> str:
    """The authority the report must reach, in English (the page translates it)."""
    return str(reporting_rules()["report_to"][level]["authority"])


def report_due(occurred_at: dt.datetime, level: str) -> dt.datetime:
    return occurred_at + dt.timedelta(hours=report_hours(level))


def supplementary_days(reporting_class: str) -> int:
    """Art. 13: 30 days; 7 for road traffic and fire accidents."""
    days = reporting_rules()["supplementary_days"]
    if reporting_class == ReportingClass.ROAD_TRAFFIC:
        return int(days["road_traffic"])
    if reporting_class == ReportingClass.FIRE:
        return int(days["fire"])
    return int(days["default"])


def supplement_until(day: dt.date, reporting_class: str) -> dt.date:
    """The last day of the supplementary-report window ("自事故发生之日起30日内"). Redline counts
    the days from the day after the accident (the Civil Code's rule for periods in days, art.
    201: the first day is not counted), so a 2026-03-02 accident's window closes on 2026-04-01
    (30 days) or 2026-03-09 (7 days). This reading of the decree is Redline's, not stated in
    it (see the "window_counting" note in the data file)."""
    return day + dt.timedelta(days=supplementary_days(reporting_class))


def investigation_due(day: dt.date) -> dt.date:
    """Art. 29: the investigation report within 60 days of the accident (same counting)."""
    days = int(reporting_rules()["investigation_report_days"]["value"])
    return day + dt.timedelta(days=days)
