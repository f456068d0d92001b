"""Scoring an assessment of districts or departments against a scheme (no Django).

A scheme (`redline/assessment/data/scheme-*.json`, read by `scheme_from`) has indicator
families, each with sub-indicators worth a number of points; the points of all families add
up to the base (100). Each subject (a district or a department) comes with its measured
values, one per indicator key (`Measure`); `score` turns them into points:

- `rate` (higher is better: closure, completion, compliance): the rate is num/den;
  points = max x clamp((rate - floor) / (target - floor), 0, 1). At or above the target: all
  points; at or below the floor: none.
- `lower_better` (the overdue rate): points = max x clamp((worst - rate) / (worst - best),
  0, 1). At or below `best`: all points; at or above `worst`: none.
- `ceiling` (accidents, deaths against the control indicator): at or under the ceiling, all
  points; above it the points fall linearly to none at `zero_at` x ceiling:
  points = max x clamp((zero_at x ceiling - actual) / ((zero_at - 1) x ceiling), 0, 1).
  A ceiling of 0 gives all points for 0 and none for anything more. No ceiling set: missing.
- `entered` (the office's marks with evidence): the points entered, 0..max.

An empty base (a `rate` or `lower_better` with no records, den = 0) means what the scheme
declares, per indicator or scheme-wide (`"when_empty"`, default "full"):
- `"full"`: all points, flagged `empty` ("nothing was due"). The district scheme keeps this,
  so that the district results already published do not change.
- `"not_applicable"`: the indicator is left out and the base rescaled, exactly as an
  indicator that does not apply. The department scheme uses this: with "full" a department
  with no hazards, no inspections and no tasks earned every point and ranked first.
  (UNCONFIRMED, as the weights are: this project's reading, for the city to confirm.)

A missing measure (nothing entered yet, no ceiling set) earns no points and is flagged.
An indicator that does not apply to the subject's kind (`applies_to`), or whose measure says
it does not apply to this subject (`{"applies": false}`: a department with no control
indicator over any of its sectors), is left out and the base is rescaled:
base = 100 x points / applicable maximum.
A subject for which none of the scheme's computed indicators applies (nothing to measure:
no records at all) and no veto holds is *not assessable* (`Result.assessable` false,
`reason` "no_records"): no base, total, grade or rank; the office's entered marks alone do
not make a score. Such subjects come after the ranked ones.
Bonus items add their entered points, together capped at the scheme's bonus cap:
total = base + bonus. A triggered veto caps the grade at the lowest band whatever the total.
Grades: the first band (highest first) whose minimum the total reaches (90 is excellent).
Rank: by total (rounded to 2 decimals) descending, within each group the caller names (the
city's departments, each district's departments; one group by default); equal totals share
a rank and the next rank skips ("1, 2, 2, 4"); a vetoed subject ranks by its total like any
other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

KINDS = frozenset({"rate", "lower_better", "ceiling", "entered"})
WHEN_EMPTY = frozenset({"full", "not_applicable"})
NO_RECORDS = "no_records"  # why a subject is not assessable
PLACES = 2


class SchemeError(ValueError):
    """The scheme's data is inconsistent (named by the key at fault)."""


@dataclass(frozen=True)
class Indicator:
    key: str
    family: str
    kind: str
    points: float
    source: str  # "computed" | "entered"
    measure: str = ""
    target: float = 1.0
    floor: float = 0.0
    best: float = 0.0
    worst: float = 1.0
    zero_at: float = 2.0
    applies_to: frozenset[str] = frozenset({"district", "department"})
    label: Mapping[str, str] = field(default_factory=dict)
    status: str = ""
    basis: str = ""
    when_empty: str = "full"  # what an empty base (den = 0) means: "full" | "not_applicable"


@dataclass(frozen=True)
class Family:
    key: str
    weight: float
    indicators: tuple[Indicator, ...]
    label: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Bonus:
    key: str
    max: float
    label: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Veto:
    key: str
    source: str
    measure: str = ""
    applies_to: frozenset[str] = frozenset({"district", "department"})
    label: Mapping[str, str] = field(default_factory=dict)
    status: str = ""
    basis: str = ""


