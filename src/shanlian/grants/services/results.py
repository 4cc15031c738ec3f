"""The allocation of a round: who is funded, by the round's declared rule, with every outcome's reason; and a staff
override of an outcome, with its public reason; which of the round's funds pays each award. The reservations in the
funds follow the awards."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import CommunityFund
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, field_error, lazy_format
from shanlian.core.inputs import model_text
from shanlian.core.money import Money
from shanlian.core.transitions import transition

from .. import allocation, phases
from ..access import require_round_admin
from ..models import GrantRound, PhaseKind, Proposal, ProposalStatus, Result, Rule
from ..pabulib import Election, Project, Vote
from .funds import no_room, payer, payer_check, reservations_sync, rooms

if TYPE_CHECKING:
    from collections.abc import Iterable

# The combined rule's reasons (the engine's are in allocation.REASON_TEXT): a code and its numbers, worded when shown.
COMBINED_REASON_TEXT = {
    "combined_funded": _("funded by its combined score of %(score)s out of 100 (experts %(expert)s, votes %(votes)s), "
                         "and it fit the remaining budget"),
    "combined_does_not_fit": _("combined score %(score)s out of 100 (experts %(expert)s, votes %(votes)s), but it did "
                               "not fit the remaining ¥%(remaining)s (it costs ¥%(cost)s)"),
}
# A winner no one fund could pay (a round over several funds pays each award from one of them).
PAYER_REASON_TEXT = {
    "no_fund_room": _("chosen by the rule, but no fund of the round that may pay for it had ¥%(cost)s left "
                      "(the most any had left: ¥%(left)s)"),
}
REASON_TEXT: dict[str, Any] = {**allocation.REASON_TEXT, **COMBINED_REASON_TEXT, **PAYER_REASON_TEXT}

ENGINE_RULES = (Rule.GREEDY, Rule.MES, Rule.MES_ADD1_GREEDY)


def _election(round: GrantRound) -> Election:
    """The round's ballots as the engine reads them (a seam: tests hand in their own)."""
    from ..selectors_vote import election_of

    return election_of(round)


def _expert_scores(round: GrantRound) -> dict[int, Decimal]:
    """Proposal id → mean z-score of its expert reviews (a seam: tests hand in their own)."""
    from ..selectors_review import expert_scores

    return expert_scores(round)


@dataclass
class Outcome:
    """One feasible proposal's outcome before it is written."""

    proposal: Proposal
    votes: int
    expert: Decimal | None
    funded: bool
    code: str
    params: dict[str, str]


# --- deciding ---------------------------------------------------------------------------------------------------


def _yuan(value: Money) -> Fraction:
    return Fraction(value.amount)


def _points(value: Fraction) -> str:
    """A share (0..1) as points out of 100, two decimals (rounded half up), for people; decisions use the exact value."""
    scaled = value * 100
    exact = Decimal(scaled.numerator) / Decimal(scaled.denominator)
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _plain(params: dict[str, Any]) -> dict[str, str]:
    return {k: allocation.money(v) if isinstance(v, Fraction) else str(v) for k, v in params.items()}


def _keyed(election: Election, proposals: list[Proposal]) -> dict[str, Proposal]:
    """Which proposal each of the election's projects is (`selectors_vote.election_of` names them by id, as text).
    A project that is no longer feasible is left out with its choices; a feasible proposal missing from the vote
    means the vote is not this round's as it stands: refused rather than allocated without it."""
    keyed = {pid: p for p in proposals if (pid := str(p.pk)) in election.projects}
    if len(keyed) != len(proposals):
        missing = sorted(p.number for p in proposals if str(p.pk) not in keyed)
        raise Conflict("election_mismatch", lazy_format(
            _("Feasible proposals missing from the vote: %(numbers)s."), {"numbers": ", ".join(map(str, missing))}))
    return keyed


