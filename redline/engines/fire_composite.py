"""GB 35181 major-fire-hazard determination: the direct method and the composite method.

Direct method: any one direct item present makes the place a major fire hazard.
Composite method: a place type has one or more counting rules; a rule counts the composite
elements found that it names (or every chapter-7 element when it is an "all elements" rule)
and matches when the count reaches its threshold (>=). The place is a major fire hazard when
any of its rules matches.

The rules are data (the standard's file, turned into `FireRules` by `FireRules.from_dict`);
each rule and element carries the status of its source (confirmed / partial / unconfirmed),
and every result says whether its conclusion rests on something not confirmed.
Framework-free: no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PLACE_TYPES = ("crowded", "flammable_explosive", "important", "other")
STATUSES = ("confirmed", "partial", "unconfirmed")
CONFIRMED = "confirmed"


@dataclass(frozen=True)
class CompositeRule:
    id: str
    place_types: frozenset[str]
    elements: frozenset[str]  # empty when all_elements
    all_elements: bool
    min_count: int
    status: str

    @property
    def confirmed(self) -> bool:
        return self.status == CONFIRMED


@dataclass(frozen=True)
class FireRules:
    """The determination data of one edition of GB 35181: ids and statuses."""

    standard: str
    direct_items: Mapping[str, str]  # id -> status
    elements: Mapping[str, str]  # id -> status
    rules: tuple[CompositeRule, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FireRules:
        """Build from a standard's file (`direct_items`, `elements`, `composite_rules`)."""
        direct = {str(i["id"]): _status(i) for i in data["direct_items"]}
        elements = {str(e["id"]): _status(e) for e in data["elements"]}
        rules = []
        for raw in data["composite_rules"]:
            rule = CompositeRule(
                id=str(raw["id"]),
                place_types=frozenset(str(p) for p in raw["place_type"]),
                elements=frozenset(str(e) for e in raw["elements"]),
                all_elements=bool(raw["all_elements"]),
                min_count=int(raw["min_count"]),
                status=_status(raw),
            )
            if unknown_places := rule.place_types - set(PLACE_TYPES):
                raise ValueError(f"rule {rule.id}: unknown place types {sorted(unknown_places)}")
            if unknown := rule.elements - elements.keys():
                raise ValueError(f"rule {rule.id}: unknown elements {sorted(unknown)}")
            if rule.all_elements == bool(rule.elements):
                raise ValueError(f"rule {rule.id}: give either all_elements or an element list")
            if rule.min_count < 1:
                raise ValueError(f"rule {rule.id}: min_count must be at least 1")
            rules.append(rule)
        return cls(
            standard=str(data["id"]), direct_items=direct, elements=elements, rules=tuple(rules)
        )

    def rules_for(self, place_type: str) -> tuple[CompositeRule, ...]:
        if place_type not in PLACE_TYPES:
            raise ValueError(f"unknown place type {place_type!r}; expected one of {PLACE_TYPES}")
        return tuple(r for r in self.rules if place_type in r.place_types)


@dataclass(frozen=True)
class RuleOutcome:
    rule: CompositeRule
    counted: tuple[str, ...]  # the found elements this rule counts, sorted
    threshold: int
    matched: bool


@dataclass(frozen=True)
class CompositeResult:
    place_type: str
    is_major: bool
    outcomes: tuple[RuleOutcome, ...]  # one per rule applicable to the place type

    @property
    def matched(self) -> tuple[CompositeRule, ...]:
        return tuple(o.rule for o in self.outcomes if o.matched)

    @property
    def relies_on_unconfirmed(self) -> bool:
        """A positive conclusion is sound when a confirmed rule matched; a negative one
        only when every applicable rule is confirmed (an unconfirmed lower threshold
        might have matched)."""
        if self.is_major:
            return not any(r.confirmed for r in self.matched)
        return not all(o.rule.confirmed for o in self.outcomes)


@dataclass(frozen=True)
class DirectResult:
    is_major: bool
    present: tuple[str, ...]  # sorted
    relies_on_unconfirmed: bool  # every item present is partial or unconfirmed


def _status(row: Mapping[str, Any]) -> str:
    status = str(row["status"])
    if status not in STATUSES:
        raise ValueError(f"{row.get('id')}: unknown status {status!r}")
    return status


def _check_known(found: Iterable[str], known: Iterable[str], what: str) -> frozenset[str]:
    found_set = frozenset(found)
    if unknown := found_set - frozenset(known):
        raise ValueError(f"unknown {what}: {', '.join(sorted(unknown))}")
    return found_set


def composite_determination(
    rules: FireRules, place_type: str, found: Iterable[str]
) -> CompositeResult:
    """Evaluate every counting rule that applies to the place type against the elements found."""
    applicable = rules.rules_for(place_type)
    found_set = _check_known(found, rules.elements, "composite elements")
    outcomes = []
    for rule in applicable:
        counted = tuple(sorted(found_set if rule.all_elements else found_set & rule.elements))
        outcomes.append(
            RuleOutcome(
                rule=rule,
                counted=counted,
                threshold=rule.min_count,
                matched=len(counted) >= rule.min_count,
            )
        )
    return CompositeResult(
        place_type=place_type,
        is_major=any(o.matched for o in outcomes),
        outcomes=tuple(outcomes),
    )


def direct_determination(rules: FireRules, found: Iterable[str]) -> DirectResult:
    """Any one direct item present makes the place a major fire hazard."""
    present = tuple(sorted(_check_known(found, rules.direct_items, "direct items")))
    return DirectResult(
        is_major=bool(present),
        present=present,
        relies_on_unconfirmed=bool(present)
        and all(rules.direct_items[i] != CONFIRMED for i in present),
    )