@dataclass(frozen=True)
class Band:
    key: str
    min: float
    label: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scheme:
    version: str
    families: tuple[Family, ...]
    bonus_cap: float
    bonuses: tuple[Bonus, ...]
    vetoes: tuple[Veto, ...]
    bands: tuple[Band, ...]  # highest minimum first; the last is the lowest band
    subjects: frozenset[str] = frozenset({"district", "department"})  # who it assesses
    when_empty: str = "full"  # the indicators' default (see the module)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for f in self.families for i in f.indicators)

    def indicator(self, key: str) -> Indicator:
        for item in self.indicators:
            if item.key == key:
                return item
        raise KeyError(key)

    def band(self, key: str) -> Band:
        for band in self.bands:
            if band.key == key:
                return band
        raise KeyError(key)


def _float(data: Mapping[str, Any], name: str, where: str, default: float | None = None) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SchemeError(f"{where}: {name} must be a number")
    return float(value)


def scheme_from(data: Mapping[str, Any]) -> Scheme:
    """Read and check a scheme's data: known kinds, family weight = its indicators' points,
    weights adding to 100, bands descending and ending at 0, unique keys."""
    families: list[Family] = []
    seen: set[str] = set()
    default_empty = str(data.get("when_empty", "full"))
    if default_empty not in WHEN_EMPTY:
        raise SchemeError(f"when_empty: unknown {default_empty!r}")
    for fam in data.get("families", []):
        fkey = str(fam.get("key", ""))
        weight = _float(fam, "weight", fkey)
        items: list[Indicator] = []
        for ind in fam.get("indicators", []):
            key = str(ind.get("key", ""))
            where = f"{fkey}.{key}"
            if not key or key in seen:
                raise SchemeError(f"{where}: missing or repeated key")
            seen.add(key)
            kind = ind.get("kind")
            if kind not in KINDS:
                raise SchemeError(f"{where}: unknown kind {kind!r}")
            source = ind.get("source", "computed")
            if (kind == "entered") != (source == "entered"):
                raise SchemeError(f"{where}: only the entered kind is entered")
            if source == "computed" and not ind.get("measure"):
                raise SchemeError(f"{where}: a computed indicator names its measure")
            item = Indicator(
                key=key,
                family=fkey,
                kind=str(kind),
                points=_float(ind, "points", where),
                source=str(source),
                measure=str(ind.get("measure", "")),
                target=_float(ind, "target", where, 1.0),
                floor=_float(ind, "floor", where, 0.0),
                best=_float(ind, "best", where, 0.0),
                worst=_float(ind, "worst", where, 1.0),
                zero_at=_float(ind, "zero_at", where, 2.0),
                applies_to=frozenset(ind.get("applies_to", ["district", "department"])),
                label=dict(ind.get("label", {})),
                status=str(ind.get("status", "")),
                basis=str(ind.get("basis", "")),
                when_empty=str(ind.get("when_empty", default_empty)),
            )
            if item.when_empty not in WHEN_EMPTY:
                raise SchemeError(f"{where}: unknown when_empty {item.when_empty!r}")
            if kind == "rate" and not item.floor < item.target:
                raise SchemeError(f"{where}: floor must be below target")
            if kind == "lower_better" and not item.best < item.worst:
                raise SchemeError(f"{where}: best must be below worst")
            if kind == "ceiling" and not item.zero_at > 1:
                raise SchemeError(f"{where}: zero_at must be above 1")
            items.append(item)
        total = sum(i.points for i in items)
        if abs(total - weight) > 1e-9:
            raise SchemeError(f"{fkey}: weight {weight:g} but its indicators add to {total:g}")
        families.append(Family(fkey, weight, tuple(items), dict(fam.get("label", {}))))
    if abs(sum(f.weight for f in families) - 100) > 1e-9:
        raise SchemeError("families: the weights must add up to 100")
    bonus = data.get("bonus", {})
    bonuses = tuple(
        Bonus(str(b["key"]), _float(b, "max", str(b["key"])), dict(b.get("label", {})))
        for b in bonus.get("items", [])
    )
    vetoes = tuple(
        Veto(
            key=str(v["key"]),
            source=str(v.get("source", "entered")),
            measure=str(v.get("measure", "")),
            applies_to=frozenset(v.get("applies_to", ["district", "department"])),
            label=dict(v.get("label", {})),
            status=str(v.get("status", "")),
            basis=str(v.get("basis", "")),
        )
        for v in data.get("vetoes", [])
    )
    bands = tuple(
        Band(str(b["key"]), _float(b, "min", str(b["key"])), dict(b.get("label", {})))
        for b in data.get("grades", [])
    )
    mins = [b.min for b in bands]
    if not bands or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise SchemeError("grades: the minimums must be strictly descending")
    if mins[-1] != 0:
        raise SchemeError("grades: the lowest band must start at 0")
    unknown = set(data.get("subjects", [])) - {"district", "department"}
    if unknown:
        raise SchemeError(f"subjects: unknown {', '.join(sorted(unknown))}")
    return Scheme(
        version=str(data.get("version", "")),
        families=tuple(families),
        bonus_cap=_float(bonus, "cap", "bonus", 0.0),
        bonuses=bonuses,
        vetoes=vetoes,
        bands=bands,
        subjects=frozenset(data.get("subjects", ["district", "department"])),
        when_empty=default_empty,
    )


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


