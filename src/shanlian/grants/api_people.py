"""The API of micro-venture rounds: the people operations (mounted at /api/grants), for residents (their rounds, naming
and supporting needs, their ballot) and applicants (their proposals: draft, change, submit, withdraw).

The same services and selectors as the pages, with their codes: 403 `not_a_resident` / `not_in_area` /
`not_applicant`, 409 `phase_closed`, 400 with per-field codes (`lines.2.unit_price`, `choices`); another
organization's proposal is 404. Amounts are strings of yuan with two decimals.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.charity.models import Purpose
from shanlian.core.errors import PermissionDenied, field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate

from . import selectors_people as people
from .access import require_resident
from .models import BallotKind, GrantRound, LineCategory, Proposal, ProposalStatus
from .selectors_proposals import my_proposals
from .selectors_results import reason_text
from .selectors_vote import ballot_of
from .services import ballot_cast, need_submit, need_support, proposal_save, proposal_submit, proposal_withdraw
from .services.needs import NEED_TEXT_MAX
from .services.proposals import MAX_LINES, MAX_MILESTONES, MAX_NEEDS, OUTCOMES_MAX, SUMMARY_MAX
from .services.votes import MAX_BALLOT_IDS

router = Router(tags=["grants: residents and applicants"])

Id = Annotated[int, Field(ge=1, le=10**18)]


def _yuan(money: Any) -> str | None:
    return None if money is None else f"{money.amount:.2f}"


class Ref(Schema):
    id: int
    name: str


# --- residents -----------------------------------------------------------------------------------------------------

class PhaseOut(Schema):
    kind: str
    label: str
    opens_at: dt.datetime
    closes_at: dt.datetime


class MyRoundOut(Schema):
    id: int
    title: str
    year: int
    area: Ref
    status: str
    budget: str = Field(..., examples=["60000.00"])
    phase: str | None = Field(..., description="The phase open now, if any.")
    phases: list[PhaseOut]
    needs_open: bool = Field(..., description="You may name and support needs now.")
    vote_open: bool = Field(..., description="You may cast or change your ballot now.")
    voted: bool
    needs_supported: int = Field(..., description="How many of the round's needs you support.")


@router.get("/me/rounds", response={200: list[MyRoundOut], **errors(401, 403)}, summary="The rounds of my area")
def my_rounds(request: ApiRequest) -> Any:
    """The opened rounds whose area holds your community (running ones first) and what you may do in each now.
    A login without a resident record: 403 `not_a_resident`."""
    person = people.resident_person(request.auth)
    return [{
        "id": row.round.pk, "title": row.round.title, "year": row.round.year,
        "area": {"id": row.round.area_id, "name": row.round.area.name}, "status": row.round.status,
        "budget": _yuan(row.round.budget), "phase": row.phase.kind if row.phase else None,
        "phases": [{"kind": p.kind, "label": str(p.get_kind_display()), "opens_at": p.opens_at, "closes_at": p.closes_at}
                   for p in row.phases],
        "needs_open": row.needs_open, "vote_open": row.vote_open, "voted": row.voted, "needs_supported": row.supported,
    } for row in people.rounds_for_resident(person, request.auth)]


def _resident_round(request: ApiRequest, round_id: int) -> GrantRound:
    round = people.round_for_resident(round_id)
    require_resident(request.auth, round)
    return round


class NeedIn(Schema):
    text: str = Field(..., min_length=1, max_length=NEED_TEXT_MAX)
    category: str = Field(..., max_length=16, description="Of: " + ", ".join(Purpose.values) + ".")
    community: Id | None = Field(None, description="A community of the round's area; default your own.")


class NeedOut(Schema):
    id: int
    round: int
    text: str
    category: str
    community: Ref
    supporters: int
    supported: bool = Field(..., description="You support it.")


def _need_out(need: Any, supported: bool) -> dict[str, Any]:
    return {"id": need.pk, "round": need.round_id, "text": need.text, "category": need.category,
            "community": {"id": need.community_id, "name": need.community.name}, "supporters": need.supporters,
            "supported": supported}


@router.post("/rounds/{id:round_id}/needs", response={201: NeedOut, **errors(400, 401, 403, 404, 409)}, summary="Name a need")
def need_create(request: ApiRequest, round_id: int, payload: NeedIn) -> Any:
    """A resident of the round's area names a need while needs are collected (else 409 `phase_closed`)."""
    round = _resident_round(request, round_id)
    community = None
    if payload.community is not None:
        community = people.communities_of(round).filter(pk=payload.community).first()
        if community is None:
            raise field_error("community", "community_not_in_area", _("The community is not within this round's area."))
    need = need_submit(actor=request.auth, round=round, text=payload.text, category=payload.category, community=community)
    return Status(201, _need_out(need, False))


