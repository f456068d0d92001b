"""The inspection plan's rules shipped with Redline (`data/plan-rules.json`), loaded once per
process. No Django: the command, the database path and the benchmark all read them here."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from redline.engines.plan_rules import Rules

RULES_FILE = Path(__file__).resolve().parent / "data" / "plan-rules.json"


@cache
def plan_rules() -> Rules:
    return Rules.from_document(json.loads(RULES_FILE.read_text(encoding="utf-8")))
