"""The API of micro-venture rounds for their staff and experts (mounted at /api/grants).

Staff operations live under /manage/: the rounds one runs, a round's review board and live turnout, screening and
returning a proposal, the rubric, assigning reviewers, keying a paper ballot, running the allocation and overriding a
result. Experts: /me/reviews (their assignments), /reviews/{assignment_id} (the proposal as they may see it, and
their scores), /reviews/{assignment_id}/recuse. The same selectors and services as the pages, with their codes: a
caller with no role that runs rounds gets 403 `not_round_staff` (experts' operations: 403 `not_expert`); a round,
proposal, result or assignment not theirs is a 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from shanlian.core.errors import NotFound, field_error
from shanlian.core.inputs import id_param
from shanlian.core.money import Money
from shanlian.core.schemas import ApiRequest, errors

from . import selectors_staff as sel
from . import services
from .access import require_expert
from .api_public import FundRefOut
from .models import Assignment, BallotKind, GrantRound, Proposal, Result, RoundFund
from .selectors_results import reason_text
from .selectors_review import assignments_for, proposal_for_reviewer, review_board, share_of
from .selectors_vote import turnout
from .services.reviews import COMMENT_MAX, CRITERIA_MAX, EXPERTS_MAX, LEVEL_TEXT_MAX, LEVELS_MAX, SCORE_CEILING
from .services.votes import MAX_BALLOT_IDS

router = Router(tags=["grants: staff and experts"])

Id = Annotated[int, Field(ge=1, le=10**18)]
Yuan = Annotated[str, Field(max_length=24, description="Yuan, at most two decimals, e.g. \"8500.00\".")]


def _yuan(m: Money | None) -> str | None:
    return None if m is None else f"{m.amount:.2f}"


def _round(request: ApiRequest, round_id: int) -> GrantRound:
    return sel.round_for_staff(request.auth, round_id)


# --- rounds ------------------------------------------------------------------------------------------------------------

class RoundOut(Schema):
    id: int
    title: str
    year: int
    fund: str = Field(..., description="The fund's code.")
    status: str
    phase: str | None = Field(..., description="The phase open now (the one opened last when phases overlap).")
    phase_closes_at: dt.datetime | None
    budget: str
    needs: int
    proposals: int = Field(..., description="Submitted so far (drafts left out).")
    feasible: int
    reviews: int
    reviews_done: int


@router.get("/manage/rounds", response={200: list[RoundOut], **errors(401, 403)}, summary="The rounds you run")
def staff_rounds_list(request: ApiRequest) -> Any:
    """Newest year first (at most 500), each with its current phase and counts."""
    return [{"id": row.round.pk, "title": row.round.title, "year": row.round.year, "fund": row.round.fund.code,
             "status": row.round.status, "phase": row.phase.kind if row.phase else None,
             "phase_closes_at": row.phase.closes_at if row.phase else None, "budget": _yuan(row.round.budget),
             "needs": row.needs, "proposals": row.proposals, "feasible": row.feasible, "reviews": row.reviews,
             "reviews_done": row.reviews_done} for row in sel.rounds_run_by(request.auth)]


# --- the review board --------------------------------------------------------------------------------------------------

class BoardReviewOut(Schema):
    assignment_id: int
    reviewer_id: int
    reviewer_name: str
    share: Decimal = Field(..., description="The review's weighted total, 0 to 1.")
    z: Decimal = Field(..., description="Against the reviewer's own mean and spread over the round.")


class BoardRowOut(Schema):
    proposal_id: int
    number: int
    title: str
    applicant: str
    assigned: int
    submitted: int
    mean_z: Decimal | None
    mean_share: Decimal | None
    spread: bool = Field(..., description="The reviewers' shares differ by more than the spread flag.")
    rank: int | None
    reviews: list[BoardReviewOut]


@router.get("/manage/rounds/{id:round_id}/board", response={200: list[BoardRowOut], **errors(401, 403, 404)},
            summary="A round's review board")
def staff_round_board(request: ApiRequest, round_id: int) -> Any:
    """Per proposal that passed screening: each submitted review's share and z-score, the mean z (the ranking), the
    mean share and the spread flag. Proposals with no review in come last, unranked."""
    rows = review_board(_round(request, round_id))
    return [{"proposal_id": r.proposal_id, "number": r.number, "title": r.title, "applicant": r.applicant_name,
             "assigned": r.assigned, "submitted": r.submitted, "mean_z": r.mean_z, "mean_share": r.mean_share,
             "spread": r.spread, "rank": r.rank,
             "reviews": [{"assignment_id": x.assignment_id, "reviewer_id": x.reviewer_id, "reviewer_name": x.reviewer_name,
                          "share": x.share, "z": x.z} for x in r.reviews]} for r in rows]


# --- the turnout -----------------------------------------------------------------------------------------------------------

class CommunityTurnoutOut(Schema):
    community_id: int
    name: str
    ballots: int
    online: int
    paper: int
    eligible: int
    share: Decimal | None


class TurnoutOut(Schema):
    ballots: int
    online: int
    paper: int = Field(..., description="Paper ballots counted (both keyings agree).")
    eligible: int
    share: Decimal | None = Field(..., description="ballots / eligible, 0 to 1 (four places); null when nobody may vote.")
    communities: list[CommunityTurnoutOut]


@router.get("/manage/rounds/{id:round_id}/turnout", response={200: TurnoutOut, **errors(401, 403, 404)},
            summary="A round's live turnout")
def staff_round_turnout(request: ApiRequest, round_id: int) -> Any:
    """How many have voted, of how many may, in all and by community (never how the projects stand)."""
    t = turnout(_round(request, round_id))
    return {"ballots": t.ballots, "online": t.online, "paper": t.paper, "eligible": t.eligible, "share": t.share,
            "communities": [{"community_id": c.community_id, "name": c.name, "ballots": c.ballots, "online": c.online,
                             "paper": c.paper, "eligible": c.eligible, "share": c.share} for c in t.communities]}


# --- screening and return --------------------------------------------------------------------------------------------------

class ProposalOut(Schema):
    id: int
    round_id: int
    number: int
    title: str
    status: str
    requested: str
    accepted_price: str | None
    screening_note: str
    note: str = Field(..., description="What to change, when returned.")


def _proposal_out(p: Proposal) -> dict[str, Any]:
    return {"id": p.pk, "round_id": p.round_id, "number": p.number, "title": p.title, "status": p.status,
            "requested": _yuan(p.requested), "accepted_price": _yuan(p.accepted_price), "screening_note": p.screening_note,
            "note": p.note}


class ScreeningIn(Schema):
    feasible: bool
    accepted_price: Yuan | None = Field(None, description="When feasible: at most what was asked (empty: what was asked).")
    note: str = Field("", max_length=500, description="Required when not feasible (public).")


@router.post("/manage/proposals/{id:proposal_id}/screening", response={200: ProposalOut, **errors(400, 401, 403, 404, 409)},
             summary="Screen a proposal")
def staff_proposal_screening(request: ApiRequest, proposal_id: int, payload: ScreeningIn) -> Any:
    """Feasible at an accepted price, or not feasible with the reason, while screening is open. The same decision
    again answers 200 with the proposal; another is 409 `already_screened`."""
    proposal = sel.proposal_for_staff(request.auth, proposal_id)
    done = services.proposal_screen(actor=request.auth, proposal=proposal, feasible=payload.feasible,
                                    accepted_price=payload.accepted_price if payload.feasible else None, note=payload.note)
    return _proposal_out(done)


class RoundNoteIn(Schema):
    note: str = Field(..., max_length=500)


@router.post("/manage/proposals/{id:proposal_id}/return", response={200: ProposalOut, **errors(400, 401, 403, 404, 409)},
             summary="Return a proposal for changes")
def staff_proposal_return(request: ApiRequest, proposal_id: int, payload: RoundNoteIn) -> Any:
    proposal = sel.proposal_for_staff(request.auth, proposal_id)
    return _proposal_out(services.proposal_return(actor=request.auth, proposal=proposal, note=payload.note))


# --- the rubric and the assignment ------------------------------------------------------------------------------------------

class LevelIn(Schema):
    from_: int = Field(..., alias="from", ge=0, le=SCORE_CEILING, description="The lowest score of the level.")
    text: str = Field(..., max_length=LEVEL_TEXT_MAX)


class CriterionIn(Schema):
    name: str = Field(..., max_length=64)
    weight: Annotated[str, Field(max_length=10)] = Field(..., description="Above 0, at most 100, two decimals.")
    max_score: int = Field(..., ge=1, le=SCORE_CEILING)
    levels: list[LevelIn] = Field(..., min_length=1, max_length=LEVELS_MAX)


class RubricIn(Schema):
    criteria: list[CriterionIn] = Field(..., min_length=1, max_length=CRITERIA_MAX)


class CriterionOut(Schema):
    id: int
    n: int
    name: str
    weight: Decimal
    max_score: int
    levels: list[dict[str, Any]]


@router.post("/manage/rounds/{id:round_id}/rubric", response={200: list[CriterionOut], **errors(400, 401, 403, 404, 409)},
             summary="Set a round's rubric")
def staff_round_rubric(request: ApiRequest, round_id: int, payload: RubricIn) -> Any:
    """Replaces the rubric, before expert review opens (409 `review_started`) and before any score."""
    round = _round(request, round_id)
    rows = [{"name": c.name, "weight": c.weight, "max_score": c.max_score,
             "levels": [{"from": lv.from_, "text": lv.text} for lv in c.levels]} for c in payload.criteria]
    made = services.criteria_set(actor=request.auth, round=round, criteria=rows)
    return [{"id": c.pk, "n": c.n, "name": c.name, "weight": c.weight, "max_score": c.max_score, "levels": c.levels} for c in made]


class AssignIn(Schema):
    experts: list[Id] = Field(..., min_length=1, max_length=EXPERTS_MAX, description="User ids of experts in the pool.")


class AssignmentOut(Schema):
    id: int
    proposal_id: int
    number: int
    reviewer_id: int
    status: str


@router.post("/manage/rounds/{id:round_id}/assign", response={200: list[AssignmentOut], **errors(400, 401, 403, 404, 409)},
             summary="Assign reviewers")
def staff_round_assign(request: ApiRequest, round_id: int, payload: AssignIn) -> Any:
    """Tops up each feasible proposal to the round's number of reviewers from `experts`, the least loaded first,
    never one tied to the applicant. All or nothing (400 `not_enough_reviewers`). Answers the round's active
    assignments."""
    round = _round(request, round_id)
    experts = list(get_user_model().objects.filter(pk__in=set(payload.experts)).order_by("pk"))
    if len(experts) != len(set(payload.experts)):
        raise field_error("experts", "not_an_expert", _("Choose the experts from the expert pool."))
    made = services.reviews_assign(actor=request.auth, round=round, experts=experts)
    return [{"id": a.pk, "proposal_id": a.proposal_id, "number": a.proposal.number, "reviewer_id": a.reviewer_id,
             "status": a.status} for a in made]


# --- paper ballots -----------------------------------------------------------------------------------------------------------

class PaperIn(Schema):
    paper_number: str = Field(..., max_length=20, description="As printed on the paper (full-width characters are made plain).")
    voter: str = Field(..., max_length=40, description="The voter's resident ID number or mobile number.")
    choices: list[Id] = Field([], max_length=MAX_BALLOT_IDS, description="An approval ballot: the proposal ids ticked.")
    points: dict[Annotated[str, Field(max_length=20)], Annotated[int, Field(ge=1, le=1000)]] = Field(
        {}, max_length=MAX_BALLOT_IDS, description="A cumulative ballot: proposal id → points.")


class KeyingOut(Schema):
    id: int
    paper_number: str
    status: str = Field(..., description="pending (keyed once), counted (two keyings agree) or mismatch.")
    ballot_id: int | None


@router.post("/manage/rounds/{id:round_id}/paper-ballots", response={201: KeyingOut, **errors(400, 401, 403, 404, 409)},
             summary="Key a paper ballot")
def staff_round_paper_ballot(request: ApiRequest, round_id: int, payload: PaperIn) -> Any:
    """One staff member's keying; a second by someone else that agrees counts the ballot. 409
    `second_keying_same_person`, `paper_counted`, `already_voted`; 400 `voter_not_found` and the ballot's own codes."""
    round = _round(request, round_id)
    voter = sel.voter_by_identifier(round, payload.voter)
    if round.ballot_kind == BallotKind.CUMULATIVE:
        choices: Any = {}
        for key, value in payload.points.items():
            pid = id_param(key)
            if pid is None:
                raise field_error("points", "invalid_choices", _("A ballot names projects by their number on the ballot."))
            choices[pid] = value
    else:
        choices = list(payload.choices)
    keying = services.paper_ballot_key(actor=request.auth, round=round, paper_number=payload.paper_number, voter=voter,
                                       choices=choices)
    return Status(201, {"id": keying.pk, "paper_number": keying.paper_number, "status": keying.status, "ballot_id": keying.ballot_id})