@router.post("/rounds/{id:round_id}/needs/{id:need_id}/support", response={200: NeedOut, **errors(400, 401, 403, 404, 409)},
             summary="Support a need")
def need_support_create(request: ApiRequest, round_id: int, need_id: int) -> Any:
    """Once per resident: supporting again changes nothing (200, the same count). A merged need's support goes to the
    need it joined, which is answered."""
    round = _resident_round(request, round_id)
    need = people.need_of_round(round, need_id)
    target = need_support(actor=request.auth, need=need)
    return _need_out(target, True)


class BallotProposalOut(Schema):
    id: int
    number: int
    title: str
    applicant: str
    cost: str = Field(..., description="What the round would pay (the accepted price).")
    summary: str
    beneficiaries: str
    beneficiary_count: int


class ChoiceOut(Schema):
    proposal_id: int
    points: int


class BallotOut(Schema):
    round: int
    ballot_kind: str
    min_choices: int
    max_choices: int
    points: int = Field(..., description="Points to share (cumulative ballots).")
    knapsack: bool = Field(..., description="The projects chosen may cost at most the budget together.")
    budget: str
    may_change: bool = Field(..., description="You may cast or change your ballot now.")
    refusal: str = Field(..., description="Why not, as a code: phase_closed, ballot_on_paper (empty when you may).")
    voted: bool
    channel: str | None
    cast_at: dt.datetime | None
    changed_at: dt.datetime | None
    choices: list[ChoiceOut]
    proposals: list[BallotProposalOut]


def _ballot_out(request: ApiRequest, round: GrantRound) -> dict[str, Any]:
    mine = ballot_of(request.auth, round)
    b = mine.ballot
    return {
        "round": round.pk, "ballot_kind": round.ballot_kind, "min_choices": round.min_choices, "max_choices": round.max_choices,
        "points": round.points, "knapsack": round.knapsack, "budget": _yuan(round.budget), "may_change": mine.may_change,
        "refusal": mine.refusal, "voted": b is not None, "channel": b.channel if b else None, "cast_at": b.cast_at if b else None,
        "changed_at": b.changed_at if b else None,
        "choices": [{"proposal_id": pid, "points": pts} for pid, pts in mine.choices.items()],
        "proposals": [{"id": p.pk, "number": p.number, "title": p.title, "applicant": p.applicant.name, "cost": _yuan(p.cost),
                       "summary": p.summary, "beneficiaries": p.beneficiaries, "beneficiary_count": p.beneficiary_count}
                      for p in people.ballot_proposals(round)],
    }


@router.get("/rounds/{id:round_id}/ballot", response={200: BallotOut, **errors(401, 403, 404)}, summary="My ballot")
def ballot_get(request: ApiRequest, round_id: int) -> Any:
    """The projects on the ballot, the round's limits, and your ballot if you cast one."""
    return _ballot_out(request, _resident_round(request, round_id))


class ChoiceIn(Schema):
    proposal_id: Id
    points: int = Field(1, ge=1, le=10_000, description="Points for it (cumulative ballots); 1 on an approval ballot.")


class BallotIn(Schema):
    choices: list[ChoiceIn] = Field(..., max_length=MAX_BALLOT_IDS)


@router.put("/rounds/{id:round_id}/ballot", response={200: BallotOut, **errors(400, 401, 403, 404, 409)},
            summary="Cast or change my ballot")
def ballot_put(request: ApiRequest, round_id: int, payload: BallotIn) -> Any:
    """Your whole ballot, replacing any earlier one while the vote is open. Refused with the service's codes:
    `ballot_too_many`, `ballot_too_few`, `ballot_over_budget`, `ballot_points`, `ballot_duplicate`,
    `proposal_not_on_ballot`; a paper ballot is not changed online (409 `ballot_on_paper`). The same ballot again: 200."""
    round = _resident_round(request, round_id)
    ids = [c.proposal_id for c in payload.choices]
    if round.ballot_kind == BallotKind.CUMULATIVE:
        if len(set(ids)) != len(ids):
            raise field_error("choices", "ballot_duplicate", _("A project appears twice on the ballot."))
        choices: Any = {c.proposal_id: c.points for c in payload.choices}
    else:
        choices = ids
    ballot_cast(actor=request.auth, round=round, choices=choices)
    return _ballot_out(request, round)


