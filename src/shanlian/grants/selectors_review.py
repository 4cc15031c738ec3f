"""Expert review, read: an expert's list, what a reviewer sees of a proposal, the staff's board, the experts' scores.

A review's total is its weighted share of the rubric (Σ weight × score / Σ weight × highest score, 0..1). Experts
differ in how hard they mark, so proposals are compared by z-scores: each review against that reviewer's own mean
and spread over the round. Numbers are Decimals (four places, half up), so the same reviews always give the same
board and the same ranks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound
from shanlian.core.money import Money
from shanlian.people.selectors_experts import TIE, Recusal, expert_conflicts

from .models import (
    Assignment,
    AssignmentStatus,
    Criterion,
    GrantRound,
    Phase,
    PhaseKind,
    Proposal,
    ProposalStatus,
    ReviewerTie,
    Score,
)

# Proposals that passed screening: the board and the experts' scores keep them after the allocation decides.
REVIEWABLE = (ProposalStatus.FEASIBLE, ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED)
ACTIVE = (AssignmentStatus.ASSIGNED, AssignmentStatus.SUBMITTED)
# Reviewers' shares further apart than this flag a proposal for a closer look (settings.SHANLIAN["GRANTS_SPREAD_FLAG"]).
DEFAULT_SPREAD = Decimal("0.30")

_PLACES = Decimal("0.0001")


def _q(value: Decimal) -> Decimal:
    out = value.quantize(_PLACES, rounding=ROUND_HALF_UP)
    return out if out != 0 else Decimal("0.0000")  # never "-0.0000"


def spread_flag() -> Decimal:
    return Decimal(str(settings.SHANLIAN.get("GRANTS_SPREAD_FLAG", DEFAULT_SPREAD)))


def _name(first_name: str, username: str) -> str:
    return first_name or username


# --- conflicts of interest ---------------------------------------------------------------------------------------

def reviewer_conflicts(*, round_id: int, reviewer_ids: Iterable[int], organization_ids: Iterable[int]) -> dict[tuple[int, int], Recusal]:
    """(reviewer id, organization id) → why the reviewer may not review that organization's proposals: the expert
    pool's rule (an active role there, a standing tie) and the ties declared in this round."""
    users, orgs = set(reviewer_ids), set(organization_ids)
    out = expert_conflicts(user_ids=users, organization_ids=orgs, on=timezone.localdate())
    if not users or not orgs:
        return out
    ties = ReviewerTie.objects.filter(round_id=round_id, reviewer_id__in=users, organization_id__in=orgs).order_by("id")
    for user_id, org_id, note in ties.values_list("reviewer_id", "organization_id", "note"):
        out.setdefault((user_id, org_id), Recusal(TIE, note))
    return out


# --- the expert's list ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentItem:
    assignment_id: int
    round_id: int
    round_title: str
    proposal_id: int
    number: int
    title: str
    status: str
    status_label: str
    due: datetime | None  # when the round's expert review closes


def assignments_for(reviewer: Any) -> list[AssignmentItem]:
    """An expert's home-page list, the review still to do first (one query, however long the list)."""
    due = Phase.objects.filter(round=OuterRef("proposal__round"), kind=PhaseKind.REVIEW).values("closes_at")[:1]
    rows = (Assignment.objects.filter(reviewer_id=getattr(reviewer, "pk", None))
            .annotate(due=Subquery(due))
            .values("id", "status", "due", "proposal_id", "proposal__number", "proposal__title", "proposal__round_id",
                    "proposal__round__title"))
    items = [AssignmentItem(
        assignment_id=r["id"], round_id=r["proposal__round_id"], round_title=r["proposal__round__title"],
        proposal_id=r["proposal_id"], number=r["proposal__number"], title=r["proposal__title"], status=r["status"],
        status_label=str(AssignmentStatus(r["status"]).label), due=r["due"]) for r in rows]
    todo = {AssignmentStatus.ASSIGNED: 0, AssignmentStatus.SUBMITTED: 1, AssignmentStatus.RECUSED: 2}
    return sorted(items, key=lambda i: (todo.get(AssignmentStatus(i.status), 3), i.due is None,
                                        i.due.timestamp() if i.due else 0.0, i.round_id, i.number, i.assignment_id))


# --- what a reviewer sees ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CriterionView:
    id: int
    n: int
    name: str
    weight: Decimal
    max_score: int
    levels: list[dict[str, Any]]


@dataclass(frozen=True)
class PeerReview:
    label: int  # 1, 2, ...: the other reviewers in the order they were assigned, without their names
    scores: dict[int, int]  # criterion id → score
    share: Decimal
    comment: str


