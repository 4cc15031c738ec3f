"""The matching solver against an LP (OR-Tools' GLOP) on many random small batches, and against brute force on tiny
ones: the same total matched and the same cost. No database."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from ortools.linear_solver import pywraplp

from shanlian.resources.matching import NeedIn, OfferIn, first_fit, fit, km_between, pairs, propose

TODAY = dt.date(2026, 12, 4)
PATHS = ["/1/", "/1/2/", "/1/2/5/", "/1/2/5/9/", "/1/2/6/", "/1/3/", "/1/3/7/", "/1/3/7/8/"]
LEAVES = ["/1/2/5/9/", "/1/2/5/", "/1/2/6/", "/1/3/7/8/", "/1/3/7/"]


def _point(rng: random.Random) -> tuple[float, float] | None:
    return (23.1 + rng.random() * 0.2, 113.2 + rng.random() * 0.2) if rng.random() < 0.5 else None


def batch(rng: random.Random, n_offers: int, n_needs: int, top: int = 9) -> tuple[list[OfferIn], list[NeedIn]]:
    offers = [OfferIn(f"o{i}", rng.choice("ab"), rng.randint(0, top), rng.choice(PATHS),
                      TODAY + dt.timedelta(days=rng.randint(-5, 20)),
                      rng.choice([None, TODAY + dt.timedelta(days=rng.randint(0, 40))]), pt := _point(rng),
                      rng.choice([None, 5, 15]) if pt else None) for i in range(n_offers)]
    offers = [o if o.available_until is None or o.available_until >= o.available_from else
              OfferIn(o.key, o.category, o.remaining, o.path, o.available_from, None, o.point, o.reach_km) for o in offers]
    needs = [NeedIn(f"n{j}", rng.choice("ab"), rng.randint(0, top), rng.choice(LEAVES),
                    TODAY + dt.timedelta(days=rng.randint(0, 30)), _point(rng)) for j in range(n_needs)]
    return offers, needs


def lp_optimum(offers: list[OfferIn], needs: list[NeedIn]) -> tuple[int, int]:
    """Max total, then min cost at that total: two LPs (the transportation polytope is integral)."""
    arcs = pairs(offers, needs, TODAY)
    if not arcs:
        return 0, 0

    def solve(stage_total: float | None) -> float:
        solver = pywraplp.Solver.CreateSolver("GLOP")
        x = [solver.NumVar(0, solver.infinity(), f"x{k}") for k in range(len(arcs))]
        for i, o in enumerate(offers):
            solver.Add(sum(x[k] for k, a in enumerate(arcs) if a[0] == i) <= o.remaining)
        for j, n in enumerate(needs):
            solver.Add(sum(x[k] for k, a in enumerate(arcs) if a[1] == j) <= n.remaining)
        if stage_total is None:
            solver.Maximize(sum(x))
        else:
            solver.Add(sum(x) >= stage_total - 1e-7)
            solver.Minimize(sum(a[2].cost * x[k] for k, a in enumerate(arcs)))
        assert solver.Solve() == pywraplp.Solver.OPTIMAL
        return solver.Objective().Value()

    total = solve(None)
    return round(total), round(solve(total))


def brute_force(offers: list[OfferIn], needs: list[NeedIn]) -> tuple[int, int]:
    arcs = pairs(offers, needs, TODAY)
    best = (0, 0)
    ranges = [range(min(offers[i].remaining, needs[j].remaining) + 1) for i, j, _f in arcs]
    for amounts in itertools.product(*ranges):
        if any(sum(q for q, a in zip(amounts, arcs, strict=True) if a[0] == i) > o.remaining for i, o in enumerate(offers)):
            continue
        if any(sum(q for q, a in zip(amounts, arcs, strict=True) if a[1] == j) > n.remaining for j, n in enumerate(needs)):
            continue
        total, cost = sum(amounts), sum(q * a[2].cost for q, a in zip(amounts, arcs, strict=True))
        if total > best[0] or (total == best[0] and cost < best[1]):
            best = (total, cost)
    return best


def _feasible(plan, offers, needs) -> None:
    left = {o.key: o.remaining for o in offers}
    lack = {n.key: n.remaining for n in needs}
    for p in plan.proposals:
        left[p.offer] -= p.quantity
        lack[p.need] -= p.quantity
        assert p.quantity > 0
    assert min(left.values(), default=0) >= 0 and min(lack.values(), default=0) >= 0


def test_optimal_against_lp_on_random_batches():
    rng = random.Random(2026)
    for _ in range(150):
        offers, needs = batch(rng, rng.randint(1, 7), rng.randint(1, 9))
        plan = propose(offers, needs, TODAY)
        _feasible(plan, offers, needs)
        assert (plan.matched, plan.cost) == lp_optimum(offers, needs)
        greedy = first_fit(offers, needs, TODAY)
        _feasible(greedy, offers, needs)
        assert greedy.matched <= plan.matched
        assert greedy.matched < plan.matched or greedy.cost >= plan.cost


def test_optimal_against_brute_force_on_tiny_batches():
    rng = random.Random(7)
    checked = 0
    while checked < 60:
        offers, needs = batch(rng, rng.randint(1, 3), rng.randint(1, 3), top=3)
        if len(pairs(offers, needs, TODAY)) > 5:
            continue
        plan = propose(offers, needs, TODAY)
        assert (plan.matched, plan.cost) == brute_force(offers, needs)
        checked += 1


def test_split_and_combined():
    """One offer split over two needs; one need filled from two offers; the nearer offer preferred."""
    offers = [OfferIn("rice", "粮油", 30, "/1/2/", TODAY), OfferIn("oil", "粮油", 10, "/1/2/5/", TODAY)]
    needs = [NeedIn("a", "粮油", 25, "/1/2/5/9/", TODAY + dt.timedelta(days=9)),
             NeedIn("b", "粮油", 15, "/1/2/6/", TODAY + dt.timedelta(days=9))]
    plan = propose(offers, needs, TODAY)
    assert plan.matched == 40
    got = {(p.offer, p.need): p.quantity for p in plan.proposals}
    assert got == {("oil", "a"): 10, ("rice", "a"): 15, ("rice", "b"): 15}


@pytest.mark.parametrize(("offer", "need", "ok"), [
    (OfferIn("o", "x", 1, "/1/2/", TODAY), NeedIn("n", "y", 1, "/1/2/5/", TODAY), False),  # category
    (OfferIn("o", "x", 1, "/1/3/", TODAY), NeedIn("n", "x", 1, "/1/2/5/", TODAY), False),  # area
    (OfferIn("o", "x", 1, "/1/2/5/", TODAY), NeedIn("n", "x", 1, "/1/2/", TODAY), False),  # the offer's area is smaller
    (OfferIn("o", "x", 1, "/1/2/", TODAY + dt.timedelta(days=3)), NeedIn("n", "x", 1, "/1/2/", TODAY + dt.timedelta(days=2)),
     False),  # available only after the need's date
    (OfferIn("o", "x", 1, "/1/2/", TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=1)),
     NeedIn("n", "x", 1, "/1/2/", TODAY + dt.timedelta(days=2)), False),  # no longer available
    (OfferIn("o", "x", 1, "/1/3/", TODAY, None, (23.1, 113.3), 5), NeedIn("n", "x", 1, "/1/2/", TODAY, (23.12, 113.3)),
     True),  # 2.2 km, within its reach
    (OfferIn("o", "x", 1, "/1/3/", TODAY, None, (23.1, 113.3), 1), NeedIn("n", "x", 1, "/1/2/", TODAY, (23.12, 113.3)),
     False),  # beyond its reach
    (OfferIn("o", "x", 1, "/1/2/", TODAY), NeedIn("n", "x", 1, "/1/2/", TODAY), True),
])
def test_fit_rules(offer, need, ok):
    assert (fit(offer, need, TODAY) is not None) is ok


def test_distance():
    assert km_between((23.1, 113.3), (23.12, 113.3)) == pytest.approx(2.22, abs=0.01)
