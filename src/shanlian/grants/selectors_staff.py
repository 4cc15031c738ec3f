"""Reads for the staff's pages and API of a round (before the award): the rounds an actor runs, one round, proposal
or result within the actor's rounds (else a logged 404), the round's counts, needs, proposals, expert pool and paper
keyings. Who runs a round is `access.is_round_staff`, the services' own rule; the list query narrows the candidates
by the same terms and the rule is then applied row by row, so the two cannot drift apart."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import CommunityFund, FundStatus
from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied, field_error
from shanlian.core.scoping import STATION_STAFF_ROLES, Role, Scope
from shanlian.people.models import Person
from shanlian.people.search import search_term
from shanlian.people.selectors_experts import expert_pool as people_expert_pool

from . import phases
from .access import is_round_staff, scope_of
from .models import (
    Assignment,
    AssignmentStatus,
    GrantRound,
    Need,
    PaperKeying,
    PaperStatus,
    Phase,
    Proposal,
    ProposalStatus,
    Result,
    ReviewerTie,
)
from .permissions import may_run_rounds
from .selectors_review import ACTIVE, reviewer_conflicts

ADMIN_AREA_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)
ROUND_AREA_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STREET_OFFICER)


def require_staff_pages(actor: Any) -> Scope:
    """The staff pages of rounds open to those whose roles run rounds somewhere (each round is then checked)."""
    scope = scope_of(actor)
    if not may_run_rounds(scope):
        raise PermissionDenied("not_round_staff", _("Only the staff running micro-venture rounds may open these pages."))
    return scope


def _candidates_q(scope: Scope) -> Q:
    """Rounds that may be the actor's (is_round_staff decides each)."""
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[])
    if scope.has(Role.FEDERATION_FINANCE):
        q |= Q(fund__custodian_id__in=scope.organization_ids)
    if scope.roles & STATION_STAFF_ROLES:
        q |= Q(fund__station_id__in=scope.station_ids)
    if scope.has(*ROUND_AREA_ROLES):
        q |= scope.path_q("fund__division__path", scope.admin_paths + scope.people_paths)
    return q


@dataclass(frozen=True)
class RoundRow:
    round: GrantRound
    phase: Phase | None
    needs: int
    proposals: int
    feasible: int
    reviews_done: int
    reviews: int


def rounds_run_by(actor: Any) -> list[RoundRow]:
    """The rounds the actor runs, newest year first, each with its current phase and counts (three queries)."""
    scope = require_staff_pages(actor)
    rows = (GrantRound.objects.filter(_candidates_q(scope)).select_related("fund__division", "area")
            .prefetch_related("phases")
            .annotate(n_needs=Count("needs", filter=Q(needs__merged_into__isnull=True), distinct=True),
                      n_proposals=Count("proposals", filter=~Q(proposals__status=ProposalStatus.DRAFT), distinct=True),
                      n_feasible=Count("proposals", filter=Q(proposals__status__in=(
                          ProposalStatus.FEASIBLE, ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED)), distinct=True))
            .order_by("-year", "-id")[:500])
    mine = [r for r in rows if is_round_staff(scope, r)]
    counts: dict[tuple[int, str], int] = Counter()
    for round_id, status, n in (Assignment.objects.filter(proposal__round__in=[r.pk for r in mine], status__in=ACTIVE)
                                .values_list("proposal__round_id", "status").annotate(n=Count("id")).order_by()):
        counts[(round_id, status)] += n
    return [RoundRow(round=r, phase=phases.current(r), needs=r.n_needs, proposals=r.n_proposals,
                     feasible=r.n_feasible,
                     reviews_done=counts[(r.pk, AssignmentStatus.SUBMITTED)],
                     reviews=counts[(r.pk, AssignmentStatus.SUBMITTED)] + counts[(r.pk, AssignmentStatus.ASSIGNED)])
            for r in mine]


