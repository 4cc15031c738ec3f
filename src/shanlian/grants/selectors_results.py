"""A round's results as everyone sees them (page and CSV): read from the Result rows alone, in one query, never from
the ballots, so the page stays fast however many residents voted."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import Conflict
from shanlian.core.money import Money

from .models import GrantRound, Result
from .services.results import REASON_TEXT

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


@dataclass(frozen=True)
class RoundResults:
    rows: list[ResultRow]
    awarded: Money
    budget: Money
    left: Money


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
    results = (Result.objects.filter(round_id=round.pk).select_related("proposal__applicant").order_by("rank")
               .only("rank", "votes", "expert_score", "funded", "amount", "reason_code", "reason_params", "overridden",
                     "override_reason", "proposal__number", "proposal__title", "proposal__requested",
                     "proposal__accepted_price", "proposal__applicant__name"))
    rows = [ResultRow(rank=r.rank, number=r.proposal.number, title=r.proposal.title, applicant=r.proposal.applicant.name,
                      votes=r.votes, expert_score=r.expert_score, cost=r.proposal.cost, funded=r.funded, amount=r.amount,
                      reason=reason_text(r.reason_code, r.reason_params), overridden=r.overridden,
                      override_reason=r.override_reason) for r in results]
    if not rows:
        raise Conflict("results_hidden", _("The results are published once the allocation has run."))
    awarded = sum((row.amount for row in rows), Money(0))
    return RoundResults(rows=rows, awarded=awarded, budget=round.budget, left=round.budget - awarded)


def _text(value: str) -> str:
    """Text a spreadsheet would run as a formula (a title "=HYPERLINK(...)") is kept as text."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def results_csv_rows(round: GrantRound) -> list[list[str]]:
    """The header and one row per result, for the CSV export: amounts in yuan with two decimals, no currency sign."""
    table = results_public(round)
    header = [str(h) for h in (_("Rank"), _("Number"), _("Project"), _("Applicant"), _("Votes"), _("Cost (yuan)"),
                               _("Funded"), _("Award (yuan)"), _("Reason"), _("Override reason"))]
    yes, no = str(_("yes")), str(_("no"))
    rows = [[str(r.rank), str(r.number), _text(r.title), _text(r.applicant), str(r.votes), f"{r.cost.amount:.2f}",
             yes if r.funded else no, f"{r.amount.amount:.2f}", _text(r.reason),
             _text(r.override_reason)] for r in table.rows]
    return [header, *rows]
