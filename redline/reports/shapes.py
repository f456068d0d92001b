"""The shapes of the report's figures: a figure (key, label, number, link to its records), a
table, a chart, a section, and all of a period's figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from redline.organisations.models import Region
from redline.reports.periods import Period

# --- the figures ---------------------------------------------------------------------------


@dataclass
class Figure:
    key: str
    label: str
    value: int | float | None
    link: str = ""
    unit: str = ""
    subject: str = ""  # the region, sector or campaign a per-group figure is about
    # Per-group figures (a sector's, a region's) are cited by statements and shown in their
    # section's tables, not in the list of headline figures.
    detail: bool = False


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]  # the first cell names the row, the rest are numbers (or None)
    links: list[str] = field(default_factory=list)


@dataclass
class Chart:
    """A bar or line chart, drawn server-side (`charts.py`)."""

    key: str
    title: str
    kind: str  # "bar" or "line"
    categories: list[str]
    series: list[tuple[str, list[float]]]
    colours: list[str] = field(default_factory=list)  # per category (bar) or per series


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    available: bool = True


@dataclass
class Figures:
    period: Period
    region: Region | None
    as_at: dt.date
    sections: list[Section]
    top: Region | None = None  # the top of the user's view, when no region is asked for

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def subjects(self) -> dict[str, str]:
        return {f.key: f.subject for s in self.sections for f in s.figures if f.subject}

    def values(self) -> dict[str, int | float | None]:
        """Every figure by key (the statements cite these; the test compares them)."""
        return {f.key: f.value for s in self.sections for f in s.figures}

    @property
    def scope_label(self) -> str:
        shown = self.region or self.top
        return str(shown) if shown is not None else _("Whole jurisdiction")


def link(name: str, **query: Any) -> str:
    wanted = {k: v for k, v in query.items() if v not in (None, "")}
    return reverse(name) + ("?" + urlencode(wanted) if wanted else "")


def change(now: int, before: int) -> float | None:
    return round(100 * (now - before) / before, 1) if before else None
