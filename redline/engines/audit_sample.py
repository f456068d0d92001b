"""The reproducible random sample of an audit working paper (审计式检查 工作底稿).

Before an audit-style inspection the inspector is handed a few records of each kind (the
unit's inspection-task records, closed hidden hazards, control measures) to verify on site.
Which records is decided by a seed stored on the paper, so anyone holding the same seed and
the same records draws the same sample, by hand if need be:

1. List the population of a kind in its stable natural order (the caller's: for example
   inspection tasks by due time, then measure id), as record ids.
2. Seed Python's `random.Random` with the text ``f"{seed}:{kind}"`` (e.g. ``"42:task"``),
   Python's version-2 string seeding, and use only its `random()` method: Python
   guarantees the sequence `random()` gives for a seed across versions (the other methods,
   such as `sample`, may change).
3. Partial Fisher-Yates shuffle of positions 0..N-1: for i = 0..k-1, draw
   ``j = i + floor(random() * (N - i))`` and swap positions i and j; the sample is the
   first k positions, in that order (k = min(wanted, N)).

The population's digest is SHA-256 of the lines ``"{kind}:{id}"`` in that order joined by
``"\\n"`` (UTF-8), so a paper can show that its population was the one it sampled from.

Framework-free: no Django.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

SEED_LIMIT = 2**32  # seeds are 32-bit non-negative numbers


def new_seed() -> int:
    """A fresh random seed (0 <= seed < 2**32)."""
    return secrets.randbelow(SEED_LIMIT)


def valid_seed(seed: int) -> bool:
    return isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < SEED_LIMIT


def population_digest(kind: str, ids: Sequence[int]) -> str:
    """SHA-256 (hex) of the ordered population, one ``kind:id`` line per record."""
    text = "\n".join(f"{kind}:{record_id}" for record_id in ids)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sample_positions(seed: int, kind: str, size: int, wanted: int) -> list[int]:
    """The positions (0-based, in drawing order) of the sample of `wanted` records from a
    population of `size` (all of it, shuffled, when it is smaller)."""
    if not valid_seed(seed):
        raise ValueError(f"seed must be 0 <= seed < 2**32, got {seed!r}")
    if size < 0 or wanted < 0:
        raise ValueError("size and wanted must not be negative")
    rng = random.Random(f"{seed}:{kind}")
    order = list(range(size))
    for i in range(min(wanted, size)):
        j = i + int(rng.random() * (size - i))
        order[i], order[j] = order[j], order[i]
    return order[: min(wanted, size)]


@dataclass(frozen=True)
class Drawn:
    """A kind's sample: the population's size and digest, and the sampled ids in order."""

    kind: str
    size: int
    sha256: str
    ids: tuple[int, ...]


def draw(seed: int, kind: str, ids: Sequence[int], wanted: int) -> Drawn:
    """Sample `wanted` ids of the ordered population `ids` (see the module note)."""
    if len(set(ids)) != len(ids):
        raise ValueError(f"{kind}: the population lists an id twice")
    picked = tuple(ids[p] for p in sample_positions(seed, kind, len(ids), wanted))
    return Drawn(kind=kind, size=len(ids), sha256=population_digest(kind, ids), ids=picked)


def combined_digest(drawn: Sequence[Drawn]) -> str:
    """One digest of every kind's population (kinds in the given order)."""
    text = "\n".join(f"{d.kind}:{d.size}:{d.sha256}" for d in drawn)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
