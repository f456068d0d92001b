"""Short generated statements of what changed and where attention is needed, each citing
the figures it comes from (key and value), so every sentence of the report can be traced to
a number in its tables. Written in the active language (Chinese by default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from redline.reports.figures import Figures


@dataclass(frozen=True)
class Statement:
    text: str
    refs: tuple[tuple[str, Any], ...]  # (figure key, value)
    attention: bool = False  # where attention is needed (shown first, marked)

    @property
    def cited(self) -> str:
        return "; ".join(f"{key} = {_show(value)}" for key, value in self.refs)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _largest(values: dict[str, Any], prefix: str, suffix: str) -> tuple[str, Any] | None:
    found = [
        (k, v)
        for k, v in values.items()
        if k.startswith(prefix) and k.endswith(suffix) and isinstance(v, int | float)
    ]
    if not found:
        return None
    return max(found, key=lambda kv: (kv[1], kv[0]))


def generate(figures: Figures) -> list[Statement]:
    values = figures.values()
    subjects = figures.subjects()
    out: list[Statement] = []

    now, then = values.get("accidents.total") or 0, values.get("accidents.last_year.total") or 0
    deaths, deaths_then = (
        values.get("accidents.deaths") or 0,
        values.get("accidents.last_year.deaths") or 0,
    )
    refs = (
        ("accidents.total", now),
        ("accidents.last_year.total", then),
        ("accidents.deaths", deaths),
        ("accidents.last_year.deaths", deaths_then),
    )
    if now > then:
        out.append(
            Statement(
                _(
                    "Accidents rose to %(now)d from %(then)d in the same period last year; "
                    "deaths %(deaths)d against %(deaths_then)d."
                )
                % {"now": now, "then": then, "deaths": deaths, "deaths_then": deaths_then},
                refs,
                attention=True,
            )
        )
    elif now < then:
        out.append(
            Statement(
                _(
                    "Accidents fell to %(now)d from %(then)d in the same period last year; "
                    "deaths %(deaths)d against %(deaths_then)d."
                )
                % {"now": now, "then": then, "deaths": deaths, "deaths_then": deaths_then},
                refs,
                attention=deaths > deaths_then,
            )
        )
    else:
        out.append(
            Statement(
                _(
                    "Accidents were level with the same period last year (%(now)d); deaths "
                    "%(deaths)d against %(deaths_then)d."
                )
                % {"now": now, "deaths": deaths, "deaths_then": deaths_then},
                refs,
                attention=deaths > deaths_then,
            )
        )

    for prefix in ("accidents.sector.", "accidents.region."):
        largest = _largest(values, prefix, ".increase")
        if largest and largest[1] > 0:
            key, value = largest
            out.append(
                Statement(
                    _("The largest increase in accidents: %(what)s (+%(n)d).")
                    % {"what": subjects[key], "n": value},
                    ((key, value),),
                    attention=True,
                )
            )

    exceeded = values.get("accidents.indicators.exceeded") or 0
    pace = values.get("accidents.indicators.on_pace") or 0
    if exceeded or pace:
        out.append(
            Statement(
                _(
                    "%(exceeded)d control indicators are exceeded and %(pace)d are on pace to "
                    "be exceeded."
                )
                % {"exceeded": exceeded, "pace": pace},
                (
                    ("accidents.indicators.exceeded", exceeded),
                    ("accidents.indicators.on_pace", pace),
                ),
                attention=True,
            )
        )

    red = values.get("risk.red")
    if red:
        out.append(
            Statement(
                _("%(n)d risk points are rated major (red).") % {"n": red},
                (("risk.red", red),),
            )
        )

    overdue = values.get("hazards.overdue") or 0
    major = values.get("hazards.overdue_major") or 0
    found, closed = values.get("hazards.found") or 0, values.get("hazards.closed_in_period") or 0
    out.append(
        Statement(
            _(
                "%(found)d hidden hazards were reported and %(closed)d closed in the period; "
                "%(overdue)d are overdue now, %(major)d of them major."
            )
            % {"found": found, "closed": closed, "overdue": overdue, "major": major},
            (
                ("hazards.found", found),
                ("hazards.closed_in_period", closed),
                ("hazards.overdue", overdue),
                ("hazards.overdue_major", major),
            ),
            attention=major > 0,
        )
    )
    worst = _largest(values, "hazards.region.", ".overdue")
    if worst and worst[1] > 0:
        key, value = worst
        out.append(
            Statement(
                _("Most overdue hazards: %(region)s (%(n)d).")
                % {"region": subjects[key], "n": value},
                ((key, value),),
                attention=True,
            )
        )
    listed = values.get("hazards.listed_open") or 0
    if listed:
        out.append(
            Statement(
                _("%(n)d major hazards are under listed supervision.") % {"n": listed},
                (("hazards.listed_open", listed),),
            )
        )

    late_tasks = values.get("committee.overdue") or 0
    if late_tasks:
        out.append(
            Statement(
                _("%(n)d key tasks of the Safety Committee are overdue.") % {"n": late_tasks},
                (("committee.overdue", late_tasks),),
                attention=True,
            )
        )

    rates = {
        k: v
        for k, v in values.items()
        if k.startswith("training.region.") and isinstance(v, int | float)
    }
    if rates:
        key = min(rates, key=lambda k: (rates[k], k))
        out.append(
            Statement(
                _("Lowest training compliance: %(region)s (%(rate)s%%).")
                % {
                    "region": subjects[key],
                    "rate": _show(rates[key]),
                },
                ((key, rates[key]),),
                attention=rates[key] < 90,
            )
        )

    raised = values.get("epidemic.signals") or 0
    alerts = values.get("medical.alerts") or 0
    if raised or alerts:
        out.append(
            Statement(
                _(
                    "%(signals)d epidemic signals and %(alerts)d capacity alerts were raised in "
                    "the period."
                )
                % {"signals": raised, "alerts": alerts},
                (("epidemic.signals", raised), ("medical.alerts", alerts)),
                attention=bool(values.get("epidemic.signals_overdue")),
            )
        )
    last = _largest(values, "assessment.region.", ".rank")
    if last and values.get("assessment.year"):
        key, rank = last
        year = values["assessment.year"]
        out.append(
            Statement(
                _("Last in the published %(year)s assessment: %(region)s (rank %(rank)s).")
                % {"year": year, "region": subjects[key], "rank": rank},
                (("assessment.year", year), (key, rank)),
                attention=True,
            )
        )
    # Attention first, in the order written.
    return sorted(out, key=lambda s: not s.attention)
