"""Reads for residents and applicants: the rounds of a resident's area and what they may do in each now, the ballot as
a resident sees it, the organizations an applicant proposes for and the rounds open to proposals. Each answers in a
few queries whatever the number of rounds, needs or proposals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.orgs.models import Organization
from shanlian.people.models import Person
from shanlian.places.models import Division, Level

from . import phases
from .access import is_applicant_for, scope_of
from .models import Ballot, GrantRound, Need, NeedSupport, Phase, PhaseKind, Proposal, ProposalStatus, RoundStatus
from .selectors_proposals import proposal_detail

MAX_ROUNDS = 50  # rounds listed on a home page: the newest first


def _with_phases(rows: QuerySet[GrantRound]) -> QuerySet[GrantRound]:
    return rows.select_related("area", "fund").prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("opens_at", "id")))


# --- residents ---------------------------------------------------------------------------------------------------

def resident_person(actor: Any) -> Person:
    """The signed-in user's person on record, or refused (`not_a_resident`), as the services refuse them."""
    scope = scope_of(actor)
    person = Person.objects.select_related("division").filter(pk=scope.person_id).first() if scope.person_id else None
    if person is None:
        raise PermissionDenied("not_a_resident", _("Only residents on record take part; ask your community's station to add you."))
    return person


def round_for_resident(round_id: int) -> GrantRound:
    """A round residents may look at: opened (running or closed); a draft is not found."""
    found = _with_phases(GrantRound.objects.filter(pk=round_id).exclude(status=RoundStatus.DRAFT)).first()
    if found is None:
        raise NotFound("round_not_found", _("No such round."))
    return found


@dataclass
class ResidentRound:
    """One round on a resident's home page and what they may do in it now."""

    round: GrantRound
    phase: Phase | None  # the phase it is in now
    needs_open: bool
    vote_open: bool
    voted: bool
    on_paper: bool
    supported: int  # needs of this round the resident supports
    next_phase: Phase | None = None
    phases: list[Phase] = field(default_factory=list)
    public_url: str = ""  # filled by the page


def rounds_for_resident(person: Person, user: Any) -> list[ResidentRound]:
    """The opened rounds whose area holds the resident's community, running ones first, newest first: four queries."""
    path = person.division.path
    prefixes = [path[:i + 1] for i in range(len(path)) if path[i] == "/"]  # "/1/4/17/" → "/", "/1/", "/1/4/", ...
    rounds = list(_with_phases(GrantRound.objects.filter(area__path__in=prefixes).exclude(status=RoundStatus.DRAFT))
                  .order_by("-year", "-id")[:MAX_ROUNDS])
    ids = [r.pk for r in rounds]
    ballots = dict(Ballot.objects.filter(round_id__in=ids, voter=person).values_list("round_id", "channel"))
    supported: dict[int, int] = {}
    for round_id in NeedSupport.objects.filter(user=user, need__round_id__in=ids).values_list("need__round_id", flat=True):
        supported[round_id] = supported.get(round_id, 0) + 1
    now = timezone.now()
    out = []
    for r in rounds:
        upcoming = [p for p in r.phases.all() if p.opens_at > now]
        out.append(ResidentRound(
            round=r, phase=phases.current(r, now), needs_open=phases.is_open(r, PhaseKind.NEEDS, now),
            vote_open=phases.is_open(r, PhaseKind.VOTE, now), voted=r.pk in ballots, on_paper=ballots.get(r.pk) == "paper",
            supported=supported.get(r.pk, 0), next_phase=upcoming[0] if upcoming and r.status == RoundStatus.OPEN else None,
            phases=list(r.phases.all())))
    out.sort(key=lambda x: x.round.status != RoundStatus.OPEN)  # stable: running rounds first, each group newest first
    return out


def communities_of(round: GrantRound) -> QuerySet[Division]:
    """The communities of the round's area, by code (what a need may be named for)."""
    return Division.objects.filter(level=Level.COMMUNITY, path__startswith=round.area.path).order_by("code")


def supported_need_ids(user: Any, need_ids: list[int]) -> set[int]:
    return set(NeedSupport.objects.filter(user=user, need_id__in=need_ids).values_list("need_id", flat=True))


def need_of_round(round: GrantRound, need_id: int) -> Need:
    need = Need.objects.select_related("round__area").filter(pk=need_id, round=round).first()
    if need is None:
        raise NotFound("need_not_found", _("No such need in this round."))
    return need


def ballot_proposals(round: GrantRound) -> list[Proposal]:
    """The projects on the round's ballot, by number: feasible while the vote runs (then funded or not)."""
    return list(Proposal.objects.filter(round=round, status__in=(ProposalStatus.FEASIBLE, ProposalStatus.FUNDED,
                                                                  ProposalStatus.NOT_FUNDED))
                .select_related("applicant").order_by("number"))


# --- applicants --------------------------------------------------------------------------------------------------

def applicant_organizations(actor: Any) -> list[Organization]:
    """The organizations the actor proposes for (those they manage), by name."""
    scope = scope_of(actor)
    ids = [pk for pk in scope.organization_ids if is_applicant_for(scope, pk)]
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


def applicant_organizations_or_refuse(actor: Any) -> list[Organization]:
    """The organizations the actor proposes for; refused (`not_applicant`) if none."""
    orgs = applicant_organizations(actor)
    if not orgs:
        raise PermissionDenied("not_applicant", _("Only a manager of a community group or organization proposes projects."))
    return orgs


def rounds_open_for_proposals(at: Any = None) -> list[GrantRound]:
    """The running rounds whose call for proposals is open now, closing soonest first."""
    now = at or timezone.now()
    open_ids = Phase.objects.filter(kind=PhaseKind.PROPOSALS, opens_at__lte=now, closes_at__gt=now,
                                    round__status=RoundStatus.OPEN).values("round_id")
    rounds = list(_with_phases(GrantRound.objects.filter(pk__in=open_ids)).order_by("-year", "id")[:MAX_ROUNDS])
    return sorted(rounds, key=lambda r: phases.phase_of(r, PhaseKind.PROPOSALS).closes_at)  # type: ignore[union-attr]


def round_for_applicant(round_id: int) -> GrantRound:
    found = _with_phases(GrantRound.objects.filter(pk=round_id).exclude(status=RoundStatus.DRAFT)).first()
    if found is None:
        raise NotFound("round_not_found", _("No such round."))
    return found


def my_proposal(actor: Any, proposal_id: int) -> Proposal:
    """One of the actor's organizations' proposals with its parts; anyone else's is not found (its existence does not
    leak to another organization)."""
    scope = scope_of(actor)
    found = proposal_detail(proposal_id, actor=actor)
    if not is_applicant_for(scope, found.applicant_id):
        raise NotFound("proposal_not_found", _("No such proposal."))
    return found


def round_needs_for_proposal(round: GrantRound) -> QuerySet[Need]:
    """The needs a proposal may answer: the round's, duplicates merged away, most supported first."""
    return Need.objects.filter(round=round, merged_into__isnull=True).select_related("community").order_by("-supporters", "id")


def proposals_with_results(rows: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """An applicant's proposals with their round (and its phases) and result, in a fixed number of queries."""
    return rows.select_related("round", "applicant", "result").prefetch_related(
        Prefetch("round__phases", queryset=Phase.objects.order_by("opens_at", "id")))