def _rekeyed(election: Election, proposals: list[Proposal], budget: Money) -> tuple[Election, dict[str, Proposal]]:
    """The election over this round's feasible proposals, named by zero-padded number (so the engine's tie, the
    smaller id as text, is the smaller number), with their accepted prices and the round's budget."""
    keyed = _keyed(election, proposals)
    width = len(str(max(p.number for p in proposals)))
    name = {p.pk: str(p.number).zfill(width) for p in proposals}
    rename = {pid: name[p.pk] for pid, p in keyed.items()}
    costs = {name[p.pk]: _yuan(p.cost) for p in proposals}
    renamed: dict[tuple[str, ...], tuple[str, ...]] = {}  # identical ballots share one tuple
    votes: list[Vote] = []
    for v in election.votes:
        projects = renamed.get(v.projects)
        if projects is None:
            projects = renamed[v.projects] = tuple(rename[pid] for pid in v.projects if pid in rename)
        if v.projects and not projects:
            continue  # only proposals no longer feasible: left out, as election_of leaves out a ballot a withdrawal emptied
        points = None if v.points is None else tuple(pt for pid, pt in zip(v.projects, v.points, strict=True) if pid in rename)
        votes.append(Vote(v.voter_id, projects, points))
    meta = {**election.meta, "budget": str(budget.amount)}
    rekeyed = Election(meta, {pid: Project(pid, cost) for pid, cost in costs.items()}, votes)
    by_name = {name[p.pk]: p for p in proposals}
    return rekeyed, by_name


def _votes(election: Election) -> dict[str, int]:
    """Supporters per project (approval), or points (cumulative)."""
    counts = dict.fromkeys(election.projects, 0)
    for vote in election.votes:
        if vote.points is None:
            for pid in vote.projects:
                counts[pid] += 1
        else:
            for pid, pts in zip(vote.projects, vote.points, strict=True):
                counts[pid] += int(pts)
    return counts


def _expert_of(scores: dict[int, Decimal], proposal: Proposal) -> Decimal | None:
    score = scores.get(proposal.pk)
    return None if score is None else Decimal(score).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _by_engine(round: GrantRound, proposals: list[Proposal], election: Election,
               scores: dict[int, Decimal]) -> list[Outcome]:
    rekeyed, by_name = _rekeyed(election, proposals, round.budget)
    try:
        result = allocation.allocate(rekeyed, round.rule)
    except allocation.AllocationError as exc:
        raise Conflict(exc.code, lazy_format(exc.message, exc.params)) from exc
    votes = _votes(rekeyed)
    funded = set(result.winners)
    rest = sorted((pid for pid in by_name if pid not in funded), key=lambda pid: (-votes[pid], by_name[pid].number))
    return [Outcome(by_name[pid], votes[pid], _expert_of(scores, by_name[pid]), pid in funded, result.reasons[pid].code,
                    _plain(result.reasons[pid].params)) for pid in [*result.winners, *rest]]


def _by_score(round: GrantRound, proposals: list[Proposal], election: Election | None,
              scores: dict[int, Decimal]) -> list[Outcome]:
    """The combined rule: w × the expert score rescaled to 0..1 over the round + (1 − w) × votes / the most votes,
    then greedy by that score within the budget (the smaller number first on a tie). Without a vote, w = 1."""
    weight = Fraction(round.expert_weight) if election is not None else Fraction(1)
    votes: dict[int, int] = dict.fromkeys((p.pk for p in proposals), 0)
    if election is not None:
        rekeyed, by_name = _rekeyed(election, proposals, round.budget)
        votes.update({by_name[pid].pk: n for pid, n in _votes(rekeyed).items()})
    known = {p.pk: Fraction(scores[p.pk]) for p in proposals if scores.get(p.pk) is not None}
    if weight and not known:
        raise Conflict("expert_scores_missing", _("No proposal of this round has an expert score yet."))
    low, high = min(known.values(), default=Fraction(0)), max(known.values(), default=Fraction(0))
    # A proposal without any expert score counts as the lowest scored one (0).
    expert = {pk: (z - low) / (high - low) if high > low else Fraction(1) for pk, z in known.items()}
    most = max(votes.values(), default=0)
    share = {pk: Fraction(n, most) if most else Fraction(0) for pk, n in votes.items()}
    score = {p.pk: weight * expert.get(p.pk, Fraction(0)) + (1 - weight) * share[p.pk] for p in proposals}
    remaining = _yuan(round.budget)
    won: list[Outcome] = []
    lost: list[Outcome] = []
    for p in sorted(proposals, key=lambda p: (-score[p.pk], p.number)):
        cost = _yuan(p.cost)
        params = {"score": _points(score[p.pk]), "expert": _points(expert.get(p.pk, Fraction(0))),
                  "votes": _points(share[p.pk]), "approvals": str(votes[p.pk])}
        if cost <= remaining:
            remaining -= cost
            won.append(Outcome(p, votes[p.pk], _expert_of(scores, p), True, "combined_funded", params))
        else:
            params |= {"remaining": allocation.money(remaining), "cost": allocation.money(cost)}
            lost.append(Outcome(p, votes[p.pk], _expert_of(scores, p), False, "combined_does_not_fit", params))
    return won + lost


