"""A round's results as everyone sees them (page and CSV): read from the Result rows alone, never from the ballots, so
the page stays fast however many residents voted; and the funds the round draws on, with what each pays and holds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import Conflict
from shanlian.core.money import Money

from .models import GrantRound, Result, RoundFund
from .services.results import REASON_TEXT


@dataclass(frozen=True)
class ResultRow:
    rank: int
    number: int
    title: str
    applicant: str
    votes: int
    expert_score: Decimal | None
    cost: Money
    funded: bool
    amount: Money
    reason: str  # worded in the active language
    overridden: bool
    override_reason: str
    payer: str = ""  # the fund that pays a funded proposal


@dataclass(frozen=True)
class RoundResults:
    rows: list[ResultRow]
    awarded: Money
    budget: Money
    left: Money


@dataclass(frozen=True)
class FundRow:
    """One fund of a round: its share of the budget, the awards it pays, and what it still holds for the round."""

    fund_id: int
    name: str
    share: Money
    awarded: Money
    reserved: Money


def round_funds(round: GrantRound) -> list[FundRow]:
    """The funds a round draws on, in the order they were named (the lead fund first), in two queries."""
    paid = {r["fund_id"]: Money(r["total"]) for r in Result.objects.filter(round_id=round.pk, funded=True)
            .values("fund_id").annotate(total=Sum("amount"))}
    rows = RoundFund.objects.filter(round_id=round.pk).select_related("fund", "hold").order_by("id")
    return [FundRow(fund_id=rf.fund_id, name=rf.fund.name, share=Money(rf.share), awarded=paid.get(rf.fund_id, Money(0)),
                    reserved=rf.reserved)
            for rf in rows]


def reason_text(code: str, params: dict[str, Any]) -> str:
    """A result's reason in the active language, from its code and numbers (an unknown code shows as itself)."""
    template = REASON_TEXT.get(code)
    if template is None:
        return code
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def results_public(round: GrantRound) -> RoundResults:
    """Every feasible proposal's outcome, in rank order, with the totals; hidden until the allocation has run."""
    results = (Result.objects.filter(round_id=round.pk).select_related("proposal__applicant", "fund").order_by("rank")
               .only("rank", "votes", "expert_score", "funded", "amount", "reason_code", "reason_params", "overridden",
                     "override_reason", "proposal__number", "proposal__title", "proposal__requested",
                     "proposal__accepted_price", "proposal__applicant__name", "fund__name"))
    rows = [ResultRow(rank=r.rank, number=r.proposal.number, title=r.proposal.title, applicant=r.proposal.applicant.name,
                      votes=r.votes, expert_score=r.expert_score, cost=r.proposal.cost, funded=r.funded, amount=r.amount,
                      reason=reason_text(r.reason_code, r.reason_params), overridden=r.overridden,
                      override_reason=r.override_reason, payer=r.fund.name if r.fund is not None else "") for r in results]
    if not rows:
        raise Conflict("results_hidden", _("The results are published once the allocation has run."))
    awarded = sum((row.amount for row in rows), Money(0))
    return RoundResults(rows=rows, awarded=awarded, budget=round.budget, left=round.budget - awarded)