def round_for_staff(actor: Any, round_id: int) -> GrantRound:
    """One round the actor runs; another round (or none) is not found, and a look at another's is logged."""
    scope = require_staff_pages(actor)
    found = (GrantRound.objects.select_related("fund__division", "fund__custodian", "area")
             .prefetch_related("phases").filter(pk=round_id).first())
    if found is None or not is_round_staff(scope, found):
        if found is not None:
            access_denied(user_id=scope.user_id, object_type="grants.round", object_id=round_id)
        raise NotFound("round_not_found", _("No such round, or it is not one you run."))
    return found


def proposal_for_staff(actor: Any, proposal_id: int) -> Proposal:
    """A submitted (not draft) proposal of a round the actor runs, with its parts; else a logged 404."""
    scope = require_staff_pages(actor)
    found = (Proposal.objects.select_related("round__fund__division", "applicant", "screened_by")
             .prefetch_related("lines", "milestones", "needs", "revisions", "attachments")
             .filter(pk=proposal_id).exclude(status=ProposalStatus.DRAFT).first())
    if found is None or not is_round_staff(scope, found.round):
        if found is not None:
            access_denied(user_id=scope.user_id, object_type="grants.proposal", object_id=proposal_id)
        raise NotFound("proposal_not_found", _("No such proposal."))
    return found


def result_for_staff(actor: Any, result_id: int) -> Result:
    scope = require_staff_pages(actor)
    found = Result.objects.select_related("round__fund__division", "proposal").filter(pk=result_id).first()
    if found is None or not is_round_staff(scope, found.round):
        if found is not None:
            access_denied(user_id=scope.user_id, object_type="grants.result", object_id=result_id)
        raise NotFound("result_not_found", _("No such result."))
    return found


def is_round_admin(actor: Any, fund: CommunityFund) -> bool:
    """access.require_round_admin as a yes or no (for which buttons a page shows; the services check again)."""
    from .access import require_round_admin

    try:
        require_round_admin(actor, fund)
    except PermissionDenied:
        return False
    return True


def funds_for_new_round(actor: Any) -> QuerySet[CommunityFund]:
    """The open funds in which the actor may set up a round (require_round_admin's terms)."""
    scope = scope_of(actor)
    rows = CommunityFund.objects.filter(status=FundStatus.OPEN).select_related("division")
    if scope.is_superuser:
        return rows.order_by("code")
    q = Q(pk__in=[])
    if scope.has(Role.FEDERATION_FINANCE):
        q |= Q(custodian_id__in=scope.organization_ids)
    if scope.has(*ADMIN_AREA_ROLES):
        q |= scope.path_q("division__path", scope.admin_paths)
    return rows.filter(q).order_by("code")


# --- one round's parts ---------------------------------------------------------------------------------------------

def needs_for_staff(round: GrantRound) -> list[Need]:
    """Every need of the round, merged ones too (pointing at the need they joined), most supported first."""
    return list(Need.objects.filter(round=round).select_related("community", "merged_into")
                .order_by("merged_into_id", "-supporters", "id")[:1000])


def proposals_for_staff(round: GrantRound) -> list[Proposal]:
    """The round's proposals but drafts, by number, with their applicant and the count of active reviews."""
    return list(Proposal.objects.filter(round=round).exclude(status=ProposalStatus.DRAFT).select_related("applicant")
                .annotate(n_reviews=Count("assignments", filter=Q(assignments__status__in=ACTIVE)))
                .order_by("number"))


def status_counts(round: GrantRound) -> dict[str, int]:
    return dict(Proposal.objects.filter(round=round).values_list("status").annotate(n=Count("id")).order_by())


@dataclass(frozen=True)
class PoolExpert:
    user_id: int
    name: str
    load: int  # active reviews in this round
    conflicts: int  # feasible proposals of the round they may not review
    fields: list[str]  # what they know, as labels
    max_load: int | None
    away: bool  # away today: not assigned


