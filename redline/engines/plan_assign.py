"""Staffing inspections: `need` distinct inspectors each, every one allowed for it (competent
for the target's sector, not recused, capacity above 0), nobody over capacity.

This is a flow problem (source -> inspection, `need`; inspection -> allowed inspector, 1;
inspector -> sink, capacity). `assign` first fills the inspections greedily, then completes
the flow with augmenting paths (Ford-Fulkerson from that partial flow), so it staffs every
inspection whenever that is possible at all. With a random stream the greedy part is the
random draw of inspectors: inspections are taken most-constrained first (ties in random
order) and each inspector is drawn with probability proportional to the capacity they have
left. Without one it is deterministic (most capacity left first).

When an inspection cannot be staffed, the inspectors reachable from it in the residual
network form the blocking side of a minimum cut: all of them are at capacity, and they are
the ones a message should name. Framework-free: no Django.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from redline.engines.plan_random import Stream

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Shortfall:
    """An inspection that cannot get its inspectors, and the inspectors that block it (all
    at capacity; empty when fewer than `need` inspectors are allowed at all)."""

    inspection: int
    blocking: tuple[int, ...]


def assign(
    allowed: Sequence[IntArray],
    capacity: IntArray,
    need: int,
    stream: Stream | None = None,
    classes: Sequence[int] | None = None,
    class_pools: Sequence[IntArray] = (),
) -> tuple[list[list[int]], list[Shortfall]]:
    """The inspectors of each inspection (sorted), and the inspections left short (in
    inspection order; none when the whole set can be staffed).

    With `classes` (each inspection's class, e.g. its sector, whose inspectors are
    `class_pools[class]`, a superset of the inspection's allowed ones), each inspector's
    capacity is first split among the classes by `quotas`, and inspectors are drawn in
    proportion to what is left of their quota for the inspection's class: classes then
    cannot starve each other, and the repair has little left to do."""
    count = len(allowed)
    remaining = capacity.astype(np.int64).copy()
    quota: IntArray | None = None
    if classes is not None:
        demand = np.bincount(np.asarray(classes, dtype=np.int64), minlength=len(class_pools))
        quota = quotas(demand, class_pools, remaining, need)
    sizes = np.array([len(pool) for pool in allowed], dtype=np.int64)
    if stream is None:
        order = np.argsort(sizes, kind="stable")
    else:
        # Fewest allowed inspectors first; equal ones in a random order.
        keys = stream.raw(count)
        order = np.lexsort((keys, sizes))
    members: list[list[int]] = [[] for _ in range(count)]
    for x in order.tolist():
        pool = allowed[x]
        if len(pool) == 0:
            continue
        by_capacity = remaining[pool]
        share = quota[classes[x]] if quota is not None and classes is not None else None
        by_quota = np.minimum(share[pool], by_capacity) if share is not None else by_capacity
        for _ in range(need):
            weights = by_quota if by_quota.sum() > 0 else by_capacity
            total = int(weights.sum())
            if total <= 0:
                break
            if stream is None:
                pick = int(np.argmax(weights))
            else:
                point = stream.below(total)
                pick = int(np.searchsorted(np.cumsum(weights), point, side="right"))
            inspector = int(pool[pick])
            members[x].append(inspector)
            remaining[inspector] -= 1
            if share is not None and share[inspector] > 0:
                share[inspector] -= 1
            by_capacity[pick] = 0
            by_quota[pick] = 0
    short = [x for x in range(count) if len(members[x]) < need]
    shortfalls: list[Shortfall] = []
    if short:
        flow = _Flow(allowed, remaining, members)
        for x in short:
            while len(members[x]) < need:
                blocking = flow.augment(x)
                if blocking is not None:
                    shortfalls.append(Shortfall(x, blocking))
                    break
    return [sorted(inspectors) for inspectors in members], shortfalls


def quotas(
    demand: IntArray, class_pools: Sequence[IntArray], capacity: IntArray, need: int
) -> IntArray:
    """How many inspections of each class each inspector takes (classes x inspectors): a
    maximum flow source -> class (need x inspections) -> inspector of its pool (at most one
    per inspection) -> sink (capacity), started from each inspector's capacity split in
    proportion to the demand of their classes, so the quotas stay spread. Deterministic."""
    n_classes, n_people = len(class_pools), len(capacity)
    wanted = [need * int(d) for d in demand]
    start = np.zeros((n_classes, n_people), dtype=np.int64)
    members = np.zeros((n_classes, n_people), dtype=bool)
    for c, pool in enumerate(class_pools):
        if wanted[c]:
            members[c, pool] = True
    weight = members * np.array(wanted, dtype=np.int64)[:, None]
    spread = weight.sum(axis=0)
    limit = np.minimum(capacity[None, :], np.asarray(demand, dtype=np.int64)[:, None]) * members
    np.floor_divide(capacity[None, :] * weight, np.maximum(spread, 1)[None, :], out=start)
    start = np.minimum(start, limit)
    for c in range(n_classes):  # no class gets more than it needs
        total = int(start[c].sum())
        if total > wanted[c]:
            scaled = start[c] * wanted[c] // total
            short = wanted[c] - int(scaled.sum())
            spare = np.flatnonzero(scaled < start[c])[:short]
            scaled[spare] += 1
            start[c] = scaled
    network = _Network(2 + n_classes + n_people)
    source, sink = 0, 1 + n_classes + n_people
    edges: dict[tuple[int, int], int] = {}
    for c in range(n_classes):
        network.add(source, 1 + c, wanted[c], int(start[c].sum()))
    for c in range(n_classes):
        for j in np.flatnonzero(limit[c]).tolist():
            edges[c, j] = network.add(1 + c, 1 + n_classes + j, int(limit[c, j]), int(start[c, j]))
    for j in range(n_people):
        network.add(1 + n_classes + j, sink, int(capacity[j]), int(start[:, j].sum()))
    network.run(source, sink)
    result = np.zeros((n_classes, n_people), dtype=np.int64)
    for (c, j), edge in edges.items():
        result[c, j] = network.flow[edge]
    return result


class _Network:
    """A small flow network and Dinic's algorithm (deterministic: edges in insertion
    order); each edge's reverse is the edge id xor 1."""

    def __init__(self, size: int) -> None:
        self.out: list[list[int]] = [[] for _ in range(size)]
        self.to: list[int] = []
        self.cap: list[int] = []
        self.flow: list[int] = []

    def add(self, u: int, v: int, capacity: int, flow: int = 0) -> int:
        edge = len(self.to)
        self.to += [v, u]
        self.cap += [capacity, 0]
        self.flow += [flow, -flow]
        self.out[u].append(edge)
        self.out[v].append(edge + 1)
        return edge

    def run(self, source: int, sink: int) -> None:
        while True:
            level = [-1] * len(self.out)
            level[source] = 0
            queue = deque([source])
            while queue:
                u = queue.popleft()
                for e in self.out[u]:
                    v = self.to[e]
                    if level[v] < 0 and self.cap[e] > self.flow[e]:
                        level[v] = level[u] + 1
                        queue.append(v)
            if level[sink] < 0:
                return
            cursor = [0] * len(self.out)
            while self._push(source, sink, 1 << 62, level, cursor):
                pass

    def _push(self, u: int, sink: int, most: int, level: list[int], cursor: list[int]) -> int:
        if u == sink:
            return most
        edges = self.out[u]
        while cursor[u] < len(edges):
            e = edges[cursor[u]]
            v = self.to[e]
            room = self.cap[e] - self.flow[e]
            if room > 0 and level[v] == level[u] + 1:
                pushed = self._push(v, sink, min(most, room), level, cursor)
                if pushed:
                    self.flow[e] += pushed
                    self.flow[e ^ 1] -= pushed
                    return pushed
            cursor[u] += 1
        return 0


