"""The training requirements (`data/requirements.json`), loaded once: the engine's
`Requirements`, the special-operation catalogue, and each requirement's words and source for
the pages (every rule carries its status; what is not confirmed says so)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import translation

from redline.engines.training_compliance import Requirements, requirements_from

PATH = Path(__file__).resolve().parent / "data" / "requirements.json"


@cache
def document() -> dict[str, Any]:
    return json.loads(PATH.read_text(encoding="utf-8"))


@cache
def requirements() -> Requirements:
    return requirements_from(document())


@dataclass(frozen=True)
class Operation:
    code: str
    category: str
    zh: str
    en: str
    category_zh: str
    category_en: str
    category_complete: bool  # does the catalogue list every item of its category?
    status: str

    @property
    def label(self) -> str:
        if (translation.get_language() or "zh-hans").startswith("zh"):
            return f"{self.category_zh} · {self.zh}"
        return f"{self.category_en} · {self.en}"


@cache
def operations() -> dict[str, Operation]:
    """Every special-operation item by code, in the catalogue's order."""
    out: dict[str, Operation] = {}
    for category in document()["special_operations"]["categories"]:
        for item in category["items"]:
            out[item["code"]] = Operation(
                code=item["code"],
                category=category["code"],
                zh=item["zh"],
                en=item["en"],
                category_zh=category["zh"],
                category_en=category["en"],
                category_complete=bool(category["complete"]),
                status=category["status"],
            )
    return out


def categories() -> list[tuple[str, str]]:
    """(code, label) of each category in the current language."""
    zh = (translation.get_language() or "zh-hans").startswith("zh")
    return [
        (c["code"], c["zh"] if zh else c["en"])
        for c in document()["special_operations"]["categories"]
    ]


def sources() -> dict[str, str]:
    return dict(document()["sources"])


def rule_rows() -> list[dict[str, Any]]:
    """Every requirement as a row for the requirements page (and the audit paper)."""
    data = document()
    rows: list[dict[str, Any]] = []
    for h in data["hours"]:
        rows.append(
            {
                "code": h["code"],
                "who": h["who"],
                "sector_class": h["sector_class"],
                "initial_hours": h["initial_hours"],
                "annual_hours": h["annual_hours"],
                "status": h["status"],
                "keys": h["keys"],
                "basis": h["basis"],
            }
        )
    return rows
