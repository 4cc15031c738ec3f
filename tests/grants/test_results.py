"""The allocation of a round and its public results: each rule on small rounds whose winners and reasons are worked
out by hand, the budget never exceeded, the reservation shrunk to the awards, overrides with a reason, the phase
rule and who may do it.

The vote and the expert scores come from the other grants selectors; here the service's two seams
(`results._election`, `results._expert_scores`) are fed from rows these tests write themselves."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.money import Money
from shanlian.grants import allocation
from shanlian.grants import services as gs
from shanlian.grants.exports_public import results_table
from shanlian.grants.models import PhaseKind, Proposal, ProposalStatus, Result, Rule
from shanlian.grants.pabulib import Election
from shanlian.grants.selectors_results import results_public
from shanlian.grants.services import results as rs
from shanlian.grants.services.agreements import agreement_draft, agreement_sign
from shanlian.ledger.models import HoldStatus

from .conftest import DAY, election_from_rows, hold_of, phases_around, proposal, vote

pytestmark = pytest.mark.django_db

BUDGET = "40000"
OUTSIDERS = ("station_worker", "street_officer", "agency_manager", "expert", "volunteer", "donor", "nobody", "other_worker")


def gs_run(world, r):
    return rs.allocation_run(actor=world.admin, round=r)


def available(fund) -> Decimal:
    fund.account.refresh_from_db()
    return fund.account.balance - fund.account.held


def held(round) -> Decimal:
    hold = hold_of(round)
    return hold.amount if hold is not None and hold.status == HoldStatus.PENDING else Decimal(0)


def outcome(round):
    return {r.proposal.number: (r.funded, r.reason_code) for r in Result.objects.filter(round=round).select_related("proposal")}


# --- greedy -----------------------------------------------------------------------------------------------------------

@pytest.fixture
def greedy(world, scores):
    """Budget ¥40,000. By votes: 1 (¥20,000, 4 votes) fits, leaving 20,000; 2 (¥15,000, 3) fits, leaving 5,000;
    3 (¥10,000, 2) does not fit; 4 (¥4,000, nobody voted) still fits. Awards ¥39,000."""
    r = world.round(PhaseKind.ALLOCATION, budget=BUDGET, rule=Rule.GREEDY)
    p = {n: proposal(world, r, n, cost) for n, cost in [(1, "20000"), (2, "15000"), (3, "10000"), (4, "4000")]}
    for chosen in [(1, 2), (1, 2), (1, 3), (1, 2, 3)]:
        vote(world, r, *(p[n] for n in chosen))
    proposal(world, r, 5, "5000", status=ProposalStatus.INFEASIBLE)  # screened out: no result
    return r, p


def test_greedy_funds_by_votes_what_fits_and_shrinks_the_reservation(world, greedy):
    r, p = greedy
    before = available(world.fund)
    results = gs_run(world, r)
    assert [(x.rank, x.proposal.number, x.votes, x.funded, x.amount) for x in results] == [
        (1, 1, 4, True, Money("20000")), (2, 2, 3, True, Money("15000")), (3, 4, 0, True, Money("4000")),
        (4, 3, 2, False, Money(0))]
    third = next(x for x in results if x.proposal.number == 3)
    assert third.reason_code == "does_not_fit"
    assert third.reason_params == {"remaining": "5000.00", "cost": "10000.00", "approvals": "2"}
    assert results[0].reason_code == "greedy_funded" and results[0].reason_params == {"approvals": "4"}
    assert sum(x.amount.amount for x in results) == Decimal("39000") <= r.budget.amount
    # The reservation is the awards; the ¥1,000 left goes back to the fund's available money.
    assert held(r) == Decimal("39000.00") and available(world.fund) == before + 1000
    statuses = dict(Proposal.objects.filter(round=r).values_list("number", "status"))
    assert statuses == {1: "funded", 2: "funded", 3: "not_funded", 4: "funded", 5: "infeasible"}
    assert AuditLog.objects.filter(action="grants.allocation.run").count() == 1


def test_running_again_returns_the_results_unchanged(world, greedy):
    r, p = greedy
    first = gs_run(world, r)
    hold = held(r)
    vote(world, r, p[3])  # too late to count: the results stand
    again = gs_run(world, r)
    assert [(x.pk, x.funded, x.reason_code) for x in again] == [(x.pk, x.funded, x.reason_code) for x in first]
    assert held(r) == hold and AuditLog.objects.filter(action="grants.allocation.run").count() == 1


# --- the Method of Equal Shares ---------------------------------------------------------------------------------------

@pytest.fixture
def shares(world, scores):
    """Budget ¥40,000 and 4 voters: each holds ¥10,000. A (¥20,000) by voters 1-3, B (¥20,000) by 3 and 4,
    C (¥10,000) by 4, D (¥5,000) by nobody."""
    def make(rule):
        r = world.round(PhaseKind.ALLOCATION, budget=BUDGET, rule=rule)
        a, b, c, d = (proposal(world, r, n, cost) for n, cost in [(1, "20000"), (2, "20000"), (3, "10000"), (4, "5000")])
        for chosen in [(a,), (a,), (a, b), (b, c)]:
            vote(world, r, *chosen)
        return r
    return make


def test_equal_shares_by_hand(world, shares):
    # Round 1: A costs its 3 supporters 20000/3 = 6666.67 each (1/3 of a yuan per yuan of A), B its 2 supporters
    # 10000 each (1/2), C its one 10000 (1): A. Its supporters keep 10000/3 = 3333.33 each.
    # Round 2: B's supporters hold 3333.33 + 10000 < 20000: out. C: 10000 from voter 4: C.
    # Then B's supporters hold 3333.33 + 0 of its 20000. D: nobody voted. Awards ¥30,000.
    r = shares(Rule.MES)
    before = available(world.fund)
    results = {x.proposal.number: x for x in gs_run(world, r)}
    assert outcome(r) == {1: (True, "mes_funded"), 3: (True, "mes_funded"), 2: (False, "supporters_out_of_budget"),
                          4: (False, "no_approvals")}
    assert results[1].reason_params == {"round": "1", "supporters": "3", "payment": "6666.67", "paid_all": "0"}
    assert results[3].reason_params == {"round": "2", "supporters": "1", "payment": "10000.00", "paid_all": "0"}
    assert results[2].reason_params == {"available": "3333.33", "cost": "20000.00", "approvals": "2"}
    assert [results[n].rank for n in (1, 3, 2, 4)] == [1, 2, 3, 4]  # the winners in the order chosen, then by votes
    assert held(r) == Decimal("30000.00") and available(world.fund) == before + 10000
    with translation.override("en"):
        shown = {row.number: row.reason for row in results_public(r).rows}
    assert shown[1] == "funded in round 1 of Equal Shares: 3 supporters paid up to ¥6666.67 each"
    assert shown[2] == "its supporters had only ¥3333.33 left of the ¥20000.00 it costs"


def test_equal_shares_completed_is_the_engines_outcome(world, shares):
    r = shares(Rule.MES_ADD1_GREEDY)
    results = gs_run(world, r)
    numbers = {str(x.proposal.pk): x.proposal.number for x in results}
    expected = allocation.allocate(election_from_rows(r), "mes-add1-greedy")
    assert [x.proposal.number for x in results if x.funded] == [numbers[pid] for pid in expected.winners]
    assert sum(x.amount.amount for x in results) <= r.budget.amount
    assert {x.proposal.number: x.reason_code for x in results} == {
        numbers[pid]: reason.code for pid, reason in expected.reasons.items()}


# --- the combined score -----------------------------------------------------------------------------------------------

def test_combined_score_by_hand(world, scores):
    # Weight 1/2. Experts (z): 1.0, -1.0, 0.5, 0.0 → rescaled over [-1, 1]: 1, 0, 0.75, 0.5.
    # Votes: 1, 4, 2, 0 of at most 4 → 0.25, 1, 0.5, 0.
    # Scores: 0.625, 0.5, 0.625, 0.25: 1 and 3 tie (1 first, the smaller number), then 2, then 4.
    # Budget 40000: 1 (15000) → 25000 left; 3 (10000) → 15000; 2 (20000) does not fit; 4 (10000) → 5000 left.
    r = world.round(PhaseKind.ALLOCATION, budget=BUDGET, rule=Rule.COMBINED, expert_weight="0.5")
    p = {n: proposal(world, r, n, cost) for n, cost in [(1, "15000"), (2, "20000"), (3, "10000"), (4, "10000")]}
    for chosen in [(1, 2, 3), (2, 3), (2,), (2,)]:
        vote(world, r, *(p[n] for n in chosen))
    scores.update({p[1].pk: Decimal("1.0"), p[2].pk: Decimal("-1.0"), p[3].pk: Decimal("0.5"), p[4].pk: Decimal("0")})
    results = {x.proposal.number: x for x in gs_run(world, r)}
    assert [results[n].rank for n in (1, 3, 4, 2)] == [1, 2, 3, 4]
    assert {n: x.funded for n, x in results.items()} == {1: True, 2: False, 3: True, 4: True}
    assert results[1].reason_code == "combined_funded"
    assert results[1].reason_params == {"score": "62.50", "expert": "100.00", "votes": "25.00", "approvals": "1"}
    assert results[2].reason_code == "combined_does_not_fit"
    assert results[2].reason_params == {"score": "50.00", "expert": "0.00", "votes": "100.00", "approvals": "4",
                                        "remaining": "15000.00", "cost": "20000.00"}
    assert results[2].votes == 4 and results[2].expert_score == Decimal("-1.0000")
    assert held(r) == Decimal("35000.00")
    with translation.override("en"):
        row = next(x for x in results_public(r).rows if x.number == 2)
    assert row.reason == ("combined score 50.00 out of 100 (experts 0.00, votes 100.00), but it did not fit the "
                          "remaining ¥15000.00 (it costs ¥20000.00)")


def test_without_a_vote_the_experts_decide_and_equal_scores_all_count_in_full(world, scores):
    dates = {k: v for k, v in phases_around(timezone.now(), PhaseKind.ALLOCATION).items() if k != PhaseKind.VOTE}
    r = world.round(PhaseKind.ALLOCATION, phases=dates, budget=BUDGET, rule=Rule.COMBINED, expert_weight="1")
    p = {n: proposal(world, r, n, cost) for n, cost in [(1, "20000"), (2, "20000"), (3, "20000"), (4, "5000")]}
    scores.update({p[n].pk: Decimal("0.3") for n in (1, 2, 3)})  # 4 has no expert score: it counts as the lowest
    results = {x.proposal.number: x for x in gs_run(world, r)}
    assert {n: x.funded for n, x in results.items()} == {1: True, 2: True, 3: False, 4: False}
    assert results[1].reason_params["score"] == "100.00" and results[4].reason_params["score"] == "0.00"
    assert results[4].expert_score is None and results[4].reason_params["remaining"] == "0.00"


def test_the_combined_rule_needs_expert_scores(world, scores):
    r = world.round(PhaseKind.ALLOCATION, budget=BUDGET, rule=Rule.COMBINED, expert_weight="0.4")
    proposal(world, r, 1, "10000")
    with pytest.raises(Conflict) as refused:
        gs_run(world, r)
    assert refused.value.code == "expert_scores_missing"
    assert not Result.objects.exists()


# --- never over budget ------------------------------------------------------------------------------------------------

def test_an_outcome_over_budget_is_refused_and_nothing_is_written(world, greedy, monkeypatch):
    r, p = greedy
    decide = rs.results_for

    def everything(*args, **kw):
        return [rs.Outcome(o.proposal, o.votes, o.expert, True, "greedy_funded", {"approvals": "0"}) for o in decide(*args, **kw)]

    monkeypatch.setattr(rs, "results_for", everything)  # 49,000 of awards in a 40,000 round
    with pytest.raises(Conflict) as refused:
        gs_run(world, r)
    assert refused.value.code == "allocation_over_budget"
    assert not Result.objects.exists() and held(r) == Decimal("40000.00")
    assert set(Proposal.objects.filter(round=r, number__lt=5).values_list("status", flat=True)) == {"feasible"}


def test_the_vote_must_name_every_feasible_proposal(world, greedy, monkeypatch):
    r, p = greedy
    monkeypatch.setattr(rs, "_election", lambda round: Election({"budget": "1", "vote_type": "approval"}, {}, []))
    with pytest.raises(Conflict) as refused:
        gs_run(world, r)
    assert refused.value.code == "election_mismatch"


# --- overrides --------------------------------------------------------------------------------------------------------

def test_override_both_ways_with_a_reason_within_the_budget(world, greedy):
    r, p = greedy
    gs_run(world, r)
    before = available(world.fund)
    result = {x.proposal.number: x for x in Result.objects.filter(round=r).select_related("proposal")}
    with pytest.raises(ValidationFailed) as refused:
        rs.result_override(actor=world.admin, result=result[3], funded=True, reason="  ")
    assert refused.value.code == "required"
    with pytest.raises(ValidationFailed) as refused:
        rs.result_override(actor=world.admin, result=result[3], funded=True, reason="长" * 301)
    assert refused.value.code == "too_long"
    with pytest.raises(Conflict) as refused:  # 39,000 + 10,000 > 40,000
        rs.result_override(actor=world.admin, result=result[3], funded=True, reason="居民呼声高")
    assert refused.value.code == "allocation_over_budget"
    with pytest.raises(Conflict) as refused:
        rs.result_override(actor=world.admin, result=result[1], funded=True, reason="已资助")
    assert refused.value.code == "override_same"

    dropped = rs.result_override(actor=world.admin, result=result[2], funded=False, reason="申请方放弃项目")
    assert (dropped.funded, dropped.amount, dropped.overridden, dropped.overridden_by) == (False, Money(0), True, world.admin)
    assert held(r) == Decimal("24000.00") and available(world.fund) == before + 15000
    raised = rs.result_override(actor=world.admin, result=result[3], funded=True, reason="递补：下一位未获资助项目")
    assert (raised.funded, raised.amount, raised.override_reason) == (True, Money("10000"), "递补：下一位未获资助项目")
    assert held(r) == Decimal("34000.00") and available(world.fund) == before + 5000
    statuses = dict(Proposal.objects.filter(round=r, number__lt=5).values_list("number", "status"))
    assert statuses == {1: "funded", 2: "not_funded", 3: "funded", 4: "funded"}
    assert AuditLog.objects.filter(action="grants.result.override").count() == 2

    with translation.override("en"):
        table = results_public(r)
    assert (table.awarded, table.budget, table.left) == (Money("34000"), Money("40000"), Money("6000"))
    row = next(x for x in table.rows if x.number == 2)
    assert row.overridden and row.override_reason == "申请方放弃项目" and not row.funded and row.amount == Money(0)
    assert row.reason == "funded by votes: 3 approvals, and it fit the remaining budget"  # the rule's reason, beside it


def test_override_during_agreements_not_after(world, greedy):
    r, p = greedy
    gs_run(world, r)
    first = Result.objects.get(round=r, proposal=p[1])
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):  # agreements
        assert not rs.result_override(actor=world.admin, result=first, funded=False, reason="未能签约").funded
    with time_machine.travel(timezone.now() + 20 * DAY, tick=False), pytest.raises(Conflict) as refused:  # execution
        rs.result_override(actor=world.admin, result=first, funded=True, reason="恢复资助")
    assert refused.value.code == "phase_closed"


def test_a_signed_award_stays_and_the_reservation_moves_by_the_change(world, greedy):
    r, p = greedy
    gs_run(world, r)
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):  # agreements
        deal = agreement_draft(actor=world.staff, proposal=p[1], tranches=[{"percent": 100}])
        deal = agreement_sign(actor=world.managers["长者互助队"], agreement=deal)
        agreement_sign(actor=world.admin, agreement=deal)
        assert held(r) == Decimal("19000.00")  # 39,000 awarded, 20,000 of it now the project's
        result = {x.proposal.number: x for x in Result.objects.filter(round=r)}
        with pytest.raises(Conflict) as refused:
            rs.result_override(actor=world.admin, result=result[1], funded=False, reason="项目未启动")
        assert refused.value.code == "agreement_exists"
        rs.result_override(actor=world.admin, result=result[2], funded=False, reason="申请方放弃项目")
        assert held(r) == Decimal("4000.00")
        rs.result_override(actor=world.admin, result=result[3], funded=True, reason="递补")
        assert held(r) == Decimal("14000.00")
    assert results_public(r).awarded == Money("34000")


# --- the phase rule and who may ---------------------------------------------------------------------------------------

def test_the_allocation_runs_only_in_its_phase_after_the_vote(world, scores):
    r = world.round(PhaseKind.VOTE, budget=BUDGET, rule=Rule.GREEDY)
    proposal(world, r, 1, "10000")
    with pytest.raises(Conflict) as refused:
        gs_run(world, r)
    assert refused.value.code == "phase_closed"
    # The vote kept open into the allocation phase: the allocation waits for it.
    allocation_phase = r.phases.get(kind=PhaseKind.ALLOCATION)
    gs.phase_extend(actor=world.staff, round=r, kind=PhaseKind.VOTE, closes_at=allocation_phase.opens_at + 2 * DAY,
                    reason="投票延长两天")
    with time_machine.travel(allocation_phase.opens_at + DAY, tick=False):
        with pytest.raises(Conflict) as refused:
            gs_run(world, r)
        assert refused.value.code == "vote_open"
    with time_machine.travel(allocation_phase.closes_at + DAY, tick=False):  # agreements: too late
        with pytest.raises(Conflict) as refused:
            gs_run(world, r)
        assert refused.value.code == "phase_closed"
    with time_machine.travel(allocation_phase.opens_at + 3 * DAY, tick=False):
        assert [x.funded for x in gs_run(world, r)] == [True]


def test_only_the_round_admin_runs_and_overrides(world, greedy):
    r, p = greedy
    for name in OUTSIDERS:
        with pytest.raises(PermissionDenied):
            rs.allocation_run(actor=world.city.users[name], round=r)
    for manager in world.managers.values():
        with pytest.raises(PermissionDenied):
            rs.allocation_run(actor=manager, round=r)
    assert not Result.objects.exists()
    rs.allocation_run(actor=world.city.users["district_admin"], round=r)  # the area's administrators may
    result = Result.objects.get(round=r, proposal=p[3])
    for name in OUTSIDERS:
        with pytest.raises(PermissionDenied):
            rs.result_override(actor=world.city.users[name], result=result, funded=True, reason="想资助")
    result.refresh_from_db()
    assert not result.funded and not result.overridden


# --- the public results -----------------------------------------------------------------------------------------------

def test_results_are_hidden_until_the_allocation_has_run(world, greedy):
    r, p = greedy
    with pytest.raises(Conflict) as refused:
        results_public(r)
    assert refused.value.code == "results_hidden"


def test_the_public_results_read_result_rows_in_one_query(world, greedy, django_assert_num_queries):
    r, p = greedy
    gs_run(world, r)
    with django_assert_num_queries(1), translation.override("en"):
        table = results_public(r)
    assert [(x.rank, x.number, x.funded, x.amount, x.cost) for x in table.rows] == [
        (1, 1, True, Money("20000"), Money("20000")), (2, 2, True, Money("15000"), Money("15000")),
        (3, 4, True, Money("4000"), Money("4000")), (4, 3, False, Money(0), Money("10000"))]
    assert table.rows[0].applicant == "广州市越秀区北京街长者互助服务队" and table.rows[0].title == "项目01"
    assert table.rows[3].reason == "did not fit the remaining ¥5000.00 (it costs ¥10000.00)"
    assert (table.awarded, table.left) == (Money("39000"), Money("1000"))


def test_the_results_table_names_the_paying_fund(world, greedy):
    r, p = greedy
    gs_run(world, r)
    with translation.override("en"):
        title, header, rows = results_table(results_public(r))
    assert header[:3] == ["Rank", "Proposal number", "Project"] and header[8] == "Paid from" and len(rows) == 4
    assert rows[0][4:9] == [4, Money("20000"), "yes", Money("20000"), "北京街社区慈善基金"]
    assert rows[3][5:9] == [Money("10000"), "no", Money(0), ""]


def test_a_reason_with_an_unknown_code_shows_the_code():
    from shanlian.grants.selectors_results import reason_text

    assert reason_text("nope", {}) == "nope"
    with translation.override("en"):
        assert reason_text("no_approvals", {"approvals": "0"}) == "nobody voted for it"
