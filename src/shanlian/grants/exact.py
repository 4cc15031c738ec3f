"""Exact arithmetic over an approval election, as the allocation rules read it: money in integers (fen, or the
smallest unit of the file), identical ballots merged into weighted groups, and why each project was or was not
funded (a code and its numbers, worded in the reader's language)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.grants.pabulib import Election

MAX_MES_RUNS = 20_000  # add-one runs actually computed (runs proven identical are skipped and not counted)


@dataclass
class AllocationError(Exception):
    code: str
    message: Any
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.code)

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)

REASON_TEXT = {
    "mes_funded": _("funded in round %(round)s of Equal Shares: %(supporters)s supporters paid up to ¥%(payment)s each"),
    "greedy_funded": _("funded by votes: %(approvals)s approvals, and it fit the remaining budget"),
    "completion_funded": _("funded when the money Equal Shares left was filled by votes: %(approvals)s approvals"),
    "does_not_fit": _("did not fit the remaining ¥%(remaining)s (it costs ¥%(cost)s)"),
    "supporters_out_of_budget": _("its supporters had only ¥%(available)s left of the ¥%(cost)s it costs"),
    "no_approvals": _("nobody voted for it"),
    "free_project": _("it costs nothing, so Equal Shares (which weighs a project by its cost) leaves it to a completion"),
}


def money(value: Fraction) -> str:
    """Yuan to the fen for people and JSON (rounded half up); decisions use the exact value."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Reason:
    """Why a project was or was not funded: a code and its numbers, worded by the page in the reader's language."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def plain(self) -> dict[str, Any]:
        return {k: money(v) if isinstance(v, Fraction) else v for k, v in self.params.items()}

    def text(self) -> str:
        return str(REASON_TEXT[self.code]) % self.plain()

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.plain()}


# ---------------------------------------------------------------------------------------------------------------
# The election in integers.


class Instance:
    """An approval election as the rules read it: integer money, identical ballots merged, MES's projects indexed
    in id order (so a smaller index wins a tie, as the smaller id does in pabutools)."""

    def __init__(self, election: Election, *, grouped: bool) -> None:
        costs = {pid: p.cost for pid, p in election.projects.items()}
        scale = math.lcm(election.budget.denominator, *(c.denominator for c in costs.values()))
        self.scale = scale
        self.budget = int(election.budget * scale)
        self.order = list(costs)  # the file's order, for the reasons
        self.cost = {pid: int(c * scale) for pid, c in costs.items()}
        self.voters = len(election.votes)
        self.approvals = dict.fromkeys(costs, 0)
        self.weights: list[int] = []
        self.ballots: list[tuple[int, ...]] = []  # a group's projects (MES indices)
        self.supporters: list[list[int]] = []
        self.counters: dict[int, tuple[Callable[[list[int]], tuple[int, ...]], list[tuple[int, int]]]] = {}
        projects = map(attrgetter("projects"), election.votes)
        if not grouped:  # greedy needs the approvals only
            self.approvals.update(Counter(chain.from_iterable(projects)))
        else:
            ballots = Counter(projects)
            for ballot, weight in ballots.items():
                for pid in ballot:
                    self.approvals[pid] += weight
        # MES with cost utilities considers a project only if it costs something and someone approved it.
        self.names = sorted(pid for pid in costs if self.cost[pid] > 0 and self.approvals[pid] > 0)
        self.mes_cost = [self.cost[pid] for pid in self.names]
        self.mes_support = [self.approvals[pid] for pid in self.names]
        if grouped:
            self._group(ballots)

    def _group(self, ballots: Counter[tuple[str, ...]]) -> None:
        """Merge identical ballots (MES's projects only) into weighted groups, and list each project's groups."""
        index = {pid: i for i, pid in enumerate(self.names)}
        every = len(index) == sum(1 for n in self.approvals.values() if n)  # no free project was approved
        merged: dict[tuple[int, ...], int] = {}
        for ballot, weight in ballots.items():
            key = tuple(map(index.__getitem__, ballot)) if every else tuple(index[p] for p in ballot if p in index)
            if key:
                merged[key] = merged.get(key, 0) + weight
        self.weights = list(merged.values())
        self.ballots = list(merged)
        self.supporters = [[] for _ in self.names]
        for group, key in enumerate(self.ballots):
            for i in key:
                self.supporters[i].append(group)

    def counter(self, i: int) -> tuple[Callable[[list[int]], tuple[int, ...]], list[tuple[int, int]]]:
        """Counting project i's supporters by class: its single-voter groups through one gather and count in C,
        the others one by one."""
        found = self.counters.get(i)
        if found is None:
            weights = self.weights
            groups = self.supporters[i]
            found = self.counters[i] = (gather([g for g in groups if weights[g] == 1]),
                                        [(g, weights[g]) for g in groups if weights[g] > 1])
        return found

    def yuan(self, units: int | Fraction) -> Fraction:
        return Fraction(units, self.scale)


def gather(indices: list[int]) -> Callable[[list[int]], tuple[int, ...]]:
    """items[i] for each index, as a tuple, in C (itemgetter returns a bare item for one index)."""
    if len(indices) > 1:
        return itemgetter(*indices)
    if indices:
        only = indices[0]
        return lambda items: (items[only],)
    return lambda items: ()