def expert_pool(round: GrantRound) -> list[PoolExpert]:
    """The expert pool as a round's staff choose from it: each expert's fields, ceiling and time away, their load in
    the round and how many of its feasible proposals they are tied to."""
    pool = people_expert_pool(on=timezone.localdate())
    ids = [e.user_id for e in pool]
    load = Counter(Assignment.objects.filter(proposal__round=round, status__in=ACTIVE, reviewer_id__in=ids)
                   .values_list("reviewer_id", flat=True))
    applicants = dict(Proposal.objects.filter(round=round, status=ProposalStatus.FEASIBLE).values_list("id", "applicant_id"))
    tied = reviewer_conflicts(round_id=round.pk, reviewer_ids=ids, organization_ids=set(applicants.values()))
    per_org = Counter(applicants.values())
    conflicts: dict[int, int] = defaultdict(int)
    for user_id, org_id in tied:
        conflicts[user_id] += per_org[org_id]
    return [PoolExpert(user_id=e.user_id, name=e.name, load=load[e.user_id], conflicts=conflicts[e.user_id],
                       fields=e.field_labels, max_load=e.max_load, away=e.away) for e in pool]


def round_assignments(round: GrantRound) -> list[Assignment]:
    return list(Assignment.objects.filter(proposal__round=round).select_related("proposal", "reviewer")
                .order_by("proposal__number", "id"))


def round_ties(round: GrantRound) -> list[ReviewerTie]:
    return list(ReviewerTie.objects.filter(round=round).select_related("reviewer", "organization").order_by("id"))


@dataclass(frozen=True)
class PaperRow:
    paper_number: str
    status: str  # counted, mismatch, pending
    keyings: int
    keyed_by: list[str]
    voter: str
    last_at: datetime


def paper_keyings(round: GrantRound) -> list[PaperRow]:
    """Each paper ballot keyed so far: whether its keyings agree (counted), differ, or wait for a second; who keyed it
    (the choices themselves stay secret)."""
    rows = (PaperKeying.objects.filter(round=round).select_related("keyed_by", "voter")
            .order_by("paper_number", "id")[:5000])
    grouped: dict[str, list[PaperKeying]] = defaultdict(list)
    for k in rows:
        grouped[k.paper_number].append(k)
    out = []
    for number, keyings in grouped.items():
        statuses = {k.status for k in keyings}
        status = (PaperStatus.COUNTED if PaperStatus.COUNTED in statuses else
                  PaperStatus.MISMATCH if PaperStatus.MISMATCH in statuses else PaperStatus.PENDING)
        out.append(PaperRow(paper_number=number, status=status, keyings=len(keyings),
                            keyed_by=[k.keyed_by.first_name or k.keyed_by.username for k in keyings],
                            voter=keyings[-1].voter.real_name, last_at=max(k.keyed_at for k in keyings)))
    order = {PaperStatus.MISMATCH: 0, PaperStatus.PENDING: 1, PaperStatus.COUNTED: 2}
    return sorted(out, key=lambda r: (order[PaperStatus(r.status)], r.paper_number))


def voter_by_identifier(round: GrantRound, raw: Any, *, field: str = "voter") -> Person:
    """The voter a paper ballot names, by their resident ID or phone number (matched by the blind index, nothing
    decrypted), among the persons of the round's area."""
    term = search_term(raw if isinstance(raw, str) else "")
    if term.kind == "resident_id":
        q = Q(resident_id_hash=term.value)
    elif term.kind == "phone":
        q = Q(phone_hash=term.value)
    else:
        raise field_error(field, "invalid_voter", _("Enter the voter's resident ID number or mobile phone number."))
    people = list(Person.objects.filter(q, division__path__startswith=round.area.path).select_related("division")[:2])
    if len(people) != 1:
        raise field_error(field, "voter_not_found", _("No resident of this round's area has this ID or phone number."))
    return people[0]
