"""Grade assessment, one test per rule: eligibility from the records, the call's dates, marks on each leaf's scale,
evidence where required, balanced conflict-free expert assignment, the committee's limits, the notice and its
objections, the award written to the organization."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.scoping import Role
from shanlian.evaluation import services as es
from shanlian.evaluation.models import Assessment, AssessmentStatus, Evidence, Indicator, Objection, RaterKind, Rating, Reviewer
from shanlian.evaluation.services import assessments as sa
from shanlian.evaluation.services import decisions as sd
from shanlian.evaluation.services import reviews as sr
from shanlian.orgs.services import standing_record
from shanlian.people.selectors import actor_scope
from shanlian.people.services_experts import expert_tie_declare
from tests import factories as f

from .conftest import save
from .grading import evidence, grading, marks, passed_inspection, reviewed, submitted


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def g(city):
    return grading(city)


# --- eligibility and the call --------------------------------------------------------------------------------------

def _record(g, **kw):
    standing_record(actor=g.admin, scope=actor_scope(g.admin), organization=g.org, **kw)


@pytest.mark.parametrize("problem, words", [
    (lambda g: _record(g, kind="abnormal", on=dt.date(2026, 3, 2)), "2026-03-02"),
    (lambda g: _record(g, kind="penalty", on=dt.date(2025, 8, 9), note="未按规定年检"), "2025-08-09"),
    (lambda g: _record(g, kind="inspection", on=dt.date(2026, 5, 20), year=2025, result="failed"), "2025"),
])
def test_an_ineligible_organization_is_refused_with_its_reasons_and_nothing_is_saved(g, problem, words):
    problem(g)
    with pytest.raises(Conflict) as refused:
        sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org)
    assert refused.value.code == "not_eligible" and words in str(refused.value.message)
    assert not Assessment.objects.exists()


def test_a_young_organization_and_one_without_an_inspection_are_not_eligible(city, g):
    young = f.organization("广州市天河区新芽社会工作服务中心", district=city.districts["天河"], registered_on=dt.date(2025, 3, 1))
    manager = f.user_with_role("xinya", Role.ORG_MANAGER, young)
    with pytest.raises(Conflict) as refused:
        sa.assessment_apply(actor=manager, call=g.call, organization=young)
    assert "2025-03-01" in str(refused.value.message) and "2025" in str(refused.value.message)


def test_an_abnormal_listing_removed_no_longer_bars(g):
    _record(g, kind="abnormal", on=dt.date(2025, 3, 2))
    _record(g, kind="abnormal", on=dt.date(2025, 3, 2), ended_on=dt.date(2025, 9, 1))
    assert sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org).status == AssessmentStatus.SELF


def test_applying_is_refused_outside_the_call_s_dates_and_for_another_organization(city, g):
    with time_machine.travel(timezone.now() + dt.timedelta(days=30), tick=False), pytest.raises(Conflict) as refused:
        sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org)
    assert refused.value.code == "call_not_open"
    with pytest.raises(PermissionDenied):
        sa.assessment_apply(actor=city.users["agency_manager"], call=g.call, organization=g.org)
    first = sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org)
    assert sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org).pk == first.pk  # again: the same one


def test_a_call_needs_a_published_framework_and_sane_dates(city, g):
    today = timezone.localdate()
    with pytest.raises(Conflict) as refused:
        sa.call_create(actor=g.admin, region=g.region, year=2025, title="2025年评估", opens_on=today,
                       closes_on=today, review_until=today)
    assert refused.value.code == "no_framework"
    with pytest.raises(ValidationFailed) as refused:
        sa.call_create(actor=g.admin, region=g.region, year=2026, title="", opens_on=today,
                       closes_on=today - dt.timedelta(days=1), review_until=today, notice_days=3)
    assert {"title", "closes_on", "notice_days"} <= set(refused.value.fields)
    with pytest.raises(PermissionDenied):
        sa.call_create(actor=city.users["street_officer"], region=g.region, year=2026, title="x", opens_on=today,
                       closes_on=today, review_until=today)


# --- the self-assessment -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mark, code", [
    ({"level": 5}, "level_out_of_scale"),
    ({"level": "x"}, "level_out_of_scale"),
    ({"points": "30.5"}, "points_out_of_scale"),
    ({"points": "-1"}, "points_out_of_scale"),
    ({"points": "1.005"}, "points_out_of_scale"),
    ({"points": "NaN"}, "points_out_of_scale"),
    ({"answer": "maybe"}, "answer_required"),
])
def test_a_mark_outside_its_scale_is_refused_and_nothing_is_saved(g, mark, code):
    a = sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org)
    by_scoring = {"level": "levels", "points": "points", "answer": "yes_no"}[next(iter(mark))]
    leaf = next(leaf for leaf in g.leaves() if leaf.scoring == by_scoring and leaf.kind == "normal")
    good = next(x for x in g.leaves() if x.scoring == "points" and x.kind == "normal" and x.pk != leaf.pk)
    with pytest.raises(ValidationFailed) as refused:
        sa.self_rate(actor=g.manager, assessment=a, marks={good.pk: {"points": "1"}, leaf.pk: mark})
    assert refused.value.code == code and leaf.code in str(refused.value.message)
    assert not Rating.objects.exists()


def test_submitting_needs_every_mark_and_the_evidence_the_framework_requires(g):
    a = sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org)
    all_marks = marks(g)
    first = next(iter(all_marks))
    sa.self_rate(actor=g.manager, assessment=a, marks={first: all_marks[first]})
    with pytest.raises(ValidationFailed) as refused:
        sa.assessment_submit(actor=g.manager, assessment=a)
    assert refused.value.code == "marks_incomplete"
    sa.self_rate(actor=g.manager, assessment=a, marks=all_marks)
    with pytest.raises(ValidationFailed) as refused:
        sa.assessment_submit(actor=g.manager, assessment=a)
    assert refused.value.code == "evidence_missing" and "1.1" in str(refused.value.message)
    leaf = next(leaf for leaf in g.leaves() if leaf.evidence_required)
    with pytest.raises(ValidationFailed) as refused:
        sa.evidence_add(actor=g.manager, assessment=a, indicator=leaf, upload=evidence("病毒.exe"))
    assert refused.value.code == "attachment_type" and not Evidence.objects.exists()
    sa.evidence_add(actor=g.manager, assessment=a, indicator=leaf, upload=evidence())
    done = sa.assessment_submit(actor=g.manager, assessment=a)
    assert done.status == AssessmentStatus.SUBMITTED and done.self_total == Decimal("97.75")
    with pytest.raises(Conflict) as refused:
        sa.self_rate(actor=g.manager, assessment=a, marks=all_marks)
    assert refused.value.code == "self_assessment_over"


def test_only_the_organization_s_managers_assess_it(city, g):
    a = sa.assessment_apply(actor=g.manager, call=g.call, organization=g.org)
    for name in ("agency_manager", "city_admin", "expert"):
        with pytest.raises(PermissionDenied):
            sa.self_rate(actor=city.users[name], assessment=a, marks=marks(g))
    assert not Rating.objects.exists()


# --- experts -------------------------------------------------------------------------------------------------------

def test_experts_are_assigned_evenly_and_never_one_tied_to_the_organization(city, g):
    expert_tie_declare(actor=g.experts[0], user=g.experts[0], organization=g.org, kind="board", note="曾任理事")
    a = submitted(g)
    made = sr.reviewers_assign(actor=g.admin, call=g.call, experts=g.experts)
    assert {r.user_id for r in made} == {g.experts[1].pk, g.experts[2].pk}
    a.refresh_from_db()
    assert a.status == AssessmentStatus.REVIEW
    # Topping up: nothing more once covered; a tie declared since recuses at the next run, the third is out of people.
    assert [r.pk for r in sr.reviewers_assign(actor=g.admin, call=g.call, experts=g.experts)] == [r.pk for r in made]
    expert_tie_declare(actor=g.admin, user=g.experts[1], organization=g.org, kind="family")
    with pytest.raises(ValidationFailed) as refused:
        sr.reviewers_assign(actor=g.admin, call=g.call, experts=g.experts)
    assert refused.value.code == "not_enough_reviewers" and g.org.name in str(refused.value.message)
    assert Reviewer.objects.get(user=g.experts[1]).status == "assigned"  # all or nothing
    more = f.user_with_role("expert9", Role.EXPERT, None, name="苏敏")
    again = sr.reviewers_assign(actor=g.admin, call=g.call, experts=[*g.experts, more])
    assert {r.user_id for r in again} == {g.experts[2].pk, more.pk}
    assert Reviewer.objects.get(user=g.experts[1]).status == "recused"


def test_a_tie_that_ended_long_ago_no_longer_bars(g):
    expert_tie_declare(actor=g.experts[0], user=g.experts[0], organization=g.org, kind="employee",
                       ended_on=dt.date(2019, 6, 30))
    submitted(g)
    sr.reviewers_assign(actor=g.admin, call=g.call, experts=g.experts[:2])
    assert Reviewer.objects.filter(user=g.experts[0]).exists()


def test_an_expert_scores_every_indicator_once_and_only_their_own(city, g):
    submitted(g)
    mine, other = sr.reviewers_assign(actor=g.admin, call=g.call, experts=g.experts[:2])
    with pytest.raises(PermissionDenied):
        sr.evaluation_review_submit(actor=other.user, reviewer=mine, marks=marks(g))
    with pytest.raises(ValidationFailed) as refused:
        sr.evaluation_review_submit(actor=mine.user, reviewer=mine, marks=dict(list(marks(g).items())[:2]))
    assert refused.value.code == "marks_incomplete"
    done = sr.evaluation_review_submit(actor=mine.user, reviewer=mine, marks=marks(g))
    assert done.status == "submitted" and Rating.objects.filter(kind=RaterKind.EXPERT).count() == len(g.leaves())
    with pytest.raises(Conflict) as refused:
        sr.evaluation_review_submit(actor=mine.user, reviewer=mine, marks=marks(g))
    assert refused.value.code == "review_submitted"


# --- the committee, the notice, the award --------------------------------------------------------------------------

def test_the_committee_decides_only_after_every_review_and_never_above_the_score(g):
    a = submitted(g, "0.5")
    first, second = sr.reviewers_assign(actor=g.admin, call=g.call, experts=g.experts[:2])
    sr.evaluation_review_submit(actor=first.user, reviewer=first, marks=marks(g, "0.5"))
    with pytest.raises(Conflict) as refused:
        sd.assessment_decide(actor=g.admin, assessment=a, grade="1A")
    assert refused.value.code == "reviews_pending"
    sr.evaluation_review_submit(actor=second.user, reviewer=second, marks=marks(g, "0.5"))
    with pytest.raises(ValidationFailed) as refused:
        sd.assessment_decide(actor=g.admin, assessment=a, grade="2A")
    assert refused.value.code == "grade_above_score" and "59.50" in str(refused.value.message)
    with pytest.raises(ValidationFailed) as refused:
        sd.assessment_decide(actor=g.admin, assessment=a, grade="")
    assert refused.value.code == "reason_required"
    decided = sd.assessment_decide(actor=g.admin, assessment=a, grade="1A")
    assert (decided.status, decided.grade, decided.total) == ("notice", "1A", Decimal("59.50"))
    assert decided.notice_until - decided.decided_at == dt.timedelta(days=7)


def test_3a_and_above_need_a_site_inspection(g):
    a = reviewed(g, "0.7")
    with pytest.raises(Conflict) as refused:
        sd.assessment_decide(actor=g.admin, assessment=a, grade="3A")
    assert refused.value.code == "site_inspection_required"
    tied = g.experts[2]
    expert_tie_declare(actor=tied, user=tied, organization=g.org, kind="adviser")
    with pytest.raises(Conflict) as refused:
        sr.rater_name(actor=g.admin, assessment=a, user=tied)
    assert refused.value.code == "reviewer_tied"


def test_the_grade_is_awarded_after_the_notice_with_every_objection_answered(city, g):
    a = reviewed(g, "0.95", site=True)
    a = sd.assessment_decide(actor=g.admin, assessment=a, grade="5A")
    with pytest.raises(Conflict) as refused:
        sd.assessment_award(actor=g.admin, assessment=a)
    assert refused.value.code == "notice_running"
    objection = sd.objection_lodge(assessment=a, name="李先生", contact="13800138000", text="该机构去年服务记录不实")
    assert "13800138000" not in Objection.objects.get(pk=objection.pk).contact_enc
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        with pytest.raises(Conflict) as refused:
            sd.objection_lodge(assessment=a, name="王女士", contact="13800138001", text="迟到的异议")
        assert refused.value.code == "notice_over"
        with pytest.raises(Conflict) as refused:
            sd.assessment_award(actor=g.admin, assessment=a)
        assert refused.value.code == "objections_open"
        sd.objection_answer(actor=g.admin, objection=objection, answer="经核查，服务记录与台账一致，异议不成立。", upheld=False)
        awarded = sd.assessment_award(actor=g.admin, assessment=a)
    assert awarded.status == AssessmentStatus.AWARDED and awarded.certificate_no.startswith("440100-")
    g.org.refresh_from_db()
    assert g.org.grade == "5A" and g.org.grade_valid_until.year - g.org.grade_valid_from.year == 5


def test_an_upheld_objection_sends_the_assessment_back_for_a_new_decision(g):
    a = sd.assessment_decide(actor=g.admin, assessment=reviewed(g, "0.5"), grade="1A")
    objection = sd.objection_lodge(assessment=a, name="李先生", contact="13800138000", text="财务报告未经审计")
    sd.objection_answer(actor=g.admin, objection=objection, answer="经核查属实，退回重新评定。", upheld=True)
    a.refresh_from_db()
    assert (a.status, a.grade, a.notice_until) == ("review", "", None)


def test_only_the_region_s_committee_decides_and_awards(city, g):
    a = reviewed(g, "0.5")
    for name in ("street_officer", "agency_manager", "expert"):
        with pytest.raises(PermissionDenied):
            sd.assessment_decide(actor=city.users[name], assessment=a, grade="1A")
    assert Assessment.objects.get(pk=a.pk).status == "review"


def test_a_decision_of_no_grade_closes_without_touching_the_organization(g):
    before = (g.org.grade, g.org.grade_valid_until)
    a = sd.assessment_decide(actor=g.admin, assessment=reviewed(g, "0.3"), grade="", note="财务制度不健全，暂不评定等级")
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        done = sd.assessment_award(actor=g.admin, assessment=a)
    g.org.refresh_from_db()
    assert done.status == AssessmentStatus.NOT_GRADED and (g.org.grade, g.org.grade_valid_until) == before


def test_standing_is_recorded_only_by_the_area_s_administrators(city, g):
    with pytest.raises(PermissionDenied):
        standing_record(actor=city.users["street_officer"], scope=actor_scope(city.users["street_officer"]),
                        organization=g.org, kind="penalty", on=dt.date(2026, 1, 5))
    with pytest.raises(ValidationFailed) as refused:
        passed_inspection(g.admin, g.org, year=2030)
    assert refused.value.code in {"date_out_of_range", "out_of_range"} or "year" in refused.value.fields


def test_managers_are_reminded_once_at_each_threshold_before_a_grade_expires(city):
    from shanlian.evaluation.models import Reminder
    from shanlian.evaluation.services.grade_reminders import grade_reminders_send

    qiming = city.orgs["启明"]  # 4A, 2022-05-01 to 2027-05-01; managed by agency_manager
    until = qiming.grade_valid_until
    assert grade_reminders_send(on=until - dt.timedelta(days=200)) == 0
    assert grade_reminders_send(on=until - dt.timedelta(days=170)) == 1
    assert grade_reminders_send(on=until - dt.timedelta(days=169)) == 0  # once per threshold
    assert grade_reminders_send(on=until - dt.timedelta(days=85)) == 1
    assert grade_reminders_send(on=until - dt.timedelta(days=10)) == 1
    assert grade_reminders_send(on=until) == 0  # expired: nothing more
    texts = list(Reminder.objects.filter(user=city.users["agency_manager"]).values_list("text", flat=True))
    assert len(texts) == 3 and all("2027-05-01" in t for t in texts)


def test_a_leaf_marked_from_satisfaction_surveys_takes_the_organization_s_rate(city, settings):
    """启明 runs the 北京街 and 人民街 stations: their residents' answers mark the framework's satisfaction leaf; the
    experts may leave it unmarked, and the committee's score counts the surveys' mark."""
    from shanlian.evaluation.services import satisfaction as ss
    from shanlian.evaluation.services.frameworks import Node

    from .conftest import small_tree  # noqa: PLC0415 - beside the one test that builds its own tree

    settings.SHANLIAN = {**settings.SHANLIAN, "EVALUATION_SATISFACTION_MIN_RESPONSES": 4}
    tree = small_tree()
    tree[0].children[1] = Node(name="服务对象满意度", points="20", scoring="points", source="satisfaction")
    admin = city.users["city_admin"]
    framework = es.framework_publish(actor=admin, framework=save(admin, city.city, tree=tree))
    today = timezone.localdate()
    call = sa.call_create(actor=admin, region=city.city, year=today.year, title="满意度测试", opens_on=today - dt.timedelta(days=1),
                          closes_on=today + dt.timedelta(days=20), review_until=today + dt.timedelta(days=40))
    survey = ss.survey_create(actor=city.users["station_worker"], title="北京街社工站服务满意度", audience="beneficiary",
                              anonymous=True, questions=["服务态度", "服务及时性", "总体满意度"], opens_on=today - dt.timedelta(days=5),
                              closes_on=today + dt.timedelta(days=5), station=city.stations["北京街"])
    for answers in ([5, 5, 5], [4, 5, 4], [5, 4, 5], [2, 3, 2]):  # 9 of 12 answers satisfied: 75%
        ss.response_submit(survey=survey, answers=answers, device=ss.new_device_id())
    org, manager = city.orgs["启明"], city.users["agency_manager"]
    passed_inspection(admin, org)
    a = sa.assessment_apply(actor=manager, call=call, organization=org)
    leaves = sa.leaves_of(framework)
    surveyed = next(leaf for leaf in leaves if leaf.source == "satisfaction")
    full = {leaf.id: ({"answer": "yes"} if leaf.scoring == "yes_no" else {"level": 4} if leaf.scoring == "levels" else
                      {"points": "0" if leaf.kind == "deduction" else str(leaf.points)}) for leaf in leaves}
    sa.self_rate(actor=manager, assessment=a, marks=full)
    for leaf in leaves:
        if leaf.evidence_required:
            sa.evidence_add(actor=manager, assessment=a, indicator=Indicator.objects.get(pk=leaf.id), upload=evidence())
    sa.assessment_submit(actor=manager, assessment=a)
    experts = [f.user_with_role(f"sx{n}", Role.EXPERT, None) for n in range(2)]
    without = {k: v for k, v in full.items() if k != surveyed.id}
    for r in sr.reviewers_assign(actor=admin, call=call, experts=experts):
        sr.evaluation_review_submit(actor=r.user, reviewer=r, marks=without)  # the surveys mark the leaf
    assert sd.survey_marks(a) == {surveyed.id: Decimal("15.00")}
    assert sd.reviewed_total(a) == Decimal("80") + Decimal("15.00") + Decimal("5")  # the other leaves, the surveys, the bonus
