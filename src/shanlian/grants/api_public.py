"""The API of micro-venture rounds: the public operations (mounted at /api/grants), the same data as the public
pages (grants.views_public) and no login (`auth=None`): the rounds, one round, its results, the registry of service
projects, one project.

Amounts are strings of yuan with two decimals ("1234.50"); times ISO 8601 in Asia/Shanghai; shares four decimals.
The results are refused (409 `results_hidden`) until the vote has closed and the allocation has run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from shanlian.charity.models import Purpose
from shanlian.core.errors import field_error, lazy_format
from shanlian.core.money import Money
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate

from . import phases
from .models import BrandStage, GrantRound, ProjectOrigin, ProjectStatus, ServiceProject
from .selectors_public import (
    AgreementSummary,
    ProjectPage,
    RoundPage,
    current_phase_label,
    project_public,
    project_public_get,
    projects_public,
    round_public,
    round_public_get,
    round_results,
    rounds_public,
)
from .selectors_results import RoundResults

router = Router(tags=["grants"])


def _yuan(value: Money | None) -> str | None:
    return f"{value.amount:.2f}" if value is not None else None


def _iso(value: dt.datetime) -> str:
    return value.astimezone(timezone.get_default_timezone()).isoformat()


def _share(value: Decimal | None) -> str | None:
    return f"{value:.4f}" if value is not None else None


# --- schemas ------------------------------------------------------------------------------------------------------

class NamedOut(Schema):
    id: int
    name: str


class FundRefOut(Schema):
    code: str
    name: str


class RoundItemOut(Schema):
    id: int
    title: str
    year: int
    fund: FundRefOut
    budget: str = Field(..., examples=["60000.00"])
    status: str = Field(..., description="open or closed (drafts are not public)")
    current_phase: str | None = Field(None, description="The phase the round is in now (its kind), if any.")
    current_phase_label: str


class RoundPageOut(PageOut):
    results: list[RoundItemOut]


class ExtensionOut(Schema):
    closed_before: str
    closes_after: str
    reason: str


class PublicPhaseOut(Schema):
    kind: str
    label: str
    opens_at: str
    closes_at: str
    state: str = Field(..., description="done, current (the phase the round is in), open (also open now) or upcoming")
    extensions: list[ExtensionOut]


class PublicNeedOut(Schema):
    id: int
    text: str
    category: str
    category_label: str
    community: str
    supporters: int
    proposals: int = Field(..., description="Public proposals answering it.")


class PublicProposalOut(Schema):
    number: int
    title: str
    applicant: str | None = Field(None, description="None while the round's blind expert review runs.")
    summary: str
    beneficiaries: str
    beneficiary_count: int
    requested: str
    status: str
    status_label: str
    feasibility: str = Field(..., description="feasible, infeasible or pending (not screened yet)")
    accepted_price: str | None = Field(None, description="The price the screening accepted, when feasible.")
    infeasible_reason: str = Field("", description="Why not feasible, when it is not.")
    needs: list[str] = Field(..., description="The needs it answers (their text).")


class PublicCommunityTurnoutOut(Schema):
    community: NamedOut
    ballots: int
    online: int
    paper: int
    eligible: int
    share: str | None


class PublicTurnoutOut(Schema):
    live: bool = Field(..., description="The vote is open now: the numbers are still growing.")
    ballots: int
    online: int
    paper: int
    eligible: int = Field(..., description="Residents on record in the round's area.")
    share: str | None = Field(None, examples=["0.4444"])
    communities: list[PublicCommunityTurnoutOut]


class ResultRowOut(Schema):
    rank: int
    number: int
    title: str
    applicant: str
    votes: int
    expert_score: str | None
    cost: str
    funded: bool
    amount: str
    reason: str = Field(..., description="Why, in the reader's language.")
    overridden: bool
    override_reason: str
    paid_from: str = Field(..., description="The fund of the round that pays the award (empty when not funded).")


class RoundFundOut(Schema):
    name: str
    share: str = Field(..., description="Its share of the round's budget, in yuan.")
    awarded: str = Field(..., description="The awards it pays.")
    reserved: str = Field(..., description="What it still holds for the round (awards not yet signed, or the share before the allocation).")


class ResultsOut(Schema):
    round_id: int
    budget: str
    awarded: str
    left: str
    rows: list[ResultRowOut]


class HiddenOut(Schema):
    code: str
    message: str


class PublicRoundOut(RoundItemOut):
    description: str
    area: NamedOut
    rule: str
    ballot_kind: str
    blind_review: bool
    min_grant: str
    max_grant: str
    funds: list[RoundFundOut] = Field(..., description="The funds the round draws on (one, or several of a street), the lead fund first.")
    phases: list[PublicPhaseOut]
    needs: list[PublicNeedOut]
    needs_more: int = Field(..., description="Needs beyond those listed (the least supported).")
    proposals: list[PublicProposalOut]
    applicants_hidden: bool
    turnout: PublicTurnoutOut | None = Field(None, description="Once the vote has opened.")
    results: ResultsOut | None = Field(None, description="Once the vote has closed and the allocation has run.")
    results_hidden: HiddenOut | None = Field(None, description="Why there are no results yet.")


class PublicTrancheOut(Schema):
    n: int
    amount: str
    milestone: str
    paid: bool
    paid_on: dt.date | None


class PublicEvidenceOut(Schema):
    text: str
    person_times: int
    sessions: int
    accepted_on: dt.date | None


class PublicMilestoneOut(Schema):
    n: int
    title: str
    due_on: dt.date
    done: bool
    evidence: list[PublicEvidenceOut]


class PublicLineOut(Schema):
    n: int
    category: str
    item: str
    planned: str
    actual: str | None = Field(None, description="Spent, once the agreement is closed.")


class PublicAgreementOut(Schema):
    round_id: int
    round_title: str
    proposal_number: int
    applicant: str
    award: str
    paid: str
    spent: str | None
    status: str
    signed_on: dt.date | None
    closed_on: dt.date | None
    tranches: list[PublicTrancheOut]
    milestones: list[PublicMilestoneOut]
    lines: list[PublicLineOut]
    final_report: str


class ProjectItemOut(Schema):
    id: int
    title: str
    area: str
    area_label: str
    origin: str
    status: str
    brand_stage: str
    lead: NamedOut
    station: NamedOut | None
    fund: FundRefOut | None
    starts_on: dt.date
    ends_on: dt.date
    beneficiary_count: int


class ProjectPageOut(PageOut):
    results: list[ProjectItemOut]


class PublicProgressOut(Schema):
    period_end: dt.date
    text: str
    person_times: int
    sessions: int
    milestone: str
    reported_on: dt.date
    photo_captions: list[str]


class PublicProjectOut(ProjectItemOut):
    summary: str
    beneficiaries: str
    agreement: PublicAgreementOut | None
    progress: list[PublicProgressOut]
    person_times: int
    sessions: int
    closing_report: str = Field("", description="Once the project is closed.")


class PublicProjectFilter(PageIn):
    area: str = Field("", max_length=16, description="A service area: " + ", ".join(Purpose.values))
    brand_stage: str = Field("", max_length=12, description="none, cultivating or brand")
    origin: str = Field("", max_length=12, description="round, commissioned or contest")
    status: str = Field("", max_length=8, description="active or closed")


# --- shaping ------------------------------------------------------------------------------------------------------

def round_item_out(r: GrantRound) -> dict[str, Any]:
    now = phases.current(r)
    return {"id": r.pk, "title": r.title, "year": r.year, "fund": {"code": r.fund.code, "name": r.fund.name},
            "budget": _yuan(r.budget), "status": r.status, "current_phase": now.kind if now is not None else None,
            "current_phase_label": current_phase_label(r)}


def results_out(round_id: int, res: RoundResults) -> dict[str, Any]:
    return {"round_id": round_id, "budget": _yuan(res.budget), "awarded": _yuan(res.awarded), "left": _yuan(res.left),
            "rows": [{"rank": x.rank, "number": x.number, "title": x.title, "applicant": x.applicant, "votes": x.votes,
                      "expert_score": str(x.expert_score) if x.expert_score is not None else None, "cost": _yuan(x.cost),
                      "funded": x.funded, "amount": _yuan(x.amount), "reason": x.reason, "overridden": x.overridden,
                      "override_reason": x.override_reason, "paid_from": x.payer} for x in res.rows]}


def round_out(page: RoundPage) -> dict[str, Any]:
    r = page.round
    t = page.turnout
    return {
        **round_item_out(r), "description": r.description, "area": {"id": r.area_id, "name": r.area.name}, "rule": r.rule,
        "ballot_kind": r.ballot_kind, "blind_review": r.blind_review, "min_grant": _yuan(r.min_grant),
        "max_grant": _yuan(r.max_grant),
        "funds": [{"name": f.name, "share": _yuan(f.share), "awarded": _yuan(f.awarded), "reserved": _yuan(f.reserved)}
                  for f in page.funds],
        "phases": [{"kind": ph.kind, "label": ph.label, "opens_at": _iso(ph.opens_at), "closes_at": _iso(ph.closes_at),
                    "state": ph.state, "extensions": [{"closed_before": _iso(e.closed_before), "closes_after": _iso(e.closes_after),
                                                       "reason": e.reason} for e in ph.extensions]} for ph in page.timeline],
        "needs": [{"id": n.pk, "text": n.text, "category": n.category, "category_label": n.category_label,
                   "community": n.community, "supporters": n.supporters, "proposals": n.proposals} for n in page.needs],
        "needs_more": page.needs_more,
        "proposals": [{"number": q.number, "title": q.title, "applicant": q.applicant, "summary": q.summary,
                       "beneficiaries": q.beneficiaries, "beneficiary_count": q.beneficiary_count, "requested": _yuan(q.requested),
                       "status": q.status, "status_label": q.status_label, "feasibility": q.feasibility,
                       "accepted_price": _yuan(q.accepted_price), "infeasible_reason": q.infeasible_reason, "needs": q.needs}
                      for q in page.proposals],
        "applicants_hidden": page.applicants_hidden,
        "turnout": None if t is None else {
            "live": page.turnout_live, "ballots": t.ballots, "online": t.online, "paper": t.paper, "eligible": t.eligible,
            "share": _share(t.share),
            "communities": [{"community": {"id": c.community_id, "name": c.name}, "ballots": c.ballots, "online": c.online,
                             "paper": c.paper, "eligible": c.eligible, "share": _share(c.share)} for c in t.communities]},
        "results": results_out(r.pk, page.results) if page.results is not None else None,
        "results_hidden": {"code": page.results_code, "message": page.results_note} if page.results is None else None,
    }


def project_item_out(p: ServiceProject) -> dict[str, Any]:
    return {"id": p.pk, "title": p.title, "area": p.area, "area_label": str(p.get_area_display()), "origin": p.origin,
            "status": p.status, "brand_stage": p.brand_stage, "lead": {"id": p.lead_id, "name": p.lead.name},
            "station": {"id": p.station_id, "name": p.station.name} if p.station is not None else None,
            "fund": {"code": p.fund.code, "name": p.fund.name} if p.fund is not None else None,
            "starts_on": p.starts_on, "ends_on": p.ends_on, "beneficiary_count": p.beneficiary_count}


def agreement_out(a: AgreementSummary) -> dict[str, Any]:
    return {
        "round_id": a.round_id, "round_title": a.round_title, "proposal_number": a.proposal_number, "applicant": a.applicant,
        "award": _yuan(a.award), "paid": _yuan(a.paid), "spent": _yuan(a.spent), "status": a.status, "signed_on": a.signed_on,
        "closed_on": a.closed_on, "final_report": a.final_report,
        "tranches": [{"n": t.n, "amount": _yuan(t.amount), "milestone": t.milestone, "paid": t.paid, "paid_on": t.paid_on}
                     for t in a.tranches],
        "milestones": [{"n": m.n, "title": m.title, "due_on": m.due_on, "done": m.done,
                        "evidence": [e.__dict__ for e in m.evidence]} for m in a.milestones],
        "lines": [{"n": x.n, "category": x.category, "item": x.item, "planned": _yuan(x.planned), "actual": _yuan(x.actual)}
                  for x in a.lines],
    }


def project_out(page: ProjectPage) -> dict[str, Any]:
    p = page.project
    return {
        **project_item_out(p), "summary": p.summary, "beneficiaries": p.beneficiaries,
        "agreement": agreement_out(page.agreement) if page.agreement is not None else None,
        "progress": [{"period_end": r.period_end, "text": r.text, "person_times": r.person_times, "sessions": r.sessions,
                      "milestone": r.milestone, "reported_on": r.reported_on,
                      "photo_captions": [ph.caption for ph in r.photos if ph.caption]} for r in page.progress],
        "person_times": page.person_times, "sessions": page.sessions, "closing_report": page.closing_report,
    }


def _choice(name: str, value: str, allowed: list[str]) -> str:
    if value and value not in allowed:
        raise field_error(name, "invalid_choice", lazy_format(_("Choose one of: %(choices)s."), {"choices": ", ".join(allowed)}))
    return value


# --- operations ---------------------------------------------------------------------------------------------------

@router.get("/rounds", auth=None, response={200: RoundPageOut, **errors(400)}, summary="Micro-venture rounds (public)")
def rounds_list(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """Every round but drafts, newest year first, with its fund, budget and the phase it is in now."""
    page = paginate(rounds_public(), filters)
    page["results"] = [round_item_out(r) for r in page["results"]]
    return page


@router.get("/rounds/{id:round_id}", auth=None, response={200: PublicRoundOut, **errors(404)}, summary="One round (public)")
def round_detail(request: ApiRequest, round_id: int) -> Any:
    """What the round's public page shows: phases with their extensions, needs, proposals with the screening's
    answer (the applicant not named during a blind review), the turnout once the vote has opened, and the results
    once the vote has closed (else `results_hidden` says why). A draft round is 404."""
    return round_out(round_public(round_public_get(round_id)))


@router.get("/rounds/{id:round_id}/results", auth=None, response={200: ResultsOut, **errors(404, 409)},
            summary="A round's results with their reasons (public)")
def round_results_get(request: ApiRequest, round_id: int) -> Any:
    """Every feasible proposal's outcome in rank order with its reason (and an override's); 409 `results_hidden`
    until the vote has closed and the allocation has run."""
    r = round_public_get(round_id)
    return results_out(r.pk, round_results(r))


@router.get("/projects", auth=None, response={200: ProjectPageOut, **errors(400)}, summary="Service projects (public registry)")
def projects_list(request: ApiRequest, filters: Query[PublicProjectFilter]) -> Any:
    """The registry of community service projects, newest first, filtered by service area, brand list, origin and
    status."""
    chosen = {
        "area": _choice("area", filters.area, list(Purpose.values)),
        "brand_stage": _choice("brand_stage", filters.brand_stage, list(BrandStage.values)),
        "origin": _choice("origin", filters.origin, list(ProjectOrigin.values)),
        "status": _choice("status", filters.status, list(ProjectStatus.values)),
    }
    page = paginate(projects_public(**chosen), filters)
    page["results"] = [project_item_out(p) for p in page["results"]]
    return page


@router.get("/projects/{id:service_project_id}", auth=None, response={200: PublicProjectOut, **errors(404)},
            summary="One service project (public)")
def project_detail(request: ApiRequest, service_project_id: int) -> Any:
    """The project, its agreement in force when it came from a round (award, tranches and whether paid, milestones
    with accepted evidence, budget planned and spent once closed, final report) and its progress reports."""
    return project_out(project_public(project_public_get(service_project_id)))
