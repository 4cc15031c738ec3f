"""The reviewer assignment solver against exhaustive search on small instances, and its edges."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Hashable
from itertools import combinations

import numpy as np
import pytest
from ortools.graph.python.max_flow import SimpleMaxFlow

from shanlian.core import assignment
from shanlian.core.assignment import Expert, Item, Plan, assign

Pairs = set[tuple[Hashable, Hashable]]


def random_instance(rng: random.Random, n_items: int, n_experts: int, *, p_excluded: float) -> tuple[list[Item], list[Expert], Pairs]:
    fields = ("elderly", "children", "finance")
    items = [Item(f"p{i}", rng.randint(0, 3), frozenset(rng.sample(fields, rng.randint(0, 2)))) for i in range(n_items)]
    experts = []
    for e in range(n_experts):
        load = rng.choice((0, 0, 1, 2, 3))
        capacity = None if rng.random() < 0.5 else load + rng.randint(0, 3)
        experts.append(Expert(e, load, capacity, frozenset(rng.sample(fields, rng.randint(0, 2)))))
    excluded = {(item.key, expert.key) for item in items for expert in experts if rng.random() < p_excluded}
    return items, experts, excluded


def exhaustive(items: list[Item], experts: list[Expert], excluded: Pairs) -> tuple[int, int, int] | None:
    """(least max load, least Σ load², most field matches among the plans with that Σ) over every complete plan, or
    None when there is none: all choices of `need` allowed experts per item, merged by final loads as they go."""
    plans = {tuple(expert.load for expert in experts): 0}  # final loads -> most field matches reaching them
    for item in items:
        allowed = [c for c, expert in enumerate(experts) if (item.key, expert.key) not in excluded]
        grown: dict[tuple[int, ...], int] = {}
        for loads, matches in plans.items():
            for chosen in combinations(allowed, item.need):
                after = list(loads)
                for c in chosen:
                    after[c] += 1
                if all(e.capacity is None or n <= e.capacity for e, n in zip(experts, after, strict=True)):
                    gained = matches + sum(bool(item.fields & experts[c].fields) for c in chosen)
                    grown[tuple(after)] = max(grown.get(tuple(after), -1), gained)
        plans = grown
    if not plans:
        return None
    least_square = min(sum(n * n for n in loads) for loads in plans)
    return (min(max(loads, default=0) for loads in plans), least_square,
            max(m for loads, m in plans.items() if sum(n * n for n in loads) == least_square))


def check_rules(plan: Plan, items: list[Item], experts: list[Expert], excluded: Pairs) -> None:
    assert plan.complete
    assert not excluded & set(plan.pairs)
    assert len(set(plan.pairs)) == len(plan.pairs)
    per_item = Counter(item_key for item_key, _ in plan.pairs)
    assert all(per_item[item.key] == item.need for item in items)
    per_expert = Counter(expert_key for _, expert_key in plan.pairs)
    assert plan.loads == {expert.key: expert.load + per_expert[expert.key] for expert in experts}
    assert all(expert.capacity is None or plan.loads[expert.key] <= expert.capacity for expert in experts)
    assert plan.max_load == max(plan.loads.values(), default=0)
    item_fields, expert_fields = {item.key: item.fields for item in items}, {expert.key: expert.fields for expert in experts}
    assert plan.field_matches == sum(bool(item_fields[i] & expert_fields[e]) for i, e in plan.pairs)


@pytest.mark.parametrize("headroom", [0, 1, assignment.HEADROOM])  # a smaller one starts lower, so more solves double the cap
def test_matches_exhaustive_search(monkeypatch: pytest.MonkeyPatch, headroom: int) -> None:
    monkeypatch.setattr(assignment, "HEADROOM", headroom)
    rng = random.Random(20240611)
    outcomes: Counter[bool] = Counter()
    for _ in range(1000):
        items, experts, excluded = random_instance(rng, rng.randint(0, 6), rng.randint(1, 5), p_excluded=rng.choice((0.1, 0.3)))
        plan = assign(items, experts, excluded=excluded)
        best = exhaustive(items, experts, excluded)
        outcomes[plan.complete] += 1
        if best is None:
            assert not plan.complete and plan.pairs == []
            assert plan.loads == {expert.key: expert.load for expert in experts}
            continue
        check_rules(plan, items, experts, excluded)
        assert (plan.max_load, sum(n * n for n in plan.loads.values()), plan.field_matches) == best
    assert min(outcomes.values()) > 300  # both outcomes well exercised


def test_same_input_same_pairs() -> None:
    items, experts, excluded = random_instance(random.Random(7), 60, 12, p_excluded=0.1)
    assert assign(items, experts, excluded=excluded) == assign(items, experts, excluded=excluded)


def test_balance_counts_existing_load_and_then_fields() -> None:
    experts = [Expert("busy", load=5, fields=frozenset({"finance"})), Expert("free"), Expert("other")]
    plan = assign([Item("a", 1, frozenset({"finance"})), Item("b", 1), Item("c", 1, frozenset({"finance"}))], experts)
    assert plan.loads["busy"] == 5 and sorted(plan.loads.values()) == [1, 2, 5] and plan.field_matches == 0  # balance first
    plan = assign([Item("a", 1, frozenset({"finance"}))], [Expert("x"), Expert("y", fields=frozenset({"finance"}))])
    assert plan.pairs == [("a", "y")] and plan.field_matches == 1


def test_item_short_of_eligible_experts() -> None:
    experts = [Expert(1), Expert(2), Expert(3, load=2, capacity=2), Expert(4)]
    plan = assign([Item("ok", 2), Item("short", 3)], experts, excluded={("short", 4)})
    assert plan.short == {"short": (3, 2)} and plan.pairs == [] and not plan.complete
    assert plan.loads == {1: 0, 2: 0, 3: 2, 4: 0} and plan.field_matches == 0
    # Only the item that cannot be covered on its own, not the one a max flow would sacrifice beside it.
    assert assign([Item("b", 2), Item("a", 3)], [Expert(1, capacity=1), Expert(2, capacity=1)]).short == {"a": (3, 2)}


def test_capacities_jointly_short() -> None:
    plan = assign([Item("a", 2), Item("b", 2)], [Expert(e, capacity=1) for e in range(3)])
    assert plan.pairs == [] and len(plan.short) == 1
    assert set(plan.short.values()) == {(2, 3)}


def test_nothing_to_assign() -> None:
    experts = [Expert(1, load=4), Expert(2)]
    for items in ([], [Item("a", 0)]):
        assert assign(items, experts) == Plan([], {}, {1: 4, 2: 0}, 4, 0)
    assert assign([], []).complete


@pytest.mark.parametrize(("items", "experts", "message"), [
    ([Item("a", -1)], [], "negative need"),
    ([], [Expert(1, load=-1)], "negative load"),
    ([], [Expert(1, load=3, capacity=2)], "capacity 2 below load 3"),
    ([Item("a", 1), Item("a", 2)], [Expert(1)], "duplicate item keys"),
    ([Item("a", 1)], [Expert(1), Expert(1)], "duplicate expert keys"),
])
def test_rejects_bad_input(items: list[Item], experts: list[Expert], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        assign(items, experts)


def test_medium_round_is_fast_and_minimal() -> None:
    """300 proposals × 60 experts with organizational conflicts (bench/assignment.py runs 2,000 × 300)."""
    rng = random.Random(3)
    orgs = [rng.randrange(120) for _ in range(300)]
    items = [Item(i, 3, frozenset({rng.choice("abcdefgh")})) for i in range(300)]
    experts = [Expert(e, rng.choice((0, 0, 2)), rng.choice((None, None, 12)), frozenset(rng.sample("abcdefgh", 2))) for e in range(60)]
    excluded: Pairs = {(i, e) for e in range(60) for org in rng.sample(range(120), 3) for i in range(300) if orgs[i] == org}
    start = time.perf_counter()
    plan = assign(items, experts, excluded=excluded)
    assert time.perf_counter() - start < 2
    check_rules(plan, items, experts, excluded)
    # One less than its max load: the best flow cannot cover every need.
    flow = SimpleMaxFlow()
    sink = 361
    for i in range(300):
        flow.add_arc_with_capacity(0, i + 1, 3)
    allowed = [(i + 1, 301 + e) for i in range(300) for e in range(60) if (i, e) not in excluded]
    flow.add_arcs_with_capacity(*np.array(allowed, dtype=np.int32).T, np.ones(len(allowed), dtype=np.int64))
    for e, expert in enumerate(experts):
        below = plan.max_load - 1 if expert.capacity is None else min(plan.max_load - 1, expert.capacity)
        flow.add_arc_with_capacity(301 + e, sink, max(0, below - expert.load))
    flow.solve(0, sink)
    assert flow.optimal_flow() < 900
