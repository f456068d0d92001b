"""The double-random inspection planner: reproducible draws, exact inclusion probabilities
(a statistical test over 2,000 seeds), every hard rule on every plan (including random inputs
from hypothesis), infeasible inputs named, the rules file and the input files checked."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import random
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

from redline.engines.inspection_plan import (
    DENOMINATOR,
    Design,
    Inspector,
    Plan,
    PlanInfeasible,
    PlanInputError,
    Target,
    canonical_inputs,
    design,
    draw,
    inputs_sha256,
    plan,
    plan_document,
    plan_json,
)
from redline.engines.plan_assign import assign, quotas
from redline.engines.plan_csv import decode, read_inspectors, read_targets
from redline.engines.plan_random import Stream
from redline.engines.plan_rules import RISK_LEVELS, SECTORS, Rules, RulesError
from redline.inspections.plan_data import RULES_FILE, plan_rules

RULES = plan_rules()
LEVEL_MIX = ("larger", "general", "general", "low", "low", "low")


def small_city(
    n_targets: int = 80,
    n_inspectors: int = 14,
    seed: int = 3,
    capacity: tuple[int, int] = (4, 9),
    recusals: int = 2,
    majors: int = 3,
    hazchem: int = 4,
) -> tuple[list[Target], list[Inspector]]:
    """A city whose budget covers the required targets and part of the rest (so most drawn
    probabilities are strictly between 0 and 1), with recusals."""
    rng = random.Random(seed)
    others = [s for s in SECTORS if s != "hazchem"]
    targets = []
    for k in range(n_targets):
        sector = "hazchem" if k < hazchem else rng.choice(others)
        level = "major" if hazchem <= k < hazchem + majors else rng.choice(LEVEL_MIX)
        grade = rng.choice((None, 1, 2, 3))
        targets.append(Target(f"T{k:03}", f"企业{k}", sector, "r1", level, grade))
    ids = [t.id for t in targets]
    inspectors = [
        Inspector(
            id=f"I{j:02}",
            name=f"检查员{j}",
            department="d",
            region="r1",
            sectors=frozenset(rng.sample(SECTORS, 3)) | {SECTORS[j % len(SECTORS)]},
            capacity=rng.randint(*capacity),
            recuse=frozenset(rng.sample(ids, recusals)),
        )
        for j in range(n_inspectors)
    ]
    return targets, inspectors


@pytest.fixture(scope="module")
def city() -> tuple[list[Target], list[Inspector]]:
    return small_city()


@pytest.fixture(scope="module")
def city_design(city) -> Design:
    return design(*city, RULES, year=2027)


def violations(made: Design, result: Plan) -> list[str]:
    """Every hard rule and every promise of the plan, checked from the outside."""
    problems = []
    need = made.rules.inspectors_per_inspection
    targets = {t.id: t for t in made.targets}
    inspectors = {i.id: i for i in made.inspectors}
    load: Counter[str] = Counter()
    months: dict[str, list[int]] = {}
    for inspection in result.inspections:
        target = targets[inspection.target]
        who = inspection.inspectors
        if len(who) < need or len(set(who)) != len(who):
            problems.append(f"{target.id}: {len(set(who))} distinct inspectors")
        for name in who:
            inspector = inspectors[name]
            load[name] += 1
            if target.sector not in inspector.sectors:
                problems.append(f"{target.id}: {name} not competent for {target.sector}")
            if target.id in inspector.recuse:
                problems.append(f"{target.id}: {name} is recused")
        if not 1 <= inspection.month <= 12:
            problems.append(f"{target.id}: month {inspection.month}")
        months.setdefault(target.id, []).append(inspection.month)
    for name, count in load.items():
        if count > inspectors[name].capacity:
            problems.append(f"{name}: {count} inspections, capacity {inspectors[name].capacity}")
    for target, chance, selected in zip(made.targets, made.chances, result.selected, strict=True):
        got = sorted(months.get(target.id, []))
        if chance.reason == "required" and not selected:
            problems.append(f"{target.id}: required but not planned")
        if chance.reason == "not eligible" and (selected or chance.numerator != 0):
            problems.append(f"{target.id}: not eligible but planned or p > 0")
        if chance.reason == "required" and chance.numerator != DENOMINATOR:
            problems.append(f"{target.id}: required with probability {chance.probability}")
        expected = chance.inspections if selected else 0
        if len(got) != expected:
            problems.append(f"{target.id}: {len(got)} inspections, expected {expected}")
        if len(set(got)) != len(got):
            problems.append(f"{target.id}: two inspections in one month {got}")
        cap = made.rules.caps[target.sector, target.standardisation_grade]
        if len(got) > cap or (chance.reason == "required" and len(got) > made.rules.key_max):
            problems.append(f"{target.id}: {len(got)} inspections over its cap")
        if len(got) > 1:  # spread: the k-th in the k-th equal part of the year
            for part, month in enumerate(got):
                if not part * 12 // len(got) < month <= (part + 1) * 12 // len(got):
                    problems.append(f"{target.id}: months {got} not spread")
    return problems


# --- reproducibility ----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_bytes(city):
    first = plan_json(plan(*city, RULES, year=2027, seed=42))
    again = plan_json(plan(*copy.deepcopy(city), RULES, year=2027, seed=42))
    assert first == again
    json.loads(first)  # and it is JSON


def test_different_seeds_give_different_plans(city_design):
    texts = {plan_json(draw(city_design, seed=seed)) for seed in range(20)}
    assert len(texts) == 20
    selections = {draw(city_design, seed=seed).selected for seed in range(20)}
    assert len(selections) > 15


def test_a_pinned_plan_stays_the_same_across_platforms_and_versions(city_design):
    """Only PCG64's raw stream and fixed arithmetic are used, so the outcome of a draw (who,
    when, by whom) moves only when the method (then METHOD's version changes too) or the
    rules' values change."""
    document = plan_document(draw(city_design, seed=20270101))
    outcome = json.dumps([document["targets"], document["inspections"]], ensure_ascii=False)
    assert hashlib.sha256(outcome.encode()).hexdigest() == PINNED


PINNED = "8c4123f002303ad28d04dd25ea521804bcb51b3cd8504f3a16a17fd15776b4ed"


# --- the draw honours its probabilities ---------------------------------------------------------

SEEDS = range(2_000)


def test_selection_frequencies_match_the_declared_probabilities(city_design):
    """Over 2,000 fixed seeds each target's selection count is Binomial(2000, p): a two-sided
    z-test per target at a family-wise level of 0.001 (Bonferroni), and the sum of squared
    z-scores against chi-square. Deterministic seeds: the outcome never changes."""
    made = city_design
    probabilities = np.array([c.probability for c in made.chances])
    counts = np.zeros(len(probabilities))
    sizes: Counter[tuple[str, int]] = Counter()
    for seed in SEEDS:
        result = draw(made, seed=seed)
        chosen = np.array(result.selected, dtype=bool)
        counts += chosen
        for stratum in made.strata:
            sizes[stratum.sector, int(chosen[list(stratum.targets)].sum())] += 1
    runs = len(SEEDS)
    assert np.all(counts[probabilities == 1] == runs)
    assert np.all(counts[probabilities == 0] == 0)
    random_part = (probabilities > 0) & (probabilities < 1)
    assert random_part.sum() >= 30  # the test has something to test
    p = probabilities[random_part]
    z = (counts[random_part] - runs * p) / np.sqrt(runs * p * (1 - p))
    bound = stats.norm.ppf(1 - 0.001 / (2 * len(p)))
    assert np.max(np.abs(z)) < bound, (np.max(np.abs(z)), bound)
    # Selections within a sector are dependent (fixed size), which makes the sum of squares
    # smaller, never larger, than chi-square: the test stays valid (conservative).
    assert stats.chi2.sf(float(np.sum(z**2)), df=len(p)) > 0.001
    # Each sector's sample size is the floor or ceiling of its expected size.
    for stratum in made.strata:
        expected = sum(stratum.numerators) / DENOMINATOR
        seen = {size for (sector, size) in sizes if sector == stratum.sector}
        assert seen <= {int(np.floor(expected)), int(np.ceil(expected))}
        assert max(seen) <= stratum.size


def test_probabilities_are_exact_and_reasons_say_why(city_design):
    made = city_design
    for target, chance in zip(made.targets, made.chances, strict=True):
        assert 0 <= chance.numerator <= DENOMINATOR
        assert chance.probability * DENOMINATOR == chance.numerator  # exactly representable
        if chance.reason == "required":
            assert chance.numerator == DENOMINATOR
            assert target.sector == "hazchem" or target.risk_level == "major"
        elif chance.reason == "not eligible":
            assert chance.numerator == 0 and chance.why
        else:
            assert chance.reason == "drawn" and chance.numerator > 0
    # Within a sector the probability is proportional to the weight, capped at 1.
    for stratum in made.strata:
        weights = [RULES.weights[made.targets[k].risk_level] for k in stratum.targets]
        ratios = {
            n / w for n, w in zip(stratum.numerators, weights, strict=True) if n < DENOMINATOR
        }
        assert max(ratios) - min(ratios) <= 1, stratum  # equal up to the rounding down


def test_mean_probability_rises_with_risk_level():
    targets, inspectors = small_city(n_targets=300, n_inspectors=30, seed=11)
    made = design(targets, inspectors, RULES, year=2027)
    means = []
    for level in RISK_LEVELS:
        values = [
            c.probability
            for t, c in zip(targets, made.chances, strict=True)
            if t.risk_level == level
        ]
        means.append(sum(values) / len(values))
    assert means[0] == 1.0  # major: required
    assert means == sorted(means, reverse=True) and len(set(means)) == 4, means
    # And within each sector, never lower for a higher level.
    for sector in SECTORS:
        by_level = [
            [
                c.probability
                for t, c in zip(targets, made.chances, strict=True)
                if t.sector == sector and t.risk_level == level and c.reason == "drawn"
            ]
            for level in RISK_LEVELS[1:]
        ]
        present = [min(v) for v in by_level if v]
        assert present == sorted(present, reverse=True)


# --- hard rules ---------------------------------------------------------------------------------


def test_no_plan_breaks_a_hard_rule(city_design):
    for seed in range(300):
        assert violations(city_design, draw(city_design, seed=seed)) == []


def test_key_targets_get_their_inspections_in_spread_months():
    targets = [
        Target("A", "a", "hazchem", "r", "major", None),  # key: 2 (major), hazchem cap 12
        Target("B", "b", "industry", "r", "major", 1),  # key, but industry grade 1 caps at 1
        Target("C", "c", "hazchem", "r", "low", 1),  # key (hazchem): the minimum, 1
        Target("D", "d", "gas", "r", "low", None),
    ]
    inspectors = [
        Inspector(f"I{j}", "i", "d", "r", frozenset(SECTORS), 10, frozenset()) for j in range(4)
    ]
    for seed in range(50):
        result = plan(targets, inspectors, RULES, year=2027, seed=seed)
        months = {t: sorted(i.month for i in result.inspections if i.target == t) for t in "ABCD"}
        assert len(months["A"]) == 2 and months["A"][0] <= 6 < months["A"][1]
        assert len(months["B"]) == 1 and len(months["C"]) == 1
        assert [c.reason for c in result.design.chances] == ["required"] * 3 + ["drawn"]
        assert violations(result.design, result) == []


def test_a_small_sector_gets_the_same_chance_for_the_same_weight():
    """Sector sizes are reserved at the ceiling of their expected counts, so a sector with
    one target is not starved by a big one: the same weight, the same probability."""
    targets = [Target(f"F{k}", "f", "fire", "r", "low", None) for k in range(20)]
    targets.append(Target("G", "g", "gas", "r", "low", None))
    inspectors = [
        Inspector(f"I{j}", "i", "d", "r", frozenset({"fire", "gas"}), 3, frozenset())
        for j in range(4)
    ]
    made = design(targets, inspectors, RULES, year=2027)
    assert made.budget["draw_budget"] == 5  # 12 slots, 10% kept, 2 a visit
    assert {c.probability for c in made.chances} == {0.2}
    assert [s.size for s in made.strata] == [4, 1]


def test_the_budget_keeps_the_reserve_and_never_overdraws():
    targets, inspectors = small_city(n_targets=200, n_inspectors=10, seed=5)
    made = design(targets, inspectors, RULES, year=2027)
    slots = sum(i.capacity for i in inspectors)
    assert made.budget["inspections"] == int(slots * 0.9 / 2)
    for seed in range(30):
        result = draw(made, seed=seed)
        assert len(result.inspections) <= made.budget["inspections"]
    assert made.budget["draw_most"] <= made.budget["draw_budget"]


def test_a_target_nobody_may_inspect_is_not_eligible():
    targets = [
        Target("A", "a", "gas", "r", "low", None),
        Target("B", "b", "fire", "r", "low", None),
        Target("C", "c", "fire", "r", "low", None),
    ]
    inspectors = [
        Inspector("I1", "i", "d", "r", frozenset({"gas", "fire"}), 5, frozenset({"A"})),
        Inspector("I2", "i", "d", "r", frozenset({"gas", "fire"}), 5, frozenset()),
        Inspector("I3", "i", "d", "r", frozenset({"fire"}), 5, frozenset()),
    ]
    result = plan(targets, inspectors, RULES, year=2027, seed=1)
    a, b, c = result.design.chances
    assert (a.reason, a.probability) == ("not eligible", 0.0)
    assert "fewer than 2 inspectors competent for gas" in a.why
    assert b.reason == c.reason == "drawn"
    document = plan_document(result)
    assert document["targets"][0] == {
        "id": "A",
        "probability": 0.0,
        "reason": "not eligible",
        "selected": False,
        "inspections": 0,
        "why": a.why,
    }


# --- infeasible inputs --------------------------------------------------------------------------


def _key(target_id: str, sector: str = "hazchem") -> Target:
    return Target(target_id, "n", sector, "r", "major" if sector != "hazchem" else "low", 2)


def _inspector(name: str, sectors: str, capacity: int, recuse: str = "") -> Inspector:
    return Inspector(
        name, "n", "d", "r", frozenset(sectors.split()), capacity, frozenset(recuse.split())
    )


@pytest.mark.parametrize(
    ("targets", "inspectors", "rule", "target", "named"),
    [
        ([_key("K1", "gas")], [_inspector("I1", "gas", 5)], "competence", "K1", ["I1"]),
        (
            [_key("K1")],
            [_inspector("I1", "hazchem", 5), _inspector("I2", "hazchem", 5, "K1")],
            "recusal",
            "K1",
            ["I2"],
        ),
        (
            [_key("K1")],
            [_inspector("I1", "hazchem", 5), _inspector("I2", "hazchem", 0)],
            "capacity",
            "K1",
            ["I2"],
        ),
        (
            # Three key targets share two inspectors who can each do two inspections.
            [_key("K1"), _key("K2"), _key("K3"), Target("X", "x", "fire", "r", "low", 1)],
            [_inspector("I1", "hazchem fire", 2), _inspector("I2", "hazchem", 2)],
            "capacity",
            "K3",
            ["I1", "I2"],
        ),
    ],
)
def test_infeasible_inputs_name_the_rule_and_the_target(targets, inspectors, rule, target, named):
    with pytest.raises(PlanInfeasible) as caught:
        design(targets, inspectors, RULES, year=2027)
    error = caught.value
    assert (error.rule, error.target) == (rule, target)
    assert list(error.inspectors) == named
    assert str(error).startswith(f"{rule}: target {target}: ")
    for name in named:
        assert name in str(error)


def test_bad_year_and_seed_are_refused(city):
    with pytest.raises(PlanInputError, match="--year"):
        design(*city, RULES, year=1999)
    made = design(*city, RULES, year=2027)
    for seed in (-1, 1 << 64, "42", True):
        with pytest.raises(PlanInputError, match="--seed"):
            draw(made, seed=seed)  # type: ignore[arg-type]


# --- random inputs (hypothesis) -----------------------------------------------------------------


@st.composite
def inputs(draw_: st.DrawFn, keys: bool = True) -> tuple[list[Target], list[Inspector], int]:
    """Small random cities; without `keys`, mostly targets left to the draw (so the draw's
    size is limited by the inspectors more often)."""
    pool = SECTORS if keys else SECTORS[1:]
    sectors = draw_(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    levels = RISK_LEVELS if keys else (*RISK_LEVELS[1:], *RISK_LEVELS[1:], "major")
    n_targets = draw_(st.integers(0, 14))
    targets = [
        Target(
            f"T{k}",
            "t",
            draw_(st.sampled_from(sectors)),
            "r",
            draw_(st.sampled_from(levels)),
            draw_(st.sampled_from((None, 1, 2, 3))),
        )
        for k in range(n_targets)
    ]
    ids = [t.id for t in targets]
    inspectors = [
        Inspector(
            f"I{j}",
            "i",
            "d",
            "r",
            frozenset(draw_(st.lists(st.sampled_from(sectors), max_size=3))),
            draw_(st.integers(0, 6)),
            frozenset(draw_(st.lists(st.sampled_from(ids), max_size=3)) if ids else ()),
        )
        for j in range(draw_(st.integers(0, 7)))
    ]
    return targets, inspectors, draw_(st.integers(0, 2**32))


def _allowed(target: Target, inspectors: Sequence[Inspector]) -> list[int]:
    return [
        j
        for j, i in enumerate(inspectors)
        if target.sector in i.sectors and target.id not in i.recuse and i.capacity > 0
    ]


def _staffable(jobs: Sequence[Target], inspectors: Sequence[Inspector], need: int) -> bool:
    """Independent check with scipy's max-flow: source -> job (need) -> allowed inspector
    (1) -> sink (capacity)."""
    if not jobs:
        return True
    n_jobs, n_insp = len(jobs), len(inspectors)
    sink = 1 + n_jobs + n_insp
    rows, cols, caps = [], [], []
    for x, target in enumerate(jobs):
        rows.append(0), cols.append(1 + x), caps.append(need)
        for j in _allowed(target, inspectors):
            rows.append(1 + x), cols.append(1 + n_jobs + j), caps.append(1)
    for j, inspector in enumerate(inspectors):
        rows.append(1 + n_jobs + j), cols.append(sink), caps.append(inspector.capacity)
    graph = csr_array(
        (np.array(caps, dtype=np.int32), (np.array(rows), np.array(cols))),
        shape=(sink + 1, sink + 1),
    )
    return bool(maximum_flow(graph, 0, sink).flow_value == need * n_jobs)


def _required_jobs(targets: Sequence[Target]) -> list[Target]:
    return [
        t
        for t in targets
        if RULES.is_required(t.sector, t.risk_level)
        for _ in range(RULES.key_count(t.sector, t.risk_level, t.standardisation_grade))
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs())
def test_random_inputs_plan_within_every_rule_or_are_truly_infeasible(example):
    targets, inspectors, seed = example
    feasible = _staffable(_required_jobs(targets), inspectors, RULES.inspectors_per_inspection)
    try:
        made = design(targets, inspectors, RULES, year=2027)
    except PlanInfeasible as error:
        assert not feasible, f"refused a feasible input: {error}"
        assert error.rule in ("competence", "recusal", "capacity")
        assert error.target in {t.id for t in targets}
        return
    assert feasible
    for offset in range(3):
        assert violations(made, draw(made, seed=seed + offset)) == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs(keys=False))
def test_every_sample_the_design_can_draw_is_staffable(example):
    """The design's promise, checked exhaustively on small inputs: each sector's draw selects
    at most `size` targets, and every choice of that many eligible targets per sector,
    together with the required inspections, can be staffed."""
    targets, inspectors, _ = example
    try:
        made = design(targets, inspectors, RULES, year=2027)
    except PlanInfeasible:
        return
    required = _required_jobs(targets)
    choices = [
        itertools.combinations(stratum.targets, min(stratum.size, len(stratum.targets)))
        for stratum in made.strata
    ]
    for count, picks in enumerate(itertools.product(*choices)):
        if count == 400:
            break
        drawn = [targets[k] for pick in picks for k in pick]
        assert _staffable(required + drawn, inspectors, RULES.inspectors_per_inspection), picks


def test_assignment_finds_a_staffing_whenever_one_exists():
    """A case greedy choices get wrong: the first inspection may take I2, whom the second
    needs; the augmenting path moves it."""
    allowed = [np.array([0, 1, 2]), np.array([1, 2])]
    capacity = np.array([1, 1, 1], dtype=np.int64)
    for seed in range(50):
        staffed, short = assign(allowed, capacity, 1, Stream(seed, 3))
        assert not short
        assert len({who[0] for who in staffed}) == 2
    staffed, short = assign([np.array([0, 1]), np.array([0, 1])], np.array([1, 1]), 2)
    assert len(short) == 1 and set(short[0].blocking) == {0, 1}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.integers(0, 8), st.sets(st.integers(0, 3), max_size=3)),
        min_size=1,
        max_size=8,
    ),
)
def test_quotas_meet_every_class_demand_whenever_some_split_can(demand, people):
    """The class-level split (Dinic from a proportional start) against scipy's max-flow."""
    need = 2
    capacity = np.array([c for c, _ in people], dtype=np.int64)
    pools = [
        np.array([j for j, (c, s) in enumerate(people) if k in s and c > 0], dtype=np.int64)
        for k in range(len(demand))
    ]
    got = quotas(np.array(demand, dtype=np.int64), pools, capacity, need)
    assert np.all(got >= 0) and np.all(got.sum(axis=0) <= capacity)
    assert np.all(got <= np.array(demand)[:, None])  # one inspector at most once per inspection
    for k, pool in enumerate(pools):
        outside = np.setdiff1d(np.arange(len(people)), pool)
        assert np.all(got[k, outside] == 0)
    n_classes, n_people = len(demand), len(people)
    sink = 1 + n_classes + n_people
    rows, cols, caps = [], [], []
    for k in range(n_classes):
        rows.append(0), cols.append(1 + k), caps.append(need * demand[k])
        for j in pools[k].tolist():
            (
                rows.append(1 + k),
                cols.append(1 + n_classes + j),
                caps.append(min(demand[k], capacity[j])),
            )
    for j in range(n_people):
        rows.append(1 + n_classes + j), cols.append(sink), caps.append(int(capacity[j]))
    graph = csr_array(
        (np.array(caps, dtype=np.int32), (np.array(rows), np.array(cols))), shape=(sink + 1,) * 2
    )
    best = maximum_flow(graph, 0, sink).flow_value
    assert int(got.sum()) == best


