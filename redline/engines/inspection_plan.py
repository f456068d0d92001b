"""The double-random, risk-graded annual inspection plan (双随机、分类分级年度监督检查计划).

`design(targets, inspectors, rules, year=)` decides, before any random number, what every
target's chance is: required targets (the rules' key targets) are inspected with probability
1; the others are drawn, within their sector, with probability proportional to their risk
weight (capped at 1), so that every sample the draw can produce can be staffed. `draw(design,
seed=)` then makes one plan: which targets, in which months, by which inspectors.
`plan(...)` does both. Pure functions of their inputs: the same inputs and seed give the same
plan, byte for byte (`plan_json`), on every platform.

Probabilities are whole multiples of 1/DENOMINATOR (one millionth). The draw in each sector
is systematic sampling over a random order of its targets: each target takes an interval as
long as its numerator on a line, one random start u in [0, DENOMINATOR) is drawn uniformly,
and the targets whose interval holds a point u + k * DENOMINATOR are selected. An interval no
longer than DENOMINATOR holds such a point for exactly `numerator` of the DENOMINATOR
possible starts, whatever the order, so each target is selected with exactly the probability
the plan states; the sector's sample size is the floor or ceiling of the numerators' sum.

Staffing every possible sample: the required inspections are staffed first (deterministic);
with the capacity they leave, a sector's draw size n_s only grows while, for every set of
inspections the draw could produce, Hall's condition for giving each `need` distinct allowed
inspectors holds. Recusals are covered by a bound (a target recused by rho inspectors takes
at most rho of their slots), which makes the condition concave on each face of the box of
possible sample counts, so checking the vertices k_s in {0, 1, n_s} proves it for them all.
Each sector reserves places for the ceiling of its expected count; places are reserved in
the order of a common proportionality constant c (the same risk weight gives the same chance
in every sector) until the budget is spent, or a sector's inspectors are full (that sector
stops, its c where its expected count equals its places), or every eligible target is
certain. Probabilities are computed from the exact (rational) c.

Framework-free: no Django.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from redline.engines.plan_assign import Shortfall, assign
from redline.engines.plan_random import MONTHS, PAIRING, SELECTION, Stream
from redline.engines.plan_rules import RISK_LEVELS, SECTORS, Rules, canonical_json

METHOD = "redline-inspection-plan/1"
INPUTS_FORMAT = "redline-inspection-plan-inputs/1"
DENOMINATOR = 1_000_000
YEARS = (2000, 2100)
MAX_SEED = (1 << 64) - 1
REASONS = ("required", "drawn", "not eligible")

IntArray = npt.NDArray[np.int64]


class PlanInputError(ValueError):
    """Bad input: names the file and line, or the option, and the field."""


class PlanInfeasible(ValueError):
    """The inputs cannot satisfy a hard rule: names the rule and the target or inspectors."""

    def __init__(self, rule: str, target: str, detail: str, inspectors: Sequence[str] = ()):
        self.rule = rule
        self.target = target
        self.inspectors = tuple(inspectors)
        super().__init__(f"{rule}: target {target}: {detail}")


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    sector: str
    region: str
    risk_level: str
    standardisation_grade: int | None


@dataclass(frozen=True)
class Inspector:
    id: str
    name: str
    department: str
    region: str
    sectors: frozenset[str]
    capacity: int
    recuse: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Chance:
    """A target's place in the design: its probability (numerator / DENOMINATOR), why, how
    many inspections it gets if it is in the plan, and for `not eligible` what excludes it."""

    numerator: int
    reason: str
    inspections: int
    why: str = ""

    @property
    def probability(self) -> float:
        return self.numerator / DENOMINATOR


@dataclass(frozen=True)
class Stratum:
    """One sector's draw: its eligible targets (input positions) and their numerators."""

    sector: str
    targets: tuple[int, ...]
    numerators: tuple[int, ...]
    size: int  # the most targets its draw can select (staffable in every sample)


