"""A micro-venture round for tests: the 北京街 community fund (¥100,000 of start money in the custody of 越秀区慈善会),
its 2026 round (budget ¥60,000) with every phase dated around a moment of the test's choosing, four experts, two
community groups with their managers, and residents of the street with persons on record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.core.money import Money
from shanlian.core.scoping import Role
from shanlian.grants import services as gs
from shanlian.grants.models import PHASE_ORDER, Ballot, BallotChoice, PhaseKind, Proposal, ProposalStatus, RoundFund
from shanlian.grants.pabulib import Election, Project, Vote
from shanlian.grants.services import results as rs
from shanlian.orgs.models import OrgKind

from .. import factories as f

DAY = dt.timedelta(days=1)


def phases_around(now: dt.datetime, open_kind: str = PhaseKind.NEEDS, days: int = 10) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """Each phase `days` long, one after another, with `open_kind` open at `now` (those before it over, those after
    it to come)."""
    at = PHASE_ORDER.index(open_kind)
    start = now - days * DAY / 2 - at * days * DAY
    return {k: (start + i * days * DAY, start + (i + 1) * days * DAY) for i, k in enumerate(PHASE_ORDER)}


@dataclass
class GrantsWorld:
    city: Any
    fund: Any
    admin: Any  # the custodian's finance officer: sets up and opens rounds
    staff: Any  # the fund's station worker: runs the phases
    experts: list[Any] = field(default_factory=list)
    groups: dict[str, Any] = field(default_factory=dict)  # organizations that propose
    managers: dict[str, Any] = field(default_factory=dict)  # their managers' logins
    residents: list[Any] = field(default_factory=list)  # logins with a person in the street

    def round(self, open_kind: str = PhaseKind.NEEDS, *, now: dt.datetime | None = None, open: bool = True, **kw: Any) -> Any:
        args: dict[str, Any] = {"title": "2026年北京街社区公益微创投", "year": 2026, "budget": "60000",
                                "phases": phases_around(now or timezone.now(), open_kind)}
        args.update(kw)
        r = gs.round_create(actor=self.admin, fund=self.fund, **args)
        return gs.round_open(actor=self.admin, round=r) if open else r


def hold_of(round: Any, fund: Any = None) -> Any:
    """The reservation a fund of the round holds now (the lead fund by default), or None."""
    return RoundFund.objects.select_related("hold").get(round=round, fund=fund or round.fund).hold


@pytest.fixture
def world(city) -> GrantsWorld:
    finance = city.users["finance"]
    fund = cs.fund_create(
        actor=finance, code="yx-bjj", name="北京街社区慈善基金", division=city.streets["北京街"], custodian=city.orgs["慈善会"],
        station=city.stations["北京街"], opened_on=dt.date(2025, 1, 1), seed="100000.00",
    )
    w = GrantsWorld(city=city, fund=fund, admin=finance, staff=city.users["station_worker"])
    w.experts = [city.users["expert"]] + [f.user_with_role(f"expert{i}", Role.EXPERT, None, name=f"评审专家{i}") for i in range(2, 5)]
    yx = city.districts["越秀"]
    w.groups["长者互助队"] = f.organization("广州市越秀区北京街长者互助服务队", district=yx, kind=OrgKind.ASSOCIATION)
    w.groups["青年志愿者协会"] = f.organization("广州市越秀区青年志愿者协会", district=yx, kind=OrgKind.ASSOCIATION)
    w.managers["长者互助队"] = f.user_with_role("elder_group", Role.ORG_MANAGER, w.groups["长者互助队"], name="互助队队长")
    w.managers["青年志愿者协会"] = f.user_with_role("youth_group", Role.ORG_MANAGER, w.groups["青年志愿者协会"], name="协会秘书长")
    communities = [city.communities["盐运西"], city.communities["都府"]]
    w.residents = [f.user_with_role(f"resident{i}", Role.DONOR, None, person_in=communities[i % 2], name=f"居民{i}") for i in range(6)]
    return w


# --- rounds at their allocation: proposals, ballots, and the allocation's seams fed from them ---------------------

def proposal(world, round, number: int, cost: str, *, group: str = "长者互助队", status: str = ProposalStatus.FEASIBLE):
    return Proposal.objects.create(
        round=round, number=number, applicant=world.groups[group], submitted_by=world.managers[group],
        title=f"项目{number:02d}", summary="为社区长者提供服务", beneficiaries="社区长者", beneficiary_count=30,
        outcomes="每月四次活动", requested=Money(cost), accepted_price=Money(cost), status=status,
        screening_note="" if status == ProposalStatus.FEASIBLE else "超出本轮资助范围", starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2027, 6, 30), submitted_at=timezone.now())


_seq = count(1)


def vote(world, round, *chosen):
    """One resident's approval ballot for the given proposals."""
    n = next(_seq)
    voter = f.person(f"投票人{n}", world.city.communities["盐运西"], resident_id=f.make_resident_id(seq=n + 500))
    now = timezone.now()
    ballot = Ballot.objects.create(round=round, voter=voter, community=voter.division, channel="online", cast_at=now,
                                   changed_at=now)
    BallotChoice.objects.bulk_create([BallotChoice(ballot=ballot, proposal=p) for p in chosen])


def election_from_rows(round) -> Election:
    """What `selectors_vote.election_of` gives the engine: the proposals on the ballot by id, one vote per ballot."""
    on_ballot = round.proposals.filter(status__in=[ProposalStatus.FEASIBLE, ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED])
    projects = {str(p.pk): Project(str(p.pk), Fraction(p.cost.amount)) for p in on_ballot.order_by("pk")}
    votes = [Vote(str(n), tuple(str(c.proposal_id) for c in b.choices.order_by("proposal_id")))
             for n, b in enumerate(Ballot.objects.filter(round=round).order_by("pk"), 1)]
    return Election({"budget": str(round.budget.amount), "vote_type": "approval"}, projects, votes)


@pytest.fixture
def scores(monkeypatch) -> dict[int, Decimal]:
    """The seams fed from this test's rows: the ballots written here, and the expert scores the test puts in."""
    given: dict[int, Decimal] = {}
    monkeypatch.setattr(rs, "_election", election_from_rows)
    monkeypatch.setattr(rs, "_expert_scores", lambda round: dict(given))
    return given
