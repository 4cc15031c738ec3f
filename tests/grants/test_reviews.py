"""Expert review: the rubric set before review opens, reviewers assigned by load with recusal (works for the
applicant, or a declared tie), one submission per reviewer, what a reviewer sees, and the board's z-scores."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.money import Money
from shanlian.core.scoping import Role
from shanlian.grants import selectors_review as sel
from shanlian.grants.models import Assignment, AssignmentStatus, Criterion, PhaseKind, Proposal, ProposalStatus, ReviewerTie, Score
from shanlian.grants.services import reviews as rs
from shanlian.people import services as people_services
from shanlian.people.selectors import actor_scope

from .. import factories as f
from .conftest import DAY

pytestmark = pytest.mark.django_db

RUBRIC = [
    {"name": "需求与受益人", "weight": "2", "max_score": 10,
     "levels": [{"from": 0, "text": "需求不清"}, {"from": 4, "text": "需求明确"}, {"from": 8, "text": "需求迫切，受益面广"}]},
    {"name": "预算合理性", "weight": "1", "max_score": 5, "levels": [{"from": 0, "text": "不合理"}, {"from": 3, "text": "合理"}]},
]
EVEN = [  # two lines of equal weight, 0..10 each: a review's share is (a + b) / 20
    {"name": "公益性", "weight": "1", "max_score": 10, "levels": [{"from": 0, "text": "弱"}, {"from": 6, "text": "强"}]},
    {"name": "可行性", "weight": "1", "max_score": 10, "levels": [{"from": 0, "text": "弱"}, {"from": 6, "text": "强"}]},
]
STAFF = ("city_admin", "district_admin", "street_officer", "agency_manager", "station_worker", "finance")
NOT_STAFF = ("other_worker", "expert", "volunteer", "donor", "nobody")


def proposal(round, number, applicant, *, by, status=ProposalStatus.FEASIBLE) -> Proposal:
    """A screened proposal, as the proposal services would leave it (written directly: they are built alongside)."""
    return Proposal.objects.create(
        round=round, number=number, applicant=applicant, submitted_by=by, title=f"社区项目{number}", summary="为长者提供助餐与探访",
        beneficiaries="独居长者", beneficiary_count=40, outcomes="每周探访一次", requested=Money("10000"),
        accepted_price=Money("9000") if status == ProposalStatus.FEASIBLE else None, starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 12, 31), status=status, submitted_at=timezone.now())


def proposals(world, r, n: int, applicant=None) -> list[Proposal]:
    org = applicant or world.groups["长者互助队"]
    return [proposal(r, i, org, by=world.managers["长者互助队"]) for i in range(1, n + 1)]


def review_round(world, criteria=RUBRIC, **kw):
    """A round in expert review, its rubric set while screening was still on."""
    r = world.round(PhaseKind.REVIEW, **kw)
    with time_machine.travel(timezone.now() - 10 * DAY, tick=False):
        rs.criteria_set(actor=world.staff, round=r, criteria=criteria)
    return r


def scores(r, *values: int) -> dict[int, int]:
    return dict(zip(Criterion.objects.filter(round=r).order_by("n").values_list("id", flat=True), values, strict=True))


def assignment(p, expert) -> Assignment:
    return Assignment.objects.get(proposal=p, reviewer=expert)


def grant(user, role, target):
    su = get_user_model().objects.get(is_superuser=True)  # made by the factories to grant roles
    return people_services.role_grant(actor=su, scope=actor_scope(su), user=user, role=role, target=target)


def revoke(g) -> None:
    su = get_user_model().objects.get(is_superuser=True)
    people_services.role_revoke(actor=su, scope=actor_scope(su), grant=g)


def codes(exc) -> set[str]:
    return {exc.code, *(c for errs in (exc.fields or {}).values() for c, _m in errs)}


# --- the rubric ----------------------------------------------------------------------------------------------------

def test_staff_set_the_rubric_before_review_and_setting_it_again_replaces_it(world):
    r = world.round(PhaseKind.SCREENING)
    made = rs.criteria_set(actor=world.staff, round=r, criteria=RUBRIC)
    assert [(c.n, c.name, c.weight, c.max_score) for c in made] == [
        (1, "需求与受益人", Decimal("2.00"), 10), (2, "预算合理性", Decimal("1.00"), 5)]
    assert made[0].levels[2] == {"from": 8, "text": "需求迫切，受益面广"}
    made = rs.criteria_set(actor=world.city.users["finance"], round=r, criteria=EVEN[:1])
    assert list(Criterion.objects.filter(round=r).values_list("name", flat=True)) == ["公益性"] == [c.name for c in made]
    assert AuditLog.objects.filter(action="grants.criteria.set").count() == 2
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False), pytest.raises(Conflict) as refused:
        rs.criteria_set(actor=world.staff, round=r, criteria=RUBRIC)
    assert refused.value.code == "review_started"


def _bad(path: str, value) -> list[dict]:
    rubric = [dict(c, levels=[dict(lv) for lv in c["levels"]]) for c in RUBRIC]
    target, key = path.split(".", 1) if "." in path else (path, "")
    item = rubric[int(target)]
    if key.startswith("levels["):
        j, name = key.removeprefix("levels[").split("].")
        item["levels"][int(j)][name] = value
    else:
        item[key] = value
    return rubric


@pytest.mark.parametrize(("criteria", "code"), [
    ([], "criteria_count"), ([dict(RUBRIC[0], name=f"标准{i}") for i in range(13)], "criteria_count"),
    ("需求", "invalid_criteria"), (["需求"], "invalid_criterion"),
    (_bad("0.name", ""), "required"), (_bad("0.name", "长" * 65), "too_long"),
    (_bad("0.weight", "0"), "too_small"), (_bad("0.weight", "-1"), "too_small"),
    (_bad("0.weight", "100.01"), "too_large"), (_bad("0.weight", "1.005"), "too_many_decimals"),
    (_bad("0.weight", 1.5), "invalid_number"), (_bad("0.max_score", 0), "too_small"),
    (_bad("0.max_score", 101), "too_large"), (_bad("0.max_score", "7.5"), "not_whole"),
    (_bad("0.levels", []), "levels_required"), (_bad("0.levels", [{"from": i, "text": "x"} for i in range(21)]), "too_many_levels"),
    (_bad("0.levels[0].from", 1), "levels_start_at_zero"), (_bad("0.levels[2].from", 4), "levels_not_increasing"),
    (_bad("0.levels[2].from", 3), "levels_not_increasing"), (_bad("1.levels[1].from", 6), "level_above_max"),
    (_bad("0.levels[1].text", ""), "required"), (_bad("0.levels[1].text", "长" * 201), "too_long"),
    ([RUBRIC[0], RUBRIC[0]], "duplicate_criterion"),
])
def test_a_rubric_that_does_not_hold_is_refused_and_the_one_before_stays(world, criteria, code):
    r = world.round(PhaseKind.SCREENING)
    rs.criteria_set(actor=world.staff, round=r, criteria=EVEN)
    with pytest.raises(ValidationFailed) as refused:
        rs.criteria_set(actor=world.staff, round=r, criteria=criteria)
    assert code in codes(refused.value)
    assert list(Criterion.objects.filter(round=r).values_list("name", flat=True)) == ["公益性", "可行性"]


def test_every_problem_of_a_rubric_is_reported_at_once(world):
    r = world.round(PhaseKind.SCREENING)
    bad = [dict(RUBRIC[0], name="", weight="0"), dict(RUBRIC[1], max_score=0)]
    with pytest.raises(ValidationFailed) as refused:
        rs.criteria_set(actor=world.staff, round=r, criteria=bad)
    assert {"criteria[0].name", "criteria[0].weight", "criteria[1].max_score"} <= set(refused.value.fields)


@pytest.mark.parametrize("name", [*STAFF, *NOT_STAFF, "manager", None])
def test_only_the_round_staff_set_the_rubric_and_assign(world, name):
    r = world.round(PhaseKind.SCREENING)
    proposals(world, r, 1)
    actor = world.managers["长者互助队"] if name == "manager" else world.city.users.get(name)
    if name not in STAFF:
        with pytest.raises(PermissionDenied):
            rs.criteria_set(actor=actor, round=r, criteria=RUBRIC)
        with time_machine.travel(timezone.now() + 10 * DAY, tick=False), pytest.raises(PermissionDenied):
            rs.reviews_assign(actor=actor, round=r, experts=world.experts)
        assert not Criterion.objects.exists() and not Assignment.objects.exists()
        return
    assert len(rs.criteria_set(actor=actor, round=r, criteria=RUBRIC)) == 2
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        assert len(rs.reviews_assign(actor=actor, round=r, experts=world.experts)) == 3


def test_the_rubric_is_frozen_once_a_score_exists(world):
    r = review_round(world)
    p, = proposals(world, r, 1)
    rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    rs.review_submit(actor=world.experts[0], assignment=assignment(p, world.experts[0]), scores=scores(r, 7, 3))
    with time_machine.travel(timezone.now() - 10 * DAY, tick=False), pytest.raises(Conflict) as refused:
        rs.criteria_set(actor=world.staff, round=r, criteria=EVEN)
    assert refused.value.code == "rubric_in_use"
    assert Criterion.objects.filter(round=r).count() == 2


# --- assignment ----------------------------------------------------------------------------------------------------

def test_reviews_are_spread_evenly_whatever_order_the_experts_come_in(world):
    r = review_round(world)
    ps = proposals(world, r, 6)
    made = rs.reviews_assign(actor=world.staff, round=r, experts=list(reversed(world.experts)))
    assert len(made) == 18 and all(a.status == AssignmentStatus.ASSIGNED for a in made)
    load = Counter(a.reviewer_id for a in made)
    assert sorted(load.values()) == [4, 4, 5, 5]  # 18 reviews over 4 experts: nobody above 5
    for p in ps:
        assert len({a.reviewer_id for a in made if a.proposal_id == p.pk}) == 3
    log = AuditLog.objects.get(action="grants.reviews.assign")
    assert log.after["max_load"] == 5 and sorted(map(tuple, log.after["assigned"])) == sorted((a.proposal_id, a.reviewer_id) for a in made)
    # Again: nothing changes, nothing is added.
    again = rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    assert [a.pk for a in again] == [a.pk for a in made] and Assignment.objects.count() == 18
    assert AuditLog.objects.filter(action="grants.reviews.assign").count() == 2


def test_only_feasible_proposals_are_reviewed(world):
    r = review_round(world)
    proposals(world, r, 2)
    proposal(r, 3, world.groups["长者互助队"], by=world.managers["长者互助队"], status=ProposalStatus.SUBMITTED)
    made = rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    assert {a.proposal.number for a in made} == {1, 2}


def test_who_works_for_the_applicant_is_recused(world, city):
    r = review_round(world)
    by_group = proposal(r, 1, world.groups["长者互助队"], by=world.managers["长者互助队"])
    by_agency = proposal(r, 2, city.orgs["启明"], by=city.users["agency_manager"])
    by_youth = proposal(r, 3, world.groups["青年志愿者协会"], by=world.managers["青年志愿者协会"])
    e = world.experts
    grant(e[0], Role.ORG_MANAGER, world.groups["长者互助队"])  # manages the applicant
    grant(e[1], Role.STATION_WORKER, city.stations["人民街"])  # a station 启明 runs
    old = grant(e[2], Role.ORG_MANAGER, world.groups["青年志愿者协会"])
    revoke(old)  # no longer works there
    made = rs.reviews_assign(actor=world.staff, round=r, experts=e)
    panel = {p.number: {a.reviewer_id for a in made if a.proposal_id == p.pk} for p in (by_group, by_agency, by_youth)}
    assert e[0].pk not in panel[1] and len(panel[1]) == 3
    assert e[1].pk not in panel[2] and len(panel[2]) == 3
    assert e[2].pk in panel[3]
    assert AuditLog.objects.get(action="grants.reviews.assign").after["skipped"] == {"1": [e[0].pk], "2": [e[1].pk]}


def test_a_declared_tie_recuses_now_and_later(world):
    r = review_round(world)
    p1, p2 = proposals(world, r, 2)
    youth = proposal(r, 3, world.groups["青年志愿者协会"], by=world.managers["青年志愿者协会"])
    e = world.experts
    rs.tie_declare(actor=e[3], round=r, organization=world.groups["青年志愿者协会"], note="曾任该协会理事")
    made = rs.reviews_assign(actor=world.staff, round=r, experts=e)
    assert e[3].pk not in {a.reviewer_id for a in made if a.proposal_id == youth.pk}
    # An expert on both of 长者互助队's panels submits one, then declares a tie: the other is recused, the submitted stays.
    x = next(u for u in e if {p1.pk, p2.pk} <= {a.proposal_id for a in made if a.reviewer_id == u.pk})
    rs.review_submit(actor=x, assignment=assignment(p1, x), scores=scores(r, 5, 3))
    tie = rs.tie_declare(actor=x, round=r, organization=world.groups["长者互助队"], note="亲属在该队")
    again = rs.tie_declare(actor=x, round=r, organization=world.groups["长者互助队"], note="另一说明")
    assert again.pk == tie.pk and again.note == "亲属在该队" and ReviewerTie.objects.filter(reviewer=x).count() == 1
    assert assignment(p1, x).status == AssignmentStatus.SUBMITTED
    recused = assignment(p2, x)
    assert recused.status == AssignmentStatus.RECUSED and "亲属在该队" in recused.recusal_reason
    # Topping up replaces the recused reviewer with the one expert not yet on the panel.
    made = rs.reviews_assign(actor=world.staff, round=r, experts=e)
    assert {a.reviewer_id for a in made if a.proposal_id == p2.pk} == {u.pk for u in e} - {x.pk}
    with pytest.raises(PermissionDenied) as refused:
        rs.tie_declare(actor=world.staff, round=r, organization=world.groups["长者互助队"])
    assert refused.value.code == "not_expert"


def test_a_reviewer_found_tied_since_is_replaced_at_the_next_run(world):
    r = review_round(world)
    p, = proposals(world, r, 1)
    e = world.experts
    rs.reviews_assign(actor=world.staff, round=r, experts=e)
    grant(e[0], Role.ORG_MANAGER, world.groups["长者互助队"])
    with pytest.raises(Conflict) as refused:
        rs.review_submit(actor=e[0], assignment=assignment(p, e[0]), scores=scores(r, 5, 3))
    assert refused.value.code == "reviewer_tied"
    made = rs.reviews_assign(actor=world.staff, round=r, experts=e)
    assert {a.reviewer_id for a in made} == {e[1].pk, e[2].pk, e[3].pk}
    assert assignment(p, e[0]).status == AssignmentStatus.RECUSED


def test_not_enough_reviewers_writes_nothing_and_names_the_proposal(world):
    r = review_round(world)
    proposals(world, r, 1)
    proposal(r, 2, world.groups["青年志愿者协会"], by=world.managers["青年志愿者协会"])
    rs.tie_declare(actor=world.experts[0], round=r, organization=world.groups["青年志愿者协会"])
    with pytest.raises(ValidationFailed) as refused:
        rs.reviews_assign(actor=world.staff, round=r, experts=world.experts[:3])
    assert refused.value.code == "not_enough_reviewers"
    assert "No. 2" in refused.value.message_in("en") and "1、" not in refused.value.message_in("en")
    assert not Assignment.objects.exists() and not AuditLog.objects.filter(action="grants.reviews.assign").exists()
    with pytest.raises(ValidationFailed) as refused:
        rs.reviews_assign(actor=world.staff, round=r, experts=[])
    assert refused.value.code == "not_enough_reviewers" and not Assignment.objects.exists()


@pytest.mark.parametrize("who", ["station_worker", "volunteer", "revoked"])
def test_only_experts_may_be_assigned(world, who):
    r = review_round(world)
    proposals(world, r, 1)
    outsider = world.city.users.get(who)
    if who == "revoked":
        outsider = f.user_with_role("former_expert", Role.EXPERT, None)
        revoke(outsider.role_grants.get())
    with pytest.raises(ValidationFailed) as refused:
        rs.reviews_assign(actor=world.staff, round=r, experts=[*world.experts, outsider])
    assert refused.value.code == "not_an_expert"
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(("open_kind", "shift", "code"), [
    (PhaseKind.SCREENING, 0, "screening_not_over"),
    (PhaseKind.PROPOSALS, 0, "screening_not_over"),
    (PhaseKind.REVIEW, 10, "phase_closed"),
    (PhaseKind.VOTE, 0, "phase_closed"),
    ("draft", 0, "round_not_open"),
])
def test_reviewers_are_assigned_after_screening_until_review_closes(world, open_kind, shift, code):
    r = world.round(PhaseKind.REVIEW, open=False) if open_kind == "draft" else world.round(open_kind)
    proposals(world, r, 1)
    with time_machine.travel(timezone.now() + shift * DAY, tick=False), pytest.raises(Conflict) as refused:
        rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    assert refused.value.code == code
    assert not Assignment.objects.exists()


# --- recusal and submission ----------------------------------------------------------------------------------------

def test_a_reviewer_steps_back_with_a_reason_and_is_replaced(world):
    r = review_round(world)
    p, = proposals(world, r, 1)
    e = world.experts
    rs.reviews_assign(actor=world.staff, round=r, experts=e)
    a = assignment(p, e[0])
    with pytest.raises(ValidationFailed) as refused:
        rs.review_recuse(actor=e[0], assignment=a, reason="  ")
    assert refused.value.code == "required"
    for other, code in ((e[1], "not_your_review"), (world.staff, "not_expert"), (None, "login_required")):
        with pytest.raises(PermissionDenied) as refused:
            rs.review_recuse(actor=other, assignment=a, reason="不是我")
        assert refused.value.code == code
    out = rs.review_recuse(actor=e[0], assignment=a, reason="与申报方负责人为同学")
    assert out.status == AssignmentStatus.RECUSED and out.recusal_reason == "与申报方负责人为同学"
    assert rs.review_recuse(actor=e[0], assignment=a, reason="again").recusal_reason == "与申报方负责人为同学"
    with pytest.raises(Conflict) as refused:
        rs.review_submit(actor=e[0], assignment=a, scores=scores(r, 5, 3))
    assert refused.value.code == "review_recused"
    made = rs.reviews_assign(actor=world.staff, round=r, experts=e)
    assert {x.reviewer_id for x in made} == {e[1].pk, e[2].pk, e[3].pk}
    b = assignment(p, e[1])
    rs.review_submit(actor=e[1], assignment=b, scores=scores(r, 5, 3))
    with pytest.raises(Conflict) as refused:
        rs.review_recuse(actor=e[1], assignment=b, reason="晚了")
    assert refused.value.code == "review_submitted"
    c = assignment(p, e[2])
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False), pytest.raises(Conflict) as refused:
        rs.review_recuse(actor=e[2], assignment=c, reason="评审已结束")
    assert refused.value.code == "phase_closed"


def test_a_review_is_submitted_once_by_its_reviewer(world):
    r = review_round(world)
    p, = proposals(world, r, 1)
    e = world.experts
    rs.reviews_assign(actor=world.staff, round=r, experts=e)
    a = assignment(p, e[0])
    others = [(u, "not_expert") for name, u in world.city.users.items() if name != "expert"]
    for other, code in [(e[1], "not_your_review"), (world.managers["长者互助队"], "not_expert"), (None, "login_required"), *others]:
        with pytest.raises(PermissionDenied) as refused:
            rs.review_submit(actor=other, assignment=a, scores=scores(r, 7, 3))
        assert refused.value.code == code
    out = rs.review_submit(actor=e[0], assignment=a, scores={str(k): v for k, v in scores(r, 7, "3").items()}, comment=" 需求清楚 ")
    assert out.status == AssignmentStatus.SUBMITTED and out.submitted_at is not None and out.comment == "需求清楚"
    assert sorted(Score.objects.filter(assignment=a).values_list("value", flat=True)) == [3, 7]
    assert AuditLog.objects.get(action="grants.review.submit").after["scores"] == {str(k): v for k, v in scores(r, 7, 3).items()}
    with pytest.raises(Conflict) as refused:
        rs.review_submit(actor=e[0], assignment=a, scores=scores(r, 9, 5))
    assert refused.value.code == "review_submitted"
    assert sorted(Score.objects.filter(assignment=a).values_list("value", flat=True)) == [3, 7]


@pytest.mark.parametrize(("change", "code"), [
    (lambda ids: {ids[0]: 7}, "scores_incomplete"), (lambda ids: {ids[0]: 7, ids[1]: 3, ids[1] + 999: 1}, "scores_incomplete"),
    (lambda ids: {ids[0]: 7, ids[1]: 3, str(ids[1]): 3}, "scores_incomplete"), (lambda ids: {ids[0]: 7, "x": 3}, "scores_incomplete"),
    (lambda ids: [7, 3], "scores_incomplete"), (lambda ids: {ids[0]: 11, ids[1]: 3}, "score_out_of_rubric"),
    (lambda ids: {ids[0]: 7, ids[1]: 6}, "score_out_of_rubric"), (lambda ids: {ids[0]: -1, ids[1]: 3}, "score_out_of_rubric"),
    (lambda ids: {ids[0]: 7.5, ids[1]: 3}, "score_out_of_rubric"), (lambda ids: {ids[0]: "7.5", ids[1]: 3}, "score_out_of_rubric"),
    (lambda ids: {ids[0]: None, ids[1]: 3}, "score_out_of_rubric"), (lambda ids: {ids[0]: True, ids[1]: 3}, "score_out_of_rubric"),
])
def test_scores_outside_the_rubric_are_refused_and_nothing_is_kept(world, change, code):
    r = review_round(world)
    p, = proposals(world, r, 1)
    rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    a = assignment(p, world.experts[0])
    with pytest.raises(ValidationFailed) as refused:
        rs.review_submit(actor=world.experts[0], assignment=a, scores=change(list(scores(r, 0, 0))))
    assert refused.value.code == code
    a.refresh_from_db()
    assert a.status == AssignmentStatus.ASSIGNED and not Score.objects.exists()


def test_a_long_comment_is_refused_with_the_scores_problems(world):
    r = review_round(world)
    p, = proposals(world, r, 1)
    rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    a = assignment(p, world.experts[0])
    with pytest.raises(ValidationFailed) as refused:
        rs.review_submit(actor=world.experts[0], assignment=a, scores=scores(r, 12, 3), comment="长" * 2001)
    assert {"comment", f"scores.{Criterion.objects.filter(round=r).order_by('n').first().pk}"} <= set(refused.value.fields)
    assert codes(refused.value) >= {"too_long", "score_out_of_rubric"}
    rs.review_submit(actor=world.experts[0], assignment=a, scores=scores(r, 10, 0), comment="长" * 2000)


@pytest.mark.parametrize("days", [-10, 10])
def test_scores_are_given_only_while_review_is_open(world, days):
    r = review_round(world)
    p, = proposals(world, r, 1)
    rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    a = assignment(p, world.experts[0])
    with time_machine.travel(timezone.now() + days * DAY, tick=False), pytest.raises(Conflict) as refused:
        rs.review_submit(actor=world.experts[0], assignment=a, scores=scores(r, 7, 3))
    assert refused.value.code == "phase_closed"
    assert not Score.objects.exists()


def test_no_rubric_no_scores(world):
    r = world.round(PhaseKind.REVIEW)
    p, = proposals(world, r, 1)
    rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    with pytest.raises(Conflict) as refused:
        rs.review_submit(actor=world.experts[0], assignment=assignment(p, world.experts[0]), scores={})
    assert refused.value.code == "no_rubric"


# --- what reviewers see --------------------------------------------------------------------------------------------

def test_an_experts_list_in_one_query(world, django_assert_num_queries):
    r = review_round(world)
    proposals(world, r, 6)
    rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    expert = max(world.experts, key=lambda u: (Assignment.objects.filter(reviewer=u).count(), -u.pk))
    mine = sorted(Assignment.objects.filter(reviewer=expert).values_list("proposal__number", flat=True))
    rs.review_recuse(actor=expert, assignment=Assignment.objects.filter(reviewer=expert).last(), reason="时间冲突")
    with django_assert_num_queries(1):
        items = sel.assignments_for(expert)
    review = r.phases.get(kind=PhaseKind.REVIEW)
    assert len(items) == len(mine) == 5 and {i.due for i in items} == {review.closes_at}
    assert {i.round_title for i in items} == {r.title}
    assert [i.status for i in items] == ["assigned"] * 4 + ["recused"]
    assert items[0].number == mine[0] and items[0].title == f"社区项目{mine[0]}"
    assert sel.assignments_for(world.staff) == []


@pytest.mark.parametrize("blind", [True, False])
def test_a_blind_review_hides_the_applicant(world, blind):
    r = review_round(world, blind_review=blind)
    p, = proposals(world, r, 1)
    rs.reviews_assign(actor=world.staff, round=r, experts=world.experts)
    view = sel.proposal_for_reviewer(world.experts[0], assignment(p, world.experts[0]))
    assert view.title == "社区项目1" and view.accepted_price == Money("9000") and len(view.criteria) == 2
    if blind:
        assert view.blind and view.applicant_id is None and view.applicant_name is None
        assert world.groups["长者互助队"].name not in repr(view)
    else:
        assert view.applicant_name == world.groups["长者互助队"].name


def test_the_other_scores_show_once_ones_own_is_in(world):
    r = review_round(world)
    p, = proposals(world, r, 1)
    e = world.experts
    rs.reviews_assign(actor=world.staff, round=r, experts=e)
    rs.review_submit(actor=e[1], assignment=assignment(p, e[1]), scores=scores(r, 9, 4), comment="很好")
    mine = assignment(p, e[0])
    before = sel.proposal_for_reviewer(e[0], mine)
    assert before.others == [] and before.own_scores == {}
    rs.review_submit(actor=e[0], assignment=mine, scores=scores(r, 7, 3))
    after = sel.proposal_for_reviewer(e[0], mine)
    assert after.own_scores == scores(r, 7, 3)
    assert len(after.others) == 1 and after.others[0].scores == scores(r, 9, 4) and after.others[0].comment == "很好"
    assert after.others[0].share == Decimal("0.8800")  # (2×9 + 1×4) / (2×10 + 1×5) = 22/25
    with pytest.raises(NotFound):
        sel.proposal_for_reviewer(e[3], mine)
    assert AuditLog.objects.filter(action="access.denied", object_type="grants.assignment").count() == 1


# --- the board -----------------------------------------------------------------------------------------------------

def _board_round(world):
    """Three proposals, each reviewed by the same three experts X, Y, Z (shares: X .8 .6 .4; Y .5 .5 .5; Z .9 .3 .6)."""
    r = review_round(world, criteria=EVEN)
    ps = proposals(world, r, 3)
    x, y, z = world.experts[:3]
    rs.reviews_assign(actor=world.staff, round=r, experts=[x, y, z])
    given = {x: [(8, 8), (6, 6), (4, 4)], y: [(5, 5), (5, 5), (5, 5)], z: [(9, 9), (3, 3), (6, 6)]}
    for expert, marks in given.items():
        for p, (a, b) in zip(ps, marks, strict=True):
            rs.review_submit(actor=expert, assignment=assignment(p, expert), scores=scores(r, a, b))
    return r, ps


def test_the_board_normalizes_each_reviewer_by_hand(world):
    r, (p1, p2, p3) = _board_round(world)
    x, y, z = world.experts[:3]
    board = sel.review_board(r)
    # X: mean .6, population std √(.08/3) = .163299 → z = ±.2/.163299 = ±1.2247; Y has no spread → 0;
    # Z: mean .6, std √(.18/3) = .244949 → ±.3/.244949 = ±1.2247.
    rows = {row.number: row for row in board}
    z_of = {n: {rv.reviewer_id: rv.z for rv in rows[n].reviews} for n in rows}
    assert z_of[1] == {x.pk: Decimal("1.2247"), y.pk: Decimal("0.0000"), z.pk: Decimal("1.2247")}
    assert z_of[2] == {x.pk: Decimal("0.0000"), y.pk: Decimal("0.0000"), z.pk: Decimal("-1.2247")}
    assert z_of[3] == {x.pk: Decimal("-1.2247"), y.pk: Decimal("0.0000"), z.pk: Decimal("0.0000")}
    assert {rv.reviewer_id: rv.share for rv in rows[1].reviews} == {x.pk: Decimal("0.8000"), y.pk: Decimal("0.5000"),
                                                                   z.pk: Decimal("0.9000")}
    # Mean z: 2.4495/3 = .8165; −1.2247/3 = −.4082 twice, so the raw mean share breaks the tie (.5 over .4667).
    assert [(row.number, row.rank, row.mean_z, row.mean_share) for row in board] == [
        (1, 1, Decimal("0.8165"), Decimal("0.7333")), (3, 2, Decimal("-0.4082"), Decimal("0.5000")),
        (2, 3, Decimal("-0.4082"), Decimal("0.4667"))]
    assert all((row.submitted, row.assigned) == (3, 3) for row in board)
    assert sel.expert_scores(r) == {p1.pk: Decimal("0.8165"), p2.pk: Decimal("-0.4082"), p3.pk: Decimal("-0.4082")}
    assert board == sel.review_board(r)  # deterministic


def test_the_spread_flag(world, settings):
    r, _ps = _board_round(world)
    # Shares: No. 1 .5–.9 (.4 apart), No. 2 .3–.6 (.3: not more than the flag), No. 3 .4–.6.
    assert {row.number: row.spread for row in sel.review_board(r)} == {1: True, 2: False, 3: False}
    settings.SHANLIAN = {**settings.SHANLIAN, "GRANTS_SPREAD_FLAG": Decimal("0.25")}
    assert {row.number: row.spread for row in sel.review_board(r)} == {1: True, 2: True, 3: False}


def test_the_board_counts_reviews_in_and_ranks_only_scored_proposals(world, django_assert_max_num_queries):
    r = review_round(world)
    p1, p2 = proposals(world, r, 2)
    e = world.experts
    rs.reviews_assign(actor=world.staff, round=r, experts=e)
    first = Assignment.objects.filter(proposal=p1).order_by("id").first()
    rs.review_submit(actor=first.reviewer, assignment=first, scores=scores(r, 7, 3))
    with django_assert_max_num_queries(4):
        board = sel.review_board(r)
    one, two = board
    assert (one.number, one.rank, one.submitted, one.assigned, one.spread) == (1, 1, 1, 3, False)
    assert one.mean_z == Decimal("0.0000") and one.mean_share == Decimal("0.6800")  # a lone review: z = 0; 17/25
    assert (two.number, two.rank, two.submitted, two.mean_z, two.mean_share, two.reviews) == (2, None, 0, None, None, ())
    assert sel.expert_scores(r) == {p1.pk: Decimal("0.0000")}