# --- the digest of the inputs -------------------------------------------------------------------


def test_inputs_digest_is_the_canonical_form(city):
    targets, inspectors = city
    digest = inputs_sha256(targets, inspectors, RULES, 2027)
    text = canonical_inputs(targets, inspectors, RULES, 2027)
    assert hashlib.sha256(text.encode()).hexdigest() == digest
    canonical = json.loads(text)
    assert canonical["year"] == 2027 and canonical["rules"] == json.loads(RULES_FILE.read_text())
    assert canonical["inspectors"][0]["sectors"] == sorted(inspectors[0].sectors)
    assert canonical["targets"][0] == {
        "id": "T000",
        "name": "企业0",
        "sector": "hazchem",
        "region": "r1",
        "risk_level": targets[0].risk_level,
        "standardisation_grade": targets[0].standardisation_grade,
    }
    assert inputs_sha256(targets, inspectors, RULES, 2028) != digest
    changed = [*targets[:-1], Target(**{**targets[-1].__dict__, "name": "other"})]
    assert inputs_sha256(changed, inspectors, RULES, 2027) != digest
    document = copy.deepcopy(dict(RULES.document))
    document["rules"]["reserve"]["value"] = 0.2
    assert inputs_sha256(targets, inspectors, Rules.from_document(document), 2027) != digest


