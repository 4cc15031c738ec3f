"""The reviewer assignment solver (shanlian.core.assignment) against first-come greedy on a city-sized review round:
2,000 items, 300 experts, 3 reviewers each, with conflicts of interest, capacities and existing loads.

    .venv/bin/python bench/assignment.py
    .venv/bin/python bench/assignment.py --items 5000 --experts 600 --seed 7

Seeded and reproducible. Items belong to organizations; each expert is tied to 1–4 of them and may review none of
their items; experts know 1–3 of 8 fields, items have one (a few fields are far commoner than the rest); some experts
have a capacity and some already hold a few items. Greedy takes, item by item in order, the `need` least-loaded
eligible experts (ties by key), as a hand-written loop would. Both are timed from the same inputs to the finished plan
(wall-clock seconds, the best of --repeat). Optimality is shown, not assumed: the maximum load is checked against the
floor every plan must reach and against a max flow proving that one less cannot cover every need. Exit status 1 when
the solver's plan breaks a rule or is not proven minimal.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np
from ortools.graph.python.max_flow import SimpleMaxFlow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shanlian.core.assignment import Expert, Item, Plan, assign  # noqa: E402

FIELDS = ("elderly", "children", "disability", "community", "finance", "health", "education", "environment")
FIELD_WEIGHTS = (8, 6, 3, 5, 2, 3, 2, 1)
Pairs = set[tuple[Hashable, Hashable]]


def instance(n_items: int, n_experts: int, n_orgs: int, need: int, seed: int) -> tuple[list[Item], list[Expert], Pairs]:
    rng = random.Random(seed)
    items, by_org = [], defaultdict(list)
    for key in range(n_items):
        items.append(Item(key, need, frozenset(rng.choices(FIELDS, FIELD_WEIGHTS))))
        by_org[rng.randrange(n_orgs)].append(key)
    experts, excluded = [], set[tuple[Hashable, Hashable]]()
    for key in range(n_experts):
        load = rng.randint(1, 3) if rng.random() < 0.4 else 0
        capacity = 15 if rng.random() < 0.3 else None
        experts.append(Expert(key, load, capacity, frozenset(rng.sample(FIELDS, rng.randint(1, 3)))))
        for org in rng.sample(range(n_orgs), rng.randint(1, 4)):
            excluded.update((item, key) for item in by_org[org])
    return items, experts, excluded


def greedy(items: list[Item], experts: list[Expert], *, excluded: Pairs) -> Plan:
    """First come, first served: what the order of arrival hands out, item by item, without looking ahead."""
    blocked = defaultdict(set)
    for item_key, expert_key in excluded:
        blocked[item_key].add(expert_key)
    loads = {expert.key: expert.load for expert in experts}
    room = {expert.key: math.inf if expert.capacity is None else expert.capacity for expert in experts}
    pairs, short, matches = [], {}, 0
    fields = {expert.key: expert.fields for expert in experts}
    for item in items:
        no = blocked[item.key]
        eligible = [(loads[key], key) for key in loads if key not in no and loads[key] < room[key]]
        if len(eligible) < item.need:
            short[item.key] = (item.need, len(eligible))
        for _, key in heapq.nsmallest(item.need, eligible):
            pairs.append((item.key, key))
            loads[key] += 1
            matches += bool(item.fields & fields[key])
    return Plan(pairs, short, loads, max(loads.values()), matches)


def best_of(repeat: int, run: Callable[[], Plan]) -> tuple[float, Plan]:
    seconds = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        plan = run()
        seconds = min(seconds, time.perf_counter() - start)
    return seconds, plan


def covers_within(level: int, items: list[Item], experts: list[Expert], excluded: Pairs) -> int:
    """The most units of need a max flow can place with no expert's load above `level`."""
    n_items = len(items)
    sink = n_items + len(experts) + 1
    flow = SimpleMaxFlow()
    for r, item in enumerate(items):
        flow.add_arc_with_capacity(0, r + 1, item.need)
        for c, expert in enumerate(experts):
            if (item.key, expert.key) not in excluded:
                flow.add_arc_with_capacity(r + 1, n_items + 1 + c, 1)
    for c, expert in enumerate(experts):
        top = level if expert.capacity is None else min(level, expert.capacity)
        flow.add_arc_with_capacity(n_items + 1 + c, sink, max(0, top - expert.load))
    flow.solve(0, sink)
    return flow.optimal_flow()


def broken_rules(plan: Plan, items: list[Item], experts: list[Expert], excluded: Pairs) -> list[str]:
    wrong = []
    if len(set(plan.pairs)) != len(plan.pairs):
        wrong.append("an expert twice on one item")
    if excluded & set(plan.pairs):
        wrong.append("an excluded pair")
    got: dict[Hashable, int] = defaultdict(int)
    for item_key, _ in plan.pairs:
        got[item_key] += 1
    if any(got[item.key] != item.need for item in items):
        wrong.append("an item without exactly its need")
    if any(expert.capacity is not None and plan.loads[expert.key] > expert.capacity for expert in experts):
        wrong.append("an expert over capacity")
    return wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--orgs", type=int, default=800, help="organizations the items belong to")
    parser.add_argument("--need", type=int, default=3, help="reviewers per item")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, the best is kept")
    args = parser.parse_args()
    items, experts, excluded = instance(args.items, args.experts, args.orgs, args.need, args.seed)
    total = sum(item.need for item in items) + sum(expert.load for expert in experts)
    print(f"{len(items):,} items × {len(experts):,} experts, need {args.need}: {len(excluded):,} excluded pairs, "
          f"{sum(e.capacity is not None for e in experts)} experts with a capacity, {total - args.need * len(items)} items already held")
    ours_s, ours = best_of(args.repeat, lambda: assign(items, experts, excluded=excluded))
    greedy_s, theirs = best_of(args.repeat, lambda: greedy(items, experts, excluded=excluded))

    def row(name: str, seconds: float, plan: Plan) -> str:
        squares = sum(n * n for n in plan.loads.values())
        done = "yes" if plan.complete else f"NO ({len(plan.short)} items short)"
        return f"| {name} | {seconds:.3f} | {done} | {plan.max_load} | {squares:,} | {plan.field_matches:,} | {len(plan.pairs):,} |"

    print()
    print("| method | seconds | complete | max load | Σ load² | field matches | pairs |")
    print("|---|---:|---|---:|---:|---:|---:|")
    print(row("optimal (min-cost flow)", ours_s, ours))
    print(row("first-come greedy", greedy_s, theirs))
    print()
    floor = math.ceil(total / len(experts))
    below = covers_within(ours.max_load - 1, items, experts, excluded)
    need = total - sum(expert.load for expert in experts)
    minimal = below < need
    print(f"max load {ours.max_load}: floor ceil({total:,} / {len(experts)}) = {floor}; with every load ≤ {ours.max_load - 1} "
          f"a max flow covers {below:,} of {need:,} units of need, so {ours.max_load} is {'proven minimal' if minimal else 'NOT minimal'}")
    loads = np.array(list(ours.loads.values()))
    print(f"optimal loads: min {loads.min()}, median {int(np.median(loads))}, max {loads.max()}; "
          f"greedy's max load {theirs.max_load} is {theirs.max_load - ours.max_load:+d} against it")
    print(f"time: optimal / greedy = {ours_s / greedy_s:.1f}×")
    wrong = broken_rules(ours, items, experts, excluded)
    for rule in wrong:
        print(f"BROKEN: {rule}")
    return 1 if wrong or not minimal or not ours.complete else 0


if __name__ == "__main__":
    sys.exit(main())