@dataclass(frozen=True)
class ReviewerView:
    assignment_id: int
    status: str
    round_id: int
    round_title: str
    blind: bool
    proposal_id: int
    number: int
    title: str
    summary: str
    beneficiaries: str
    beneficiary_count: int
    outcomes: str
    requested: Money
    accepted_price: Money | None
    co_funding: Money
    co_funding_source: str
    starts_on: date
    ends_on: date
    applicant_id: int | None  # None in a blind review
    applicant_name: str | None
    lines: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    criteria: list[CriterionView]
    own_scores: dict[int, int]
    own_comment: str
    others: list[PeerReview]  # empty until the reviewer's own review is submitted


def _weights(criteria: Iterable[Criterion]) -> dict[int, tuple[Decimal, int]]:
    return {c.pk: (Decimal(c.weight), c.max_score) for c in criteria}


def share_of(scores: dict[int, int], weights: dict[int, tuple[Decimal, int]]) -> Decimal:
    """Σ weight × score / Σ weight × highest score, exact (not yet rounded)."""
    got = sum((weights[c][0] * v for c, v in scores.items() if c in weights), Decimal(0))
    top = sum((weights[c][0] * weights[c][1] for c in scores if c in weights), Decimal(0))
    return got / top if top else Decimal(0)


def proposal_for_reviewer(reviewer: Any, assignment: Assignment) -> ReviewerView:
    """The proposal as its assigned reviewer sees it: no applicant in a blind review, and the other reviewers' scores
    only once their own review is in (so no one marks after the others). Anyone else: not found (and logged)."""
    a = (Assignment.objects.select_related("proposal", "proposal__round", "proposal__applicant")
         .filter(pk=assignment.pk).first())
    if a is None or a.reviewer_id != getattr(reviewer, "pk", None):
        access_denied(user_id=getattr(reviewer, "pk", None), object_type="grants.assignment", object_id=assignment.pk)
        raise NotFound()
    p, r = a.proposal, a.proposal.round
    criteria = list(Criterion.objects.filter(round=r).order_by("n"))
    weights = _weights(criteria)
    shown = [a.pk]
    if a.status == AssignmentStatus.SUBMITTED:
        shown += list(Assignment.objects.filter(proposal=p, status=AssignmentStatus.SUBMITTED).exclude(pk=a.pk)
                      .order_by("id").values_list("id", flat=True))
    scores: dict[int, dict[int, int]] = defaultdict(dict)
    for aid, cid, value in Score.objects.filter(assignment_id__in=shown).values_list("assignment_id", "criterion_id", "value"):
        scores[aid][cid] = value
    comments = dict(Assignment.objects.filter(pk__in=shown[1:]).values_list("id", "comment"))
    others = [PeerReview(label=i, scores=dict(scores[aid]), share=_q(share_of(scores[aid], weights)), comment=comments.get(aid, ""))
              for i, aid in enumerate(shown[1:], start=1)]
    return ReviewerView(
        assignment_id=a.pk, status=a.status, round_id=r.pk, round_title=r.title, blind=r.blind_review, proposal_id=p.pk,
        number=p.number, title=p.title, summary=p.summary, beneficiaries=p.beneficiaries, beneficiary_count=p.beneficiary_count,
        outcomes=p.outcomes, requested=p.requested, accepted_price=p.accepted_price, co_funding=p.co_funding,
        co_funding_source=p.co_funding_source, starts_on=p.starts_on, ends_on=p.ends_on,
        applicant_id=None if r.blind_review else p.applicant_id, applicant_name=None if r.blind_review else p.applicant.name,
        lines=[dict(x) for x in p.lines.order_by("n").values("n", "category", "item", "quantity", "unit", "unit_price", "amount")],
        milestones=[dict(x) for x in p.milestones.order_by("n").values("n", "title", "due_on")],
        criteria=[CriterionView(id=c.pk, n=c.n, name=c.name, weight=Decimal(c.weight), max_score=c.max_score, levels=list(c.levels))
                  for c in criteria],
        own_scores=dict(scores[a.pk]), own_comment=a.comment, others=others,
    )


# --- the board -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardReview:
    assignment_id: int
    reviewer_id: int
    reviewer_name: str
    share: Decimal  # the weighted total, 0..1
    z: Decimal  # against the reviewer's own mean and spread over the round


