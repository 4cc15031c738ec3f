"""Matching offers to needs: which pairs may match (`fit`, the one rule the proposal, the commit and the baseline all
use), why (`reason`), and the optimal set of matches for a batch (`propose`).

The plan is lexicographically optimal: first the most quantity matched, then, among plans matching that much, the
least cost, a pair's cost being per unit matched: its distance (between the two points, or the area levels between the
offer's division and the need's, each counted as `AREA_STEP_KM`) in tenths of a km, plus the days until the offer
becomes available. An offer may be split across needs and a need filled from several offers.

The model is a transportation problem solved as a min-cost flow (OR-Tools, as `core.assignment`): source → offer
(capacity: what is left of it) → need (one arc per pair that fits, at the pair's cost) → sink (capacity: what the need
still lacks); `solve_max_flow_with_min_cost` gives the maximum flow of least cost, integral, and deterministic in the
order arcs are added. Pairs of different categories never fit, so quantities in different units never mix in a path.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

AREA_STEP_KM = 3  # one administrative level between an offer's division and a need's counts as 3 km
KM_COST = 10  # cost per km (the distance is counted in tenths of a km)
DAY_COST = 1  # cost per day waited until the offer is available
EARTH_KM = 6371.0088


@dataclass(frozen=True)
class OfferIn:
    key: Hashable
    category: Hashable
    remaining: int
    path: str  # the division it serves, as a materialised path "/1/4/17/"
    available_from: date
    available_until: date | None = None
    point: tuple[float, float] | None = None  # (lat, lon)
    reach_km: int | None = None  # also serves needs within this distance of its point, outside its division


@dataclass(frozen=True)
class NeedIn:
    key: Hashable
    category: Hashable
    remaining: int
    path: str
    needed_by: date
    point: tuple[float, float] | None = None


@dataclass(frozen=True)
class Fit:
    """Why a pair may match, and what it costs per unit."""

    by_area: bool  # the offer's division contains the need's (else: within the offer's reach)
    distance_km: float | None  # between the points, when both have one
    levels: int  # administrative levels between the two divisions (by area)
    starts_on: date  # the first day the offer can serve the need
    cost: int


@dataclass(frozen=True)
class Proposal:
    offer: Hashable
    need: Hashable
    quantity: int
    fit: Fit


@dataclass(frozen=True)
class Plan:
    proposals: list[Proposal]
    matched: int  # total quantity
    cost: int

    def by_need(self) -> dict[Hashable, int]:
        out: dict[Hashable, int] = defaultdict(int)
        for p in self.proposals:
            out[p.need] += p.quantity
        return dict(out)


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def _depth(path: str) -> int:
    return path.count("/") - 1


def fit(offer: OfferIn, need: NeedIn, today: date) -> Fit | None:
    """The pair's fit, or None: same category; the offer is available on some day from today to the need's date; the
    offer's division contains the need's, or the need lies within the offer's reach."""
    if offer.category != need.category:
        return None
    starts_on = max(today, offer.available_from)
    last = need.needed_by if offer.available_until is None else min(need.needed_by, offer.available_until)
    if starts_on > last:
        return None
    distance = km_between(offer.point, need.point) if offer.point is not None and need.point is not None else None
    by_area = need.path.startswith(offer.path)
    if not by_area and (offer.reach_km is None or distance is None or distance > offer.reach_km):
        return None
    levels = _depth(need.path) - _depth(offer.path) if by_area else 0
    km = distance if distance is not None else levels * AREA_STEP_KM
    cost = round(km * KM_COST) + (starts_on - today).days * DAY_COST
    return Fit(by_area, None if distance is None else round(distance, 1), levels, starts_on, cost)


def reason(fit: Fit, *, category: str, offer_area: str, need_area: str, needed_by: date) -> str:
    """The reason of a match in the active language: category, area (or distance), dates."""
    if fit.by_area:
        where = _("%(offer_area)s covers %(need_area)s") % {"offer_area": offer_area, "need_area": need_area}
        if fit.distance_km is not None:
            where += _(" (%(km)s km apart)") % {"km": fit.distance_km}
    else:
        where = _("%(km)s km away, within the offer's reach") % {"km": fit.distance_km}
    when = _("available from %(start)s, needed by %(end)s") % {"start": fit.starts_on.isoformat(), "end": needed_by.isoformat()}
    return _("Category %(category)s; %(where)s; %(when)s") % {"category": category, "where": where, "when": when}


