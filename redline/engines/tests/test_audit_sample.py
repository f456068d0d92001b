"""The audit paper's sample: reproducible from the seed and the ordered population as the
module note says, pinned so that a change of algorithm (or of Python's generator) shows."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.engines.audit_sample import (
    SEED_LIMIT,
    combined_digest,
    draw,
    new_seed,
    population_digest,
    sample_positions,
    valid_seed,
)


def test_pinned_samples():
    assert sample_positions(42, "task", 30, 5) == [24, 22, 9, 20, 15]
    assert sample_positions(20260301, "hazard", 1000, 5) == [568, 4, 500, 91, 492]


def test_the_digest_is_sha256_of_the_ordered_lines():
    assert (
        population_digest("task", [1, 2, 3])
        == hashlib.sha256(b"task:1\ntask:2\ntask:3").hexdigest()
    )
    assert population_digest("task", [1, 2, 3]) != population_digest("task", [1, 3, 2])


@given(
    seed=st.integers(0, SEED_LIMIT - 1),
    size=st.integers(0, 200),
    wanted=st.integers(0, 12),
    kind=st.sampled_from(["task", "hazard", "measure"]),
)
def test_a_sample_is_distinct_in_range_reproducible_and_a_prefix_of_a_larger_one(
    seed, size, wanted, kind
):
    picked = sample_positions(seed, kind, size, wanted)
    assert len(picked) == min(size, wanted) == len(set(picked))
    assert all(0 <= p < size for p in picked)
    assert picked == sample_positions(seed, kind, size, wanted)
    assert sample_positions(seed, kind, size, wanted + 3)[: len(picked)] == picked
    # By hand, as the module note says.
    rng = random.Random(f"{seed}:{kind}")
    order = list(range(size))
    for i in range(min(size, wanted)):
        j = i + int(rng.random() * (size - i))
        order[i], order[j] = order[j], order[i]
    assert order[: min(size, wanted)] == picked


def test_draw_maps_positions_to_ids_and_refuses_bad_input():
    ids = [10 * n for n in range(1, 31)]
    drawn = draw(42, "task", ids, 5)
    assert drawn.ids == tuple(ids[p] for p in [24, 22, 9, 20, 15])
    assert drawn.size == 30 and drawn.sha256 == population_digest("task", ids)
    assert combined_digest([drawn]) != combined_digest([draw(42, "task", ids[:-1], 5)])
    with pytest.raises(ValueError):
        draw(42, "task", [1, 1], 1)
    with pytest.raises(ValueError):
        sample_positions(SEED_LIMIT, "task", 3, 1)
    assert not valid_seed(-1) and not valid_seed(True) and valid_seed(new_seed())


def test_every_record_is_as_likely_to_be_sampled():
    """Over many seeds each position is sampled about equally often (k/N each)."""
    counts = [0] * 10
    for seed in range(4000):
        for p in sample_positions(seed, "measure", 10, 3):
            counts[p] += 1
    expected = 4000 * 3 / 10
    assert all(abs(c - expected) < 5 * (expected * 0.7) ** 0.5 for c in counts), counts
