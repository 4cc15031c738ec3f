"""The demo city's micro-venture rounds (社区公益微创投) of the 北京街道 community fund, written through the grants
services on the days they happened, in the charity history's `Timeline` (so the ledger's order stays the order of
time). What the rounds say is in `grants_data`; their funded projects' history in `grants_projects`.

Two rounds, dated from the day the demo is seeded ("today"):
- last year's round (about 13 months ago): needs named by residents and the station, supported, one duplicate
  merged; proposals from the station's agency, the district volunteers' association and three community groups;
  screening (one not feasible, one price cut), five experts (one recused by a declared tie) scoring with a rubric;
  a resident vote online and on paper (keyed twice); the allocation with every outcome's reason; its projects in
  execution (`grants_projects`);
- this year's round, over the street fund and its elderly-care fund: in its resident vote now (opened six days
  ago), with needs and supports, screened proposals (one returned for changes and resubmitted, one not feasible),
  reviews done, and the turnout so far (online ballots, a pitch-and-vote day's paper ballots, two papers keyed once
  and one whose keyings differ).

Residents who take part are persons on record in the street (registered by the station; a few with a login, who
name and support needs and vote online; the rest vote on paper). Each fund is topped up before the round opens by a
community foundation's micro-venture grant when its free money is short of its part. Nothing is written a second
time: the rounds are part of the charity history, which a second run finds already there.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from decimal import ROUND_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import CommunityFund
from shanlian.core import crypto
from shanlian.grants import services as gs
from shanlian.grants.models import (
    Agreement,
    Assignment,
    Ballot,
    GrantRound,
    PaperKeying,
    PhaseKind,
    Proposal,
    Result,
)
from shanlian.ledger.models import Account
from shanlian.orgs import services as org_services
from shanlian.orgs.models import Organization, OrgKind, PartyBranch, Station
from shanlian.people import services as people_services
from shanlian.people.models import Person
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division, Level

from . import data
from .charity import CharitySeeder, Timeline, _on, charity_totals
from .grants_data import (
    COMMENTS,
    DAY,
    EXPERTS,
    FOUNDATION,
    GROUPS,
    LAST_YEAR,
    RUBRIC,
    STREET,
    THIS_YEAR,
    TIE_NOTE,
    TIED_EXPERT,
    VOLUNTEERS,
    NeedSpec,
    ProposalSpec,
)
from .grants_projects import ProjectsDemo, RoundState
from .plan import _Planner, unique_username
from .timebank import SimulatedClock

# --- the demo -------------------------------------------------------------------------------------------------------

class GrantsDemo(ProjectsDemo):
    """Puts the rounds' history on a `Timeline` (`schedule`); the timeline's run writes it, in the order of time."""

    def __init__(self, *, seed: int, password: str, counts: Counter[str]) -> None:
        self.rng = random.Random(seed + 41)
        self.planner = _Planner(seed + 43)  # names, resident IDs and phones of the residents the station registers
        self.password = password
        self.counts = counts
        self.at: Callable[..., None] = lambda *a: None
        self.orgs: dict[str, Organization] = {}
        self.managers: dict[str, Any] = {}
        self.experts: list[Any] = []
        self.existing: set[str] = set()  # resident IDs on record (blind indexes)
        self.pool: tuple[list[Any], list[Person]] | None = None
        self.brand: dict[str, Any] = {}  # the registry's projects on the brand list: "qile", then "next"
        self.fund: CommunityFund | None = None

    # -- when ----------------------------------------------------------------------------------------------------

    def _between(self, first: dt.datetime, last: dt.datetime) -> dt.datetime:
        """A moment in office hours between two moments (the first, if none falls between)."""
        for _try in range(20):
            seconds = max(int((last - first).total_seconds()), 0)
            moment = first + dt.timedelta(seconds=self.rng.randint(0, seconds))
            if 8 <= timezone.localtime(moment).hour < 22:
                return moment
        return first

    @staticmethod
    def _phases(anchor: dt.date, vote: tuple[dt.date, dt.date] | None = None, execution_end: dt.date | None = None
                ) -> dict[str, tuple[dt.datetime, dt.datetime]]:
        """A year's round from its needs phase on `anchor`: each phase opens at 9:00 and closes at 18:00 (the vote at
        20:00), with a day's public notice before the vote."""
        a = anchor
        vote_opens, vote_closes = vote or (a + 93 * DAY, a + 106 * DAY)
        end = execution_end or vote_closes + 300 * DAY
        return {
            PhaseKind.NEEDS: (_on(a, "09:00"), _on(a + 30 * DAY, "18:00")),
            PhaseKind.PROPOSALS: (_on(a + 31 * DAY, "09:00"), _on(a + 60 * DAY, "18:00")),
            PhaseKind.SCREENING: (_on(a + 61 * DAY, "09:00"), _on(a + 75 * DAY, "18:00")),
            PhaseKind.REVIEW: (_on(a + 76 * DAY, "09:00"), _on(vote_opens - 2 * DAY, "18:00")),
            PhaseKind.VOTE: (_on(vote_opens, "09:00"), _on(vote_closes, "20:00")),
            PhaseKind.ALLOCATION: (_on(vote_closes + DAY, "09:00"), _on(vote_closes + 7 * DAY, "18:00")),
            PhaseKind.AGREEMENTS: (_on(vote_closes + 8 * DAY, "09:00"), _on(vote_closes + 34 * DAY, "18:00")),
            PhaseKind.EXECUTION: (_on(vote_closes + 35 * DAY, "00:00"), _on(end, "18:00")),
            PhaseKind.REPORTS: (_on(end, "18:00"), _on(end + 30 * DAY, "18:00")),
        }

    # -- scheduling ----------------------------------------------------------------------------------------------

    def schedule(self, timeline: Timeline) -> None:
        """Put every event on the timeline (its run writes them); nothing is scheduled if the street, its station or
        the demo logins are missing, or the street already has rounds."""
        User = get_user_model()
        street = Division.objects.filter(level=Level.STREET, name=STREET).first()
        if street is None or GrantRound.objects.filter(fund__division=street).exists():
            return
        self.street: Division = street
        self.station = Station.objects.filter(street=self.street).select_related("agency").first()
        self.users = {u.username: u for u in User.objects.filter(username__in=[
            "admin", "finance", "station_worker", "street_officer", "agency_manager", "group_manager", "expert", "volunteer"])}
        if self.station is None or len(self.users) < 8:
            return
        volunteers = Organization.objects.filter(name=VOLUNTEERS).first()
        if volunteers is None:
            return
        self.orgs = {"agency": self.station.agency, "volunteers": volunteers}
        self.managers = {"agency": self.users["agency_manager"], "volunteers": self.users["group_manager"]}
        self.communities = list(Division.objects.filter(parent=self.street).order_by("code"))
        self.usernames = set(User.objects.values_list("username", flat=True))
        self.staff, self.keyer, self.finance = self.users["station_worker"], self.users["street_officer"], self.users["finance"]
        self.at = timeline.at
        self.now = timeline.now
        self.today = today = timezone.localdate(self.now)
        # This year's round: its needs phase about a hundred days ago, its vote open since six days ago; last year's:
        # its needs phase about 13 months ago (in its own year), its projects in execution until after today.
        this_year = (today - 100 * DAY).year
        last_anchor = min(today - 400 * DAY, dt.date(this_year - 1, 12, 1))
        last = RoundState(LAST_YEAR, this_year - 1, self._phases(last_anchor, execution_end=today + 150 * DAY))
        this = RoundState(THIS_YEAR, this_year, self._phases(today - 100 * DAY, vote=(today - 6 * DAY, today + 8 * DAY)))
        setup = _on(last_anchor - 45 * DAY, "10:00")
        self.at(setup, self.register_groups)
        self.at(setup + dt.timedelta(minutes=30), self.register_experts)
        self.residents(last_anchor - 40 * DAY, last_anchor - 12 * DAY)
        for state in (last, this):
            self.schedule_round(state)
        self.schedule_brand(setup + dt.timedelta(hours=4), last)

    def residents(self, first: dt.date, last: dt.date) -> None:
        """Residents the station registers (most older, voting on paper); a few open a login in the app."""
        self.existing = set(Person.objects.exclude(resident_id_hash="").values_list("resident_id_hash", flat=True))
        n_online = max(LAST_YEAR.online, THIS_YEAR.online) - 4  # besides the app volunteers and the demo volunteer
        n_paper = int(max(LAST_YEAR.paper, THIS_YEAR.paper) * 1.8)
        for i in range(n_online + n_paper):
            online = i < n_online
            years = (1960, 2003) if online else self.rng.choice(((1934, 1965), (1934, 1965), (1966, 2000)))
            birth = self.planner.date_between(dt.date(years[0], 1, 1), dt.date(years[1], 12, 31))
            gender = "F" if self.rng.random() < 0.55 else "M"
            migrant = birth.year >= 1960 and self.rng.random() < 0.15
            rid = self._rid((self.rng.choice(data.MIGRANT_BIRTHPLACES),) if migrant else ("440104",), birth, gender)
            spec = {"name": self.planner.name(gender, birth.year), "rid": rid, "phone": self.planner.mobile(), "gender": gender,
                    "community": self.rng.randrange(len(self.communities)), "online": online}
            self.at(self._moment(first + dt.timedelta(days=self.rng.randint(0, (last - first).days))), self.register_resident, spec)

    def schedule_round(self, state: RoundState) -> None:
        spec, p = state.spec, state.phases
        opens = p[PhaseKind.NEEDS][0]
        self.at(opens - 12 * DAY + dt.timedelta(hours=1), self.top_up, state)
        self.at(opens - 10 * DAY + dt.timedelta(hours=1, minutes=30), self.create_round, state)
        # Needs: named in the first three weeks, supported until the phase closes; a duplicate merged near the end.
        needs_open, needs_close = p[PhaseKind.NEEDS]
        for n, need in enumerate(spec.needs):
            named = self._between(needs_open + dt.timedelta(hours=1 + n * 30), needs_open + (3 + n * 2) * DAY)
            self.at(named, self.name_need, state, need)
            for k in range(need.supporters):
                self.at(self._between(named + dt.timedelta(hours=1 + k), needs_close - DAY), self.support_need, state, need, k)
            if need.duplicate_of:
                self.at(needs_close - 2 * DAY + dt.timedelta(hours=3), self.merge_need, state, need)
        # Proposals: drafted, submitted a few days later; screening; one returned and mended.
        prop_open, prop_close = p[PhaseKind.PROPOSALS]
        screen_open, screen_close = p[PhaseKind.SCREENING]
        for n, proposal in enumerate(spec.proposals):
            drafted = self._between(prop_open + (3 + 2 * n) * DAY, prop_open + (6 + 2 * n) * DAY)
            self.at(drafted, self.draft_proposal, state, proposal)
            self.at(self._between(drafted + 2 * DAY, prop_close - 2 * DAY), self.submit_proposal, state, proposal)
            if proposal.returned:
                back = self._between(screen_open + DAY, screen_open + 2 * DAY)
                self.at(back, self.return_proposal, state, proposal)
                self.at(back + 3 * DAY, self.mend_proposal, state, proposal)
                self.at(self._between(back + 6 * DAY, screen_close - DAY), self.screen_proposal, state, proposal)
            else:
                self.at(self._between(screen_open + 2 * DAY, screen_close - 3 * DAY), self.screen_proposal, state, proposal)
        # Review: the rubric before it opens, a tie declared, reviewers assigned on the first morning, scores over it.
        review_open, review_close = p[PhaseKind.REVIEW]
        self.at(screen_close - DAY, self.set_rubric, state)
        self.at(screen_close + dt.timedelta(hours=2), self.declare_tie, state)
        self.at(review_open + dt.timedelta(hours=1), self.assign_reviews, state, review_open, review_close)
        # The vote: online over its days, paper ballots on a weekend pitch-and-vote day, keyed twice.
        vote_open, vote_close = p[PhaseKind.VOTE]
        last_online = min(vote_close - dt.timedelta(hours=3), self.now - dt.timedelta(minutes=10))
        for k in range(spec.online):
            self.at(self._between(vote_open + dt.timedelta(hours=1), last_online), self.vote_online, state, k)
        # (its first weekend day that is over: this year's vote opened six days ago, so one has passed)
        day = next((d for d in (timezone.localdate(vote_open) + i * DAY for i in range(8))
                    if d.weekday() >= 5 and _on(d + DAY, "00:00") < min(vote_close, self.now)), None)
        if day is not None:
            self.paper_day(state, day)
        if spec is LAST_YEAR:
            alloc_open = p[PhaseKind.ALLOCATION][0]
            self.at(alloc_open + dt.timedelta(hours=1, minutes=20), self.allocate, state)

    # -- the people ----------------------------------------------------------------------------------------------

    def _username(self, name: str) -> str:
        return unique_username(name, self.rng, self.usernames, "resident")

    def _rid(self, places: tuple[str, ...], birth: dt.date, gender: str) -> str:
        """A resident ID no one on record has."""
        while True:
            rid = self.planner.resident_id(places, birth, gender)
            index = crypto.blind_index(rid, purpose="resident_id")
            if index not in self.existing:
                self.existing.add(index)
                return rid

    def _person(self, *, actor: Any, name: str, gender: str, birth: dt.date, community: Division) -> Person:
        return people_services.person_create(
            actor=actor, real_name=name, division=community, resident_id=self._rid((community.code[:6],), birth, gender),
            phone=self.planner.mobile(), gender=gender)

    def _login(self, person: Person, role: str = "", target: Any = None) -> Any:
        user = people_services.account_create(actor=None, person=person, username=self._username(person.real_name),
                                              password=self.password)
        if role:
            admin = self.users["admin"]
            people_services.role_grant(actor=admin, scope=actor_scope(admin), user=user, role=role, target=target)
        self.counts["grants_logins"] += 1
        return user

    def register_groups(self) -> None:
        district = self.street.parent
        assert district is not None  # a street lies in a district
        for group in GROUPS:
            org = Organization.objects.filter(name=group.name).first()
            if org is None:
                code = self.planner.credit_code(OrgKind.ASSOCIATION, district.code, group.registered_on)
                org = org_services.organization_create(
                    actor=self.users["admin"], name=group.name, kind=OrgKind.ASSOCIATION, credit_code=code,
                    registered_on=group.registered_on, division=district, address=f"广州市越秀区北京路{self.rng.randint(20, 380)}号",
                    legal_representative=group.manager[0], party_branch=PartyBranch.JOINT,
                    party_branch_name="中共广州市越秀区社会组织第3联合支部委员会")
                self.counts["grants_groups"] += 1
            name, gender, birth = group.manager
            person = self._person(actor=self.staff, name=name, gender=gender, birth=birth,
                                  community=self.communities[len(self.orgs) % len(self.communities)])
            self.orgs[group.key] = org
            self.managers[group.key] = self._login(person, "org_manager", org)

    def register_experts(self) -> None:
        expert = self.users["expert"]
        self.experts = [expert]
        for name, gender, birth, street in EXPERTS:
            home = Division.objects.filter(parent__name=street).order_by("code").first() or self.communities[0]
            person = self._person(actor=self.users["admin"], name=name, gender=gender, birth=birth, community=home)
            self.experts.append(self._login(person, "expert"))

    def register_resident(self, spec: dict[str, Any]) -> None:
        person = people_services.person_create(
            actor=self.staff, real_name=spec["name"], division=self.communities[spec["community"]], resident_id=spec["rid"],
            phone=spec["phone"], gender=spec["gender"])
        self.counts["grants_residents"] += 1
        if spec["online"]:
            self._login(person)

    def _voters(self) -> tuple[list[Any], list[Person]]:
        """Who votes online (a login and a person in the street: those registered here, the time bank's app volunteers,
        the demo volunteer) and on paper (the street's other residents), in a fixed order."""
        if self.pool is None:
            staff = {self.users[n].pk for n in ("station_worker", "street_officer", "agency_manager", "group_manager")}
            staff |= {u.pk for u in self.managers.values()}
            rows = list(Person.objects.filter(division__parent=self.street).select_related("user").order_by("pk"))
            online = [p.user for p in rows if p.user_id is not None and p.user_id not in staff]
            paper = [p for p in rows if p.user_id is None]
            self.pool = (online, paper)
        return self.pool

    # -- the round's writes -------------------------------------------------------------------------------------

    @staticmethod
    def _round(state: RoundState) -> GrantRound:
        return state.round

    def _elderly_fund(self) -> CommunityFund | None:
        return CommunityFund.objects.filter(code=f"gz-{self.street.code}-elderly").select_related("division").first()

    def top_up(self, state: RoundState) -> None:
        """The community foundation's micro-venture grant to each fund giving part of the budget, when its free money is
        short of its part (with a margin for the fund's own projects), rounded up to ¥10,000."""
        self.fund = self.fund or CommunityFund.objects.filter(code=f"gz-{self.street.code}").select_related("account").first()
        if self.fund is None:
            return
        elderly = Decimal(state.spec.elderly_share)
        parts = [(self.fund, Decimal(state.spec.budget) - elderly, "")]
        if elderly and (fund := self._elderly_fund()) is not None:
            parts.append((fund, elderly, "-elderly"))
        for fund, part, suffix in parts:
            account = Account.objects.get(pk=fund.account_id)
            short = part + Decimal(30000) - (account.balance - account.held)
            if short <= 0:
                continue
            amount = (short / 10000).quantize(Decimal(1), rounding=ROUND_UP) * 10000
            cs.donation_record(
                actor=self.finance, fund=fund, amount=amount, channel="transfer", donor_name=FOUNDATION, show_name=True,
                received_at=timezone.now() - dt.timedelta(hours=2), external_id=f"demo-microventure-{state.year}{suffix}",
                message=f"{state.year}年社区公益微创投配套资助款")
            self.counts["grants_top_ups"] += 1

    def create_round(self, state: RoundState) -> None:
        if self.fund is None:
            return
        spec = state.spec
        elderly = self._elderly_fund() if Decimal(spec.elderly_share) else None
        made = gs.round_create(
            actor=self.finance, fund=self.fund, title=f"{state.year}年北京街社区公益微创投", year=state.year, budget=spec.budget,
            phases=state.phases, max_choices=spec.max_choices, min_grant="5000", max_grant="20000", description=spec.description,
            shares=[(elderly, spec.elderly_share)] if elderly is not None else [])
        opened = gs.round_open(actor=self.finance, round=made)
        state.round = GrantRound.objects.select_related("fund__division", "fund__station", "area").prefetch_related(
            "phases").get(pk=opened.pk)
        self.counts["grants_rounds"] += 1

    def name_need(self, state: RoundState, need: NeedSpec) -> None:
        if state.round is None:
            return
        round = self._round(state)
        community = self.communities[need.community % len(self.communities)]
        if need.by_station:
            made = gs.need_submit(actor=self.staff, round=round, text=need.text, category=need.category, community=community,
                                  station=self.station)
        else:
            online, _paper = self._voters()
            who = online[(len(state.needs) * 7 + len(state.spec.needs)) % len(online)]
            made = gs.need_submit(actor=who, round=round, text=need.text, category=need.category, community=community)
        state.needs[need.key] = made
        self.counts["grants_needs"] += 1

    def support_need(self, state: RoundState, need: NeedSpec, k: int) -> None:
        made = state.needs.get(need.key)
        online, _paper = self._voters()
        if made is None or not online:
            return
        who = online[(k * 5 + len(need.key)) % len(online)]
        if who.pk == made.submitted_by_id:
            return
        gs.need_support(actor=who, need=made)
        self.counts["grants_need_supports"] += 1

    def merge_need(self, state: RoundState, need: NeedSpec) -> None:
        dup, into = state.needs.get(need.key), state.needs.get(need.duplicate_of)
        if dup is not None and into is not None:
            state.needs[need.key] = gs.need_merge(actor=self.staff, need=dup, into=into)

    def _lines(self, lines: tuple[tuple[str, str, int, str, str], ...]) -> list[dict[str, Any]]:
        return [{"category": c, "item": item, "quantity": str(q), "unit": unit, "unit_price": price} for c, item, q, unit, price in lines]

    def _proposal_args(self, state: RoundState, proposal: ProposalSpec, lines: tuple[Any, ...]) -> dict[str, Any]:
        execution = state.phases[PhaseKind.EXECUTION][0]
        start = timezone.localdate(execution) + 5 * DAY
        days = [d for _t, d in proposal.milestones]
        if state.spec is LAST_YEAR:  # still running today, whatever day the demo is seeded on
            days[-1] = max(days[-1], (self.today + 45 * DAY - start).days)
        end = start + dt.timedelta(days=days[-1])
        return {
            "round": self._round(state), "applicant": self.orgs[proposal.applicant], "title": proposal.title,
            "summary": proposal.summary, "beneficiaries": proposal.beneficiaries, "beneficiary_count": proposal.beneficiary_count,
            "outcomes": proposal.outcomes, "lines": self._lines(lines), "starts_on": start, "ends_on": end,
            "milestones": [{"title": t, "due_on": start + dt.timedelta(days=d)}
                           for (t, _d), d in zip(proposal.milestones, days, strict=True)],
            "co_funding": proposal.co_funding, "co_funding_source": proposal.co_funding_source,
            "needs": [state.needs[k].pk for k in proposal.needs if k in state.needs],
        }

    def draft_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        if state.round is None or proposal.applicant not in self.orgs:
            return
        state.proposals[proposal.key] = gs.proposal_save(actor=self.managers[proposal.applicant],
                                                         **self._proposal_args(state, proposal, proposal.lines))
        self.counts["grants_proposals"] += 1

    def submit_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        made = state.proposals.get(proposal.key)
        if made is not None:
            state.proposals[proposal.key] = gs.proposal_submit(actor=self.managers[proposal.applicant], proposal=made)

    def return_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        made = state.proposals.get(proposal.key)
        if made is not None:
            state.proposals[proposal.key] = gs.proposal_return(actor=self.staff, proposal=made, note=proposal.returned)

    def mend_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        made = state.proposals.get(proposal.key)
        if made is None:
            return
        manager = self.managers[proposal.applicant]
        mended = gs.proposal_save(actor=manager, proposal=made, **self._proposal_args(state, proposal, proposal.fixed or proposal.lines))
        state.proposals[proposal.key] = gs.proposal_submit(actor=manager, proposal=mended)

    def screen_proposal(self, state: RoundState, proposal: ProposalSpec) -> None:
        made = state.proposals.get(proposal.key)
        if made is None:
            return
        if proposal.infeasible:
            screened = gs.proposal_screen(actor=self.staff, proposal=made, feasible=False, note=proposal.infeasible)
        elif proposal.accepted_price:
            screened = gs.proposal_screen(actor=self.staff, proposal=made, feasible=True, accepted_price=proposal.accepted_price,
                                          note="课堂茶点按每人次1元核定，核减800元。")
        else:
            screened = gs.proposal_screen(actor=self.staff, proposal=made, feasible=True)
        state.proposals[proposal.key] = screened

    def set_rubric(self, state: RoundState) -> None:
        if state.round is not None:
            gs.criteria_set(actor=self.staff, round=self._round(state), criteria=[dict(c) for c in RUBRIC])

    def declare_tie(self, state: RoundState) -> None:
        tied = next((u for u in self.experts if u.first_name == TIED_EXPERT), None)
        if state.round is not None and tied is not None:
            gs.tie_declare(actor=tied, round=self._round(state), organization=self.orgs["agency"], note=TIE_NOTE)

    def assign_reviews(self, state: RoundState, opens: dt.datetime, closes: dt.datetime) -> None:
        if state.round is None or len(self.experts) < 3:
            return
        assignments = gs.reviews_assign(actor=self.staff, round=self._round(state), experts=self.experts)
        bias = {u.pk: self.rng.uniform(-0.07, 0.07) for u in self.experts}
        quality = {state.proposals[p.key].pk: p.quality for p in state.spec.proposals if p.key in state.proposals}
        for a in assignments:
            when = self._between(opens + DAY, closes - dt.timedelta(hours=6))
            self.at(when, self.review, a.pk, quality.get(a.proposal_id, 0.6) + bias[a.reviewer_id])

    def review(self, assignment_id: int, level: float) -> None:
        assignment = Assignment.objects.select_related("reviewer", "proposal__round").get(pk=assignment_id)
        criteria = list(assignment.proposal.round.criteria.order_by("n"))
        scores = {c.pk: max(2, min(c.max_score, round(c.max_score * (level + self.rng.uniform(-0.1, 0.1))))) for c in criteria}
        band = "high" if level >= 0.8 else "mid" if level >= 0.62 else "low"
        gs.review_submit(actor=assignment.reviewer, assignment=assignment, scores=scores, comment=self.rng.choice(COMMENTS[band]))
        self.counts["grants_reviews"] += 1

    @staticmethod
    def _choices(state: RoundState, rng: random.Random) -> list[int]:
        """A ballot: one to three of the feasible proposals, the more appealing more often."""
        pool = [(state.proposals[p.key].pk, p.appeal) for p in state.spec.proposals
                if p.key in state.proposals and not p.infeasible]
        k = min(rng.choice((1, 2, 2, 3, 3, 3)), state.spec.max_choices, len(pool))
        picked: list[int] = []
        while len(picked) < k:
            ids, weights = zip(*[(pid, w) for pid, w in pool if pid not in picked], strict=True)
            picked.append(rng.choices(ids, weights=weights)[0])
        return sorted(picked)

    def vote_online(self, state: RoundState, k: int) -> None:
        online, _paper = self._voters()
        voters = [u for u in online if u.pk != self.users["volunteer"].pk or state.spec is LAST_YEAR]
        if state.round is None or k >= len(voters):
            return
        gs.ballot_cast(actor=voters[k], round=self._round(state), choices=self._choices(state, self.rng))
        self.counts["grants_ballots"] += 1

    def paper_day(self, state: RoundState, day: dt.date) -> None:
        """The pitch-and-vote day at the community party-mass service centre: paper ballots filled in from 9:30 to 11:30,
        keyed by the station worker that afternoon and by the street officer the next morning (this year's: two papers
        still keyed once, one whose keyings differ)."""
        first = _on(day, "15:00")
        second = max(_on(day, "18:30"), min(_on(day + DAY, "09:30"), self.now - dt.timedelta(minutes=40)))
        live = state.spec is THIS_YEAR
        for k in range(state.spec.paper):
            number = f"BJ{state.year}-{k + 1:04d}"
            step = dt.timedelta(minutes=k)
            self.at(first + step, self.key_paper, state, k, number, "first")
            if live and k in (3, 11):
                continue  # keyed once: the second keying is still to come
            self.at(second + step, self.key_paper, state, k, number, "mismatch" if live and k == 7 else "second")

    def key_paper(self, state: RoundState, k: int, number: str, turn: str) -> None:
        if not state.paper_voters:
            _online, paper = self._voters()
            state.paper_voters = self.rng.sample(paper, len(paper))
        if state.round is None or k >= len(state.paper_voters):
            return
        voter = state.paper_voters[k]
        choices = self._choices(state, random.Random(f"{state.year}-{number}"))  # the same paper reads the same to both keyers
        if turn == "mismatch":
            others = [p.pk for p in state.proposals.values() if p.status == "feasible" and p.pk not in choices]
            choices = sorted([*choices[:-1], others[0]]) if others else choices
        keyer = self.staff if turn == "first" else self.keyer
        gs.paper_ballot_key(actor=keyer, round=self._round(state), paper_number=number, voter=voter, choices=choices)
        if turn == "second":
            self.counts["grants_ballots"] += 1

    # -- last year's round after the vote -------------------------------------------------------------------------

    def allocate(self, state: RoundState) -> None:
        if state.round is None:
            return
        results = gs.allocation_run(actor=self.finance, round=self._round(state))
        self.counts["grants_results"] += len(results)
        opens = state.phases[PhaseKind.AGREEMENTS][0]
        funded = [r for r in results if r.funded]
        for n, result in enumerate(funded):
            drafted = opens + dt.timedelta(days=1 + n // 2, hours=1 + n)
            self.at(drafted, self.draft_agreement, result.proposal_id, n)

# --- how the demo runs it -------------------------------------------------------------------------------------------

class _Timeline(Timeline):
    """The charity history's timeline, which hands itself to `before_run` (the grants demo scheduling its events)
    just before it runs, so both histories are written in one order of time."""

    def __init__(self, base: Timeline, before_run: Callable[[Timeline], None]) -> None:
        super().__init__(base.clock, base.now)
        self.events, self.n = base.events, base.n
        self.before_run = before_run

    def run(self) -> None:
        self.before_run(self)
        super().run()


class CharityAndGrantsSeeder(CharitySeeder):
    """The charity history with the micro-venture rounds of the busy street's fund in it."""

    def __init__(self, *, seed: int, names: list[str], password: str) -> None:
        super().__init__(seed=seed, names=names)
        self.grants = GrantsDemo(seed=seed, password=password, counts=self.counts)
        self.timeline = _Timeline(self.timeline, self.grants.schedule)


def grants_totals() -> Counter[str]:
    return Counter({"grants_rounds": GrantRound.objects.count(), "grants_proposals": Proposal.objects.count(),
                    "grants_ballots": Ballot.objects.count(), "grants_results": Result.objects.count(),
                    "grants_agreements": Agreement.objects.exclude(signed_by_fund=None).count(),
                    "grants_paper_keyings": PaperKeying.objects.count()})


def seed_charity_and_grants(*, seed: int, names: list[str], password: str) -> tuple[Counter[str], Counter[str]]:
    """(created, already there) by kind: the charity history (`charity.seed_charity`) with the rounds in it."""
    before = charity_totals() + grants_totals()
    created = CharityAndGrantsSeeder(seed=seed, names=names, password=password).run()
    return created, before


def seed_grants(*, seed: int = data.SEED, password: str, before: Callable[[Timeline], None] | None = None) -> Counter[str]:
    """The rounds alone, in a timeline of their own (for tests: the street's fund must exist by the first event, e.g.
    made by `before`, which gets the timeline first)."""
    counts: Counter[str] = Counter()
    timeline = Timeline(SimulatedClock(), timezone.now() - dt.timedelta(minutes=2))
    if before is not None:
        before(timeline)
    GrantsDemo(seed=seed, password=password, counts=counts).schedule(timeline)
    timeline.run()
    return counts