def results_for(round: GrantRound, proposals: list[Proposal], election: Election | None,
                scores: dict[int, Decimal]) -> list[Outcome]:
    """Every feasible proposal's outcome under the round's rule, in rank order (the funded first, in the order the
    rule chose them); `election` is None for a round without a vote. Writes nothing."""
    if not proposals:
        return []
    if round.rule == Rule.COMBINED:
        return _by_score(round, proposals, election, scores)
    if round.rule not in ENGINE_RULES:
        raise Conflict("allocation_unknown_rule", _("Unknown allocation rule."))
    if election is None:
        raise Conflict("vote_required", _("Only the combined rule allocates a round without a resident vote."))
    return _by_engine(round, proposals, election, scores)


# --- writing ----------------------------------------------------------------------------------------------------


def _awarded(round: GrantRound) -> Money:
    total = Result.objects.filter(round=round, funded=True).aggregate(total=Sum("amount"))["total"]
    return Money(total or 0)


def _over_budget(round: GrantRound, awarded: Money) -> Conflict:
    return Conflict("allocation_over_budget", lazy_format(
        _("The awards (¥%(awarded)s) would be more than the round's budget (¥%(budget)s)."),
        {"awarded": f"{awarded.amount:,.2f}", "budget": f"{round.budget.amount:,.2f}"}))


def _payers(round: GrantRound, outcomes: list[Outcome]) -> dict[int, CommunityFund]:
    """Proposal id → the fund that pays each winner (funds.payer), the largest awards placed first so the funds'
    shares are cut up least; a winner no fund can pay is not funded, and says so."""
    funds = rooms(round)
    paid: dict[int, CommunityFund] = {}
    winners = sorted((o for o in outcomes if o.funded), key=lambda o: -o.proposal.cost.amount)  # stable: ties by rank
    for o in winners:
        room = payer(o.proposal, o.proposal.cost, funds)
        if room is None:
            o.funded, o.code = False, "no_fund_room"
            o.params = {"cost": f"{o.proposal.cost.amount:,.2f}", "left": f"{max(r.left.amount for r in funds):,.2f}"}
            continue
        room.left -= o.proposal.cost
        paid[o.proposal.pk] = room.fund
    return paid


def _feasible(round: GrantRound) -> list[Proposal]:
    return list(Proposal.objects.select_for_update().filter(round=round, status=ProposalStatus.FEASIBLE).order_by("number"))


def _write(*, actor: Any, round: GrantRound, outcomes: Iterable[Outcome]) -> list[Result]:
    outcomes = list(outcomes)
    awarded = sum((o.proposal.cost for o in outcomes if o.funded), Money(0))
    if awarded > round.budget:
        raise _over_budget(round, awarded)
    paid = _payers(round, outcomes)
    awarded = sum((o.proposal.cost for o in outcomes if o.funded), Money(0))
    now = timezone.now()
    Result.objects.bulk_create([
        Result(round=round, proposal=o.proposal, rank=n, votes=o.votes, expert_score=o.expert, funded=o.funded,
               amount=o.proposal.cost if o.funded else Money(0), fund=paid.get(o.proposal.pk), reason_code=o.code,
               reason_params=o.params, decided_at=now)
        for n, o in enumerate(outcomes, 1)])
    for o in outcomes:
        transition(o.proposal, to=ProposalStatus.FUNDED if o.funded else ProposalStatus.NOT_FUNDED,
                   allowed_from=[ProposalStatus.FEASIBLE], actor=actor, action="grants.proposal.allocate")
    reservations_sync(actor=actor, round=round)  # nothing is signed yet: each fund holds its awards
    audit_log(actor=actor, action="grants.allocation.run", obj=round, after={
        "rule": round.rule, "awarded": str(awarded.amount), "budget": str(round.budget.amount),
        "funded": [o.proposal.number for o in outcomes if o.funded]})
    return list(Result.objects.filter(round=round).order_by("rank"))


@transaction.atomic
def allocation_run(*, actor: Any, round: GrantRound) -> list[Result]:
    """Allocate the round's budget by its rule, once: while the allocation phase is open and after the vote (if
    any) has closed. Run again, it returns the results as they are."""
    require_round_admin(actor, round.fund)
    locked = GrantRound.objects.select_for_update(of=("self",)).select_related("fund").get(pk=round.pk)
    done = list(Result.objects.filter(round=locked).order_by("rank"))
    if done:
        return done
    phases.require_open(locked, PhaseKind.ALLOCATION)
    has_vote = phases.phase_of(locked, PhaseKind.VOTE) is not None
    if has_vote and not phases.has_closed(locked, PhaseKind.VOTE):
        raise Conflict("vote_open", _("The allocation runs after the resident vote has closed."))
    proposals = _feasible(locked)
    if not proposals:
        raise Conflict("nothing_to_allocate", _("This round has no feasible proposal to fund."))
    election = _election(locked) if has_vote else None
    outcomes = results_for(locked, proposals, election, _expert_scores(locked))
    return _write(actor=actor, round=locked, outcomes=outcomes)


