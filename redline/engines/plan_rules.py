"""The inspection plan's rules, read from their data file's document (shipped as
`redline/inspections/data/plan-rules.json`, loaded by `redline.inspections.plan_data`).

Every rule in the file carries its `source` keys into the domain notes and a `status`
(confirmed / partial / unconfirmed); `Rules.not_confirmed` lists those that are not
confirmed, so the plan can say so. Framework-free: no Django.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

SECTORS = ("hazchem", "fire", "construction", "gas", "transport", "industry", "other")
RISK_LEVELS = ("major", "larger", "general", "low")
GRADES = (1, 2, 3)
STATUSES = ("confirmed", "partial", "unconfirmed")
RULE_NAMES = (
    "inspectors_per_inspection",
    "required",
    "key_frequency",
    "key_inspections",
    "frequency_caps",
    "draw_weights",
    "drawn_inspections",
    "reserve",
    "budget",
)


class RulesError(ValueError):
    """The rules document is malformed (names the rule and field)."""


def canonical_json(value: Any) -> str:
    """The canonical text of a JSON value: keys sorted, no spaces, UTF-8 characters as
    they are (what `inputs_sha256` hashes)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Rules:
    id: str
    version: str
    inspectors_per_inspection: int
    required_levels: frozenset[str]
    required_sectors: frozenset[str]
    key_min: int
    key_max: int
    key_inspections: Mapping[str, int]  # by risk level
    caps: Mapping[tuple[str, int | None], int]  # (sector, grade or None) -> most a year
    weights: Mapping[str, int]  # by risk level
    drawn_inspections: int
    reserve: Fraction
    not_confirmed: Mapping[str, str]  # rule (or rule/class) -> partial | unconfirmed
    document: Mapping[str, Any]  # the file's content, as read (hashed into the plan)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.document).encode("utf-8")).hexdigest()

    def is_required(self, sector: str, risk_level: str) -> bool:
        return risk_level in self.required_levels or sector in self.required_sectors

    def key_count(self, sector: str, risk_level: str, grade: int | None) -> int:
        """Inspections a key target gets: its level's number, within the key maximum and its
        class's cap (the rules guarantee the result is at least the key minimum)."""
        return min(self.key_inspections[risk_level], self.key_max, self.caps[sector, grade])

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Rules:
        """Check the document and read it. RulesError names the rule and field."""
        if not isinstance(document, Mapping):
            raise RulesError("rules: the document must be a JSON object")
        rules = document.get("rules")
        if not isinstance(rules, Mapping):
            raise RulesError("rules: missing the 'rules' object")
        missing = [name for name in RULE_NAMES if name not in rules]
        if missing:
            raise RulesError(f"rules: missing {', '.join(missing)}")
        not_confirmed: dict[str, str] = {}
        for name in RULE_NAMES:
            _provenance(rules[name], name, not_confirmed)
        for index, entry in enumerate(_list(rules["frequency_caps"], "frequency_caps", "classes")):
            label = f"frequency_caps/{_text(entry, f'frequency_caps.classes[{index}]', 'id')}"
            _provenance(entry, label, not_confirmed)

        per = _whole(rules["inspectors_per_inspection"], "inspectors_per_inspection", "value")
        if per < 1:
            raise RulesError("inspectors_per_inspection.value: must be at least 1")
        levels = frozenset(_codes(rules["required"], "required", "risk_levels", RISK_LEVELS))
        sectors = frozenset(_codes(rules["required"], "required", "sectors", SECTORS))
        key_min = _whole(rules["key_frequency"], "key_frequency", "min")
        key_max = _whole(rules["key_frequency"], "key_frequency", "max")
        if not 1 <= key_min <= key_max <= 12:
            raise RulesError("key_frequency: need 1 <= min <= max <= 12 (distinct months)")
        key_inspections = _by_level(rules["key_inspections"], "key_inspections", minimum=1)
        for level, count in key_inspections.items():
            if not key_min <= count <= key_max:
                raise RulesError(
                    f"key_inspections.by_risk_level.{level}: must be within key_frequency"
                )
        weights = _by_level(rules["draw_weights"], "draw_weights", minimum=0)
        drawn = _whole(rules["drawn_inspections"], "drawn_inspections", "value")
        if drawn != 1:
            raise RulesError("drawn_inspections.value: only 1 is supported")
        reserve_value = _field(rules["reserve"], "reserve", "value")
        if isinstance(reserve_value, bool) or not isinstance(reserve_value, int | float):
            raise RulesError("reserve.value: must be a number")
        reserve = Fraction(repr(reserve_value))
        if not 0 <= reserve < 1:
            raise RulesError("reserve.value: must be at least 0 and below 1")
        if _field(rules["budget"], "budget", "basis") != "capacity":
            raise RulesError("budget.basis: only 'capacity' is supported")

        caps: dict[tuple[str, int | None], int] = {}
        for index, entry in enumerate(_list(rules["frequency_caps"], "frequency_caps", "classes")):
            where = f"frequency_caps.classes[{index}]"
            by_grade = _field(entry, where, "by_grade")
            if not isinstance(by_grade, Mapping) or set(by_grade) != {"1", "2", "3", "ungraded"}:
                raise RulesError(f"{where}.by_grade: needs exactly 1, 2, 3 and ungraded")
            for sector in _codes(entry, where, "sectors", SECTORS):
                if (sector, None) in caps:
                    raise RulesError(f"{where}.sectors: {sector} is in two classes")
                for grade_text, cap in by_grade.items():
                    grade = None if grade_text == "ungraded" else int(grade_text)
                    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 12:
                        raise RulesError(f"{where}.by_grade.{grade_text}: a whole number 1-12")
                    if cap < key_min:
                        raise RulesError(
                            f"{where}.by_grade.{grade_text}: {cap} is below key_frequency.min"
                        )
                    caps[sector, grade] = cap
        uncovered = [s for s in SECTORS if (s, None) not in caps]
        if uncovered:
            raise RulesError(f"frequency_caps: no class for {', '.join(uncovered)}")
        return cls(
            id=_text(document, "rules document", "id"),
            version=_text(document, "rules document", "version"),
            inspectors_per_inspection=per,
            required_levels=levels,
            required_sectors=sectors,
            key_min=key_min,
            key_max=key_max,
            key_inspections=key_inspections,
            caps=caps,
            weights=weights,
            drawn_inspections=drawn,
            reserve=reserve,
            not_confirmed=dict(sorted(not_confirmed.items())),
            document=document,
        )


