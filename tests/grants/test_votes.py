"""The resident vote: ballots cast and changed online while the vote is open, refused when they break the round's
rules; paper ballots keyed twice and counted when two people agree; the live turnout; results hidden until the vote
closes; the round's ballots as the allocation engine's election."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.money import Money
from shanlian.core.scoping import Role
from shanlian.grants import pabulib
from shanlian.grants import selectors_vote as sv
from shanlian.grants.allocation import allocate
from shanlian.grants.models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    GrantRound,
    PaperKeying,
    PaperStatus,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Result,
)
from shanlian.grants.pabulib import Election
from shanlian.grants.services import votes
from shanlian.grants.services.votes import ballot_cast, paper_ballot_key
from shanlian.people.models import Person

from .. import factories as f
from .conftest import DAY

pytestmark = pytest.mark.django_db


# --- data ------------------------------------------------------------------------------------------------------------

def proposal(world, r: GrantRound, price: str = "10000", *, status: str = ProposalStatus.FEASIBLE,
             group: str = "长者互助队") -> Proposal:
    """A proposal as screening leaves it (made directly: the proposal services are not what is tested here)."""
    n = Proposal.objects.filter(round=r).count() + 1
    feasible = status in (ProposalStatus.FEASIBLE, ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED)
    return Proposal.objects.create(
        round=r, number=n, applicant=world.groups[group], submitted_by=world.managers[group], title=f"微创投项目{n}",
        summary="为社区长者提供服务", beneficiaries="社区长者", beneficiary_count=40, outcomes="服务400人次",
        requested=Money(price), accepted_price=Money(price) if feasible else None, starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 12, 31), status=status, screening_note="" if feasible else "预算不合理",
        submitted_at=timezone.now(), screened_at=timezone.now())


def person_of(user) -> Person:
    return Person.objects.get(user=user)


@pytest.fixture
def vote(world):
    """A round with its vote open now (budget ¥40,000) and four feasible proposals: ¥20,000, ¥15,000, ¥12,000, ¥8,000."""
    r = world.round(PhaseKind.VOTE, budget="40000")
    ps = [proposal(world, r, price) for price in ("20000", "15000", "12000", "8000")]
    return SimpleNamespace(round=r, p=ps, ids=[p.pk for p in ps], residents=world.residents, staff=world.staff,
                           world=world, city=world.city)


def after_close():
    return time_machine.travel(timezone.now() + 6 * DAY, tick=False)


def choices_of(ballot) -> dict[int, int]:
    return dict(BallotChoice.objects.filter(ballot=ballot).values_list("proposal_id", "points"))


def code_of(exc) -> set[str]:
    return {exc.value.code, *(c for errs in (exc.value.fields or {}).values() for c, _m in errs)}


# --- casting online --------------------------------------------------------------------------------------------------

def test_a_resident_casts_an_approval_ballot(vote):
    resident = vote.residents[0]
    ballot = ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[2], vote.ids[0]])
    assert ballot.channel == BallotChannel.ONLINE and ballot.voter == person_of(resident)
    assert ballot.community_id == person_of(resident).division_id and ballot.cast_at == ballot.changed_at
    assert choices_of(ballot) == {vote.ids[0]: 1, vote.ids[2]: 1}
    mine = sv.ballot_of(resident, vote.round)
    assert mine.ballot == ballot and mine.choices == {vote.ids[0]: 1, vote.ids[2]: 1}
    assert mine.may_vote and mine.may_change and mine.refusal == ""
    row = AuditLog.objects.get(action="grants.ballot.cast", object_id=str(ballot.pk))
    assert row.actor_id == resident.pk and row.after["choices"] == 2
    # the log says how many, not which: ballots are secret
    assert set(row.after) == {"points", "channel", "choices", "paper_number"} and row.after["points"] == 2


def test_casting_again_replaces_the_choices_until_the_vote_closes(vote):
    resident = vote.residents[1]
    first = ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[0], vote.ids[1]])
    with time_machine.travel(timezone.now() + DAY, tick=False):
        second = ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[3]])
    assert second.pk == first.pk and Ballot.objects.filter(round=vote.round).count() == 1
    assert second.cast_at == first.cast_at and second.changed_at > first.changed_at
    assert choices_of(second) == {vote.ids[3]: 1}
    assert AuditLog.objects.filter(action="grants.ballot.change", object_id=str(first.pk)).count() == 1
    # The same choices again change nothing: a retried request is not an error.
    third = ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[3]])
    assert third.changed_at == second.changed_at
    assert AuditLog.objects.filter(action="grants.ballot.change", object_id=str(first.pk)).count() == 1
    with after_close():
        with pytest.raises(Conflict) as closed:
            ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[0]])
        assert closed.value.code == "phase_closed"
        assert not sv.ballot_of(resident, vote.round).may_change
    assert choices_of(first) == {vote.ids[3]: 1}


def test_no_ballots_before_the_vote_opens(world):
    r = world.round(PhaseKind.REVIEW)
    p = proposal(world, r)
    with pytest.raises(Conflict) as refused:
        ballot_cast(actor=world.residents[0], round=r, choices=[p.pk])
    assert refused.value.code == "phase_closed"
    assert sv.ballot_of(world.residents[0], r).refusal == "phase_closed"
    assert not Ballot.objects.exists()


@pytest.mark.parametrize(("pick", "code"), [
    (lambda ids, other: [], "ballot_too_few"),
    (lambda ids, other: [ids[0], ids[1], ids[2]], "ballot_too_many"),
    (lambda ids, other: [ids[0], ids[0]], "ballot_duplicate"),
    (lambda ids, other: [ids[0], other["infeasible"]], "proposal_not_on_ballot"),
    (lambda ids, other: [other["elsewhere"]], "proposal_not_on_ballot"),
    (lambda ids, other: [10**9], "proposal_not_on_ballot"),
    (lambda ids, other: [str(ids[0])], "invalid_choices"),
    (lambda ids, other: [True], "invalid_choices"),
    (lambda ids, other: [float(ids[0])], "invalid_choices"),
    (lambda ids, other: [0], "invalid_choices"),
    (lambda ids, other: [2**63], "invalid_choices"),
    (lambda ids, other: [[ids[0]]], "invalid_choices"),
    (lambda ids, other: str(ids[0]), "invalid_choices"),
    (lambda ids, other: {ids[0]: 1}, "invalid_choices"),
    (lambda ids, other: None, "invalid_choices"),
    (lambda ids, other: list(range(1, 52)), "ballot_too_many"),
    (lambda ids, other: ["x"] * 10**6, "ballot_too_many"),  # bounded before anything is looked at
])
def test_ballots_that_break_the_rules_are_refused_and_nothing_is_saved(world, pick, code):
    r = world.round(PhaseKind.VOTE, min_choices=1, max_choices=2)
    ids = [proposal(world, r, price).pk for price in ("20000", "15000", "12000")]
    other = {"infeasible": proposal(world, r, status=ProposalStatus.INFEASIBLE).pk,
             "elsewhere": proposal(world, world.round(PhaseKind.VOTE, open=False)).pk}
    resident = world.residents[0]
    kept = ballot_cast(actor=resident, round=r, choices=[ids[1]])
    with pytest.raises(ValidationFailed) as refused:
        ballot_cast(actor=resident, round=r, choices=pick(ids, other))
    assert code in code_of(refused)
    assert Ballot.objects.count() == 1 and choices_of(kept) == {ids[1]: 1}
    # A first ballot refused leaves nothing at all.
    with pytest.raises(ValidationFailed):
        ballot_cast(actor=world.residents[1], round=r, choices=pick(ids, other))
    assert Ballot.objects.count() == 1 and BallotChoice.objects.count() == 1


def test_at_least_so_many_projects(world):
    r = world.round(PhaseKind.VOTE, min_choices=2, max_choices=3)
    ids = [proposal(world, r, price).pk for price in ("20000", "15000", "12000")]
    with pytest.raises(ValidationFailed) as refused:
        ballot_cast(actor=world.residents[0], round=r, choices=[ids[0]])
    assert refused.value.code == "ballot_too_few"
    assert choices_of(ballot_cast(actor=world.residents[0], round=r, choices=ids)) == dict.fromkeys(ids, 1)


def test_a_knapsack_ballot_costs_at_most_the_budget(world):
    r = world.round(PhaseKind.VOTE, budget="40000", knapsack=True)
    ids = [proposal(world, r, price).pk for price in ("20000", "15000", "12000")]
    with pytest.raises(ValidationFailed) as refused:
        ballot_cast(actor=world.residents[0], round=r, choices=ids)  # ¥47,000
    assert refused.value.code == "ballot_over_budget" and not Ballot.objects.exists()
    assert ballot_cast(actor=world.residents[0], round=r, choices=ids[1:])  # ¥27,000
    assert ballot_cast(actor=world.residents[1], round=r, choices=ids[:2])  # ¥35,000


def test_a_cumulative_ballot_shares_the_round_s_points(world):
    r = world.round(PhaseKind.VOTE, ballot_kind="cumulative", points=10, max_choices=3, rule="combined", expert_weight="0.5")
    ids = [proposal(world, r, price).pk for price in ("20000", "15000", "12000")]
    ballot = ballot_cast(actor=world.residents[0], round=r, choices={ids[0]: 7, ids[2]: 3})
    assert choices_of(ballot) == {ids[0]: 7, ids[2]: 3}
    assert sv.ballot_of(world.residents[0], r).choices == {ids[0]: 7, ids[2]: 3}
    for bad, code in [({ids[0]: 8, ids[1]: 3}, "ballot_points"), ({ids[0]: 0}, "ballot_points"),
                      ({ids[0]: True}, "ballot_points"), ({ids[0]: "5"}, "ballot_points"), ({ids[0]: 2.5}, "ballot_points"),
                      ({}, "ballot_too_few"), ([ids[0]], "invalid_choices"), ({str(ids[0]): 5}, "invalid_choices")]:
        with pytest.raises(ValidationFailed) as refused:
            ballot_cast(actor=world.residents[0], round=r, choices=bad)
        assert refused.value.code == code, bad
    assert choices_of(ballot) == {ids[0]: 7, ids[2]: 3}


def test_only_residents_of_the_area_vote(vote):
    city = vote.city
    with pytest.raises(PermissionDenied) as refused:
        ballot_cast(actor=city.users["expert"], round=vote.round, choices=[vote.ids[0]])  # a login without a person
    assert refused.value.code == "not_a_resident"
    assert sv.ballot_of(city.users["expert"], vote.round).refusal == "not_a_resident"
    outsider = f.user_with_role("outsider", Role.DONOR, None, person_in=city.communities["东兴"], name="东兴居民")
    with pytest.raises(PermissionDenied) as refused:
        ballot_cast(actor=outsider, round=vote.round, choices=[vote.ids[0]])
    assert refused.value.code == "not_in_area"
    assert not sv.ballot_of(outsider, vote.round).may_vote
    with pytest.raises(PermissionDenied) as refused:
        ballot_cast(actor=AnonymousUser(), round=vote.round, choices=[vote.ids[0]])
    assert refused.value.code == "login_required"
    # A resident living in the area with a volunteer's login votes like anyone else.
    assert ballot_cast(actor=city.users["volunteer"], round=vote.round, choices=[vote.ids[0]])
    assert Ballot.objects.count() == 1


def test_two_casts_at_once_make_one_ballot(vote, monkeypatch):
    """The second of two simultaneous casts finds no ballot (as if the first had not committed yet), then the unique
    constraint refuses its insert: it changes the ballot the first made instead."""
    resident = vote.residents[2]
    first = ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[0]])
    monkeypatch.setattr(votes, "_existing_ballot", lambda round, voter: None)
    second = ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[1]])
    assert second.pk == first.pk and Ballot.objects.count() == 1 and choices_of(first) == {vote.ids[1]: 1}


def test_a_failure_half_way_leaves_nothing(vote, monkeypatch):
    def broken(**kw):
        raise RuntimeError("audit down")

    monkeypatch.setattr(votes, "audit_log", broken)
    with pytest.raises(RuntimeError):
        ballot_cast(actor=vote.residents[0], round=vote.round, choices=[vote.ids[0], vote.ids[1]])
    with pytest.raises(RuntimeError):
        paper_ballot_key(actor=vote.staff, round=vote.round, paper_number="P-1", voter=vote.city.people["李伟"],
                         choices=[vote.ids[0]])
    assert not Ballot.objects.exists() and not BallotChoice.objects.exists() and not PaperKeying.objects.exists()


# --- paper ballots ---------------------------------------------------------------------------------------------------

def key(vote, who: str, number: str, voter, choices):
    return paper_ballot_key(actor=vote.city.users[who], round=vote.round, paper_number=number, voter=voter, choices=choices)


def test_a_paper_ballot_keyed_alike_by_two_people_counts(vote):
    voter = person_of(vote.residents[3])
    first = key(vote, "station_worker", "A-001", voter, [vote.ids[1], vote.ids[0]])
    assert first.status == PaperStatus.PENDING and first.choices == [[vote.ids[0], 1], [vote.ids[1], 1]]
    assert not Ballot.objects.exists()
    second = key(vote, "street_officer", "ａ-００１", voter, [vote.ids[0], vote.ids[1]])  # full-width, lower case
    assert second.paper_number == "A-001" and second.status == PaperStatus.COUNTED
    ballot = Ballot.objects.get()
    assert ballot.channel == BallotChannel.PAPER and ballot.paper_number == "A-001" and ballot.voter == voter
    assert choices_of(ballot) == {vote.ids[0]: 1, vote.ids[1]: 1}
    first.refresh_from_db()
    assert first.status == PaperStatus.COUNTED and first.ballot == ballot and second.ballot == ballot
    marks = AuditLog.objects.filter(action="grants.paper.mark")
    assert sorted(m.after["keying"] for m in marks) == sorted([first.pk, second.pk])
    assert AuditLog.objects.filter(action="grants.ballot.cast", object_id=str(ballot.pk)).exists()
    # The voter cannot change a paper ballot online, and the paper takes no more keyings.
    with pytest.raises(Conflict) as refused:
        ballot_cast(actor=vote.residents[3], round=vote.round, choices=[vote.ids[2]])
    assert refused.value.code == "ballot_on_paper"
    assert sv.ballot_of(vote.residents[3], vote.round).refusal == "ballot_on_paper"
    with pytest.raises(Conflict) as refused:
        key(vote, "agency_manager", "A-001", voter, [vote.ids[0], vote.ids[1]])
    assert refused.value.code == "paper_counted"
    assert choices_of(ballot) == {vote.ids[0]: 1, vote.ids[1]: 1} and PaperKeying.objects.count() == 2


def test_keyings_that_differ_wait_for_a_third_that_agrees(vote):
    li, chen = vote.city.people["李伟"], vote.city.people["陈秀英"]
    first = key(vote, "station_worker", "B-7", li, [vote.ids[0], vote.ids[2]])
    second = key(vote, "street_officer", "B-7", li, [vote.ids[0], vote.ids[3]])  # a slip of the pen
    first.refresh_from_db()
    assert first.status == second.status == PaperStatus.MISMATCH and not Ballot.objects.exists()
    third = key(vote, "finance", "B-7", chen, [vote.ids[0], vote.ids[2]])  # another voter: still no agreement
    assert third.status == PaperStatus.MISMATCH and not Ballot.objects.exists()
    fourth = key(vote, "agency_manager", "B-7", li, [vote.ids[2], vote.ids[0]])
    assert fourth.status == PaperStatus.COUNTED
    statuses = dict(PaperKeying.objects.values_list("pk", "status"))
    assert statuses == {first.pk: PaperStatus.COUNTED, second.pk: PaperStatus.MISMATCH, third.pk: PaperStatus.MISMATCH,
                        fourth.pk: PaperStatus.COUNTED}
    ballot = Ballot.objects.get()
    assert ballot.voter == li and choices_of(ballot) == {vote.ids[0]: 1, vote.ids[2]: 1}


def test_each_person_keys_a_paper_once(vote):
    li = vote.city.people["李伟"]
    key(vote, "station_worker", "C-1", li, [vote.ids[0]])
    for choices in ([vote.ids[0]], [vote.ids[1]]):
        with pytest.raises(Conflict) as refused:
            key(vote, "station_worker", "c-1", li, choices)
        assert refused.value.code == "second_keying_same_person"
    assert PaperKeying.objects.get().status == PaperStatus.PENDING and not Ballot.objects.exists()


def test_a_paper_ballot_of_someone_who_voted_online_is_not_counted(vote):
    """The first ballot stands: a second keying that would count the paper is refused, the first stays pending."""
    resident = vote.residents[4]
    voter = person_of(resident)
    key(vote, "station_worker", "D-1", voter, [vote.ids[2]])
    online = ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[0]])
    with pytest.raises(Conflict) as refused:
        key(vote, "street_officer", "D-1", voter, [vote.ids[2]])
    assert refused.value.code == "already_voted"
    assert Ballot.objects.get() == online and choices_of(online) == {vote.ids[0]: 1}
    assert PaperKeying.objects.get().status == PaperStatus.PENDING
    # Keying a paper for someone already on the roll of ballots is refused at once.
    with pytest.raises(Conflict) as refused:
        key(vote, "station_worker", "D-2", voter, [vote.ids[1]])
    assert refused.value.code == "already_voted" and PaperKeying.objects.count() == 1


def test_paper_ballots_are_counted_after_the_vote_until_the_results(vote):
    li = vote.city.people["李伟"]
    key(vote, "station_worker", "E-1", li, [vote.ids[1]])
    with after_close():
        assert key(vote, "street_officer", "E-1", li, [vote.ids[1]]).status == PaperStatus.COUNTED
        Result.objects.create(round=vote.round, proposal=vote.p[0], rank=1, votes=1, funded=False, reason_code="no_approvals",
                              decided_at=timezone.now())
        with pytest.raises(Conflict) as refused:
            key(vote, "station_worker", "E-2", vote.city.people["陈秀英"], [vote.ids[1]])
        assert refused.value.code == "results_made"
    assert Ballot.objects.count() == 1 and PaperKeying.objects.count() == 2


def test_no_paper_ballots_before_the_vote(world):
    r = world.round(PhaseKind.REVIEW)
    p = proposal(world, r)
    with pytest.raises(Conflict) as refused:
        paper_ballot_key(actor=world.staff, round=r, paper_number="1", voter=world.city.people["李伟"], choices=[p.pk])
    assert refused.value.code == "phase_closed" and not PaperKeying.objects.exists()


def test_a_paper_ballot_passes_the_online_checks(vote):
    outsider = vote.city.people["张建国"]
    cases = [
        ("F-1", outsider, [vote.ids[0]], PermissionDenied, "not_in_area"),
        ("F-1", vote.city.people["王芳"], [vote.ids[0]], PermissionDenied, "not_in_area"),  # 人民街, beside the area
        ("F-1", vote.city.people["李伟"], [], ValidationFailed, "ballot_too_few"),
        ("F-1", vote.city.people["李伟"], [vote.ids[0], vote.ids[0]], ValidationFailed, "ballot_duplicate"),
        ("F-1", vote.city.people["李伟"], [10**9], ValidationFailed, "proposal_not_on_ballot"),
        ("F" * 21, vote.city.people["李伟"], [vote.ids[0]], ValidationFailed, "too_long"),
        ("  ", vote.city.people["李伟"], [vote.ids[0]], ValidationFailed, "required"),
        ("F\x00", vote.city.people["李伟"], [vote.ids[0]], ValidationFailed, "nul_character"),
    ]
    for number, voter, choices, error, code in cases:
        with pytest.raises(error) as refused:
            key(vote, "station_worker", number, voter, choices)
        assert code in code_of(refused), (number, code)
    assert not PaperKeying.objects.exists()
    assert key(vote, "station_worker", "F" * 20, vote.city.people["李伟"], [vote.ids[0]]).paper_number == "F" * 20


@pytest.mark.parametrize("name", ["other_worker", "expert", "volunteer", "donor", "nobody"])
def test_only_the_round_s_staff_key_paper_ballots(vote, name):
    with pytest.raises(PermissionDenied) as refused:
        key(vote, name, "G-1", vote.city.people["李伟"], [vote.ids[0]])
    assert refused.value.code == "not_round_staff"
    with pytest.raises(PermissionDenied):
        paper_ballot_key(actor=vote.world.managers["长者互助队"], round=vote.round, paper_number="G-1",
                         voter=vote.city.people["李伟"], choices=[vote.ids[0]])
    assert not PaperKeying.objects.exists()


def test_the_round_s_staff_key_paper_ballots(vote):
    voters = [vote.city.people["李伟"], vote.city.people["陈秀英"], person_of(vote.residents[5])]
    for n, name in enumerate(["station_worker", "agency_manager", "street_officer", "district_admin", "city_admin", "finance"]):
        keying = key(vote, name, f"H-{n // 2}", voters[n // 2], [vote.ids[n % 4]] if n % 2 == 0 else [vote.ids[(n - 1) % 4]])
        assert keying.status == (PaperStatus.PENDING if n % 2 == 0 else PaperStatus.COUNTED)
    assert Ballot.objects.filter(channel=BallotChannel.PAPER).count() == 3


# --- turnout and results ---------------------------------------------------------------------------------------------

def test_turnout_counts_ballots_of_the_residents_live(vote, django_assert_max_num_queries):
    city = vote.city
    f.user_with_role("outsider", Role.DONOR, None, person_in=city.communities["东兴"], name="东兴居民")  # not eligible
    empty = sv.turnout(vote.round)
    # 盐运西: 陈秀英, the volunteer, residents 0, 2, 4; 都府: 李伟, residents 1, 3, 5.
    assert (empty.ballots, empty.eligible, empty.share) == (0, 9, Decimal("0"))
    for resident in vote.residents[:3]:
        ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[0]])
    key(vote, "station_worker", "T-1", city.people["李伟"], [vote.ids[1]])
    key(vote, "street_officer", "T-1", city.people["李伟"], [vote.ids[1]])
    key(vote, "station_worker", "T-2", city.people["陈秀英"], [vote.ids[1]])  # keyed once: not yet counted
    r = GrantRound.objects.get(pk=vote.round.pk)
    with django_assert_max_num_queries(3):  # the area, the eligible by community, the ballots by community
        seen = sv.turnout(r)
    assert (seen.ballots, seen.online, seen.paper, seen.eligible) == (4, 3, 1, 9)
    assert seen.share == Decimal("0.4444")
    by_name = {c.name: (c.ballots, c.online, c.paper, c.eligible, c.share) for c in seen.communities}
    assert by_name == {"盐运西社区": (2, 2, 0, 5, Decimal("0.4")), "都府社区": (2, 1, 1, 4, Decimal("0.5"))}
    assert [c.name for c in seen.communities] == ["盐运西社区", "都府社区"]
    for resident in vote.residents[3:]:
        ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[0]])
    with django_assert_max_num_queries(3):  # the same queries, however many voted
        assert sv.turnout(r).ballots == 7


def test_results_are_hidden_until_the_vote_closes(vote):
    for resident, picks in zip(vote.residents, [[0, 1], [0], [0, 2], [1], [0, 1]], strict=False):
        ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[i] for i in picks])
    for read in (sv.tally, sv.election_of):
        with pytest.raises(Conflict) as hidden:
            read(vote.round)
        assert hidden.value.code == "results_hidden"
    assert sv.turnout(vote.round).ballots == 5  # the turnout is not hidden
    with after_close():
        rows = sv.tally(vote.round)
    assert [(row.proposal_id, row.supporters, row.points, row.votes) for row in rows] == [
        (vote.ids[0], 4, 4, 4), (vote.ids[1], 3, 3, 3), (vote.ids[2], 1, 1, 1), (vote.ids[3], 0, 0, 0)]
    assert [row.number for row in rows] == [1, 2, 3, 4]


def test_a_cumulative_tally_adds_the_points(world):
    r = world.round(PhaseKind.VOTE, ballot_kind="cumulative", points=5, max_choices=3, rule="combined", expert_weight="0.5")
    ids = [proposal(world, r, price).pk for price in ("20000", "15000")]
    ballot_cast(actor=world.residents[0], round=r, choices={ids[0]: 5})
    ballot_cast(actor=world.residents[1], round=r, choices={ids[0]: 1, ids[1]: 4})
    with after_close():
        rows = sv.tally(r)
        election = sv.election_of(r)
    assert [(row.supporters, row.points, row.votes) for row in rows] == [(2, 6, 6), (1, 4, 4)]
    assert election.vote_type == "cumulative" and election.meta["max_sum_points"] == "5"
    assert [(v.projects, v.points) for v in election.votes] == [
        ((str(ids[0]),), (Fraction(5),)), ((str(ids[0]), str(ids[1])), (Fraction(1), Fraction(4)))]
    assert pabulib.loads(pabulib.dumps(election)).votes == election.votes


def test_the_election_is_the_round_s_ballots(vote, django_assert_max_num_queries):
    """Four proposals (¥20,000, ¥15,000, ¥12,000, ¥8,000), a budget of ¥40,000, and these ballots, by hand."""
    a, b, c, d = (str(pid) for pid in vote.ids)
    ballots = [[a, b, c], [a, b], [a, c], [a, b, d], [d]]
    for resident, ballot in zip(vote.residents, ballots, strict=False):
        ballot_cast(actor=resident, round=vote.round, choices=[int(pid) for pid in reversed(ballot)])
    key(vote, "station_worker", "P-1", vote.city.people["李伟"], [vote.ids[0]])  # one keying: not a ballot yet
    proposal(vote.world, vote.round, status=ProposalStatus.INFEASIBLE)  # never on the ballot
    by_hand = Election.approval(budget=40000, costs={a: 20000, b: 15000, c: 12000, d: 8000}, ballots=ballots)
    r = GrantRound.objects.get(pk=vote.round.pk)
    with after_close(), django_assert_max_num_queries(4):  # phases, proposals, choices, the area's name
        election = sv.election_of(r)
    assert election.budget == by_hand.budget == Fraction(40000) and election.is_approval
    assert {pid: p.cost for pid, p in election.projects.items()} == {pid: p.cost for pid, p in by_hand.projects.items()}
    assert [(v.voter_id, v.projects) for v in election.votes] == [(v.voter_id, v.projects) for v in by_hand.votes]
    assert election.votes[0].projects is election.votes[0].projects and election.meta["num_votes"] == "5"
    # Greedy by votes: a (4 approvals, ¥20,000 left), b (3, ¥5,000 left); c and d no longer fit.
    assert allocate(election, "greedy").winners == [a, b]
    for rule in ("greedy", "mes", "mes-add1-greedy"):
        assert allocate(election, rule).winners == allocate(by_hand, rule).winners
    assert pabulib.loads(pabulib.dumps(election)).votes == election.votes


def test_identical_ballots_share_their_projects(vote):
    for resident in vote.residents:
        ballot_cast(actor=resident, round=vote.round, choices=[vote.ids[0], vote.ids[1]])
    with after_close():
        election = sv.election_of(vote.round)
    assert len(election.votes) == 6 and len({id(v.projects) for v in election.votes}) == 1