@transaction.atomic
def result_override(*, actor: Any, result: Result, funded: bool, reason: str) -> Result:
    """Fund a proposal the rule did not, or not fund one it did, with a public reason: during the allocation or the
    agreements phase, the awards within the budget; the reservation follows."""
    round = GrantRound.objects.select_related("fund").get(pk=result.round_id)
    require_round_admin(actor, round.fund)
    if not isinstance(funded, bool):
        raise field_error("funded", "invalid_choice", _("Say whether the proposal is funded."))
    reason = model_text(Result, "override_reason", reason, field="reason", required=True)
    locked_round = GrantRound.objects.select_for_update(of=("self",)).select_related("fund").get(pk=round.pk)
    if not phases.is_open(locked_round, PhaseKind.ALLOCATION):
        phases.require_open(locked_round, PhaseKind.AGREEMENTS)
    locked = Result.objects.select_for_update().select_related("proposal").get(pk=result.pk)
    if locked.funded == funded:
        raise Conflict("override_same", _("The result is already so; an override changes it."))
    if not funded and getattr(locked.proposal, "agreement", None) is not None:
        raise Conflict("agreement_exists", _("This proposal has a grant agreement; it stays funded."))
    amount = locked.proposal.cost if funded else Money(0)
    awarded = _awarded(locked_round) - locked.amount + amount
    if awarded > locked_round.budget:
        raise _over_budget(locked_round, awarded)
    fund = None
    if funded:
        funds = rooms(locked_round, without=locked)
        room = payer(locked.proposal, amount, funds)
        if room is None:
            raise no_room(locked.proposal, amount, funds)
        fund = room.fund
    before = {"funded": locked.funded, "amount": str(locked.amount.amount), "fund": locked.fund_id}
    locked.funded, locked.amount, locked.fund, locked.decided_at = funded, amount, fund, timezone.now()
    locked.overridden, locked.override_reason, locked.overridden_by = True, reason, actor
    locked.save(update_fields=["funded", "amount", "fund", "decided_at", "overridden", "override_reason", "overridden_by"])
    to, was = (ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED) if funded else (ProposalStatus.NOT_FUNDED, ProposalStatus.FUNDED)
    transition(locked.proposal, to=to, allowed_from=[was], actor=actor, action="grants.proposal.override")
    reservations_sync(actor=actor, round=locked_round)
    audit_log(actor=actor, action="grants.result.override", obj=locked, before=before,
              after={"funded": funded, "amount": str(amount.amount), "fund": locked.fund_id, "reason": reason})
    return locked


@transaction.atomic
def result_payer_set(*, actor: Any, result: Result, fund: CommunityFund) -> Result:
    """Pay an award from another of the round's funds (one with room for it that may pay for its purpose), during
    the allocation or the agreements phase and before the award's agreement is in force; the reservations follow."""
    round = GrantRound.objects.select_related("fund").get(pk=result.round_id)
    require_round_admin(actor, round.fund)
    if not isinstance(fund, CommunityFund):
        raise field_error("fund", "unknown_fund", _("Choose the fund from the list."))
    locked_round = GrantRound.objects.select_for_update(of=("self",)).select_related("fund").get(pk=round.pk)
    if not phases.is_open(locked_round, PhaseKind.ALLOCATION):
        phases.require_open(locked_round, PhaseKind.AGREEMENTS)
    locked = Result.objects.select_for_update().select_related("proposal", "round").get(pk=result.pk)
    if not locked.funded:
        raise Conflict("not_funded", _("Only a funded proposal is paid from a fund."))
    if locked.fund_id == fund.pk:
        return locked
    agreement = getattr(locked.proposal, "agreement", None)
    if agreement is not None and agreement.project_id is not None:
        raise Conflict("agreement_in_force", _("The agreement is in force: the award is already the project's money."))
    payer_check(locked, fund)
    before = locked.fund_id
    locked.fund = fund
    locked.save(update_fields=["fund"])
    reservations_sync(actor=actor, round=locked_round)
    audit_log(actor=actor, action="grants.result.payer", obj=locked, before={"fund": before}, after={"fund": fund.pk})
    return locked
