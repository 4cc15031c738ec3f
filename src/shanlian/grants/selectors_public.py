"""Reads for the public pages and API of micro-venture rounds and service projects (no login).

What is public: a round that is not a draft, its dated phases (extensions with their reasons), its needs (merged
duplicates counted where they joined), its proposals but drafts and withdrawn ones, each with the screening's answer
(the accepted price, or why it is not feasible), the live turnout once the vote has opened, and the results with
their reasons once the vote has closed (never the tally before: selectors_vote.require_vote_closed). The applicant
of a blind-review round is not named until the expert review is over, so a reviewer learns nothing from this page.

A service project of the registry: its period, area and organizations, its agreement in force (award, tranches and
whether each is paid, milestones with their accepted evidence, budget planned and spent once closed, the final
report), and its progress reports (no uploader, no photo files: only their captions).

Every read is a bounded number of queries whatever the number of ballots: results come from the stored Result rows,
the turnout from two aggregate queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import PayoutStatus
from shanlian.core.errors import Conflict, NotFound
from shanlian.core.money import Money

from . import phases
from .models import (
    AgreementStatus,
    BudgetLine,
    Evidence,
    EvidenceStatus,
    GrantRound,
    LineCategory,
    Milestone,
    Need,
    Phase,
    PhaseExtension,
    PhaseKind,
    ProgressPhoto,
    ProgressReport,
    ProjectStatus,
    Proposal,
    ProposalStatus,
    RoundStatus,
    ServiceProject,
    Tranche,
)
from .selectors_proposals import needs_public, proposals_public
from .selectors_results import FundRow, RoundResults, results_public, round_funds
from .selectors_vote import Turnout, require_vote_closed, turnout
from .services.budget import current_lines

# Not on the public record: drafts (the applicant's own) and proposals their applicant withdrew.
HIDDEN_PROPOSALS = (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN)
NEEDS_SHOWN = 200  # a round's needs on its page (most supported first); the rest are counted
PROGRESS_SHOWN = 100  # a project's progress reports (newest first)
TURNOUT_LIVE_SECONDS = 30  # how stale the live turnout may be while the vote runs
TURNOUT_FINAL_SECONDS = 24 * 3600
FEASIBLE_LIKE = (ProposalStatus.FEASIBLE, ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED)


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- rounds -------------------------------------------------------------------------------------------------------

def _with_phases(rows: QuerySet[GrantRound]) -> QuerySet[GrantRound]:
    return rows.select_related("fund", "area").prefetch_related(
        Prefetch("phases", queryset=Phase.objects.order_by("opens_at", "id").prefetch_related(
            Prefetch("extensions", queryset=PhaseExtension.objects.order_by("id")))))


def rounds_public() -> QuerySet[GrantRound]:
    """Every round but drafts, newest year first, with its fund, area and phases (three queries for a page)."""
    return _with_phases(GrantRound.objects.exclude(status=RoundStatus.DRAFT)).order_by("-year", "-id")


def round_public_get(round_id: int) -> GrantRound:
    """A round anyone may see; a draft, like an unknown id, is not found."""
    found = rounds_public().filter(pk=round_id).first()
    if found is None:
        raise NotFound("round_not_found", _("No such round."))
    return found


@dataclass(frozen=True)
class ExtensionRow:
    closed_before: dt.datetime
    closes_after: dt.datetime
    reason: str


@dataclass(frozen=True)
class PhaseRow:
    kind: str
    label: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    state: str  # "done", "current" (the phase the round is in), "open" (also open now), "upcoming"
    extensions: list[ExtensionRow]


def timeline(round: GrantRound, at: dt.datetime | None = None) -> list[PhaseRow]:
    """The round's phases in order with their dates, which one it is in, and every extension with its reason."""
    moment = at or timezone.now()
    now = phases.current(round, moment)
    rows = []
    for p in round.phases.all():
        if round.status == RoundStatus.CLOSED or p.closes_at <= moment:
            state = "done"
        elif now is not None and p.pk == now.pk:
            state = "current"
        elif p.opens_at <= moment:
            state = "open"
        else:
            state = "upcoming"
        rows.append(PhaseRow(kind=p.kind, label=str(p.get_kind_display()), opens_at=p.opens_at, closes_at=p.closes_at,
                             state=state, extensions=[ExtensionRow(e.closed_at_before, e.closes_at_after, e.reason)
                                                      for e in p.extensions.all()]))
    return rows


def current_phase_label(round: GrantRound, at: dt.datetime | None = None) -> str:
    """What the round is doing now, in words: its current phase, or closed, or between phases."""
    if round.status == RoundStatus.CLOSED:
        return str(_("Closed"))
    now = phases.current(round, at)
    if now is not None:
        return str(now.get_kind_display())
    moment = at or timezone.now()
    if all(p.closes_at <= moment for p in round.phases.all()):
        return str(_("All phases over"))
    return str(_("Between phases"))