# --- allocation and override --------------------------------------------------------------------------------------------------

class ResultOut(Schema):
    id: int
    rank: int
    proposal_id: int
    number: int
    title: str
    votes: int
    expert_score: Decimal | None
    funded: bool
    amount: str
    reason_code: str
    reason: str = Field(..., description="The reason in the reader's language.")
    overridden: bool
    override_reason: str
    paid_from: FundRefOut | None = Field(None, description="The fund of the round that pays the award.")


def _result_out(r: Result) -> dict[str, Any]:
    return {"id": r.pk, "rank": r.rank, "proposal_id": r.proposal_id, "number": r.proposal.number, "title": r.proposal.title,
            "votes": r.votes, "expert_score": r.expert_score, "funded": r.funded, "amount": _yuan(r.amount),
            "reason_code": r.reason_code, "reason": reason_text(r.reason_code, r.reason_params), "overridden": r.overridden,
            "override_reason": r.override_reason,
            "paid_from": {"code": r.fund.code, "name": r.fund.name} if r.fund is not None else None}


@router.post("/manage/rounds/{id:round_id}/allocate", response={200: list[ResultOut], **errors(400, 401, 403, 404, 409)},
             summary="Run the allocation")
def staff_round_allocate(request: ApiRequest, round_id: int) -> Any:
    """Once, by the round's declared rule, while the allocation phase is open and after the vote has closed; run
    again it answers the results as they are. The fund's custodian or the area's administrators only (403
    `not_round_admin`)."""
    round = _round(request, round_id)
    results = services.allocation_run(actor=request.auth, round=round)
    rows = Result.objects.filter(pk__in=[r.pk for r in results]).select_related("proposal", "fund").order_by("rank")
    return [_result_out(r) for r in rows]