@dataclass(frozen=True)
class Line:
    """One indicator's result for one subject."""

    key: str
    family: str
    points: float
    max: float
    value: float | None  # the rate, the actual count, or the entered points
    missing: bool = False
    empty: bool = False  # den = 0: nothing was due


def points_for(indicator: Indicator, measure: Mapping[str, Any] | None) -> Line:
    """The points of one indicator for one measure (see the module's formulas)."""
    top = indicator.points

    def line(fraction: float, value: float | None, **flags: bool) -> Line:
        return Line(
            indicator.key,
            indicator.family,
            round(top * _clamp(fraction), PLACES),
            top,
            value,
            **flags,
        )

    if measure is None:
        return line(0.0, None, missing=True)
    kind = indicator.kind
    if kind == "entered":
        raw = measure.get("points")
        if raw is None:
            return line(0.0, None, missing=True)
        value = float(raw)
        if value < 0 or value > top:
            raise ValueError(f"{indicator.key}: entered points must be between 0 and {top:g}")
        return Line(indicator.key, indicator.family, round(value, PLACES), top, value)
    if kind in ("rate", "lower_better"):
        num, den = measure.get("num"), measure.get("den")
        if num is None or den is None:
            return line(0.0, None, missing=True)
        if den == 0:
            return line(1.0, None, empty=True)
        rate = float(num) / float(den)
        if kind == "rate":
            return line((rate - indicator.floor) / (indicator.target - indicator.floor), rate)
        return line((indicator.worst - rate) / (indicator.worst - indicator.best), rate)
    # ceiling
    actual, ceiling = measure.get("actual"), measure.get("ceiling")
    if actual is None or ceiling is None:
        return line(0.0, None if actual is None else float(actual), missing=True)
    a, c = float(actual), float(ceiling)
    if c == 0:
        return line(1.0 if a == 0 else 0.0, a)
    if a <= c:
        return line(1.0, a)
    return line((indicator.zero_at * c - a) / ((indicator.zero_at - 1) * c), a)


@dataclass(frozen=True)
class Result:
    subject: str
    kind: str  # "district" | "department"
    lines: tuple[Line, ...]
    families: dict[str, float]
    base: float | None  # None: not assessable
    bonus: float
    total: float | None  # None: not assessable
    vetoes: tuple[str, ...]
    grade: str | None  # None: not assessable
    rank: int | None = None  # set by `ranked`; None for a subject not assessable
    reason: str = ""  # why not assessable (NO_RECORDS), "" when it is
    group: str = ""  # the group it is ranked in (`ranked`)

    @property
    def assessable(self) -> bool:
        return self.total is not None


