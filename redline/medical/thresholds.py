"""The capacity thresholds shipped with Redline (`data/thresholds.yaml`), checked row by row.

`load(model)` adds the shipped rows missing from `model` (CapacityThreshold, or its historical
version in a migration); with `overwrite`, shipped rows also take the file's values again.
`services.capacity_thresholds_load` does the same and writes the change log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from redline.medical.vocab import Comparison, Level, Metric, Scope

DATA = Path(__file__).resolve().parent / "data" / "thresholds.yaml"
FIELDS = (
    "metric",
    "scope",
    "level",
    "comparison",
    "value",
    "params",
    "source",
    "source_en",
    "unconfirmed",
    "unconfirmed_en",
)
PARAMS = {"min_baseline_days", "min_baseline_mean"}


@dataclass(frozen=True)
class ShippedThreshold:
    metric: str
    scope: str
    level: str
    comparison: str
    value: Decimal
    source: str
    source_en: str
    unconfirmed: str
    unconfirmed_en: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.metric, self.scope, self.level)

    def values(self) -> dict[str, Any]:
        return {
            "comparison": self.comparison,
            "value": self.value,
            "params": dict(self.params),
            "source": self.source,
            "source_en": self.source_en,
            "unconfirmed": self.unconfirmed,
            "unconfirmed_en": self.unconfirmed_en,
        }


def _row(index: int, raw: Any) -> ShippedThreshold:
    where = f"{DATA.name}, threshold {index + 1}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: not a mapping")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for name, choices in (
        ("metric", Metric),
        ("scope", Scope),
        ("level", Level),
        ("comparison", Comparison),
    ):
        if raw.get(name) not in choices.values:
            raise ValueError(f"{where}: {name} must be one of {', '.join(choices.values)}")
    try:
        value = Decimal(str(raw.get("value")))
    except InvalidOperation:
        raise ValueError(f"{where}: value must be a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{where}: value must be a number of 0 or more")
    params = raw.get("params") or {}
    if not isinstance(params, dict) or set(params) - PARAMS:
        raise ValueError(f"{where}: params may hold only {', '.join(sorted(PARAMS))}")
    texts = {name: str(raw.get(name) or "").strip() for name in FIELDS[6:]}
    if not texts["source"] or not texts["source_en"]:
        raise ValueError(f"{where}: name a source, in Chinese and English (or say it is local)")
    if bool(texts["unconfirmed"]) != bool(texts["unconfirmed_en"]):
        raise ValueError(f"{where}: give the unconfirmed note in both languages, or neither")
    return ShippedThreshold(
        metric=raw["metric"],
        scope=raw["scope"],
        level=raw["level"],
        comparison=raw["comparison"],
        value=value,
        source=texts["source"][:300],
        source_en=texts["source_en"][:300],
        unconfirmed=texts["unconfirmed"][:300],
        unconfirmed_en=texts["unconfirmed_en"][:300],
        params=params,
    )


def shipped(path: Path = DATA) -> list[ShippedThreshold]:
    """The rows of the data file; ValueError naming the row when one is wrong."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = [_row(i, raw) for i, raw in enumerate(document.get("thresholds") or [])]
    seen: set[tuple[str, str, str]] = set()
    for index, row in enumerate(rows):
        if row.key in seen:
            raise ValueError(f"{path.name}, threshold {index + 1}: {row.key} appears twice")
        seen.add(row.key)
    return rows


def load(model: Any, *, overwrite: bool = False) -> dict[str, int]:
    """Add the shipped thresholds missing from `model`; with `overwrite`, reset the others
    to the file's values. Returns how many were created and updated."""
    existing = {(t.metric, t.scope, t.level): t for t in model.objects.all()}
    created = updated = 0
    for row in shipped():
        found = existing.get(row.key)
        if found is None:
            model.objects.create(
                metric=row.metric, scope=row.scope, level=row.level, **row.values()
            )
            created += 1
        elif overwrite:
            changed = False
            for name, value in row.values().items():
                if getattr(found, name) != value:
                    setattr(found, name, value)
                    changed = True
            if changed:
                found.save()
                updated += 1
    return {"created": created, "updated": updated}
