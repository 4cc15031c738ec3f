"""The yearly project design contest (项目设计大赛) is a round like any other, run by the same services: proposals,
screening, the rubric and expert review, the allocation and its public results; it has no resident vote, so the
experts' score alone decides (the combined rule at weight 1), and its winners enter the project registry."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.grants import services as gs
from shanlian.grants.models import (
    Assignment,
    Criterion,
    GrantRound,
    PhaseKind,
    ProjectOrigin,
    ProposalStatus,
    RoundKind,
    Rule,
    ServiceProject,
)
from shanlian.grants.phases import phase_of
from shanlian.grants.selectors_results import results_public
from shanlian.grants.services.agreements import agreement_draft, agreement_sign

from .conftest import DAY, phases_around
from .test_reviews import EVEN
from .test_staff_pages import _round_post

pytestmark = pytest.mark.django_db


def contest_phases(now: dt.datetime) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    phases = phases_around(now, PhaseKind.PROPOSALS)
    del phases[PhaseKind.VOTE]
    return phases


def during(round: GrantRound, kind: str):
    phase = phase_of(round, kind)
    return time_machine.travel(phase.opens_at + (phase.closes_at - phase.opens_at) / 2, tick=False)


def propose(world, round, group: str, title: str, price: str):
    manager = world.managers[group]
    p = gs.proposal_save(
        actor=manager, round=round, applicant=world.groups[group], title=title, summary=f"{title}：方案设计",
        beneficiaries="北京街长者", beneficiary_count=50, outcomes="服务长者50人", starts_on="2026-09-01", ends_on="2027-06-30",
        lines=[{"category": "activities", "item": "活动物资", "quantity": "1", "unit": "批", "unit_price": price}],
        milestones=[{"title": "完成需求调研", "due_on": "2026-10-31"}, {"title": "完成全部服务", "due_on": "2027-06-15"}])
    return gs.proposal_submit(actor=manager, proposal=p)


def test_a_contest_is_made_by_round_create_without_a_vote_and_decided_by_the_experts(world):
    contest = gs.contest_create(actor=world.admin, fund=world.fund, title="2026年北京街公益项目设计大赛", year=2026, budget="30000",
                                phases=contest_phases(dt.datetime.now(dt.UTC)))
    assert (contest.kind, contest.rule, contest.expert_weight) == (RoundKind.DESIGN_CONTEST, Rule.COMBINED, 1)
    assert phase_of(contest, PhaseKind.VOTE) is None and contest.status == "draft"
    with pytest.raises(ValidationFailed) as refused:
        gs.contest_create(actor=world.admin, fund=world.fund, title="带投票的大赛", year=2026, budget="30000",
                          phases=phases_around(dt.datetime.now(dt.UTC), PhaseKind.PROPOSALS))
    assert refused.value.code == "contest_has_no_vote"
    with pytest.raises(ValidationFailed) as refused:
        gs.contest_create(actor=world.admin, fund=world.fund, title="按票数的大赛", year=2026, budget="30000", rule="greedy",
                          phases=contest_phases(dt.datetime.now(dt.UTC)))
    assert refused.value.code == "contest_fixed"
    with pytest.raises(PermissionDenied):  # round_create's own rule: only the fund's round admins
        gs.contest_create(actor=world.staff, fund=world.fund, title="社工站的大赛", year=2026, budget="30000",
                          phases=contest_phases(dt.datetime.now(dt.UTC)))
    # Without a vote, round_create itself insists on the experts alone: the combined rule at weight 1.
    with pytest.raises(ValidationFailed) as refused:
        gs.round_create(actor=world.admin, fund=world.fund, title="无投票的微创投", year=2026, budget="30000", rule="combined",
                        expert_weight="0.6", phases=contest_phases(dt.datetime.now(dt.UTC)))
    assert refused.value.code == "vote_required"
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database keeps a contest to the experts' score
        GrantRound.objects.filter(pk=contest.pk).update(expert_weight="0.5")


def test_the_contest_runs_through_the_rounds_machinery_and_its_winners_join_the_registry(world):
    contest = gs.contest_create(actor=world.admin, fund=world.fund, title="2026年北京街公益项目设计大赛", year=2026, budget="30000",
                                phases=contest_phases(dt.datetime.now(dt.UTC)))
    contest = gs.round_open(actor=world.admin, round=contest)
    best = propose(world, contest, "长者互助队", "长者防跌倒设计", "12000")
    good = propose(world, contest, "青年志愿者协会", "青年陪伴长者", "10000")
    weak = propose(world, contest, "长者互助队", "长者合唱团", "15000")
    with during(contest, PhaseKind.SCREENING):
        gs.criteria_set(actor=world.staff, round=contest, criteria=EVEN)
        for p in (best, good, weak):
            gs.proposal_screen(actor=world.staff, proposal=p, feasible=True)
    with pytest.raises(Conflict) as refused:  # no resident votes in a contest, ever
        gs.ballot_cast(actor=world.residents[0], round=contest, choices=[best.pk])
    assert refused.value.code == "phase_missing"
    criteria = list(Criterion.objects.filter(round=contest).order_by("n"))
    marks = {best.pk: (9, 9), good.pk: (7, 6), weak.pk: (4, 3)}
    with during(contest, PhaseKind.REVIEW):
        assigned = gs.reviews_assign(actor=world.staff, round=contest, experts=world.experts)
        assert len(assigned) == 9
        for a in Assignment.objects.filter(proposal__round=contest).select_related("reviewer", "proposal"):
            gs.review_submit(actor=a.reviewer, assignment=a, scores=dict(zip([c.pk for c in criteria], marks[a.proposal_id], strict=True)))
    with during(contest, PhaseKind.ALLOCATION):
        results = gs.allocation_run(actor=world.admin, round=contest)
    assert [(r.proposal_id, r.funded, r.reason_code, r.votes) for r in results] == [
        (best.pk, True, "combined_funded", 0), (good.pk, True, "combined_funded", 0), (weak.pk, False, "combined_does_not_fit", 0)]
    table = results_public(contest)
    assert [row.title for row in table.rows if row.funded] == ["长者防跌倒设计", "青年陪伴长者"]
    assert table.awarded.amount == 22000 and "100.00" in table.rows[0].reason  # all of it the experts'

    with pytest.raises(PermissionDenied):
        gs.contest_winners_register(actor=world.city.users["other_worker"], round=contest)
    winners = gs.contest_winners_register(actor=world.staff, round=contest)
    assert [(w.proposal, w.origin, w.lead, w.fund, w.agreement) for w in winners] == [
        (best, ProjectOrigin.CONTEST, world.groups["长者互助队"], world.fund, None),
        (good, ProjectOrigin.CONTEST, world.groups["青年志愿者协会"], world.fund, None)]
    assert [w.pk for w in gs.contest_winners_register(actor=world.staff, round=contest)] == [w.pk for w in winners]  # again: same
    assert ServiceProject.objects.count() == 2
    best.refresh_from_db()
    assert best.status == ProposalStatus.FUNDED

    # A winner that signs an agreement keeps its registry entry, which gains the agreement.
    with during(contest, PhaseKind.AGREEMENTS):
        a = agreement_draft(actor=world.staff, proposal=best, tranches=[{"percent": 50}, {"percent": 50, "milestone": 2}])
        agreement_sign(actor=world.managers["长者互助队"], agreement=a)
        a = agreement_sign(actor=world.admin, agreement=a)
    assert a.service_project.pk == winners[0].pk and a.service_project.origin == ProjectOrigin.CONTEST
    assert ServiceProject.objects.count() == 2


def test_only_a_contest_registers_winners_so(world):
    r = world.round(PhaseKind.ALLOCATION)
    with pytest.raises(Conflict) as refused:
        gs.contest_winners_register(actor=world.staff, round=r)
    assert refused.value.code == "not_a_contest"
    contest = gs.contest_create(actor=world.admin, fund=world.fund, title="大赛", year=2026, budget="30000",
                                phases=contest_phases(dt.datetime.now(dt.UTC) - 30 * DAY))
    with pytest.raises(Conflict) as refused:
        gs.contest_winners_register(actor=world.staff, round=contest)
    assert refused.value.code == "no_results"


def test_staff_set_up_a_contest_and_register_its_winners_on_the_pages(world, client):
    """The new-round form makes a contest (refused with a vote), and the allocation tab registers its winners."""
    client.force_login(world.admin)
    with_vote = client.post(reverse("grants:staff_round_create"), _round_post(world, kind="contest", title="带投票的大赛"))
    assert with_vote.status_code == 400 and 'data-error-code="contest_has_no_vote"' in with_vote.content.decode()
    made = client.post(reverse("grants:staff_round_create"), _round_post(world, kind="contest", has_vote="",
                                                                       title="2027年北京街公益项目设计大赛"))
    contest = GrantRound.objects.get(title="2027年北京街公益项目设计大赛")
    assert made.status_code == 302 and contest.kind == RoundKind.DESIGN_CONTEST and contest.rule == Rule.COMBINED
    assert 'data-testid="contest"' in client.get(made["Location"]).content.decode()

    ran = gs.contest_create(actor=world.admin, fund=world.fund, title="2026年北京街公益项目设计大赛", year=2026, budget="30000",
                            phases=contest_phases(dt.datetime.now(dt.UTC)))
    ran = gs.round_open(actor=world.admin, round=ran)
    best = propose(world, ran, "长者互助队", "长者防跌倒设计", "12000")
    with during(ran, PhaseKind.SCREENING):
        gs.criteria_set(actor=world.staff, round=ran, criteria=EVEN)
        gs.proposal_screen(actor=world.staff, proposal=best, feasible=True)
    criteria = [c.pk for c in Criterion.objects.filter(round=ran).order_by("n")]
    with during(ran, PhaseKind.REVIEW):
        for a in gs.reviews_assign(actor=world.staff, round=ran, experts=world.experts):
            gs.review_submit(actor=a.reviewer, assignment=a, scores=dict.fromkeys(criteria, 8))
    url = reverse("grants:staff_contest_register", args=[ran.pk])
    client.force_login(world.staff)
    early = client.post(url)
    assert early.status_code == 409 and 'data-error-code="no_results"' in early.content.decode()
    with during(ran, PhaseKind.ALLOCATION):
        gs.allocation_run(actor=world.admin, round=ran)
        client.force_login(world.staff)  # signed in again: the session would have lapsed by now
        page = client.get(reverse("grants:staff_round_allocation", args=[ran.pk])).content.decode()
        assert 'data-testid="contest-register"' in page
        assert client.post(url).status_code == 302
        assert client.post(url).status_code == 302  # again: the same project, nothing new
    assert list(ServiceProject.objects.filter(origin=ProjectOrigin.CONTEST).values_list("title", flat=True)) == ["长者防跌倒设计"]
    client.force_login(world.city.users["other_worker"])
    assert client.post(url).status_code == 404