def _field(entry: Any, where: str, name: str) -> Any:
    if not isinstance(entry, Mapping) or name not in entry:
        raise RulesError(f"{where}: missing '{name}'")
    return entry[name]


def _text(entry: Any, where: str, name: str) -> str:
    value = _field(entry, where, name)
    if not isinstance(value, str) or not value:
        raise RulesError(f"{where}.{name}: must be a non-empty text")
    return value


def _whole(entry: Any, where: str, name: str) -> int:
    value = _field(entry, where, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(f"{where}.{name}: must be a whole number")
    return value


def _list(entry: Any, where: str, name: str) -> list[Any]:
    value = _field(entry, where, name)
    if not isinstance(value, list):
        raise RulesError(f"{where}.{name}: must be a list")
    return value


def _codes(entry: Any, where: str, name: str, allowed: tuple[str, ...]) -> list[str]:
    values = _list(entry, where, name)
    for value in values:
        if value not in allowed:
            raise RulesError(f"{where}.{name}: unknown code {value!r}")
    return [str(value) for value in values]


def _by_level(entry: Any, where: str, *, minimum: int) -> dict[str, int]:
    table = _field(entry, where, "by_risk_level")
    if not isinstance(table, Mapping) or set(table) != set(RISK_LEVELS):
        raise RulesError(f"{where}.by_risk_level: needs exactly {', '.join(RISK_LEVELS)}")
    for level, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise RulesError(f"{where}.by_risk_level.{level}: a whole number >= {minimum}")
    return {level: int(table[level]) for level in RISK_LEVELS}


def _provenance(entry: Any, name: str, not_confirmed: dict[str, str]) -> None:
    status = _field(entry, name, "status")
    if status not in STATUSES:
        raise RulesError(f"{name}.status: must be one of {', '.join(STATUSES)}")
    source = _field(entry, name, "source")
    if not isinstance(source, list) or not source or not all(isinstance(k, str) for k in source):
        raise RulesError(f"{name}.source: must list the notes' source keys")
    if status != "confirmed":
        not_confirmed[name] = str(status)