class _Flow:
    """Augmenting paths over the inspectors: an inspection short of an inspector takes one
    who is allowed and not yet on it; if that one is at capacity, they hand one of their
    inspections to another allowed inspector, and so on to someone with capacity left.

    Inspections share their allowed lists (a sector's inspectors, unless the target recuses
    some), so the search scans each list once: after that, only the few inspectors it skipped
    because they were already on the inspection it was scanned for can still be new."""

    def __init__(
        self, allowed: Sequence[IntArray], remaining: IntArray, members: list[list[int]]
    ) -> None:
        self.remaining = remaining
        self.members = members
        known: dict[int, int] = {}
        self.pools: list[IntArray] = []
        self.pool_of: list[int] = []
        for pool in allowed:
            if id(pool) not in known:
                known[id(pool)] = len(self.pools)
                self.pools.append(pool)
            self.pool_of.append(known[id(pool)])
        # Per inspector: the inspections they are on, by allowed list.
        self.held: list[dict[int, set[int]]] = [{} for _ in range(len(remaining))]
        for x, inspectors in enumerate(members):
            for j in inspectors:
                self.held[j].setdefault(self.pool_of[x], set()).add(x)

    def augment(self, start: int) -> tuple[int, ...] | None:
        """One more inspector for `start`: None when done, else the inspectors reachable
        from it (the blocking side of a minimum cut, all at capacity)."""
        seen = np.zeros(len(self.remaining), dtype=bool)
        parent: dict[int, tuple[int, int]] = {}
        queue: deque[int] = deque()
        left: dict[int, list[int]] = {}  # per scanned list: inspectors it could still give

        def reach(inspection: int, via: int) -> None:
            pool = self.pool_of[inspection]
            if pool in left:
                candidates = left[pool]
            else:
                everyone = self.pools[pool]
                candidates = everyone[~seen[everyone]].tolist()
            on = self.members[inspection]
            kept = []
            for k in candidates:
                if seen[k]:
                    continue
                if k in on:
                    kept.append(k)
                    continue
                seen[k] = True
                parent[k] = (via, inspection)
                queue.append(k)
            left[pool] = kept

        reach(start, -1)
        while queue:
            j = queue.popleft()
            if self.remaining[j] > 0:
                self._apply(j, parent)
                return None
            for pool, inspections in self.held[j].items():
                if pool in left and not left[pool]:
                    continue  # nothing new through this list
                for y in sorted(inspections):
                    reach(y, j)
                    if not left[pool]:
                        break
        return tuple(sorted(parent))

    def _apply(self, end: int, parent: dict[int, tuple[int, int]]) -> None:
        self.remaining[end] -= 1
        k = end
        while True:
            j, y = parent[k]
            pool = self.pool_of[y]
            self.members[y].append(k)
            self.held[k].setdefault(pool, set()).add(y)
            if j == -1:
                return
            self.members[y].remove(j)
            self.held[j][pool].discard(y)
            if not self.held[j][pool]:
                del self.held[j][pool]
            k = j
