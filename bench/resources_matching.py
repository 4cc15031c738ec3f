"""The resource hub's matching (shanlian.resources.matching) against first-fit on a city-sized batch: 10,000 needs
and 2,000 offers over a Guangzhou-shaped division tree (11 districts, 176 streets, ~2,800 communities).

    .venv/bin/python bench/resources_matching.py
    .venv/bin/python bench/resources_matching.py --needs 20000 --offers 4000 --seed 7

Seeded and reproducible. 20 categories, a few far commoner than the rest (rice and oil, free clinics, tutoring);
offers serve the city (5%), a district (30%), a street (50%) or a community (15%), some from a point with a reach of
2–8 km; needs are at a community (80%) or a street, half with a point; offers hold 5–300 units, needs 1–40; offers
become available from 30 days ago to 30 days ahead, some end; needs are due in 1–90 days. First-fit fills needs by
date from the first offers that fit, in input order; both use the same fit rule and are timed from the same inputs to
the finished plan (wall-clock seconds, the best of --repeat). The optimum's total is checked against a max flow over
the same pairs. Exit status 1 when the plan is not the maximum, breaks a quantity, or takes longer than --limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from ortools.graph.python.max_flow import SimpleMaxFlow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shanlian.resources.matching import NeedIn, OfferIn, Plan, first_fit, pairs, propose  # noqa: E402

TODAY = dt.date(2026, 12, 4)
CATEGORIES = 20
CATEGORY_WEIGHTS = [12, 10, 9, 8, 6, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1]
CENTRE = (23.13, 113.26)


def tree(seed: int) -> tuple[list[str], list[str], list[str], dict[str, tuple[float, float]]]:
    """Paths of districts, streets and communities, each with a point near its parent's."""
    rng = random.Random(seed)
    districts, streets, communities = [], [], []
    points: dict[str, tuple[float, float]] = {"/1/": CENTRE}
    n = 1
    for _d in range(11):
        n += 1
        d = f"/1/{n}/"
        districts.append(d)
        points[d] = (CENTRE[0] + rng.uniform(-0.3, 0.3), CENTRE[1] + rng.uniform(-0.3, 0.3))
        for _s in range(16):
            n += 1
            s = f"{d}{n}/"
            streets.append(s)
            points[s] = (points[d][0] + rng.uniform(-0.05, 0.05), points[d][1] + rng.uniform(-0.05, 0.05))
            for _c in range(rng.randint(12, 20)):
                n += 1
                c = f"{s}{n}/"
                communities.append(c)
                points[c] = (points[s][0] + rng.uniform(-0.01, 0.01), points[s][1] + rng.uniform(-0.01, 0.01))
    return districts, streets, communities, points


def instance(n_needs: int, n_offers: int, seed: int) -> tuple[list[OfferIn], list[NeedIn]]:
    districts, streets, communities, points = tree(seed)
    rng = random.Random(seed + 1)
    cats = list(range(CATEGORIES))
    offers = []
    for key in range(n_offers):
        level = rng.choices(["city", "district", "street", "community"], [5, 30, 50, 15])[0]
        path = {"city": "/1/", "district": rng.choice(districts), "street": rng.choice(streets),
                "community": rng.choice(communities)}[level]
        point, reach = None, None
        if level in ("street", "community") and rng.random() < 0.2:
            base = points[path]
            point, reach = (base[0] + rng.uniform(-0.005, 0.005), base[1] + rng.uniform(-0.005, 0.005)), rng.randint(2, 8)
        start = TODAY + dt.timedelta(days=rng.randint(-30, 30))
        end = start + dt.timedelta(days=rng.randint(30, 180)) if rng.random() < 0.5 else None
        offers.append(OfferIn(key, rng.choices(cats, CATEGORY_WEIGHTS)[0], rng.randint(5, 300), path, start, end, point, reach))
    needs = []
    for key in range(n_needs):
        path = rng.choice(communities) if rng.random() < 0.8 else rng.choice(streets)
        point = None
        if rng.random() < 0.5:
            base = points[path]
            point = (base[0] + rng.uniform(-0.003, 0.003), base[1] + rng.uniform(-0.003, 0.003))
        needs.append(NeedIn(key, rng.choices(cats, CATEGORY_WEIGHTS)[0], rng.randint(1, 40), path,
                            TODAY + dt.timedelta(days=rng.randint(1, 90)), point))
    return offers, needs