class OverrideIn(Schema):
    funded: bool
    reason: str = Field(..., max_length=300, description="Published with the results.")


@router.post("/manage/results/{id:result_id}/override", response={200: ResultOut, **errors(400, 401, 403, 404, 409)},
             summary="Override a result")
def staff_result_override(request: ApiRequest, result_id: int, payload: OverrideIn) -> Any:
    """Fund a proposal the rule did not, or not fund one it did, with a public reason, during the allocation or the
    agreements phase and within the budget."""
    result = sel.result_for_staff(request.auth, result_id)
    done = services.result_override(actor=request.auth, result=result, funded=payload.funded, reason=payload.reason)
    return _result_out(Result.objects.select_related("proposal", "fund").get(pk=done.pk))


class PayerIn(Schema):
    fund: str = Field(..., max_length=40, description="The code of one of the round's funds.")


@router.post("/manage/results/{id:result_id}/payer", response={200: ResultOut, **errors(400, 401, 403, 404, 409)},
             summary="Choose the fund that pays an award")
def staff_result_payer(request: ApiRequest, result_id: int, payload: PayerIn) -> Any:
    """In a round over several funds: pay a funded proposal from another of them (one with room for it, and whose
    purpose it serves), during the allocation or the agreements phase and before its agreement is in force."""
    result = sel.result_for_staff(request.auth, result_id)
    fund = RoundFund.objects.filter(round_id=result.round_id, fund__code=payload.fund).select_related("fund__division").first()
    if fund is None:
        raise field_error("fund", "fund_not_in_round", _("This fund is not one of the round's."))
    done = services.result_payer_set(actor=request.auth, result=result, fund=fund.fund)
    return _result_out(Result.objects.select_related("proposal", "fund").get(pk=done.pk))