def applicants_hidden(round: GrantRound, at: dt.datetime | None = None) -> bool:
    """A blind-review round does not name its applicants publicly until the expert review is over."""
    return round.blind_review and not phases.has_closed(round, PhaseKind.REVIEW, at)


@dataclass(frozen=True)
class LinePlan:
    category: str  # its label
    item: str
    quantity: Any
    unit: str
    unit_price: Money
    amount: Money


@dataclass(frozen=True)
class ProposalRow:
    pk: int
    number: int
    title: str
    applicant: str | None  # None while a blind review runs
    summary: str
    beneficiaries: str
    beneficiary_count: int
    requested: Money
    status: str
    status_label: str
    feasibility: str  # "feasible", "infeasible", "pending"
    accepted_price: Money | None
    infeasible_reason: str
    needs: list[str]  # the needs it answers (their text)
    lines: list[LinePlan]


def _feasibility(status: str, accepted_price: Money | None) -> str:
    if status in FEASIBLE_LIKE and accepted_price is not None:
        return "feasible"
    if status == ProposalStatus.INFEASIBLE:
        return "infeasible"
    return "pending"


def proposal_rows(round: GrantRound, at: dt.datetime | None = None) -> list[ProposalRow]:
    """The round's public proposals by number, with their budget lines and the needs they answer: three queries of
    plain values however many (selectors_proposals' public rule, withdrawn ones left out as well)."""
    hidden = applicants_hidden(round, at)
    rows = list(proposals_public(round).exclude(status__in=HIDDEN_PROPOSALS).prefetch_related(None).values(
        "pk", "number", "title", "applicant__name", "summary", "beneficiaries", "beneficiary_count", "requested", "status",
        "accepted_price", "screening_note"))
    ids = [p["pk"] for p in rows]
    lines: dict[int, list[LinePlan]] = {}
    for line in (BudgetLine.objects.filter(proposal_id__in=ids).order_by("proposal_id", "n")
                 .values("proposal_id", "category", "item", "quantity", "unit", "unit_price", "amount")):
        lines.setdefault(line["proposal_id"], []).append(LinePlan(
            category=_label(LineCategory, line["category"]), item=line["item"], quantity=line["quantity"], unit=line["unit"],
            unit_price=line["unit_price"], amount=line["amount"]))
    needs: dict[int, list[str]] = {}
    for pid, text in (Proposal.needs.through.objects.filter(proposal_id__in=ids).order_by("proposal_id", "need_id")
                      .values_list("proposal_id", "need__text")):
        needs.setdefault(pid, []).append(text)
    labels = dict(ProposalStatus.choices)
    out = []
    for p in rows:
        answer = _feasibility(p["status"], p["accepted_price"])
        out.append(ProposalRow(
            pk=p["pk"], number=p["number"], title=p["title"], applicant=None if hidden else p["applicant__name"],
            summary=p["summary"], beneficiaries=p["beneficiaries"], beneficiary_count=p["beneficiary_count"],
            requested=p["requested"], status=p["status"], status_label=str(labels.get(p["status"], p["status"])),
            feasibility=answer, accepted_price=p["accepted_price"] if answer == "feasible" else None,
            infeasible_reason=p["screening_note"] if answer == "infeasible" else "", needs=needs.get(p["pk"], []),
            lines=lines.get(p["pk"], [])))
    return out


@dataclass(frozen=True)
class NeedRow:
    pk: int
    text: str
    category: str
    category_label: str
    community: str
    supporters: int
    proposals: int


def need_rows(round: GrantRound, limit: int = NEEDS_SHOWN) -> tuple[list[NeedRow], int]:
    """The most supported needs (merged ones counted where they joined), and how many more there are (one query)."""
    needs: list[Need] = list(needs_public(round)[: limit + 1])
    more = 0
    if len(needs) > limit:
        more = needs_public(round).count() - limit
        needs = needs[:limit]
    return [NeedRow(pk=n.pk, text=n.text, category=n.category, category_label=str(n.get_category_display()),
                    community=n.community.name, supporters=n.supporters, proposals=n.proposal_count)  # type: ignore[attr-defined]
            for n in needs], more


def has_vote(round: GrantRound) -> bool:
    return phases.phase_of(round, PhaseKind.VOTE) is not None