# --- applicants ----------------------------------------------------------------------------------------------------

class LineIn(Schema):
    category: str = Field(..., max_length=12, description="Of: " + ", ".join(LineCategory.values) + ".")
    item: str = Field(..., max_length=100)
    quantity: str = Field(..., max_length=20, examples=["40"])
    unit: str = Field(..., max_length=10)
    unit_price: str = Field(..., max_length=20, examples=["150.00"])
    amount: str | None = Field(None, max_length=20, description="If given, it must be quantity × unit price exactly.")


class MilestoneIn(Schema):
    title: str = Field(..., max_length=100)
    due_on: dt.date


class ProposalIn(Schema):
    applicant: Id | None = Field(None, description="The organization proposing (one you manage); needed if you manage several.")
    title: str = Field(..., max_length=64)
    summary: str = Field(..., max_length=SUMMARY_MAX)
    beneficiaries: str = Field(..., max_length=200)
    beneficiary_count: int = Field(..., ge=1, le=1_000_000)
    outcomes: str = Field(..., max_length=OUTCOMES_MAX)
    co_funding: str = Field("0", max_length=20)
    co_funding_source: str = Field("", max_length=200)
    starts_on: dt.date
    ends_on: dt.date
    lines: list[LineIn] = Field(..., max_length=MAX_LINES)
    milestones: list[MilestoneIn] = Field(..., max_length=MAX_MILESTONES)
    needs: list[Id] = Field([], max_length=MAX_NEEDS)


class ResidentLineOut(Schema):
    n: int
    category: str
    item: str
    quantity: str
    unit: str
    unit_price: str
    amount: str


class ResidentMilestoneOut(Schema):
    n: int
    title: str
    due_on: dt.date


class ResidentResultOut(Schema):
    funded: bool
    amount: str
    rank: int
    votes: int
    reason: str


class RevisionOut(Schema):
    number: int
    at: dt.datetime
    note: str


class ResidentProposalOut(Schema):
    id: int
    round: Ref
    number: int
    applicant: Ref
    title: str
    status: str
    revision: int
    requested: str
    accepted_price: str | None
    note: str = Field(..., description="What to change, when returned.")
    screening_note: str
    submitted_at: dt.datetime | None
    result: ResidentResultOut | None


class ProposalDetailOut(ResidentProposalOut):
    summary: str
    beneficiaries: str
    beneficiary_count: int
    outcomes: str
    co_funding: str
    co_funding_source: str
    starts_on: dt.date
    ends_on: dt.date
    lines: list[ResidentLineOut]
    milestones: list[ResidentMilestoneOut]
    needs: list[int]
    attachments: list[str]
    revisions: list[RevisionOut]


class ProposalPage(PageOut):
    results: list[ResidentProposalOut]


def _summary(p: Proposal) -> dict[str, Any]:
    result = getattr(p, "result", None) if p.status in (ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED) else None
    return {
        "id": p.pk, "round": {"id": p.round_id, "name": p.round.title}, "number": p.number,
        "applicant": {"id": p.applicant_id, "name": p.applicant.name}, "title": p.title, "status": p.status,
        "revision": p.revision, "requested": _yuan(p.requested), "accepted_price": _yuan(p.accepted_price), "note": p.note,
        "screening_note": p.screening_note, "submitted_at": p.submitted_at,
        "result": None if result is None else {"funded": result.funded, "amount": _yuan(result.amount), "rank": result.rank,
                                               "votes": result.votes, "reason": reason_text(result.reason_code, result.reason_params)},
    }


def _detail(request: ApiRequest, proposal_id: int) -> dict[str, Any]:
    p = people.my_proposal(request.auth, proposal_id)
    body = _summary(p)
    body.update({
        "summary": p.summary, "beneficiaries": p.beneficiaries, "beneficiary_count": p.beneficiary_count, "outcomes": p.outcomes,
        "co_funding": _yuan(p.co_funding), "co_funding_source": p.co_funding_source, "starts_on": p.starts_on, "ends_on": p.ends_on,
        "lines": [{"n": ln.n, "category": ln.category, "item": ln.item, "quantity": f"{ln.quantity.normalize():f}", "unit": ln.unit,
                   "unit_price": _yuan(ln.unit_price), "amount": _yuan(ln.amount)} for ln in p.lines.all()],
        "milestones": [{"n": m.n, "title": m.title, "due_on": m.due_on} for m in p.milestones.all()],
        "needs": [n.pk for n in p.needs.all()], "attachments": [a.name for a in p.attachments.all()],
        "revisions": [{"number": r.number, "at": r.at, "note": r.note} for r in p.revisions.all()],
    })
    return body