@dataclass(frozen=True)
class BoardRow:
    proposal_id: int
    number: int
    title: str
    applicant_name: str
    assigned: int  # active assignments (not recused)
    submitted: int
    reviews: tuple[BoardReview, ...]
    mean_z: Decimal | None  # the aggregate; None until a review is in
    mean_share: Decimal | None
    spread: bool  # the reviewers' shares differ by more than the spread flag
    rank: int | None


def _z_scores(shares: dict[int, Decimal], reviewer_of: dict[int, int]) -> dict[int, Decimal]:
    """Assignment id → z of its share among the same reviewer's shares: (x − mean) / population std; 0 for a
    reviewer with one review or no spread."""
    mine: dict[int, list[int]] = defaultdict(list)
    for aid in sorted(shares):
        mine[reviewer_of[aid]].append(aid)
    out: dict[int, Decimal] = {}
    for aids in mine.values():
        values = [shares[aid] for aid in aids]
        n = Decimal(len(values))
        mean = sum(values, Decimal(0)) / n
        std = (sum(((v - mean) ** 2 for v in values), Decimal(0)) / n).sqrt()
        for aid in aids:
            out[aid] = (shares[aid] - mean) / std if len(values) > 1 and std > 0 else Decimal(0)
    return out


def review_board(round: GrantRound) -> list[BoardRow]:
    """Per proposal that passed screening: each submitted review's share and z, the mean z (the aggregate) and mean
    share, the spread flag, how many of its reviews are in, and its rank (by mean z, then mean share, then number);
    those without a review yet come last, unranked. Four queries, whatever the round's size."""
    weights = _weights(Criterion.objects.filter(round=round))
    proposals = list(Proposal.objects.filter(round=round, status__in=REVIEWABLE).order_by("number")
                     .values("id", "number", "title", "applicant__name"))
    assignments = list(Assignment.objects.filter(proposal__round=round, proposal__status__in=REVIEWABLE, status__in=ACTIVE)
                       .order_by("id").values("id", "proposal_id", "reviewer_id", "status", "reviewer__first_name",
                                              "reviewer__username"))
    scores: dict[int, dict[int, int]] = defaultdict(dict)
    for aid, cid, value in (Score.objects.filter(assignment__proposal__round=round, assignment__status=AssignmentStatus.SUBMITTED,
                                                 assignment__proposal__status__in=REVIEWABLE)
                            .values_list("assignment_id", "criterion_id", "value")):
        scores[aid][cid] = value
    done = [a for a in assignments if a["status"] == AssignmentStatus.SUBMITTED]
    shares = {a["id"]: share_of(scores[a["id"]], weights) for a in done}
    z = _z_scores(shares, {a["id"]: a["reviewer_id"] for a in done})
    by_proposal: dict[int, list[Any]] = defaultdict(list)
    for a in assignments:
        by_proposal[a["proposal_id"]].append(a)
    limit = spread_flag()
    rows: list[BoardRow] = []
    for p in proposals:
        mine = by_proposal[p["id"]]
        reviews = tuple(BoardReview(assignment_id=a["id"], reviewer_id=a["reviewer_id"],
                                    reviewer_name=_name(a["reviewer__first_name"], a["reviewer__username"]),
                                    share=_q(shares[a["id"]]), z=_q(z[a["id"]]))
                        for a in mine if a["id"] in shares)
        n = Decimal(len(reviews))
        mean_z = _q(sum((z[r.assignment_id] for r in reviews), Decimal(0)) / n) if reviews else None
        mean_share = _q(sum((shares[r.assignment_id] for r in reviews), Decimal(0)) / n) if reviews else None
        spread = len(reviews) > 1 and max(r.share for r in reviews) - min(r.share for r in reviews) > limit
        rows.append(BoardRow(proposal_id=p["id"], number=p["number"], title=p["title"], applicant_name=p["applicant__name"],
                             assigned=len(mine), submitted=len(reviews), reviews=reviews, mean_z=mean_z,
                             mean_share=mean_share, spread=spread, rank=None))
    scored = sorted((r for r in rows if r.mean_z is not None),
                    key=lambda r: (-(r.mean_z or 0), -(r.mean_share or 0), r.number))
    ranked = [replace(r, rank=i) for i, r in enumerate(scored, start=1)]
    return ranked + [r for r in rows if r.mean_z is None]


def expert_scores(round: GrantRound) -> dict[int, Decimal]:
    """Proposal id → the experts' aggregate (mean z, four places) for each proposal with a review in: what the
    combined allocation rule weighs against the votes."""
    return {row.proposal_id: row.mean_z for row in review_board(round) if row.mean_z is not None}