def turnout_public(round: GrantRound, at: dt.datetime | None = None, *, final: bool = False) -> Turnout | None:
    """How many have voted of how many may, once the vote has opened: selectors_vote.turnout's two aggregate queries,
    kept in the cache TURNOUT_LIVE_SECONDS while the vote runs (a busy page costs them once in that time, not per
    reader), and a day once the results are made (`final`: no ballot can be added any more)."""
    vote = phases.phase_of(round, PhaseKind.VOTE)
    if vote is None or vote.opens_at > (at or timezone.now()):
        return None
    key = f"grants:turnout:{round.pk}:{round.created_at.timestamp():.6f}:{'final' if final else 'live'}"
    seen = cache.get(key)
    if seen is None:
        seen = turnout(round)
        cache.set(key, seen, TURNOUT_FINAL_SECONDS if final else TURNOUT_LIVE_SECONDS)
    return seen


def round_results(round: GrantRound) -> RoundResults:
    """The results with their reasons: refused (409 results_hidden) while the vote has not closed, or before the
    allocation has run. Read from the Result rows alone (one query)."""
    if has_vote(round):
        require_vote_closed(round)
    return results_public(round)


@dataclass
class RoundPage:
    round: GrantRound
    current: str
    timeline: list[PhaseRow]
    needs: list[NeedRow]
    needs_more: int
    proposals: list[ProposalRow]
    applicants_hidden: bool
    has_vote: bool
    turnout: Turnout | None
    turnout_live: bool
    results: RoundResults | None
    funds: list[FundRow]
    results_note: str = ""  # why there are no results yet
    results_code: str = ""


def round_public(round: GrantRound, at: dt.datetime | None = None) -> RoundPage:
    """Everything the public page of a round shows, in about a dozen queries whatever the number of ballots."""
    moment = at or timezone.now()
    needs, more = need_rows(round)
    try:
        results: RoundResults | None = round_results(round)
        note, code = "", ""
    except Conflict as hidden:
        results, note, code = None, str(hidden.message), hidden.code
    return RoundPage(
        round=round, current=current_phase_label(round, moment), timeline=timeline(round, moment), needs=needs,
        needs_more=more, proposals=proposal_rows(round, moment), applicants_hidden=applicants_hidden(round, moment),
        has_vote=has_vote(round), turnout=turnout_public(round, moment, final=results is not None),
        turnout_live=phases.is_open(round, PhaseKind.VOTE, moment), results=results, funds=round_funds(round), results_note=note,
        results_code=code)


# --- service projects ---------------------------------------------------------------------------------------------

def projects_public(*, area: str = "", brand_stage: str = "", origin: str = "", status: str = "") -> QuerySet[ServiceProject]:
    """The public registry of service projects, newest first, filtered by service area, brand list, origin, status
    (values already checked by the caller; an empty one is no filter)."""
    rows = ServiceProject.objects.select_related("lead", "station", "fund")
    if area:
        rows = rows.filter(area=area)
    if brand_stage:
        rows = rows.filter(brand_stage=brand_stage)
    if origin:
        rows = rows.filter(origin=origin)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-starts_on", "-id")


def project_public_get(service_project_id: int) -> ServiceProject:
    found = (ServiceProject.objects.select_related("lead", "station", "fund", "agreement__proposal__round",
                                                   "agreement__proposal__applicant")
             .filter(pk=service_project_id).first())
    if found is None:
        raise NotFound("project_not_found", _("No such project."))
    return found


@dataclass(frozen=True)
class TrancheRow:
    n: int
    amount: Money
    milestone: str  # its milestone's title ("" for an advance)
    paid: bool
    paid_on: dt.date | None


@dataclass(frozen=True)
class EvidenceRow:
    text: str
    person_times: int
    sessions: int
    accepted_on: dt.date | None


@dataclass(frozen=True)
class MilestoneRow:
    n: int
    title: str
    due_on: dt.date
    evidence: list[EvidenceRow]  # accepted evidence only

    @property
    def done(self) -> bool:
        return bool(self.evidence)


@dataclass(frozen=True)
class LineRow:
    n: int
    category: str
    item: str
    planned: Money
    actual: Money | None  # once the agreement is closed


@dataclass
class AgreementSummary:
    round_id: int
    round_title: str
    proposal_number: int
    applicant: str
    award: Money
    status: str
    status_label: str
    signed_on: dt.date | None
    tranches: list[TrancheRow]
    milestones: list[MilestoneRow]
    lines: list[LineRow]
    closed: bool
    closed_on: dt.date | None
    final_report: str

    @property
    def paid(self) -> Money:
        return sum((t.amount for t in self.tranches if t.paid), Money(0))

    @property
    def spent(self) -> Money | None:
        if not self.closed:
            return None
        return sum((line.actual for line in self.lines if line.actual is not None), Money(0))


@dataclass(frozen=True)
class PhotoRow:
    caption: str