# --- the rules file -----------------------------------------------------------------------------


def test_every_rule_carries_its_sources_and_status():
    document = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    for name, rule in document["rules"].items():
        assert rule["status"] in ("confirmed", "partial", "unconfirmed"), name
        assert rule["source"] and all(key.startswith("S11") for key in rule["source"]), name
        assert rule["note_en"], name
    # What the notes mark partial or unconfirmed (or Redline chose) is flagged so.
    assert RULES.not_confirmed == {
        "budget": "partial",
        "draw_weights": "unconfirmed",
        "drawn_inspections": "unconfirmed",
        "frequency_caps/non-high-risk": "partial",
        "frequency_caps/other-departments": "unconfirmed",
        "key_inspections": "unconfirmed",
        "required": "partial",
        "reserve": "unconfirmed",
    }
    # The Shanxi table and the Longyan key minimum, as the notes give them.
    assert [RULES.caps["hazchem", g] for g in (1, 2, 3, None)] == [2, 4, 8, 12]
    assert [RULES.caps["industry", g] for g in (1, 2, 3, None)] == [1, 2, 4, 6]
    assert (RULES.key_min, RULES.key_max, RULES.inspectors_per_inspection) == (1, 2, 2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["rules"].pop("reserve"), "missing reserve"),
        (lambda r: r["rules"]["reserve"].update(value=1), "reserve.value"),
        (lambda r: r["rules"]["draw_weights"].update(status="maybe"), "draw_weights.status"),
        (lambda r: r["rules"]["required"].update(source=[]), "required.source"),
        (lambda r: r["rules"]["required"].update(sectors=["mining"]), "unknown code 'mining'"),
        (
            lambda r: r["rules"]["frequency_caps"]["classes"][2]["sectors"].remove("gas"),
            "no class for gas",
        ),
        (
            lambda r: r["rules"]["key_inspections"]["by_risk_level"].update(major=3),
            "key_inspections.by_risk_level.major",
        ),
    ],
)
def test_a_malformed_rules_file_is_refused_by_rule_and_field(change, message):
    document = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    change(document)
    with pytest.raises(RulesError, match=message):
        Rules.from_document(document)