# --- experts ------------------------------------------------------------------------------------------------------------------

class MyReviewOut(Schema):
    assignment_id: int
    round_id: int
    round_title: str
    proposal_id: int
    number: int
    title: str
    status: str
    due: dt.datetime | None = Field(..., description="When the round's expert review closes.")


@router.get("/me/reviews", response={200: list[MyReviewOut], **errors(401, 403)}, summary="Your review assignments")
def expert_reviews_list(request: ApiRequest) -> Any:
    """The reviews still to do first, then those submitted, then those you stepped back from."""
    require_expert(request.auth)
    return [{"assignment_id": a.assignment_id, "round_id": a.round_id, "round_title": a.round_title,
             "proposal_id": a.proposal_id, "number": a.number, "title": a.title, "status": a.status, "due": a.due}
            for a in assignments_for(request.auth)[:1000]]


class ReviewCriterionOut(Schema):
    id: int
    n: int
    name: str
    weight: Decimal
    max_score: int
    levels: list[dict[str, Any]]


class PeerOut(Schema):
    label: int
    scores: dict[str, int] = Field(..., description="Criterion id → score.")
    share: Decimal
    comment: str


class ReviewOut(Schema):
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
    requested: str
    accepted_price: str | None
    starts_on: dt.date
    ends_on: dt.date
    applicant: str | None = Field(..., description="Null in a blind review.")
    lines: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    criteria: list[ReviewCriterionOut]
    own_scores: dict[str, int]
    own_comment: str
    own_share: Decimal | None = Field(..., description="Your weighted total, 0 to 1, once you have scored.")
    others: list[PeerOut] = Field(..., description="The other reviewers' submitted scores, once yours is submitted.")