@router.get("/me/proposals", response={200: ProposalPage, **errors(400, 401, 403)}, summary="My organizations' proposals")
def my_proposals_list(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """The proposals of the organizations you manage, drafts included, newest round first, with the note when returned,
    the screening answer and the result."""
    people.applicant_organizations_or_refuse(request.auth)
    page = paginate(people.proposals_with_results(my_proposals(request.auth)), filters)
    page["results"] = [_summary(p) for p in page["results"]]
    return page


def _save(request: ApiRequest, round: GrantRound, payload: ProposalIn, proposal: Proposal | None) -> Proposal:
    if proposal is not None:
        applicant = proposal.applicant
        if payload.applicant is not None and payload.applicant != applicant.pk:
            raise field_error("applicant", "applicant_changed", _("A proposal's applicant cannot be changed."))
    else:
        orgs = people.applicant_organizations_or_refuse(request.auth)
        if payload.applicant is None and len(orgs) > 1:
            raise field_error("applicant", "applicant_required", _("Choose the organization that proposes."))
        chosen = orgs[0] if payload.applicant is None else next((o for o in orgs if o.pk == payload.applicant), None)
        if chosen is None:
            raise PermissionDenied("not_applicant", _("Only a manager of the organization may propose or change its proposals."))
        applicant = chosen
    lines = [{k: v for k, v in line.dict().items() if v is not None} for line in payload.lines]
    return proposal_save(
        actor=request.auth, round=round, applicant=applicant, proposal=proposal, title=payload.title, summary=payload.summary,
        beneficiaries=payload.beneficiaries, beneficiary_count=payload.beneficiary_count, outcomes=payload.outcomes,
        co_funding=payload.co_funding, co_funding_source=payload.co_funding_source, starts_on=payload.starts_on,
        ends_on=payload.ends_on, lines=lines, milestones=[m.dict() for m in payload.milestones], needs=payload.needs)


@router.post("/rounds/{id:round_id}/proposals", response={201: ProposalDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Draft a proposal")
def proposal_create(request: ApiRequest, round_id: int, payload: ProposalIn) -> Any:
    """A new draft for one of your organizations while the round calls for proposals (else 409 `phase_closed`). Budget
    lines are checked exactly (`lines.N.amount` `line_not_exact`); the request must lie within the round's grants."""
    round = people.round_for_applicant(round_id)
    saved = _save(request, round, payload, None)
    return Status(201, _detail(request, saved.pk))


@router.put("/proposals/{id:proposal_id}", response={200: ProposalDetailOut, **errors(400, 401, 403, 404, 409)},
            summary="Change a proposal")
def proposal_update(request: ApiRequest, proposal_id: int, payload: ProposalIn) -> Any:
    """The whole proposal again (lines and milestones replaced): a draft while proposals are called for, or a proposal
    returned for changes. Another organization's proposal: 404."""
    proposal = people.my_proposal(request.auth, proposal_id)
    _save(request, proposal.round, payload, proposal)
    return _detail(request, proposal.pk)


@router.post("/proposals/{id:proposal_id}/submit", response={200: ProposalDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Submit a proposal")
def proposal_submit_op(request: ApiRequest, proposal_id: int) -> Any:
    """Submit a draft or resubmit a returned proposal (a new revision). Submitting again: 200, nothing changes."""
    proposal = people.my_proposal(request.auth, proposal_id)
    proposal_submit(actor=request.auth, proposal=proposal)
    return _detail(request, proposal.pk)


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500)


@router.post("/proposals/{id:proposal_id}/withdraw", response={200: ProposalDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Withdraw a proposal")
def proposal_withdraw_op(request: ApiRequest, proposal_id: int, payload: WithdrawIn) -> Any:
    """Take a proposal back before screening decides on it, with the reason (kept in the audit log)."""
    proposal = people.my_proposal(request.auth, proposal_id)
    proposal_withdraw(actor=request.auth, proposal=proposal, reason=payload.reason)
    return _detail(request, proposal.pk)