# --- the input files ----------------------------------------------------------------------------

TARGETS = """id,name,sector,region,risk_level,standardisation_grade
T1,甲化工,hazchem,r,larger,2
T2,乙商场,fire,r,low,
"""
INSPECTORS = """id,name,department,region,sectors,capacity,recuse
I1,张,应急,r,hazchem;fire,20,T2
I2,李,应急,r, fire ; hazchem ;,20,
"""


def test_the_files_are_read():
    targets = read_targets(TARGETS, "targets.csv")
    assert targets[1] == Target("T2", "乙商场", "fire", "r", "low", None)
    inspectors = read_inspectors(INSPECTORS, {"T1", "T2"}, "inspectors.csv")
    assert inspectors[1].sectors == frozenset({"fire", "hazchem"})
    assert inspectors[0].recuse == frozenset({"T2"}) and inspectors[0].capacity == 20
    assert read_targets("\ufeff" + TARGETS.replace("\n", "\r\n"), "t")[0].id == "T1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TARGETS + "T3,丙,mining,r,low,\n", "targets.csv: line 4: sector: unknown sector 'mining'"),
        (TARGETS + "T3,丙,fire,r,huge,\n", "targets.csv: line 4: risk_level: unknown risk level"),
        (TARGETS + "T1,丙,fire,r,low,\n", "line 4: id: duplicate id 'T1' (first on line 2)"),
        (TARGETS + "\nT3,丙,fire,r,low,4\n", "line 5: standardisation_grade: must be 1, 2, 3"),
        (TARGETS + "T3,,fire,r,low,\n", "line 4: name: must not be empty"),
        (TARGETS + "T3,丙,fire,r\n", "line 4: has 4 fields, the header 6"),
        ("id,name,sector,region,standardisation_grade\n", "line 1: risk_level: missing column"),
        ("", "line 1: missing header"),
    ],
)
def test_bad_target_rows_are_named(text, message):
    with pytest.raises(PlanInputError) as caught:
        read_targets(text, "targets.csv")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("I3,王,d,r,fire,-1,", "line 4: capacity: must be a whole number from 0"),
        ("I3,王,d,r,fire,2.5,", "line 4: capacity: must be a whole number from 0"),
        ("I3,王,d,r,fire;mines,2,", "line 4: sectors: unknown sector 'mines'"),
        ("I3,王,d,r,fire,2,T9", "line 4: recuse: unknown target id 'T9'"),
        ("I1,王,d,r,fire,2,", "line 4: id: duplicate id 'I1'"),
    ],
)
def test_bad_inspector_rows_are_named(row, message):
    with pytest.raises(PlanInputError) as caught:
        read_inspectors(INSPECTORS + row + "\n", {"T1", "T2"}, "inspectors.csv")
    assert f"inspectors.csv: {message}" in str(caught.value)


def test_text_that_is_not_utf8_is_named_by_line():
    with pytest.raises(PlanInputError, match=r"targets.csv: line 4: not UTF-8"):
        decode(TARGETS.encode("utf-8") + "T3,丙".encode("gb18030"), "targets.csv")