def _review_out(request: ApiRequest, assignment_id: int) -> dict[str, Any]:
    require_expert(request.auth)
    found = Assignment.objects.filter(pk=assignment_id).first()
    if found is None:
        raise NotFound("assignment_not_found", _("No such review assignment."))
    v = proposal_for_reviewer(request.auth, found)

    weights = {c.id: (c.weight, c.max_score) for c in v.criteria}
    return {
        "assignment_id": v.assignment_id, "status": v.status, "round_id": v.round_id, "round_title": v.round_title,
        "blind": v.blind, "proposal_id": v.proposal_id, "number": v.number, "title": v.title, "summary": v.summary,
        "beneficiaries": v.beneficiaries, "beneficiary_count": v.beneficiary_count, "outcomes": v.outcomes,
        "requested": _yuan(v.requested), "accepted_price": _yuan(v.accepted_price), "starts_on": v.starts_on,
        "ends_on": v.ends_on, "applicant": v.applicant_name,
        "lines": [{"n": x["n"], "category": x["category"], "item": x["item"], "quantity": f"{x['quantity']:f}", "unit": x["unit"],
                   "unit_price": _yuan(x["unit_price"]), "amount": _yuan(x["amount"])} for x in v.lines],
        "milestones": [{"n": m["n"], "title": m["title"], "due_on": m["due_on"].isoformat()} for m in v.milestones],
        "criteria": [{"id": c.id, "n": c.n, "name": c.name, "weight": c.weight, "max_score": c.max_score, "levels": c.levels}
                     for c in v.criteria],
        "own_scores": {str(k): s for k, s in v.own_scores.items()}, "own_comment": v.own_comment,
        "own_share": share_of(v.own_scores, weights).quantize(Decimal("0.0001")) if v.own_scores else None,
        "others": [{"label": p.label, "scores": {str(k): s for k, s in p.scores.items()}, "share": p.share, "comment": p.comment}
                   for p in v.others],
    }


@router.get("/reviews/{id:assignment_id}", response={200: ReviewOut, **errors(401, 403, 404)}, summary="One review")
def expert_review_get(request: ApiRequest, assignment_id: int) -> Any:
    """The proposal as its reviewer may see it (no applicant in a blind review), the rubric with its levels, your
    scores, and the other reviewers' once yours is in. Another expert's assignment: 404."""
    return _review_out(request, assignment_id)


class ScoresIn(Schema):
    scores: dict[Annotated[str, Field(max_length=20)], Annotated[int, Field(ge=0, le=SCORE_CEILING)]] = Field(
        ..., max_length=CRITERIA_MAX, description="Criterion id → a whole score from 0 to its highest, for every criterion.")
    comment: str = Field("", max_length=COMMENT_MAX)


@router.post("/reviews/{id:assignment_id}", response={200: ReviewOut, **errors(400, 401, 403, 404, 409)},
             summary="Submit your scores")
def expert_review_submit(request: ApiRequest, assignment_id: int, payload: ScoresIn) -> Any:
    """Once, while expert review is open: 400 `score_out_of_rubric`, `scores_incomplete`; 409 `review_submitted`,
    `review_recused`, `reviewer_tied` (you work for the applicant or declared a tie to it)."""
    require_expert(request.auth)
    found = Assignment.objects.filter(pk=assignment_id).first()
    if found is None:
        raise NotFound("assignment_not_found", _("No such review assignment."))
    proposal_for_reviewer(request.auth, found)  # another's: 404, logged
    services.review_submit(actor=request.auth, assignment=found, scores=dict(payload.scores), comment=payload.comment)
    return _review_out(request, assignment_id)


class RoundReasonIn(Schema):
    reason: str = Field(..., max_length=200)


@router.post("/reviews/{id:assignment_id}/recuse", response={200: ReviewOut, **errors(400, 401, 403, 404, 409)},
             summary="Step back from a review")
def expert_review_recuse(request: ApiRequest, assignment_id: int, payload: RoundReasonIn) -> Any:
    require_expert(request.auth)
    found = Assignment.objects.filter(pk=assignment_id).first()
    if found is None:
        raise NotFound("assignment_not_found", _("No such review assignment."))
    proposal_for_reviewer(request.auth, found)
    services.review_recuse(actor=request.auth, assignment=found, reason=payload.reason)
    return _review_out(request, assignment_id)