def pairs(offers: Sequence[OfferIn], needs: Sequence[NeedIn], today: date) -> list[tuple[int, int, Fit]]:
    """Every pair that fits, as (offer index, need index, fit), needs in input order, then offers in input order.
    Offers are found by the needs' ancestor paths (a prefix can only be an ancestor), and the few that reach beyond
    their division by distance, so the work grows with the pairs, not with offers × needs."""
    by_path: dict[tuple[Hashable, str], list[int]] = defaultdict(list)
    reaching: dict[Hashable, list[int]] = defaultdict(list)
    for i, o in enumerate(offers):
        if o.remaining <= 0:
            continue
        by_path[(o.category, o.path)].append(i)
        if o.reach_km is not None and o.point is not None:
            reaching[o.category].append(i)
    out: list[tuple[int, int, Fit]] = []
    for j, n in enumerate(needs):
        if n.remaining <= 0:
            continue
        candidates: list[int] = []
        cut = 0
        while (cut := n.path.find("/", cut + 1)) != -1:
            candidates.extend(by_path.get((n.category, n.path[: cut + 1]), ()))
        if n.point is not None and (far := reaching.get(n.category)):
            seen = set(candidates)
            candidates.extend(i for i in far if i not in seen)
        for i in sorted(candidates):
            found = fit(offers[i], n, today)
            if found is not None:
                out.append((i, j, found))
    return out


def propose(offers: Sequence[OfferIn], needs: Sequence[NeedIn], today: date) -> Plan:
    """The optimal plan for the batch (see the module's docstring)."""
    _validate(offers, needs)
    found = pairs(offers, needs, today)
    if not found:
        return Plan([], 0, 0)
    oi = np.fromiter((p[0] for p in found), dtype=np.int64, count=len(found))
    nj = np.fromiter((p[1] for p in found), dtype=np.int64, count=len(found))
    cost = np.fromiter((p[2].cost for p in found), dtype=np.int64, count=len(found))
    o_used, o_node = np.unique(oi, return_inverse=True)
    n_used, n_node = np.unique(nj, return_inverse=True)
    o_cap = np.array([offers[i].remaining for i in o_used.tolist()], dtype=np.int64)
    n_cap = np.array([needs[j].remaining for j in n_used.tolist()], dtype=np.int64)
    n_o, n_n = o_used.size, n_used.size
    sink = n_o + n_n + 1
    flow = SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(np.zeros(n_o, dtype=np.int32), np.arange(1, n_o + 1, dtype=np.int32), o_cap,
                                              np.zeros(n_o, dtype=np.int64))
    arcs = flow.add_arcs_with_capacity_and_unit_cost((o_node + 1).astype(np.int32), (n_node + n_o + 1).astype(np.int32),
                                                     np.minimum(o_cap[o_node], n_cap[n_node]), cost)
    flow.add_arcs_with_capacity_and_unit_cost(np.arange(n_o + 1, sink, dtype=np.int32), np.full(n_n, sink, dtype=np.int32),
                                              n_cap, np.zeros(n_n, dtype=np.int64))
    supply = int(min(o_cap.sum(), n_cap.sum()))
    flow.set_nodes_supplies(np.array([0, sink], dtype=np.int32), np.array([supply, -supply], dtype=np.int64))
    status = flow.solve_max_flow_with_min_cost()
    if status != SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status.name}")
    amounts = np.asarray(flow.flows(arcs), dtype=np.int64)
    chosen = np.flatnonzero(amounts).tolist()
    proposals = [Proposal(offers[found[k][0]].key, needs[found[k][1]].key, int(amounts[k]), found[k][2]) for k in chosen]
    return Plan(proposals, int(amounts.sum()), int((amounts * cost).sum()))


def first_fit(offers: Sequence[OfferIn], needs: Sequence[NeedIn], today: date) -> Plan:
    """The baseline: needs by date, each filled from the first offers that fit, in input order (what a person with a
    spreadsheet does). Same fit rule, no optimisation."""
    _validate(offers, needs)
    left = [o.remaining for o in offers]
    by_need: dict[int, list[tuple[int, Fit]]] = defaultdict(list)
    for i, j, f in pairs(offers, needs, today):
        by_need[j].append((i, f))
    proposals: list[Proposal] = []
    for j in sorted(by_need, key=lambda j: (needs[j].needed_by, j)):
        want = needs[j].remaining
        for i, f in by_need[j]:
            if want == 0:
                break
            take = min(want, left[i])
            if take:
                left[i] -= take
                want -= take
                proposals.append(Proposal(offers[i].key, needs[j].key, take, f))
    return Plan(proposals, sum(p.quantity for p in proposals), sum(p.quantity * p.fit.cost for p in proposals))


def _validate(offers: Sequence[Any], needs: Sequence[Any]) -> None:
    for what, rows in (("offer", offers), ("need", needs)):
        keys = [r.key for r in rows]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate {what} keys")
        if any(r.remaining < 0 for r in rows):
            raise ValueError(f"negative {what} remaining")
