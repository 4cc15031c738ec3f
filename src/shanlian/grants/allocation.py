"""Who gets funded in a round's resident vote: greedy by votes, the Method of Equal Shares (MES), and MES completed
by add-one budget increases and then greedy, with the results pabutools (the reference implementation) gives.

Every decision is exact: money is scaled to integers (fen, or whatever the smallest unit in the file is) and the
rest is integer or `Fraction` arithmetic, never floats; ties go to the smaller project id, as in pabutools.

Speed, without changing a result:
- identical ballots are one weighted ballot, and voters who supported the same winners so far form one class (they
  have the same budget), so a project's supporters are a few dozen (budget, weight) pairs;
- a round evaluates only the projects whose last known price per unit of utility could still beat the best one
  (prices only rise within a run), as pabutools does;
- the add-one loop (pabutools reruns MES with every voter's budget one yuan higher until the outcome is
  exhaustive or over budget) keeps budgets as affine functions of the per-voter budget x, and for every round the
  largest x up to which each of its comparisons comes out the same: runs below that are the same run and are
  skipped, and a later run starts from the first round whose comparisons change. The classes depend only on the
  winners so far, so a later run with the same winners reuses the supporters counted by an earlier one.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.grants.pabulib import Election

from .equal_shares import EqualShares
from .exact import MAX_MES_RUNS, REASON_TEXT, AllocationError, Instance, Reason, money

__all__ = ["MAX_MES_RUNS", "REASON_TEXT", "RULES", "Allocation", "AllocationError", "Reason", "allocate", "money"]

RULES = ("greedy", "mes", "mes-add1-greedy")


@dataclass
class Allocation:
    rule: str
    winners: list[str]  # in the order they were selected
    reasons: dict[str, Reason]  # every project, in the file's order
    total_cost: Fraction
    budget: Fraction
    voter_budget: Fraction | None = None  # MES: each voter's share when the outcome was decided
    budget_increments: int | None = None  # add-one: how many yuan were added to each voter's share

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"rule": self.rule, "winners": self.winners, "total_cost": money(self.total_cost),
                                "budget": money(self.budget)}
        if self.voter_budget is not None:
            body["voter_budget"] = money(self.voter_budget)
        if self.budget_increments is not None:
            body["budget_increments"] = self.budget_increments
        body["reasons"] = {pid: reason.as_dict() for pid, reason in self.reasons.items()}
        return body


def allocate(election: Election, rule: str) -> Allocation:
    """The outcome of `rule` on an approval election."""
    if rule not in RULES:
        raise AllocationError("allocation_unknown_rule", _("unknown rule %(rule)s; the rules are %(rules)s"),
                              {"rule": rule, "rules": ", ".join(RULES)})
    if not election.is_approval:
        raise AllocationError("allocation_not_approval", _("only approval votes can be allocated, not %(vote_type)s"),
                              {"vote_type": election.vote_type})
    # Many short-lived small containers beside a large, acyclic election: the cyclic collector would only rescan.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _allocate(Instance(election, grouped=rule != "greedy"), rule)
    finally:
        if collecting:
            gc.enable()


def _greedy_order(inst: Instance, skip: set[str]) -> list[str]:
    """Pabutools' greedy order with cost satisfaction: approvals (a free project counts zero), then the id."""
    return sorted((pid for pid in inst.cost if pid not in skip),
                  key=lambda pid: (-inst.approvals[pid] if inst.cost[pid] > 0 else 0, pid))


def _greedy(inst: Instance, winners: list[str], reasons: dict[str, Reason], code: str) -> None:
    remaining = inst.budget - sum(inst.cost[pid] for pid in winners)
    for pid in _greedy_order(inst, set(winners)):
        cost = inst.cost[pid]
        if cost <= remaining:
            remaining -= cost
            winners.append(pid)
            reasons[pid] = Reason(code, {"approvals": inst.approvals[pid]})
        else:
            reasons[pid] = Reason("does_not_fit", {"remaining": inst.yuan(remaining), "cost": inst.yuan(cost),
                                                   "approvals": inst.approvals[pid]})


def _allocate(inst: Instance, rule: str) -> Allocation:
    winners: list[str] = []
    reasons: dict[str, Reason] = {}
    voter_budget: Fraction | None = None
    increments: int | None = None
    if rule == "greedy":
        _greedy(inst, winners, reasons, "greedy_funded")
    else:
        mes = EqualShares(inst)
        if rule == "mes":
            x = Fraction(inst.budget, inst.voters) if inst.voters else Fraction(0)
        else:
            x, increments = mes.add_one()
        if inst.voters:
            voter_budget = inst.yuan(x)
            run = mes.run(x)
            winners.extend(inst.names[i] for i in run.winners)
            reasons.update(run.reasons)
        mes.release()
        if rule == "mes":
            for pid in inst.order:
                if pid not in reasons:
                    code = "no_approvals" if not inst.approvals[pid] else "free_project"
                    reasons[pid] = Reason(code, {"approvals": inst.approvals[pid]})
        else:
            _greedy(inst, winners, reasons, "completion_funded")
    return Allocation(rule, winners, {pid: reasons[pid] for pid in inst.order},
                      inst.yuan(sum(inst.cost[pid] for pid in winners)), inst.yuan(inst.budget), voter_budget, increments)
