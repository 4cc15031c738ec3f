"""Reads of the resident vote: a voter's own ballot, the live turnout, the tally once the vote has closed, and the
round's ballots as the allocation engine's election.

What is hidden: how the projects stand (the tally, the election) until the vote closes, so early counts sway no one;
the turnout shows only how many voted, and is open to everyone while the vote runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import Conflict
from shanlian.people.models import Person
from shanlian.places.models import Division

from . import phases
from .access import scope_of
from .models import Ballot, BallotChannel, BallotChoice, BallotKind, GrantRound, PhaseKind, Proposal, ProposalStatus
from .pabulib import Election, Project, Vote, format_number

# The proposals a round's ballot listed: feasible while the vote runs, funded or not once the results are made.
ON_BALLOT = (ProposalStatus.FEASIBLE, ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED)
CHUNK = 20_000


# --- the voter's own ballot ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VoterBallot:
    """What the voting page shows a resident: whether they may vote, their ballot if they cast one, and whether
    they may still change it."""

    may_vote: bool  # a person on record in the round's area
    ballot: Ballot | None
    choices: dict[int, int] = field(default_factory=dict)  # proposal id -> points (1 on an approval ballot)
    may_change: bool = False  # the vote is open and the ballot, if any, was cast online
    refusal: str = ""  # why not, as an error code: not_a_resident, not_in_area, ballot_on_paper, phase_closed


def ballot_of(actor: Any, round: GrantRound) -> VoterBallot:
    """The actor's ballot in the round and its choices, and whether they may (still) vote: a handful of queries, none
    per choice."""
    scope = scope_of(actor)
    if scope.person_id is None:
        return VoterBallot(may_vote=False, ballot=None, refusal="not_a_resident")
    path = Person.objects.filter(pk=scope.person_id).values_list("division__path", flat=True).first() or ""
    in_area = path.startswith(round.area.path)
    ballot = Ballot.objects.filter(round=round, voter_id=scope.person_id).first()
    choices = dict(BallotChoice.objects.filter(ballot=ballot).order_by("proposal_id").values_list("proposal_id", "points")
                   ) if ballot is not None else {}
    on_paper = ballot is not None and ballot.channel == BallotChannel.PAPER
    open_now = phases.is_open(round, PhaseKind.VOTE)
    refusal = ("not_in_area" if not in_area else "ballot_on_paper" if on_paper else "" if open_now else "phase_closed")
    return VoterBallot(may_vote=in_area, ballot=ballot, choices=choices, may_change=not refusal, refusal=refusal)


# --- turnout ---------------------------------------------------------------------------------------------------------

def share(part: int, whole: int) -> Decimal | None:
    """part / whole to four places (0.1234 is 12.34%), None when nobody is eligible."""
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if whole else None


@dataclass(frozen=True)
class CommunityTurnout:
    community_id: int
    name: str
    ballots: int
    online: int
    paper: int
    eligible: int

    @property
    def share(self) -> Decimal | None:
        return share(self.ballots, self.eligible)


@dataclass(frozen=True)
class Turnout:
    ballots: int
    online: int
    paper: int
    eligible: int  # persons on record whose community lies in the round's area
    communities: list[CommunityTurnout]  # by community, in division code order

    @property
    def share(self) -> Decimal | None:
        return share(self.ballots, self.eligible)


def turnout(round: GrantRound) -> Turnout:
    """How many have voted, of how many may, in all and by community (a ballot counts where its voter lived when it
    was cast): two aggregate queries whatever the number of voters (a third names the communities of voters who have since
    moved out of the area, if any). Paper ballots count once both keyings agree."""
    area = round.area.path
    eligible = {row["division_id"]: row for row in Person.objects.filter(division__path__startswith=area)
                .values("division_id", "division__name", "division__code").annotate(n=Count("id")).order_by()}
    cast: dict[int, dict[str, Any]] = {}
    for row in Ballot.objects.filter(round=round).values("community_id", "channel").annotate(n=Count("id")).order_by():
        cast.setdefault(row["community_id"], {})[row["channel"]] = row["n"]
    moved = set(cast) - set(eligible)  # voters who have since moved out of the area: their community named apart
    for cid, name, code in Division.objects.filter(pk__in=moved).values_list("pk", "name", "code") if moved else ():
        cast[cid].update(name=name, code=code)
    rows = []
    for cid in set(eligible) | set(cast):
        counts = cast.get(cid, {})
        known = eligible.get(cid)
        online, paper = counts.get(BallotChannel.ONLINE, 0), counts.get(BallotChannel.PAPER, 0)
        rows.append((known["division__code"] if known else counts["code"], CommunityTurnout(
            community_id=cid, name=known["division__name"] if known else counts["name"], ballots=online + paper,
            online=online, paper=paper, eligible=known["n"] if known else 0)))
    communities = [c for _code, c in sorted(rows, key=itemgetter(0))]
    return Turnout(ballots=sum(c.ballots for c in communities), online=sum(c.online for c in communities),
                   paper=sum(c.paper for c in communities), eligible=sum(c.eligible for c in communities),
                   communities=communities)


# --- results ---------------------------------------------------------------------------------------------------------

def require_vote_closed(round: GrantRound) -> None:
    """The one rule for results: hidden until the vote has closed."""
    if not phases.has_closed(round, PhaseKind.VOTE):
        raise Conflict("results_hidden", _("The vote's results are shown once the vote has closed."))


@dataclass(frozen=True)
class TallyRow:
    proposal_id: int
    number: int
    title: str
    supporters: int  # ballots naming it
    points: int  # points given to it (equal to supporters on an approval ballot)
    votes: int  # what decides: supporters on an approval ballot, points on a cumulative one


def tally(round: GrantRound) -> list[TallyRow]:
    """Per proposal on the ballot, in number order, its supporters and points; refused while the vote has not closed."""
    require_vote_closed(round)
    counted: dict[int, dict[str, Any]] = {
        row["proposal_id"]: dict(row) for row in BallotChoice.objects.filter(ballot__round=round)
        .values("proposal_id").annotate(supporters=Count("id"), points=Sum("points")).order_by()}
    cumulative = round.ballot_kind == BallotKind.CUMULATIVE
    rows = []
    for pid, number, title in (Proposal.objects.filter(round=round, status__in=ON_BALLOT).order_by("number")
                               .values_list("pk", "number", "title")):
        row = counted.get(pid, {})
        supporters, points = row.get("supporters", 0), row.get("points") or 0
        rows.append(TallyRow(proposal_id=pid, number=number, title=title, supporters=supporters, points=points,
                             votes=points if cumulative else supporters))
    return rows


def election_of(round: GrantRound) -> Election:
    """The round's ballots as the allocation engine's election: projects are the proposals on the ballot (ids as
    text, costs their accepted prices in yuan), the budget the round's, voters numbered from 1 (no person is named).

    The choices are streamed in ballot order (one query, read in chunks) and identical ballots share one tuple, so
    100,000 ballots cost a few tuples each; the engine merges identical ballots into weighted groups itself. A choice
    of a proposal no longer on the ballot (withdrawn) is left out, and a ballot left empty with it. Refused, like the
    tally, while the vote has not closed."""
    require_vote_closed(round)
    cumulative = round.ballot_kind == BallotKind.CUMULATIVE
    costs = {str(pid): Fraction((price if price is not None else asked).amount) for pid, price, asked in Proposal.objects
             .filter(round=round, status__in=ON_BALLOT).order_by("pk").values_list("pk", "accepted_price", "requested")}
    rows = (BallotChoice.objects.filter(ballot__round=round, proposal__round=round, proposal__status__in=ON_BALLOT)
            .order_by("ballot_id", "proposal_id").values_list("ballot_id", "proposal_id", "points").iterator(chunk_size=CHUNK))
    shared: dict[Any, Any] = {}
    names: dict[int, str] = {}
    votes: list[Vote] = []
    for n, (_ballot, choices) in enumerate(groupby(rows, key=itemgetter(0)), 1):
        picked = tuple((pid, points) for _b, pid, points in choices)
        projects = tuple(names.get(pid) or names.setdefault(pid, str(pid)) for pid, _points in picked)
        projects = shared.setdefault(projects, projects)
        if cumulative:
            given = tuple(Fraction(points) for _pid, points in picked)
            votes.append(Vote(str(n), projects, shared.setdefault(("points", given), given)))
        else:
            votes.append(Vote(str(n), projects))
    meta = {"budget": format_number(Fraction(round.budget.amount)), "vote_type": round.ballot_kind,
            "description": round.title, "country": "China", "unit": round.area.name, "instance": str(round.year),
            "currency": "CNY", "num_projects": str(len(costs)), "num_votes": str(len(votes)),
            "min_length": str(round.min_choices), "max_length": str(round.max_choices)}
    if cumulative:
        meta["max_sum_points"] = str(round.points)
    if round.knapsack:
        meta["max_sum_cost"] = meta["budget"]
    projects_of = {pid: Project(pid, cost) for pid, cost in costs.items()}
    return Election(meta, projects_of, votes, vote_columns=("voter_id", "vote", "points") if cumulative else ("voter_id", "vote"))
