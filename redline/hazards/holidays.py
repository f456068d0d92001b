"""The statutory holiday calendars shipped with Redline (data/calendar/cn-<year>.json, from
the State Council's yearly notice). They are loaded into CalendarDay once; from then on the
administrator maintains the calendar (Django admin), and loading again never overwrites a
date already there."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "calendar"


def shipped_years() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("cn-*.json"))]


def load(model: Any) -> int:
    """Add the shipped days missing from `model` (CalendarDay, or its historical version in
    a migration); returns how many were added."""
    existing = set(model.objects.values_list("date", flat=True))
    rows = []
    for year in shipped_years():
        flag = "" if year["status"] == "confirmed" else " [UNCONFIRMED]"
        source = (year["source"] + flag)[:200]
        for kind, key in (("holiday", "holidays"), ("working", "working_days")):
            for day in year[key]:
                date = dt.date.fromisoformat(day["date"])
                if date not in existing:
                    rows.append(model(date=date, kind=kind, name=day["name"], source=source))
    model.objects.bulk_create(rows)
    return len(rows)
