"""The Method of Equal Shares with cost utilities, and its completion by add-one budget increases (see
`allocation` for how it is kept fast without changing a result)."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from .exact import MAX_MES_RUNS, AllocationError, Instance, Reason, gather

# ---------------------------------------------------------------------------------------------------------------
# The Method of Equal Shares with cost utilities.
#
# With cost utilities every supporter of project p gets utility cost(p), so MES buys p at the smallest per-voter
# price q with sum(min(budget_i, q)) >= cost(p) over p's supporters, and picks the project with the smallest
# q / cost(p) (pabutools' "affordability"), the smaller id on a tie; each supporter then pays min(budget_i, q).
#
# Budgets are kept as affine functions of x, each voter's starting budget: b(x) = (A + B*x) / D over one common
# denominator D, with A, B integers (money in units of 1/scale yuan). At the run's x = Xn / Xd, the value of b is
# V / (D*Xd) with V = A*Xd + B*Xn. A class is the voters (as merged ballots, "groups") who backed the same winners
# so far, so they have the same budget; a class whose voters paid all they had has no function (no money).


KEY_BITS = 64  # heap keys: floor(price * 2**64); they only choose what to evaluate next, never a winner


class _Node:
    """The class structure after a sequence of winners, the same for every x: which groups form which class. A
    winner splits each class of its supporters in two (or moves it whole), whatever they pay; a class whose voters
    paid all they had stays as a class with no money, so a later run at a larger x that keeps the same winners finds
    the same classes, and the supporters' histograms counted for one run serve the next."""

    __slots__ = ("parent", "winner", "weight", "next_id", "hists", "children", "cls")

    def __init__(self, parent: _Node | None, winner: int, weight: dict[int, int], next_id: int) -> None:
        self.parent = parent
        self.winner = winner
        self.weight = weight  # class -> number of voters
        self.next_id = next_id
        self.hists: dict[int, dict[int, int]] = {}  # project -> its supporters by class (shared, never changed)
        self.children: dict[int, tuple[_Node, list[int], dict[int, int]]] = {}  # winner -> (node, old classes, old -> new)
        self.cls: list[int] | None = None  # group -> class, kept only where it was needed


@dataclass
class _Round:
    """The numbers at the start of a round (to start a later run there) and what the round decided. Classes with
    money have an affine budget (A + B*x) / denom, A and B stored against the denominator of their epoch."""

    node: _Node
    coef_a: dict[int, int]
    coef_b: dict[int, int]
    epoch: dict[int, int]
    scaled: list[int]  # scaled[e] = denom / (denom at epoch e)
    denom: int
    alive: list[tuple[int, int]]  # the heap: (key, project) of the projects still in play
    bound: list[tuple[int, int, int]]
    spent: int
    limit: tuple[int, int, bool] | None = None  # x < n/d (strict) or x <= n/d: this round decides the same
    winner: int = -1


@dataclass
class _Run:
    winners: list[int]
    feasible: bool
    spent: int = 0
    reasons: dict[str, Reason] = field(default_factory=dict)