@dataclass(frozen=True)
class Design:
    year: int
    targets: tuple[Target, ...]
    inspectors: tuple[Inspector, ...]
    rules: Rules
    inputs_sha256: str
    chances: tuple[Chance, ...]
    strata: tuple[Stratum, ...]
    allowed: tuple[IntArray, ...]  # per target: inspectors competent, not recused, capacity > 0
    pools: tuple[IntArray, ...]  # per sector: inspectors competent, capacity > 0
    budget: Mapping[str, Any]


@dataclass(frozen=True)
class Inspection:
    target: str
    month: int
    inspectors: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    year: int
    seed: int
    inputs_sha256: str
    design: Design
    selected: tuple[bool, ...]  # per target, input order
    inspections: tuple[Inspection, ...]


def check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not YEARS[0] <= year <= YEARS[1]:
        raise PlanInputError(f"--year: must be a year from {YEARS[0]} to {YEARS[1]}, got {year!r}")
    return year


def check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise PlanInputError(f"--seed: must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
    return seed


def canonical_inputs(
    targets: Sequence[Target], inspectors: Sequence[Inspector], rules: Rules, year: int
) -> str:
    """The text `inputs_sha256` hashes (docs/cli.md): the year, the rules document and the
    rows in input order, with list fields sorted and unique."""
    return canonical_json(
        {
            "format": INPUTS_FORMAT,
            "year": year,
            "rules": rules.document,
            "targets": [
                {
                    "id": t.id,
                    "name": t.name,
                    "sector": t.sector,
                    "region": t.region,
                    "risk_level": t.risk_level,
                    "standardisation_grade": t.standardisation_grade,
                }
                for t in targets
            ],
            "inspectors": [
                {
                    "id": i.id,
                    "name": i.name,
                    "department": i.department,
                    "region": i.region,
                    "sectors": sorted(i.sectors),
                    "capacity": i.capacity,
                    "recuse": sorted(i.recuse),
                }
                for i in inspectors
            ],
        }
    )


def inputs_sha256(
    targets: Sequence[Target], inspectors: Sequence[Inspector], rules: Rules, year: int
) -> str:
    text = canonical_inputs(targets, inspectors, rules, year)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- design ----------------------------------------------------------------------------------


def design(
    targets: Sequence[Target], inspectors: Sequence[Inspector], rules: Rules, *, year: int
) -> Design:
    """Every target's chance and the draw's strata; PlanInfeasible when the required targets
    cannot be staffed (names the rule, the target and the blocking inspectors)."""
    check_year(year)
    _check_ids(targets, inspectors)
    need = rules.inspectors_per_inspection
    n_sectors = len(SECTORS)
    sector_of = np.array([SECTORS.index(t.sector) for t in targets], dtype=np.int64)
    capacity = np.array([i.capacity for i in inspectors], dtype=np.int64)
    competent = np.zeros((n_sectors, len(inspectors)), dtype=bool)
    for j, inspector in enumerate(inspectors):
        for sector in inspector.sectors:
            competent[SECTORS.index(sector), j] = True
    position = {t.id: k for k, t in enumerate(targets)}
    recused_by: list[list[int]] = [[] for _ in targets]
    for j, inspector in enumerate(inspectors):
        for target_id in sorted(inspector.recuse):
            recused_by[position[target_id]].append(j)
    pools = [
        np.flatnonzero(competent[s] & (capacity > 0)).astype(np.int64) for s in range(n_sectors)
    ]
    allowed = tuple(
        pools[sector_of[k]]
        if not recused_by[k]
        else pools[sector_of[k]][np.isin(pools[sector_of[k]], recused_by[k], invert=True)]
        for k in range(len(targets))
    )

    # Required targets: each allowed enough inspectors, then all staffed together.
    required = [k for k, t in enumerate(targets) if rules.is_required(t.sector, t.risk_level)]
    counts = {
        k: rules.key_count(
            targets[k].sector, targets[k].risk_level, targets[k].standardisation_grade
        )
        for k in required
    }
    for k in required:
        if len(allowed[k]) < need:
            raise _short_staffed(targets[k], inspectors, competent, capacity, recused_by[k], rules)
    jobs = [k for k in required for _ in range(counts[k])]
    staffed, short = assign(
        [allowed[k] for k in jobs],
        capacity,
        need,
        classes=[int(sector_of[k]) for k in jobs],
        class_pools=pools,
    )
    if short:
        raise _blocked(short[0], jobs, targets, inspectors, capacity, rules)
    load = np.zeros(len(inspectors), dtype=np.int64)
    for members in staffed:
        load[members] += 1
    left = capacity - load

    total_slots = int(capacity.sum())
    inspections_budget = int(total_slots * (1 - rules.reserve) / need)
    draw_budget = max(0, inspections_budget - len(jobs))

    # Who may be drawn, by sector.
    chances: list[Chance | None] = [None] * len(targets)
    for k in required:
        chances[k] = Chance(DENOMINATOR, "required", counts[k])
    eligible: list[list[int]] = [[] for _ in range(n_sectors)]
    with_room = [int((left[pool] > 0).sum()) for pool in pools]  # per sector, no recusal

    def room(k: int) -> int:
        if recused_by[k]:
            return int((left[allowed[k]] > 0).sum())
        return with_room[int(sector_of[k])]

    for k, target in enumerate(targets):
        if chances[k] is not None:
            continue
        if rules.weights[target.risk_level] == 0:
            why = f"draw weight 0 for risk level {target.risk_level}"
            chances[k] = Chance(0, "not eligible", 0, why)
        elif room(k) < need:
            why = (
                f"fewer than {need} inspectors competent for {target.sector}, not recused and "
                "with capacity left after the required inspections"
            )
            chances[k] = Chance(0, "not eligible", 0, why)
        else:
            eligible[sector_of[k]].append(k)
    usable = left > 0
    supply = left[usable]
    supply_competent = competent[:, usable]
    rho = [
        np.sort(
            np.array(
                [
                    sum(1 for j in recused_by[k] if competent[s, j] and left[j] > 0)
                    for k in eligible[s]
                ],
                dtype=np.int64,
            )
        )[::-1]
        for s in range(n_sectors)
    ]
    weights = [
        np.array([rules.weights[targets[k].risk_level] for k in eligible[s]], dtype=np.int64)
        for s in range(n_sectors)
    ]
    sizes, frozen, stop = _fill(weights, rho, supply, supply_competent, need, draw_budget)

    strata: list[Stratum] = []
    for s in range(n_sectors):
        if not eligible[s]:
            continue
        # The common c where the growth stopped, lowered to where the sector's expected
        # count equals its size (a sector that stopped earlier, or a rounding of the order).
        own = _threshold(weights[s], sizes[s])
        numerators = _numerators(weights[s], own if stop is None else min(own, stop))
        why = _why_zero(draw_budget, sizes[s], frozen[s])
        for k, numerator in zip(eligible[s], numerators, strict=True):
            if numerator > 0:
                chances[k] = Chance(numerator, "drawn", rules.drawn_inspections)
            else:
                chances[k] = Chance(0, "not eligible", 0, why)
        kept = [(k, n) for k, n in zip(eligible[s], numerators, strict=True) if n > 0]
        if kept:
            strata.append(
                Stratum(
                    SECTORS[s],
                    tuple(k for k, _ in kept),
                    tuple(n for _, n in kept),
                    sizes[s],
                )
            )
    final = tuple(c for c in chances if c is not None)
    expected = sum(c.numerator for c in final if c.reason == "drawn")
    budget = {
        "inspector_slots": total_slots,
        "inspectors_per_inspection": need,
        "reserve": float(rules.reserve),
        "inspections": inspections_budget,
        "required_inspections": len(jobs),
        "draw_budget": draw_budget,
        "draw_expected": round(expected / DENOMINATOR, 6),
        "draw_most": sum(sizes),
        "by_sector": {
            SECTORS[s]: {"eligible": len(eligible[s]), "draw_most": sizes[s]}
            for s in range(n_sectors)
            if eligible[s]
        },
    }
    return Design(
        year=year,
        targets=tuple(targets),
        inspectors=tuple(inspectors),
        rules=rules,
        inputs_sha256=inputs_sha256(targets, inspectors, rules, year),
        chances=final,
        strata=tuple(strata),
        allowed=allowed,
        pools=tuple(pools),
        budget=budget,
    )


def _check_ids(targets: Sequence[Target], inspectors: Sequence[Inspector]) -> None:
    """What the file reader checks already, for callers that build the rows themselves."""
    seen: set[str] = set()
    for target in targets:
        if target.id in seen:
            raise PlanInputError(f"targets: id: duplicate id {target.id}")
        if target.sector not in SECTORS or target.risk_level not in RISK_LEVELS:
            raise PlanInputError(f"targets: {target.id}: unknown sector or risk level")
        seen.add(target.id)
    names: set[str] = set()
    for inspector in inspectors:
        if inspector.id in names:
            raise PlanInputError(f"inspectors: id: duplicate id {inspector.id}")
        names.add(inspector.id)
        if inspector.capacity < 0 or not inspector.sectors <= set(SECTORS):
            raise PlanInputError(f"inspectors: {inspector.id}: bad capacity or sector")
        unknown = sorted(inspector.recuse - seen)
        if unknown:
            raise PlanInputError(f"inspectors: {inspector.id}: recuse: unknown target {unknown[0]}")


def _why_zero(draw_budget: int, size: int, frozen: bool) -> str:
    if size == 0 and frozen:
        return "its sector's inspectors have no capacity left for the draw"
    if size == 0:
        return "no room left for the draw after the required inspections and the reserve"
    return f"its chance is below 1/{DENOMINATOR}"


def _thresholds(weights: IntArray) -> npt.NDArray[np.float64]:
    """For k = 0..N-1: the proportionality constant c at which sum(min(1, c * w)) = k, that
    is from which the stratum needs a (k+1)-th place (as floats, to order the sectors' needs;
    `_threshold` gives them exactly)."""
    if len(weights) == 0:
        return np.zeros(0)
    values, counts = np.unique(weights, return_counts=True)
    values, counts = values[::-1], counts[::-1]  # heaviest first
    capped = np.cumsum(counts)  # units capped at c = 1/values[g]
    rest = int(weights.sum()) - np.cumsum(counts * values)  # weight not capped there
    at = capped + rest / values  # sum of probabilities at c = 1/values[g]
    k = np.arange(len(weights))
    g = np.searchsorted(at, k, side="left")  # groups capped below k
    below_capped = np.concatenate(([0], capped))[g]
    below_rest = np.concatenate(([int(weights.sum())], rest))[g]
    return (k - below_capped) / below_rest


def _threshold(weights: IntArray, k: int) -> Fraction:
    """Exactly the smallest c at which sum(min(1, c * w)) = k (0 <= k <= N): weight groups
    are capped heaviest first while the sum at c = 1/weight (capped + rest/weight) is still
    below k; then c = (k - capped) / rest."""
    if k == 0:
        return Fraction(0)
    values, counts = np.unique(weights, return_counts=True)
    capped, rest = 0, int(weights.sum())
    for value, count in zip(values[::-1].tolist(), counts[::-1].tolist(), strict=True):
        more_capped, less_rest = capped + count, rest - count * value
        if more_capped * value + less_rest >= k * value:
            break
        capped, rest = more_capped, less_rest
    return Fraction(k - capped, rest)


def _numerators(weights: IntArray, c: Fraction | None) -> list[int]:
    """Each target's probability min(1, c * w) times DENOMINATOR, rounded down (exact;
    c None: every one certain)."""
    if c is None:
        return [DENOMINATOR] * len(weights)
    return [
        min(DENOMINATOR, DENOMINATOR * w * c.numerator // c.denominator) for w in weights.tolist()
    ]


def _fill(
    weights: Sequence[IntArray],
    rho: Sequence[IntArray],
    supply: IntArray,
    competent: npt.NDArray[np.bool_],
    need: int,
    budget: int,
) -> tuple[list[int], list[bool], Fraction | None]:
    """Each sector's draw size (the most its sample can hold), whether it stopped for lack of
    inspectors, and the common c at which the growth stopped (None: nothing stopped it).

    A sector needs its (k+1)-th place from the c at which its expected count reaches k, so
    every sector's first place is needed from c = 0. Places are granted in the order of
    those c (ties: sector order); a sector stops for good when one more place would not be
    staffable in every sample (the condition only gets harder as sizes grow), all stop when
    the budget is spent. Found by bisection over the order rather than one place at a time."""
    n_sectors = len(weights)
    sizes = np.zeros(n_sectors, dtype=np.int64)
    frozen = [False] * n_sectors
    steps = [_thresholds(w) for w in weights]
    event_c = np.concatenate([np.zeros(0), *steps])
    event_s = np.concatenate(
        [np.zeros(0, dtype=np.int64)]
        + [np.full(len(c), s, dtype=np.int64) for s, c in enumerate(steps)]
    )
    event_s = event_s[np.lexsort((event_s, event_c))]
    alive = np.ones(len(event_s), dtype=bool)
    matrix = competent.astype(np.int64)
    start = 0
    while True:
        ahead = np.flatnonzero(alive[start:]) + start
        room = min(len(ahead), budget - int(sizes.sum()))
        if room <= 0:
            break
        onehot = np.zeros((room + 1, n_sectors), dtype=np.int64)
        onehot[np.arange(1, room + 1), event_s[ahead[:room]]] = 1
        grown = np.cumsum(onehot, axis=0) + sizes
        low, high = 0, room  # grown[low] is staffable
        if _staffable(grown[high], rho, supply, matrix, need):
            low = high
        while high - low > 1:
            middle = (low + high) // 2
            if _staffable(grown[middle], rho, supply, matrix, need):
                low = middle
            else:
                high = middle
        sizes = grown[low].copy()
        if low == room:
            start = int(ahead[room - 1]) + 1
            continue
        blocked = int(event_s[ahead[low]])  # this sector can grow no more
        frozen[blocked] = True
        alive[event_s == blocked] = False
        start = int(ahead[low])
    counts = [int(n) for n in sizes]
    following = np.flatnonzero(alive[start:])
    if len(following) == 0:
        return counts, frozen, None
    s = int(event_s[start + following[0]])
    return counts, frozen, _threshold(weights[s], counts[s])


def _staffable(
    sizes: IntArray, rho: Sequence[IntArray], supply: IntArray, matrix: IntArray, need: int
) -> bool:
    """Whether every sample with these sector sizes can be staffed: Hall's condition
    sum_j min(left_j, sum_s competent_sj k_s) >= need * sum_s k_s + T_s(k_s) at every vertex
    k_s in {0, 1, n_s}, where T_s(k) = top_n + (k - n) * rho_(n+1) bounds the slots the k
    most-recused targets of the sector lose to recusal (a tangent of the concave sum of the
    k largest rho, so the condition is concave on each face; see the module's docstring)."""
    choices: list[list[int]] = []
    for n in sizes.tolist():
        choices.append([0] if n == 0 else [0, 1] if n == 1 else [0, 1, n])
    vertices = np.array(list(itertools.product(*choices)), dtype=np.int64)
    reach = np.minimum(vertices @ matrix, supply).sum(axis=1)
    demand = need * vertices.sum(axis=1)
    for s, n in enumerate(sizes.tolist()):
        if n == 0:
            continue
        ranked = rho[s]
        top = int(ranked[:n].sum())
        slope = int(ranked[n]) if n < len(ranked) else 0
        k = vertices[:, s]
        demand = demand + np.where(k == 0, 0, top + (k - n) * slope)
    return bool(np.all(reach >= demand))


def _ids(inspectors: Sequence[Inspector], indices: Sequence[int], most: int = 10) -> str:
    names = [inspectors[j].id for j in sorted(indices)]
    if len(names) > most:
        return ", ".join(names[:most]) + f" and {len(names) - most} more"
    return ", ".join(names)


def _why_required(target: Target, rules: Rules) -> str:
    if target.risk_level in rules.required_levels:
        return f"risk level {target.risk_level}"
    return f"sector {target.sector}"


def _short_staffed(
    target: Target,
    inspectors: Sequence[Inspector],
    competent: npt.NDArray[np.bool_],
    capacity: IntArray,
    recused: Sequence[int],
    rules: Rules,
) -> PlanInfeasible:
    need = rules.inspectors_per_inspection
    s = SECTORS.index(target.sector)
    able = [int(j) for j in np.flatnonzero(competent[s])]
    free = [j for j in able if j not in recused]
    with_room = [j for j in free if capacity[j] > 0]
    head = f"required ({_why_required(target, rules)}), needs {need} inspectors"
    if len(able) < need:
        listed = f": {_ids(inspectors, able)}" if able else ""
        return PlanInfeasible(
            "competence",
            target.id,
            f"{head} competent for {target.sector}; the inspectors file has {len(able)}{listed}",
            [inspectors[j].id for j in able],
        )
    if len(free) < need:
        gone = [j for j in able if j in recused]
        return PlanInfeasible(
            "recusal",
            target.id,
            f"{head} competent for {target.sector} and not recused; {len(free)} are"
            + (f" ({_ids(inspectors, free)})" if free else "")
            + f", recused: {_ids(inspectors, gone)}",
            [inspectors[j].id for j in gone],
        )
    return PlanInfeasible(
        "capacity",
        target.id,
        f"{head} competent for {target.sector}, not recused and with capacity above 0; "
        f"{len(with_room)} have"
        + (f" ({_ids(inspectors, with_room)})" if with_room else "")
        + f", capacity 0: {_ids(inspectors, [j for j in free if capacity[j] == 0])}",
        [inspectors[j].id for j in free if capacity[j] == 0],
    )


def _blocked(
    short: Shortfall,
    jobs: Sequence[int],
    targets: Sequence[Target],
    inspectors: Sequence[Inspector],
    capacity: IntArray,
    rules: Rules,
    kind: str = "required",
) -> PlanInfeasible:
    """The capacity rule broken, named by the first inspection left short and the inspectors
    of the minimum cut that block it (`kind`: which inspections were being staffed)."""
    target = targets[jobs[short.inspection]]
    total = int(capacity[list(short.blocking)].sum()) if short.blocking else 0
    why = f" ({_why_required(target, rules)})" if kind == "required" else ""
    return PlanInfeasible(
        "capacity",
        target.id,
        f"{kind}{why}, cannot get its {rules.inspectors_per_inspection} inspectors: every "
        f"inspector who may inspect it, or take over another {kind} inspection from one who "
        f"may, is at capacity with {kind} inspections: {_ids(inspectors, short.blocking)} "
        f"(capacity {total} in all)",
        [inspectors[j].id for j in short.blocking],
    )


# --- draw ------------------------------------------------------------------------------------


def draw(plan_design: Design, *, seed: int) -> Plan:
    """One plan from the design: the draw in each sector, the months, the inspectors."""
    check_seed(seed)
    chances = plan_design.chances
    selected = [c.reason == "required" for c in chances]
    selection = Stream(seed, SELECTION)
    for stratum in plan_design.strata:
        numerators = np.array(stratum.numerators, dtype=np.int64)
        order = selection.order(len(numerators))
        ends = np.cumsum(numerators[order])
        start = selection.below(DENOMINATOR)
        points = np.arange(start, int(ends[-1]), DENOMINATOR, dtype=np.int64)
        for position in np.searchsorted(ends, points, side="right").tolist():
            selected[stratum.targets[int(order[position])]] = True

    months = Stream(seed, MONTHS)
    jobs: list[tuple[int, int]] = []  # (target position, month)
    singles = [k for k, c in enumerate(chances) if selected[k] and c.inspections == 1]
    deck: list[int] = []
    while len(deck) < len(singles):
        deck.extend(int(m) + 1 for m in months.order(12))
    jobs.extend((k, deck[i]) for i, k in enumerate(singles))
    for k, chance in enumerate(chances):
        count = chance.inspections
        if not selected[k] or count < 2:
            continue
        for part in range(count):
            first, last = part * 12 // count + 1, (part + 1) * 12 // count
            jobs.append((k, first + months.below(last - first + 1)))
    jobs.sort()

    staffed, short = assign(
        [plan_design.allowed[k] for k, _ in jobs],
        np.array([i.capacity for i in plan_design.inspectors], dtype=np.int64),
        plan_design.rules.inspectors_per_inspection,
        Stream(seed, PAIRING),
        classes=[SECTORS.index(plan_design.targets[k].sector) for k, _ in jobs],
        class_pools=plan_design.pools,
    )
    if short:  # The design rules this out; kept so a broken invariant cannot pass silently.
        raise _blocked(
            short[0],
            [k for k, _ in jobs],
            plan_design.targets,
            plan_design.inspectors,
            np.array([i.capacity for i in plan_design.inspectors], dtype=np.int64),
            plan_design.rules,
            kind="planned",
        )
    ids = plan_design.inspectors
    inspections = sorted(
        (
            (month, k, Inspection(plan_design.targets[k].id, month, tuple(ids[j].id for j in who)))
            for (k, month), who in zip(jobs, staffed, strict=True)
        ),
        key=lambda row: (row[0], row[1]),
    )
    return Plan(
        year=plan_design.year,
        seed=seed,
        inputs_sha256=plan_design.inputs_sha256,
        design=plan_design,
        selected=tuple(selected),
        inspections=tuple(row[2] for row in inspections),
    )


def plan(
    targets: Sequence[Target],
    inspectors: Sequence[Inspector],
    rules: Rules,
    *,
    year: int,
    seed: int,
) -> Plan:
    check_seed(seed)
    return draw(design(targets, inspectors, rules, year=year), seed=seed)


# --- output ----------------------------------------------------------------------------------


def plan_document(result: Plan) -> dict[str, Any]:
    """The plan as the JSON object of docs/cli.md (contract keys first)."""
    chosen = result.design
    counts: dict[str, int] = {}
    for inspection in result.inspections:
        counts[inspection.target] = counts.get(inspection.target, 0) + 1
    targets = []
    for target, chance, selected in zip(
        chosen.targets, chosen.chances, result.selected, strict=True
    ):
        row: dict[str, Any] = {
            "id": target.id,
            "probability": chance.probability,
            "reason": chance.reason,
            "selected": selected,
            "inspections": counts.get(target.id, 0),
        }
        if chance.why:
            row["why"] = chance.why
        targets.append(row)
    budget = dict(chosen.budget)
    budget["draw_selected"] = sum(
        1
        for chance, selected in zip(chosen.chances, result.selected, strict=True)
        if selected and chance.reason == "drawn"
    )
    budget["planned_inspections"] = len(result.inspections)
    return {
        "year": result.year,
        "seed": result.seed,
        "inputs_sha256": result.inputs_sha256,
        "method": METHOD,
        "rules": {
            "id": chosen.rules.id,
            "version": chosen.rules.version,
            "sha256": chosen.rules.sha256,
            "not_confirmed": dict(chosen.rules.not_confirmed),
        },
        "budget": budget,
        "targets": targets,
        "inspections": [
            {"target": i.target, "month": i.month, "inspectors": list(i.inspectors)}
            for i in result.inspections
        ],
    }


def plan_json(result: Plan) -> str:
    """The plan's JSON text: one target or inspection per line, UTF-8 as is, a final newline.
    The same plan always gives the same bytes."""
    document = plan_document(result)
    lines = ["{"]
    keys = list(document)
    for index, key in enumerate(keys):
        value = document[key]
        comma = "," if index < len(keys) - 1 else ""
        name = json.dumps(key)
        if key in ("targets", "inspections"):
            if not value:
                lines.append(f"  {name}: []{comma}")
                continue
            lines.append(f"  {name}: [")
            rows = [json.dumps(row, ensure_ascii=False) for row in value]
            lines.extend(f"    {row}," for row in rows[:-1])
            lines.append(f"    {rows[-1]}")
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {name}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
