"""The accidents' vocabularies: levels (Decree 493 art. 3), states of the investigation,
the reporting class (art. 13's shorter supplementary window for road traffic and fire), and
the accident types of GB 6441-1986 and GB 6441-2025 (read from `data/gb6441.json`)."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

DATA = Path(__file__).resolve().parent / "data"
# GB 6441-2025 is in force from this day; accidents before it are typed by GB 6441-1986.
GB6441_2025_FROM = dt.date(2026, 7, 1)


class Level(models.TextChoices):
    """Decree 493 art. 3, highest first (the engine's codes)."""

    PARTICULARLY_SERIOUS = "particularly_serious", _("Particularly serious")
    SERIOUS = "serious", pgettext_lazy("accident level", "Serious")
    LARGER = "larger", _("Larger")
    GENERAL = "general", pgettext_lazy("accident level", "General")


class AccidentState(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("accident", "Reported")
    INVESTIGATING = "investigating", _("Under investigation")
    CLOSED = "closed", pgettext_lazy("accident", "Closed")

    @classmethod
    def open_states(cls) -> tuple[str, ...]:
        return (cls.REPORTED, cls.INVESTIGATING)


class ReportingClass(models.TextChoices):
    """Decree 493 art. 13: road traffic and fire accidents have a 7-day supplementary window,
    all others 30 days."""

    OTHER = "other", _("Production safety accident")
    ROAD_TRAFFIC = "road_traffic", _("Road traffic accident")
    FIRE = "fire", _("Fire accident")


class Criterion(models.TextChoices):
    """The criteria that decide a level (the engine's names)."""

    DEATHS = "deaths", _("deaths")
    SERIOUS_INJURIES = "serious_injuries", _("serious injuries")
    DIRECT_LOSS = "direct_loss_cny", _("direct economic loss")


@cache
def gb6441() -> dict[str, Any]:
    with (DATA / "gb6441.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def reporting_rules() -> dict[str, Any]:
    with (DATA / "decree493_reporting.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _label(row: list[str]) -> str:
    language = get_language() or "zh-hans"
    return row[1] if language.lower().startswith("zh") else row[2]


class _Types:
    """One standard's type codes and their labels in the reader's language."""

    def __init__(self, key: str):
        self.key = key

    @property
    def rows(self) -> list[list[str]]:
        rows: list[list[str]] = gb6441()[self.key]["types"]
        return rows

    @property
    def values(self) -> list[str]:
        return [row[0] for row in self.rows]

    def choices(self) -> list[tuple[str, str]]:
        return [(row[0], f"{row[0]} {_label(row)}") for row in self.rows]

    def label(self, code: str) -> str:
        for row in self.rows:
            if row[0] == code:
                return _label(row)
        return code

    def find(self, text: str) -> str | None:
        """A code from its code or its label in either language."""
        wanted = text.strip().lower()
        for row in self.rows:
            if wanted in (row[0].lower(), row[1].lower(), row[2].lower()):
                return row[0]
            if wanted == f"{row[0]} {row[1]}".lower():
                return row[0]
        return None


TYPES_1986 = _Types("gb6441_1986")
TYPES_2025 = _Types("gb6441_2025")


def type_choices_1986() -> list[tuple[str, str]]:
    return TYPES_1986.choices()


def type_choices_2025() -> list[tuple[str, str]]:
    return TYPES_2025.choices()


def suggested_2025(code_1986: str) -> str | None:
    """The GB 6441-2025 type the NON-NORMATIVE mapping suggests for a GB 6441-1986 type (not
    in the standard: a suggestion for the person classifying, see data/gb6441.json)."""
    pairs: dict[str, str] = gb6441()["mapping_1986_to_2025"]["pairs"]
    return pairs.get(code_1986)


def standard_for(day: dt.date) -> str:
    """Which type standard applies to an accident on this day: "2025" from 2026-07-01."""
    return "2025" if day >= GB6441_2025_FROM else "1986"
