"""The standards' tables shipped with Redline, loaded once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

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
