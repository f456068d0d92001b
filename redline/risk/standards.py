"""The standards' tables shipped with Redline, loaded once per process."""

from __future__ import annotations

import json
import re
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
    """The rule set new assessments of a method use: the city's choice (REDLINE_RULE_SETS,
    e.g. "LEC=lec-lower-inclusive,LS=ls-hazchem-v2"), else the national default."""
    from django.conf import settings

    chosen = getattr(settings, "REDLINE_RULE_SETS", {}).get(method)
    if chosen:
        return rule_sets()[chosen]
    return next(r for r in rule_sets().values() if r.method == method and r.default)


def check_city_rule_sets(choices: dict[str, str]) -> None:
    """Start-up check of REDLINE_RULE_SETS: each id exists and belongs to its method."""
    from django.core.exceptions import ImproperlyConfigured

    sets = rule_sets()
    for method, rule_set_id in choices.items():
        if rule_set_id not in sets or sets[rule_set_id].method != method:
            known = ", ".join(sorted(r for r in sets if sets[r].method == method)) or "none"
            raise ImproperlyConfigured(
                f"REDLINE_RULE_SETS: {method}={rule_set_id} is not a {method} rule set ({known})"
            )


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


# The engine names where a threshold or beta comes from in English ("GB18218-2018 Table 1 row
# 3", "GB18218-2018 Table 4 J1"); it is stored so with the grading and shown translated.
_BASIS = re.compile(
    r"^(?P<standard>GB ?\d+-\d{4}) Table (?P<table>\d+) (?:row (?P<row>\d+)|(?P<symbol>\S+))$"
)


def basis_label(text: str) -> str:
    """A grading line's basis (the engine's English reference) in the reader's language."""
    from django.utils.translation import gettext

    found = _BASIS.match(text or "")
    if found is None:
        return text
    if found["row"]:
        return gettext("%(standard)s Table %(table)s row %(row)s") % found.groupdict()
    return gettext("%(standard)s Table %(table)s %(symbol)s") % found.groupdict()
