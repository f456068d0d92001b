"""The inspection plan's random numbers: one PCG64 stream per stage, used only through its raw
64-bit outputs.

numpy keeps the PCG64 algorithm and SeedSequence's seeding stable, but not the way
`Generator` turns raw bits into integers, shuffles or choices (it may change between numpy
releases). Everything the planner draws is therefore derived here from the raw outputs by
fixed arithmetic, so a seed gives the same plan on every platform and every numpy version.
Framework-free: no Django.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

TWO_64 = 1 << 64

# The stages of a draw, each with its own stream: changing how one stage uses its numbers
# never changes another stage's.
SELECTION = 1
MONTHS = 2
PAIRING = 3


class Stream:
    """The random numbers of one stage of the draw with one seed."""

    def __init__(self, seed: int, stage: int) -> None:
        self._bits = np.random.PCG64(np.random.SeedSequence([seed, stage]))

    def raw(self, count: int) -> npt.NDArray[np.uint64]:
        """`count` raw 64-bit outputs."""
        return self._bits.random_raw(count)

    def below(self, bound: int) -> int:
        """A whole number in [0, bound), each value with probability exactly 1/bound
        (rejection of the raw outputs at or above the largest multiple of bound)."""
        if not 0 < bound <= TWO_64:
            raise ValueError(f"bound must be in 1..2**64, got {bound}")
        limit = TWO_64 - TWO_64 % bound
        while True:
            value = int(self._bits.random_raw())
            if value < limit:
                return value % bound

    def order(self, count: int) -> npt.NDArray[np.int64]:
        """A random order of 0..count-1: positions sorted by a raw 64-bit key each (stable,
        so the rare equal keys keep their positions' order)."""
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        return np.argsort(self.raw(count), kind="stable").astype(np.int64)
