"""The standards' tables shipped with Redline, loaded once per process."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from redline.engines.gb18218 import Tables
from redline.engines.risk_methods import RuleSet, load_rule_sets

DATA = Path(__file__).resolve().parent / "data"


@cache
def gb18218() -> Tables:
    return Tables.load(DATA / "gb18218-2018")


@cache
def rule_sets() -> dict[str, RuleSet]:
    """LEC, LS and MES rule sets by id (the national defaults and known variants)."""
    return load_rule_sets(DATA / "rulesets")


def default_rule_set(method: str) -> RuleSet:
    return next(r for r in rule_sets().values() if r.method == method and r.default)


@cache
def park_guides() -> dict[str, dict[str, Any]]:
    """The chemical-park risk-class bands by guide version (score out of 100)."""
    data = json.loads((DATA / "park-classes.json").read_text(encoding="utf-8"))
    return {guide["id"]: guide for guide in data["guides"]}


def park_class(score: float, guide_id: str) -> str:
    """A/B/C/D for a park's assessment score under a guide (min inclusive, max exclusive)."""
    for band in park_guides()[guide_id]["classes"]:
        low, high = band["min"], band["max"]
        if (low is None or score >= low) and (high is None or score < high):
            return str(band["class"])
    raise ValueError(f"score {score} outside every class of guide {guide_id}")