def best_of(repeat: int, run: Callable[[], Plan]) -> tuple[float, Plan]:
    seconds = math.inf
    plan = None
    for _ in range(repeat):
        start = time.perf_counter()
        plan = run()
        seconds = min(seconds, time.perf_counter() - start)
    assert plan is not None
    return seconds, plan


def max_flow(offers: list[OfferIn], needs: list[NeedIn]) -> int:
    """The most quantity any plan can match over the pairs that fit: the optimum's first objective, proved."""
    found = pairs(offers, needs, TODAY)
    n_o = len(offers)
    sink = n_o + len(needs) + 1
    flow = SimpleMaxFlow()
    flow.add_arcs_with_capacity(np.zeros(n_o, dtype=np.int32), np.arange(1, n_o + 1, dtype=np.int32),
                                np.array([o.remaining for o in offers], dtype=np.int64))
    flow.add_arcs_with_capacity(np.array([i + 1 for i, _j, _f in found], dtype=np.int32),
                                np.array([n_o + 1 + j for _i, j, _f in found], dtype=np.int32),
                                np.full(len(found), 10**9, dtype=np.int64))
    flow.add_arcs_with_capacity(np.arange(n_o + 1, sink, dtype=np.int32), np.full(len(needs), sink, dtype=np.int32),
                                np.array([n.remaining for n in needs], dtype=np.int64))
    flow.solve(0, sink)
    return int(flow.optimal_flow())


def broken(plan: Plan, offers: list[OfferIn], needs: list[NeedIn]) -> list[str]:
    left = {o.key: o.remaining for o in offers}
    lack = {n.key: n.remaining for n in needs}
    for p in plan.proposals:
        left[p.offer] -= p.quantity
        lack[p.need] -= p.quantity
    wrong = []
    if min(left.values()) < 0:
        wrong.append("an offer over-committed")
    if min(lack.values()) < 0:
        wrong.append("a need over-filled")
    return wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds the optimal plan may take")
    args = parser.parse_args()
    offers, needs = instance(args.needs, args.offers, args.seed)
    arcs = len(pairs(offers, needs, TODAY))
    optimal_s, optimal = best_of(args.repeat, lambda: propose(offers, needs, TODAY))
    greedy_s, greedy = best_of(args.repeat, lambda: first_fit(offers, needs, TODAY))
    ceiling = max_flow(offers, needs)
    wanted = sum(n.remaining for n in needs)
    filled = defaultdict(int)
    for p in optimal.proposals:
        filled[p.need] += p.quantity
    full = sum(1 for n in needs if filled[n.key] == n.remaining)
    print(f"{args.needs:,} needs ({wanted:,} units wanted), {args.offers:,} offers "
          f"({sum(o.remaining for o in offers):,} units), {arcs:,} pairs that fit")
    print(f"{'':12} {'seconds':>8} {'matched':>10} {'cost/unit':>10} {'matches':>8}")
    for name, seconds, plan in (("min-cost", optimal_s, optimal), ("first-fit", greedy_s, greedy)):
        print(f"{name:12} {seconds:8.3f} {plan.matched:10,} {plan.cost / max(plan.matched, 1):10.1f} {len(plan.proposals):8,}")
    print(f"ratio: min-cost takes {optimal_s / greedy_s:.1f}× first-fit's time, matches "
          f"{optimal.matched / max(greedy.matched, 1):.3f}× its quantity ({optimal.matched - greedy.matched:+,} units); "
          f"needs filled in full: {full:,}; max flow {ceiling:,}")
    wrong = broken(optimal, offers, needs)
    if optimal.matched != ceiling:
        wrong.append(f"matched {optimal.matched} is not the max flow {ceiling}")
    if optimal_s > args.limit:
        wrong.append(f"took {optimal_s:.2f} s, over {args.limit} s")
    for line in wrong:
        print("FAIL:", line)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
