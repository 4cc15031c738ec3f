"""Optimal assignment of expert reviewers: each item (a grant proposal, an organization's evaluation) gets `need`
distinct experts, none in conflict, without overloading anyone.

First-come greedy lets the order items arrive in decide who ends up overloaded and who is left unmatched, so the plan
is optimal for a lexicographic objective instead:

1. cover every item's need with distinct, non-excluded experts within their capacities; when that is impossible
   nothing is assigned and `Plan.short` says which items lack reviewers (callers write all or nothing);
2. balance: minimise Σ over experts of x(x+1)/2, x the final load (existing load included, so a busy expert costs
   more to add to): strictly convex, and the square sum up to a constant. The final load vectors of complete plans
   are the integer points of a base polyhedron, whose square-sum minimiser is least majorized (Tamir 1995; Frank &
   Murota 2022): it has the least maximum load and the most even spread below it, so one objective serves both;
3. among equally balanced plans, the most pairs sharing a subject field: a mismatch costs 1 and the j-th unit of an
   expert's load M·j, with M above the largest possible mismatch total, so a fairer load is never traded for a match;
4. determinism: the same input in the same order gives the same pairs (OR-Tools' min-cost flow is deterministic in
   the order arcs are added), so a re-run or a second server writes what the first showed.

The model is a min-cost flow: source → item (capacity `need`) → expert (capacity 1, cost 0 on a field match else 1,
only for allowed pairs) → sink through one unit arc per level of load, the j-th unit of final load costing M·j, so
the costs of an expert's units add up to M·x(x+1)/2 and the cheaper levels always fill first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from ortools.graph.python.max_flow import SimpleMaxFlow
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

Ints = npt.NDArray[np.int64]
K = TypeVar("K", bound=Hashable)  # an item's key
E = TypeVar("E", bound=Hashable)  # an expert's key

# Levels above the load floor offered at first: conflicts and field clusters usually lift the optimum a little above
# it, and one more level per expert is far cheaper than a second solve.
HEADROOM = 2


@dataclass(frozen=True)
class Item(Generic[K]):
    key: K
    need: int
    fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Expert(Generic[E]):
    key: E
    load: int = 0
    capacity: int | None = None  # the most items in total, `load` included; None: no limit
    fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Plan(Generic[K, E]):
    pairs: list[tuple[K, E]]  # (item key, expert key), in the input order of items, then of experts
    short: dict[K, tuple[int, int]]  # item key -> (need, eligible experts); empty when complete
    loads: dict[E, int]  # every expert's load after the plan, existing load included
    max_load: int
    field_matches: int

    @property
    def complete(self) -> bool:
        return not self.short


def assign(items: Sequence[Item[K]], experts: Sequence[Expert[E]], *, excluded: Collection[tuple[K, E]] = ()) -> Plan[K, E]:
    """`excluded` holds the (item key, expert key) pairs that may not be assigned: conflicts of interest and pairs
    already assigned alike."""
    _validate(items, experts)
    work = [item for item in items if item.need]
    load = np.array([expert.load for expert in experts], dtype=np.int64)
    if not work:
        return _plan(experts, load, [], 0)
    need = np.array([item.need for item in work], dtype=np.int64)
    unlimited = int(need.size)  # nobody can take more than one unit per item
    spare = np.array([unlimited if e.capacity is None else e.capacity - e.load for e in experts], dtype=np.int64)
    allowed = _allowed(work, experts, excluded) & (spare > 0)
    eligible = allowed.sum(axis=1)
    lacking = eligible < need
    if lacking.any():
        return _short(work, experts, load, need, eligible, lacking)
    rows, cols = np.nonzero(allowed)  # row-major: the pairs come out in input order
    mismatch = (~_shared_field(work, experts)[rows, cols]).astype(np.int64)
    top = load + np.minimum(spare, allowed.sum(axis=0))  # the highest final load each expert can reach
    # Why a cap T on the levels loses nothing once the capped network covers every need: the optimum x* is least
    # majorized, so it also minimises Σ max(0, x_e − T). A complete capped plan brings that sum to its floor,
    # Σ max(0, load_e − T), which x* can then only match by taking no expert above max(T, load_e): x* is a plan of
    # the capped network, whose optimum is therefore the global one. Until then, doubling T keeps the solves few.
    cap = min(_floor_level(load, top, int(need.sum())) + HEADROOM, int(top.max()))
    checked = False
    while (flow := _solve(need, load, top, rows, cols, mismatch, cap)) is None:
        if not checked:
            covered = _max_cover(need, top - load, rows, cols)
            if (covered < need).any():
                return _short(work, experts, load, need, eligible, covered < need)
            checked = True
        cap = min(2 * cap, int(top.max()))
    chosen = flow.astype(bool)
    final = load + np.bincount(cols[chosen], minlength=len(experts))
    pairs = [(work[r].key, experts[c].key) for r, c in zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True)]
    return _plan(experts, final, pairs, int(chosen.sum() - mismatch[chosen].sum()))


def _validate(items: Sequence[Item[Any]], experts: Sequence[Expert[Any]]) -> None:
    for item in items:
        if item.need < 0:
            raise ValueError(f"item {item.key!r}: negative need {item.need}")
    for expert in experts:
        if expert.load < 0:
            raise ValueError(f"expert {expert.key!r}: negative load {expert.load}")
        if expert.capacity is not None and expert.capacity < expert.load:
            raise ValueError(f"expert {expert.key!r}: capacity {expert.capacity} below load {expert.load}")
    for what, keys in (("item", Counter(item.key for item in items)), ("expert", Counter(expert.key for expert in experts))):
        if twice := [key for key, n in keys.items() if n > 1]:
            raise ValueError(f"duplicate {what} keys: {twice!r}")


def _allowed(work: list[Item[K]], experts: Sequence[Expert[E]], excluded: Collection[tuple[K, E]]) -> npt.NDArray[np.bool_]:
    row = {item.key: r for r, item in enumerate(work)}
    col = {expert.key: c for c, expert in enumerate(experts)}
    hits = [(row[i], col[e]) for i, e in excluded if i in row and e in col]
    allowed = np.ones((len(work), len(experts)), dtype=bool)
    if hits:
        allowed[tuple(np.array(hits).T)] = False
    return allowed


def _shared_field(work: list[Item[Any]], experts: Sequence[Expert[Any]]) -> npt.NDArray[np.bool_]:
    item_fields, expert_fields = [item.fields for item in work], [expert.fields for expert in experts]
    index: dict[str, int] = {}
    for names in (*item_fields, *expert_fields):
        for name in names:
            index.setdefault(name, len(index))

    def member(sets: list[frozenset[str]]) -> npt.NDArray[np.float32]:
        table = np.zeros((len(sets), len(index)), dtype=np.float32)
        for r, names in enumerate(sets):
            table[r, [index[name] for name in names]] = 1
        return table

    return (member(item_fields) @ member(expert_fields).T) > 0


def _floor_level(load: Ints, top: Ints, total_need: int) -> int:
    """The least T such that filling every expert up to T (within reach) holds all the work: no complete plan keeps
    every new unit at or below a lower level, so the search for the cap starts here."""
    low, high = 0, int(top.max())
    while low < high:
        mid = (low + high) // 2
        if int((np.minimum(top, np.maximum(load, mid)) - load).sum()) >= total_need:
            high = mid
        else:
            low = mid + 1
    return low


def _solve(need: Ints, load: Ints, top: Ints, rows: Ints, cols: Ints, mismatch: Ints, cap: int) -> Ints | None:
    """The flow on each allowed pair in the optimal plan whose final loads stay within `cap` (or an expert's own
    load, when that is higher); None when no such plan covers every need."""
    n_items, n_experts = need.size, load.size
    sink = n_items + n_experts + 1
    levels = np.maximum(np.minimum(top, cap) - load, 0)
    owner = np.repeat(np.arange(n_experts), levels)
    level = np.arange(owner.size) - np.repeat(np.cumsum(levels) - levels, levels) + load[owner] + 1
    weight = int(need.sum()) + 1  # above any total of mismatches
    flow = SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.zeros(n_items, dtype=np.int32), np.arange(1, n_items + 1, dtype=np.int32), need, np.zeros(n_items, dtype=np.int64))
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        (rows + 1).astype(np.int32), (cols + n_items + 1).astype(np.int32), np.ones(rows.size, dtype=np.int64), mismatch)
    flow.add_arcs_with_capacity_and_unit_cost(
        (owner + n_items + 1).astype(np.int32), np.full(owner.size, sink, dtype=np.int32),
        np.ones(owner.size, dtype=np.int64), weight * level.astype(np.int64))
    flow.set_nodes_supplies(np.array([0, sink], dtype=np.int32), np.array([need.sum(), -need.sum()], dtype=np.int64))
    status = flow.solve_max_flow_with_min_cost()
    if status != SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status.name}")
    return np.asarray(flow.flows(arcs), dtype=np.int64) if flow.maximum_flow() == need.sum() else None


def _max_cover(need: Ints, room: Ints, rows: Ints, cols: Ints) -> Ints:
    """How much of each item's need the capacities can cover at best, all items together."""
    n_items, n_experts = need.size, room.size
    sink = n_items + n_experts + 1
    flow = SimpleMaxFlow()
    arcs = flow.add_arcs_with_capacity(np.zeros(n_items, dtype=np.int32), np.arange(1, n_items + 1, dtype=np.int32), need)
    flow.add_arcs_with_capacity((rows + 1).astype(np.int32), (cols + n_items + 1).astype(np.int32), np.ones(rows.size, dtype=np.int64))
    flow.add_arcs_with_capacity(
        np.arange(n_items + 1, sink, dtype=np.int32), np.full(n_experts, sink, dtype=np.int32), room.astype(np.int64))
    status = flow.solve(0, sink)
    if status != SimpleMaxFlow.OPTIMAL:
        raise RuntimeError(f"max flow failed: {status.name}")
    return np.asarray(flow.flows(arcs), dtype=np.int64)


def _short(work: list[Item[K]], experts: Sequence[Expert[E]], load: Ints, need: Ints, eligible: Ints,
           lacking: npt.NDArray[np.bool_]) -> Plan[K, E]:
    short = {work[r].key: (int(need[r]), int(eligible[r])) for r in np.flatnonzero(lacking).tolist()}
    return _plan(experts, load, [], 0, short)


def _plan(experts: Sequence[Expert[E]], final: Ints, pairs: list[tuple[K, E]], matches: int,
          short: dict[K, tuple[int, int]] | None = None) -> Plan[K, E]:
    loads = {expert.key: int(n) for expert, n in zip(experts, final.tolist(), strict=True)}
    return Plan(pairs, short or {}, loads, max(loads.values(), default=0), matches)
