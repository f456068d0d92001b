"""The sectors' major-hazard determination standards shipped with Redline, loaded once per
process from `data/determination/<standard-id>.json` (one file per standard and edition)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from redline.engines.fire_composite import FireRules

DATA = Path(__file__).resolve().parent / "data" / "determination"
FIRE_STANDARD = "gb35181-2017"  # the edition whose items are encoded (2025 content unconfirmed)
SECTORS = ("hazchem", "construction", "gas", "fire", "transport", "industry")
STATUSES = ("confirmed", "partial", "unconfirmed")


@dataclass(frozen=True)
class Item:
    """One addressable entry of a standard: a situation, a fire direct item or a fire
    composite element (`kind` says which)."""

    id: str
    standard_id: str
    kind: str  # "situation" | "direct" | "element"
    article: str | None
    group: str
    text_en: str
    text_zh: str
    status: str
    source: tuple[str, ...]
    note: str

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


@dataclass(frozen=True)
class Standard:
    id: str
    title_zh: str
    title_en: str
    document: str | None
    sector: str
    version: str
    effective_from: str | None
    superseded_by: str | None
    replaces: str | None
    status: str
    gaps: tuple[str, ...]
    items: tuple[Item, ...]  # situations, or for fire the direct items then the elements
    raw: dict[str, Any]  # the whole file, for fields only one standard has

    @property
    def current(self) -> bool:
        return self.superseded_by is None


def _item(row: dict[str, Any], standard_id: str, kind: str) -> Item:
    return Item(
        id=row["id"],
        standard_id=standard_id,
        kind=kind,
        article=row.get("article"),
        group=row["group"],
        text_en=row["text_en"],
        text_zh=row["text_zh"],
        status=row["status"],
        source=tuple(row.get("source") or ()),
        note=row.get("note", ""),
    )


def _standard(data: dict[str, Any]) -> Standard:
    sid = data["id"]
    if data["sector"] not in SECTORS:
        raise ValueError(f"{sid}: unknown sector {data['sector']!r}")
    items = [_item(r, sid, "situation") for r in data.get("items", [])]
    items += [_item(r, sid, "direct") for r in data.get("direct_items", [])]
    items += [_item(r, sid, "element") for r in data.get("elements", [])]
    for entry in items:
        if entry.status not in STATUSES:
            raise ValueError(f"{sid} {entry.id}: unknown status {entry.status!r}")
    return Standard(
        id=sid,
        title_zh=data["title_zh"],
        title_en=data["title_en"],
        document=data.get("document"),
        sector=data["sector"],
        version=data["version"],
        effective_from=data.get("effective_from"),
        superseded_by=data.get("superseded_by"),
        replaces=data.get("replaces"),
        status=data["status"],
        gaps=tuple(data.get("gaps", ())),
        items=tuple(items),
        raw=data,
    )


@cache
def determination_standards() -> dict[str, Standard]:
    """Every determination standard by id."""
    standards: dict[str, Standard] = {}
    for path in sorted(DATA.glob("*.json")):
        standard = _standard(json.loads(path.read_text(encoding="utf-8")))
        if standard.id != path.stem:
            raise ValueError(f"{path.name}: id {standard.id!r} does not match the file name")
        standards[standard.id] = standard
    return standards


@cache
def _items() -> dict[str, Item]:
    by_id: dict[str, Item] = {}
    for standard in determination_standards().values():
        for entry in standard.items:
            if entry.id in by_id:
                raise ValueError(
                    f"item {entry.id} in both {by_id[entry.id].standard_id} and {standard.id}"
                )
            by_id[entry.id] = entry
    return by_id


def item(item_id: str) -> Item:
    """An item of any standard by its id (ids are unique across standards)."""
    try:
        return _items()[item_id]
    except KeyError:
        raise KeyError(f"no determination item {item_id!r}") from None


@cache
def fire_rules() -> FireRules:
    """The fire direct items and composite counting rules for the engine."""
    return FireRules.from_dict(determination_standards()[FIRE_STANDARD].raw)