def grade_of(scheme: Scheme, total: float, vetoed: bool) -> str:
    if vetoed:
        return scheme.bands[-1].key
    for band in scheme.bands:
        if round(total, PLACES) >= band.min:
            return band.key
    return scheme.bands[-1].key


def applies(measure: Mapping[str, Any] | None) -> bool:
    """Does a measure count for its subject (`{"applies": false}` says it does not)?"""
    return measure is None or measure.get("applies", True) is not False


def counts(indicator: Indicator, measure: Mapping[str, Any] | None) -> bool:
    """Does an indicator count for a subject with this measure: its measure applies, and
    its base is not empty where the scheme says an empty base does not apply."""
    if not applies(measure):
        return False
    empty = (
        measure is not None
        and indicator.kind in ("rate", "lower_better")
        and measure.get("num") is not None
        and measure.get("den") == 0
    )
    return not (empty and indicator.when_empty == "not_applicable")


def score_one(
    scheme: Scheme,
    subject: str,
    kind: str,
    measures: Mapping[str, Mapping[str, Any] | None],
    bonuses: Mapping[str, float] | None = None,
    vetoes: Mapping[str, bool] | None = None,
) -> Result:
    """One subject's result: the lines of the indicators that apply to its kind, family
    subtotals, the rescaled base, the capped bonus, the vetoes that hold and the grade."""
    mine = [ind for ind in scheme.indicators if kind in ind.applies_to]
    counted = [ind for ind in mine if counts(ind, measures.get(ind.key))]
    lines = tuple(points_for(ind, measures.get(ind.key)) for ind in counted)
    top = sum(line.max for line in lines)
    got = sum(line.points for line in lines)
    base = round(100 * got / top, PLACES) if top else 0.0
    families: dict[str, float] = {}
    for line in lines:
        families[line.family] = round(families.get(line.family, 0.0) + line.points, PLACES)
    bonus_given = 0.0
    for item in scheme.bonuses:
        value = float((bonuses or {}).get(item.key, 0) or 0)
        if value < 0 or value > item.max:
            raise ValueError(f"{item.key}: bonus points must be between 0 and {item.max:g}")
        bonus_given += value
    bonus = round(min(bonus_given, scheme.bonus_cap), PLACES)
    held = tuple(v.key for v in scheme.vetoes if kind in v.applies_to and (vetoes or {}).get(v.key))
    measurable = any(ind.source == "computed" for ind in mine)
    if measurable and not held and not any(ind.source == "computed" for ind in counted):
        return Result(
            subject=subject,
            kind=kind,
            lines=lines,
            families=families,
            base=None,
            bonus=bonus,
            total=None,
            vetoes=held,
            grade=None,
            reason=NO_RECORDS,
        )
    total = round(base + bonus, PLACES)
    return Result(
        subject=subject,
        kind=kind,
        lines=lines,
        families=families,
        base=base,
        bonus=bonus,
        total=total,
        vetoes=held,
        grade=grade_of(scheme, total, bool(held)),
    )


def ranked(results: Sequence[Result], groups: Mapping[str, str] | None = None) -> list[Result]:
    """Competition ranking by total, descending, within each group (`groups`: the subject's
    key -> its group's key; none given: one group), the groups in their keys' order: equal
    totals share a rank, the next skips. Within a tie the order is the subject's key, so the
    table is stable. A subject not assessable gets no rank and comes after the ranked ones
    of its group."""
    by_group: dict[str, list[Result]] = {}
    for result in results:
        by_group.setdefault((groups or {}).get(result.subject, ""), []).append(result)
    out: list[Result] = []
    for key in sorted(by_group):
        members = by_group[key]
        rated = sorted(
            (r for r in members if r.total is not None),
            key=lambda r: (-round(r.total or 0.0, PLACES), r.subject),
        )
        previous: float | None = None
        rank = 0
        for position, result in enumerate(rated, start=1):
            total = round(result.total or 0.0, PLACES)
            if total != previous:
                rank = position
                previous = total
            out.append(replace(result, rank=rank, group=key))
        unrated = sorted((r for r in members if r.total is None), key=lambda r: r.subject)
        out.extend(replace(r, rank=None, group=key) for r in unrated)
    return out