class EqualShares:
    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.rounds: list[_Round] = []
        self.limits_ok = 0  # rounds[:limits_ok] hold for the x being run
        total = sum(inst.weights)
        self.root = _Node(None, -1, {0: total} if total else {}, 1)
        self.root.cls = [0] * len(inst.weights)
        self.root.hists = {i: {0: s} for i, s in enumerate(inst.mes_support)}
        self.shared: dict[int, dict[int, list[tuple[int, int]]]] = {}  # winner -> project -> (position, weight)
        self.repeated = False
        self.with_cls: list[_Node] = []  # nodes holding a group -> class list (large: dropped off the current path)

    def release(self) -> None:
        """Unlink the structure (parents and children point at each other) so it is freed without the collector."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            stack.extend(child for child, _moved, _remap in node.children.values())
            node.children.clear()
            node.parent = None
        self.rounds = []

    # The class structure -------------------------------------------------------------------------------------------

    def _shared(self, s: int) -> dict[int, list[tuple[int, int]]]:
        """For winner s: where each project's supporters sit in s's supporter list (only they change class)."""
        found = self.shared.get(s)
        if found is None:
            inst = self.inst
            found = self.shared[s] = {}
            for k, g in enumerate(inst.supporters[s]):
                w = inst.weights[g]
                for p in inst.ballots[g]:
                    found.setdefault(p, []).append((k, w))
        return found

    def _cls(self, node: _Node) -> list[int]:
        if node.cls is None:
            assert node.parent is not None
            cls = list(self._cls(node.parent))
            _child, moved, remap = node.parent.children[node.winner]
            if remap:
                for g, new in zip(self.inst.supporters[node.winner], map(remap.get, moved, moved), strict=True):
                    cls[g] = new
            node.cls = cls
            self.with_cls.append(node)
        return node.cls

    def _hist(self, node: _Node, i: int) -> dict[int, int]:
        """Project i's supporters by class at this node: the nearest ancestor's moved along by the winners since
        (only i's supporters who also backed a winner move), or counted from the groups when that is less work.
        Moving along needs where each winner's supporters sit in every project's list: worth working out when runs
        are repeated (add-one), not for a single run."""
        hist = node.hists.get(i)
        if hist is not None:
            return hist
        path = []
        work = 0
        # Counting is a C-level pass over i's groups, moving along a Python step per moved group: about 4 to 1.
        limit = len(self.inst.supporters[i]) // 4 + 1
        up: _Node | None = node
        while up is not None and i not in up.hists:
            assert up.parent is not None
            if not (self.repeated or up.winner in self.shared):
                work = limit
                break
            remap = up.parent.children[up.winner][2]
            if remap:
                shared = self.shared.get(up.winner) or self._shared(up.winner)
                work += len(shared.get(i, ()))
            if work >= limit:
                break
            path.append(up)
            up = up.parent
        if work >= limit:  # counting from the groups is cheaper
            cls = self._cls(node)
            single, several = self.inst.counter(i)
            hist = Counter(single(cls))
            for g, w in several:
                hist[cls[g]] += w
            node.hists[i] = hist
            return hist
        assert up is not None
        hist = up.hists[i]
        for down in reversed(path):
            assert down.parent is not None
            _child, moved, remap = down.parent.children[down.winner]
            pairs = self._shared(down.winner).get(i) if remap else None
            if pairs:
                hist = dict(hist)
                for k, w in pairs:
                    old = moved[k]
                    new = remap.get(old)
                    if new is not None:
                        left = hist[old] - w
                        if left:
                            hist[old] = left
                        else:
                            del hist[old]
                        hist[new] = hist.get(new, 0) + w
            down.hists[i] = hist
        return hist

    def _child(self, node: _Node, s: int) -> tuple[_Node, dict[int, int]]:
        """The structure after winner s: each class of its supporters moves whole, or its supporters of s become a
        new class (numbered in class order, so the same winners give the same numbers in every run)."""
        found = node.children.get(s)
        if found is None:
            hist = self._hist(node, s)
            cls = self._cls(node)
            weight = dict(node.weight)
            next_id = node.next_id
            remap: dict[int, int] = {}
            for c in sorted(hist):
                w = hist[c]
                if w != weight[c]:
                    remap[c] = next_id
                    weight[next_id] = w
                    weight[c] -= w
                    next_id += 1
            moved = list(gather(self.inst.supporters[s])(cls))
            child = _Node(node, s, weight, next_id)
            found = node.children[s] = (child, moved, remap)
            if not self.repeated:  # a single run counts its histograms from the groups: keep its classes at hand
                self._cls(child)
        return found[0], found[2]

    # The add-one loop ------------------------------------------------------------------------------------------

    def add_one(self) -> tuple[Fraction, int]:
        """The per-voter budget pabutools' `voter_budget_increment=1` settles on, and how many yuan it added.

        Pabutools runs MES at x0 = budget / voters, x0 + 1, x0 + 2, ... (in yuan) and stops at the first outcome
        that is exhaustive among MES's projects (returning it) or over budget (returning the one before)."""
        inst = self.inst
        if not inst.voters:
            return Fraction(0), 0
        x0 = Fraction(inst.budget, inst.voters)
        step = inst.scale
        t = 0
        self.repeated = True
        self.rounds = []
        self.limits_ok = 0
        for _computed in range(MAX_MES_RUNS):
            x = x0 + t * step
            run = self._run(x, parametric=True, horizon=x + step)
            on_path = {id(r.node) for r in self.rounds}
            for node in self.with_cls:
                if id(node) not in on_path:
                    node.cls = None
            self.with_cls = [node for node in self.with_cls if node.cls is not None]
            if not run.feasible:
                return x - step, t - 1
            left = inst.budget - run.spent
            chosen = set(run.winners)
            if all(i in chosen or inst.mes_cost[i] > left for i in range(len(inst.names))):
                return x, t
            limit = None
            for r in self.rounds:
                limit = _tighter(limit, r.limit)
            if limit is None:  # the same outcome for every larger budget: cannot happen when MES is exact
                raise AssertionError("add-one completion found no budget at which the outcome changes")
            n, d, strict = limit
            # The first t' > t with x0 + t'*step outside the limit: x >= n/d when strict, x > n/d otherwise.
            room = (Fraction(n, d) - x0) / step
            t = max(t + 1, math.ceil(room) if strict else math.floor(room) + 1)
            x = x0 + t * step
            self.limits_ok = next((k for k, r in enumerate(self.rounds) if not _holds(r.limit, x)), len(self.rounds))
        raise AllocationError("allocation_too_long", _("the add-one completion did not settle after %(runs)s runs"),
                              {"runs": MAX_MES_RUNS})

    # One run ---------------------------------------------------------------------------------------------------

    def run(self, x: Fraction) -> _Run:
        """A whole run at per-voter budget x (in units), with the reasons."""
        self.rounds = []
        self.limits_ok = 0
        return self._run(x, parametric=False, explain=True)

    def _start(self) -> _Round:
        # A price lower bound before any evaluation: q >= cost / support, so q / cost >= 1 / support.
        return _Round(node=self.root, coef_a={0: 0}, coef_b={0: 1}, epoch={0: 0}, scaled=[1], denom=1,
                      alive=[(0, i) for i in range(len(self.inst.names))], bound=[(1, 0, s) for s in self.inst.mes_support],
                      spent=0)

    def _run(self, x: Fraction, *, parametric: bool, explain: bool = False,  # noqa: C901
             horizon: Fraction | None = None) -> _Run:
        """MES at per-voter budget x, from the first round whose recorded limit x breaks. With `parametric`, each
        round records its numbers and the limit up to which its comparisons hold; a project whose old price bound
        would end that limit before `horizon` (the next x to run) is priced again, which costs less than a rerun."""
        inst = self.inst
        names, costs = inst.names, inst.mes_cost
        xn, xd = x.numerator, x.denominator
        hn, hd = (horizon.numerator, horizon.denominator) if horizon is not None else (0, 1)
        start = self.limits_ok
        base = self.rounds[start] if start < len(self.rounds) else self._start()
        del self.rounds[start:]
        winners = [r.winner for r in self.rounds]
        node = base.node
        coef_a, coef_b, epoch, scaled = base.coef_a, base.coef_b, base.epoch, base.scaled
        denom, spent = base.denom, base.spent
        bound = list(base.bound)
        # Budgets at this x, for the classes with money: value / (denom * xd), value at the epoch's denominator.
        value = {c: coef_a[c] * xd + coef_b[c] * xn for c in coef_a}
        heap = [(((b[0] * xd + b[1] * xn) << KEY_BITS) // (b[2] * xd), i) for _k, i in base.alive for b in (bound[i],)]
        heapq.heapify(heap)
        reasons: dict[str, Reason] = {}
        budget = inst.budget
        dx = denom * xd
        limit: tuple[int, int, bool] | None = None

        def evaluate(i: int) -> tuple[int, int, list[tuple[int, int, int]], int] | None:
            """Project i's price at this x as num / (den * dx), its paying supporters' (value, class, weight) from
            the poorest, and how many of those pay all they have; None when they cannot afford it (dropped for good)."""
            nonlocal limit
            hist = node.hists.get(i)
            if hist is None:
                hist = self._hist(node, i)
            items = [(value[c] * scaled[epoch[c]], c, w) for c, w in hist.items() if c in value]
            cost = costs[i]
            cost_dx = cost * dx
            rest = paid = 0
            for v, _c, w in items:
                rest += w
                paid += v * w
            if paid < cost_dx:  # the supporters together have less than the cost: dropped for good
                if parametric and items:
                    # sum(w*B) directly, sum(w*A) from paid = xd * sum(w*A) + xn * sum(w*B) (at this denominator)
                    sum_b = 0
                    for _v, c, w in items:
                        sum_b += w * coef_b[c] * scaled[epoch[c]]
                    limit = _tighter(limit, (cost * denom - (paid - xn * sum_b) // xd, sum_b, True))
                return None
            items.sort()
            paid = 0
            k = 0
            for v, _c, w in items:
                if cost_dx - paid <= v * rest:
                    break
                paid += w * v
                rest -= w
                k += 1
            sum_b = 0
            for _v, c, w in items[:k]:
                sum_b += w * coef_b[c] * scaled[epoch[c]]
            sum_a = (paid - xn * sum_b) // xd
            # The price as an affine function of x: a lower bound on the project's price wherever the rounds before
            # hold (splitting the supporters into poorer and richer ones by any rule gives one).
            den = rest * cost
            bound[i] = (cost * denom - sum_a, -sum_b, den * denom)
            return cost_dx - paid, den, items, k

        while heap:
            if parametric:
                self.rounds.append(_Round(node=node, coef_a=coef_a, coef_b=coef_b, epoch=epoch, scaled=scaled,
                                          denom=denom, alive=list(heap), bound=list(bound), spent=spent))
            dx = denom * xd
            limit = None
            best = -1
            best_ceil = best_num = best_den = best_k = 0
            best_items: list[tuple[int, int, int]] = []
            looked: list[int] = []
            while heap:
                if best >= 0 and heap[0][0] > best_ceil:
                    break  # its price is at least its key / 2**64, above the best price: it cannot win
                i = heapq.heappop(heap)[1]
                found = evaluate(i)
                if found is None:
                    continue
                num, den, items, k = found
                looked.append(i)
                if best < 0 or num * best_den < best_num * den or (num * best_den == best_num * den and i < best):
                    best, best_num, best_den, best_items, best_k = i, num, den, items, k
                    best_ceil = -((-num << KEY_BITS) // (den * dx))
            if best < 0:
                if parametric:
                    self.rounds[-1].limit = limit
                break
            for i in looked:
                if i != best:
                    b = bound[i]
                    heapq.heappush(heap, (((b[0] * xd + b[1] * xn) << KEY_BITS) // (b[2] * xd), i))
            wa, wb, wd = bound[best]
            rest = best_den // costs[best]
            if parametric:
                # Every project still in play stays behind the winner (a tie goes to the smaller index) while its
                # lower bound does, and the winner's poorer supporters stay poorer than its price.
                dropped = False
                for _k, i in heap:
                    pa, pb, pd = bound[i]
                    if not pb:  # a constant bound against a price that does not rise with x: it holds
                        continue
                    slope = pb * wd - wb * pd
                    if slope >= 0:
                        continue
                    root_n, root_d = pa * wd - wa * pd, -slope
                    if root_n * hd < hn * root_d and i not in looked:
                        if evaluate(i) is None:  # priced again: it cannot be afforded any more, dropped now
                            dropped = True
                            bound[i] = (1, 0, 0)
                            continue
                        pa, pb, pd = bound[i]
                        slope = pb * wd - wb * pd
                        if slope >= 0:
                            continue
                        root_n, root_d = pa * wd - wa * pd, -slope
                    if limit is None:
                        limit = (root_n, root_d, i < best)
                    else:
                        lhs, rhs = root_n * limit[1], limit[0] * root_d
                        if lhs < rhs or (lhs == rhs and i < best):
                            limit = (root_n, root_d, i < best)
                if dropped:
                    heap = [entry for entry in heap if bound[entry[1]][2]]
                    heapq.heapify(heap)
                for _v, c, _w in best_items[:best_k]:
                    f = scaled[epoch[c]]
                    limit = _tighter(limit, (wa - rest * coef_a[c] * f, rest * coef_b[c] * f - wb, True))
                self.rounds[-1].limit = limit
                self.rounds[-1].winner = best
            if explain:
                reasons[names[best]] = Reason("mes_funded", {
                    "round": len(winners) + 1, "supporters": sum(w for _v, _c, w in best_items),
                    "payment": inst.yuan(Fraction(best_num, rest * dx)),
                    "paid_all": sum(w for _v, _c, w in best_items[:best_k])})
            winners.append(best)
            spent += costs[best]
            if spent > budget:
                return _Run(winners, False, spent, reasons)
            # The winner's price q(x) = (wa + wb*x) / (rest*denom); the poorer supporters (best_items[:best_k]) pay
            # all they have, the others q. New common denominator: denom * rest / g (g divides q's coefficients).
            g = math.gcd(rest, wa, wb)
            mult, q_a, q_b = rest // g, wa // g, wb // g
            q_v = q_a * xd + q_b * xn
            if mult != 1:
                scaled = [f * mult for f in scaled]
                scaled.append(1)
                denom *= mult
            now = len(scaled) - 1
            node, remap = self._child(node, best)
            coef_a, coef_b, epoch = dict(coef_a), dict(coef_b), dict(epoch)
            for _v, c, _w in best_items[:best_k]:  # they paid all they had
                if c not in remap:
                    del coef_a[c], coef_b[c], epoch[c], value[c]
            for _v, c, _w in best_items[best_k:]:
                f = scaled[epoch[c]]
                target = remap.get(c, c)
                coef_a[target], coef_b[target] = coef_a[c] * f - q_a, coef_b[c] * f - q_b
                value[target], epoch[target] = value[c] * f - q_v, now
        if explain:  # what each project's supporters had left when the run ended, less than it costs
            dx = denom * xd
            cash = {c: value[c] * scaled[epoch[c]] for c in value}
            left = [0] * len(names)
            for g, c in enumerate(self._cls(node)):
                v = cash.get(c)
                if v:
                    v *= inst.weights[g]
                    for i in inst.ballots[g]:
                        left[i] += v
            for i, pid in enumerate(names):
                if pid not in reasons:
                    reasons[pid] = Reason("supporters_out_of_budget", {
                        "available": inst.yuan(Fraction(left[i], dx)), "cost": inst.yuan(costs[i]),
                        "approvals": inst.approvals[pid]})
        return _Run(winners, True, spent, reasons)


def _tighter(a: tuple[int, int, bool] | None, b: tuple[int, int, bool] | None) -> tuple[int, int, bool] | None:
    """The more restrictive of two limits x < n/d (strict) or x <= n/d; None is no limit."""
    if a is None:
        return b
    if b is None:
        return a
    left, right = b[0] * a[1], a[0] * b[1]
    if left < right or (left == right and b[2]):
        return b
    return a


def _holds(limit: tuple[int, int, bool] | None, x: Fraction) -> bool:
    if limit is None:
        return True
    n, d, strict = limit
    lhs, rhs = x.numerator * d, n * x.denominator
    return lhs < rhs or (lhs == rhs and not strict)