@dataclass(frozen=True)
class ProgressRow:
    pk: int
    period_end: dt.date
    text: str
    person_times: int
    sessions: int
    milestone: str
    reported_on: dt.date
    photos: list[PhotoRow]


@dataclass
class ProjectPage:
    project: ServiceProject
    agreement: AgreementSummary | None
    progress: list[ProgressRow]
    progress_more: bool
    person_times: int  # over the reports shown
    sessions: int
    closing_report: str  # the project's own, once closed (a round project's final report is its agreement's)


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def agreement_summary(project: ServiceProject) -> AgreementSummary | None:
    """A round project's agreement once in force: five queries (tranches with their payouts, milestones, accepted
    evidence, the budget as it stands). The payee and its bank details are never read."""
    a = project.agreement
    if a is None or a.status not in (AgreementStatus.ACTIVE, AgreementStatus.CLOSED):
        return None
    proposal = a.proposal
    tranches = [TrancheRow(n=t.n, amount=t.amount, milestone=t.milestone.title if t.milestone is not None else "",
                           paid=t.payout is not None and t.payout.status == PayoutStatus.PAID,
                           paid_on=_local_day(t.payout.paid_at) if t.payout is not None and t.payout.status == PayoutStatus.PAID else None)
                for t in Tranche.objects.filter(agreement=a).select_related("milestone", "payout")
                .only("n", "amount", "milestone__title", "payout__status", "payout__paid_at").order_by("n")]
    accepted: dict[int, list[EvidenceRow]] = {}
    for e in (Evidence.objects.filter(agreement=a, status=EvidenceStatus.ACCEPTED).order_by("milestone_id", "id")
              .only("milestone_id", "text", "person_times", "sessions", "decided_at")):
        accepted.setdefault(e.milestone_id, []).append(EvidenceRow(e.text, e.person_times, e.sessions, _local_day(e.decided_at)))
    milestones = [MilestoneRow(n=m.n, title=m.title, due_on=m.due_on, evidence=accepted.get(m.pk, []))
                  for m in Milestone.objects.filter(proposal=proposal).order_by("n")]
    closed = a.status == AgreementStatus.CLOSED
    actuals = a.actuals or {}
    lines = []
    for line in current_lines(a):  # the budget as it stands: the latest approved change's lines, else the proposal's
        spent = actuals.get(str(line["n"])) if closed else None
        lines.append(LineRow(n=int(line["n"]), category=_label(LineCategory, line.get("category", "")), item=str(line.get("item", "")),
                             planned=Money(line["amount"]), actual=Money(spent) if spent is not None else (Money(0) if closed else None)))
    return AgreementSummary(
        round_id=proposal.round_id, round_title=proposal.round.title, proposal_number=proposal.number,
        applicant=proposal.applicant.name, award=a.amount, status=a.status, status_label=str(a.get_status_display()),
        signed_on=_local_day(a.signed_by_fund_at), tranches=tranches, milestones=milestones, lines=lines, closed=closed,
        closed_on=_local_day(a.closed_at) if closed else None, final_report=a.final_report if closed else "")


def progress_rows(project: ServiceProject, limit: int = PROGRESS_SHOWN) -> tuple[list[ProgressRow], bool]:
    """The project's progress reports, newest first, with their photos' captions (two queries); who reported is not
    shown."""
    reports = list(ProgressReport.objects.filter(project=project).select_related("milestone")
                   .only("period_end", "text", "person_times", "sessions", "milestone__title", "submitted_at", "project_id")
                   .prefetch_related(Prefetch("photos", queryset=ProgressPhoto.objects.only("report_id", "caption").order_by("id")))
                   .order_by("-period_end", "-id")[: limit + 1])
    rows = [ProgressRow(pk=r.pk, period_end=r.period_end, text=r.text, person_times=r.person_times, sessions=r.sessions,
                        milestone=r.milestone.title if r.milestone is not None else "", reported_on=timezone.localdate(r.submitted_at),
                        photos=[PhotoRow(ph.caption) for ph in r.photos.all()]) for r in reports[:limit]]
    return rows, len(reports) > limit


def project_public(project: ServiceProject) -> ProjectPage:
    """Everything the public page of a project shows: about ten queries whatever its size."""
    progress, more = progress_rows(project)
    agreement = agreement_summary(project)
    closing = project.closing_report if project.status == ProjectStatus.CLOSED else ""
    if agreement is not None and closing == agreement.final_report:
        closing = ""  # the agreement's final report, shown with the agreement
    return ProjectPage(project=project, agreement=agreement, progress=progress, progress_more=more,
                       person_times=sum(r.person_times for r in progress), sessions=sum(r.sessions for r in progress),
                       closing_report=closing)

