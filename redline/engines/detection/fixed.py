"""Fixed count threshold (CIDARS fixed-threshold method, 固定阈值法): for rare or severe
diseases (plague, cholera class) a period signals as soon as its count reaches `threshold`
(default 1: a single case signals).

Every period is evaluated. Alarm when count >= threshold. The upper bound is threshold − 1,
the largest count that does not signal, so that, as with the other methods, an alarm means
count > upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class FixedResult:
    periods: NDArray[np.int64]  # every period (0-based indices into the series)
    upperbound: NDArray[np.float64]  # threshold − 1
    alarm: NDArray[np.float64]  # 1.0 / 0.0


def fixed(counts: NDArray[np.float64] | list[float], *, threshold: int = 1) -> FixedResult:
    """The fixed threshold over one series of counts."""
    if isinstance(threshold, bool) or int(threshold) != threshold or threshold < 1:
        raise ValueError("threshold must be a whole number >= 1")
    y = np.asarray(counts, dtype=float)
    return FixedResult(
        periods=np.arange(y.size, dtype=np.int64),
        upperbound=np.full(y.size, float(threshold - 1)),
        alarm=(y >= threshold).astype(float),
    )
