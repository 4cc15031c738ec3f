"""Capacity diagnosis, one test per rule: questionnaires checked whole; a diagnosis started by the organization's
managers or its area's administrators; each respondent answers once through their own link; scores are means of
means, roles' divergence flagged; closing freezes the scores; the peer median and the change since the previous
diagnosis; advice for weak dimensions; the action plan followed up; the PDF."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog
from shanlian.demo.evaluation_capacity_data import CAPACITY
from shanlian.evaluation.capacity_pdf import diagnosis_pdf, radar_svg
from shanlian.evaluation.models import ActionItem, Advice, Answer, Diagnosis, Dimension, Question, Questionnaire, Respondent
from shanlian.evaluation.selectors_capacity import diagnosis_report, peer_median
from shanlian.evaluation.services import capacity as cs
from shanlian.orgs.models import OrgKind
from shanlian.people.selectors import actor_scope
from tests import factories as f

from .test_capacity_fixtures import CODES, answer, capacity, levels, peer_org, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap(city):
    return capacity(city)


# --- questionnaires -------------------------------------------------------------------------------------------------

def test_a_questionnaire_is_saved_whole_as_the_regions_next_version(cap):
    q = cap.questionnaire
    assert (q.version, q.kind, Dimension.objects.filter(questionnaire=q).count()) == (1, "capacity", 7)
    assert Question.objects.filter(dimension__questionnaire=q).count() == 24
    again = cs.questionnaire_create(actor=cap.admin, region=cap.region, kind="capacity", title="修订版", dimensions=CAPACITY)
    assert again.version == 2
    first = Question.objects.filter(dimension__questionnaire=again).order_by("dimension__position", "position").first()
    assert first.text == "理事会运作" and len(first.descriptors) == 4
    assert AuditLog.objects.filter(action="evaluation.questionnaire.create", object_id=str(again.pk)).exists()


def _broken(change):
    dims = copy.deepcopy(CAPACITY[:2])
    change(dims)
    return dims


@pytest.mark.parametrize("dims, code", [
    ([], "dimensions_count"),
    ([CAPACITY[0]] * 13, "dimensions_count"),
    ("governance", "dimensions_count"),
    (_broken(lambda d: d[0].update(code="Governance")), "invalid_code"),
    (_broken(lambda d: d[1].update(code="governance")), "duplicate_code"),
    (_broken(lambda d: d[0].update(name="")), "invalid_name"),
    (_broken(lambda d: d[0].update(questions=[])), "questions_count"),
    (_broken(lambda d: d[0]["questions"][0].update(descriptors=["一", "二", "三"])), "descriptors_count"),
    (_broken(lambda d: d[0]["questions"][0].update(text="  ")), "invalid_question"),
    (_broken(lambda d: d[0]["questions"][1]["descriptors"].__setitem__(2, "长" * 201)), "too_long"),
    (_broken(lambda d: d[0]["questions"][1]["descriptors"].__setitem__(0, "x\x00y")), "nul_character"),
    (_broken(lambda d: d[0].update(questions="理事会")), "questions_count"),
])
def test_a_broken_questionnaire_is_refused_and_nothing_is_saved(city, dims, code):
    with pytest.raises(ValidationFailed) as refused:
        cs.questionnaire_create(actor=city.users["city_admin"], region=city.city, kind="capacity", title="问卷", dimensions=dims)
    assert code in {c for errs in refused.value.fields.values() for c, _m in errs} | {refused.value.code}
    assert not Questionnaire.objects.exists() and not Dimension.objects.exists()


@pytest.mark.parametrize("who", ["district_admin", "agency_manager", "street_officer", "expert", "nobody"])
def test_only_the_regions_administrators_write_its_questionnaires_and_advice(city, who):
    with pytest.raises(PermissionDenied):
        cs.questionnaire_create(actor=city.users[who], region=city.city, kind="capacity", title="问卷", dimensions=CAPACITY)
    with pytest.raises(PermissionDenied):
        cs.advice_add(actor=city.users[who], region=city.city, dimension_code="finance", below="2.5", text="完善财务制度")
    assert not Questionnaire.objects.exists() and not Advice.objects.exists()


def test_a_district_administrator_keeps_the_districts_own(city):
    yx = city.districts["越秀"]
    q = cs.questionnaire_create(actor=city.users["district_admin"], region=yx, kind="competency", title="越秀区胜任力",
                                dimensions=CAPACITY[:1])
    assert (q.region, q.version) == (yx, 1)
    with pytest.raises(PermissionDenied):
        cs.questionnaire_create(actor=city.users["district_admin"], region=city.districts["天河"], kind="capacity", title="x",
                                dimensions=CAPACITY[:1])


@pytest.mark.parametrize("below, code", [("1", "too_small"), ("4.01", "too_large"), ("2.555", "too_many_decimals"), ("abc", "invalid")])
def test_advice_thresholds_lie_between_one_and_four(city, below, code):
    with pytest.raises(ValidationFailed) as refused:
        cs.advice_add(actor=city.users["city_admin"], region=city.city, dimension_code="finance", below=below, text="完善制度")
    assert refused.value.fields.get("below") and not Advice.objects.exists()
    if code != "invalid":
        assert refused.value.fields["below"][0][0] == code


# --- starting and answering -----------------------------------------------------------------------------------------

def test_a_manager_starts_a_diagnosis_and_each_respondent_gets_a_link_of_their_own(cap):
    d = cap.start()
    tokens = list(d.respondents.values_list("token", flat=True))
    assert len(tokens) == 4 == len(set(tokens)) and all(len(t) == 43 for t in tokens)
    assert (d.status, d.previous_id, d.created_by) == ("open", None, cap.manager)
    with pytest.raises(Conflict) as refused:
        cap.start()
    assert refused.value.code == "diagnosis_open"


@pytest.mark.parametrize("who, org, allowed", [
    ("agency_manager", "启明", True), ("district_admin", "启明", True), ("city_admin", "同心", True),
    ("agency_manager", "同心", False), ("district_admin", "同心", False), ("street_officer", "启明", False),
    ("station_worker", "启明", False), ("finance", "启明", False), ("expert", "启明", False), ("volunteer", "启明", False),
    ("nobody", "启明", False),
])
def test_who_may_start_a_diagnosis(cap, city, who, org, allowed):
    if allowed:
        assert cap.start(city.orgs[org], actor=city.users[who]).organization == city.orgs[org]
    else:
        with pytest.raises(PermissionDenied):
            cap.start(city.orgs[org], actor=city.users[who])
        assert not Diagnosis.objects.exists()


def test_a_diagnosis_is_started_under_a_capacity_questionnaire_of_the_organizations_region(cap, city):
    tianhe = cs.questionnaire_create(actor=cap.admin, region=city.districts["天河"], kind="capacity", title="天河区问卷",
                                     dimensions=CAPACITY)
    with pytest.raises(Conflict) as elsewhere:
        cs.diagnosis_start(actor=cap.manager, organization=cap.org, questionnaire=tianhe, started_on=timezone.localdate(),
                           respondents=[("staff", "社工")])
    assert elsewhere.value.code == "questionnaire_elsewhere"
    with pytest.raises(ValidationFailed) as wrong_kind:
        cs.diagnosis_start(actor=cap.manager, organization=cap.org, questionnaire=cap.competency, started_on=timezone.localdate(),
                           respondents=[("staff", "社工")])
    assert wrong_kind.value.code == "not_capacity" and not Diagnosis.objects.exists()


@pytest.mark.parametrize("respondents, on, code", [
    ([], None, "respondents_required"),
    ([("chair", "理事")], None, "invalid_role"),
    ([("staff", "")], None, "required"),
    ([("staff", "社" * 33)], None, "too_long"),
    ([("staff", f"社工{n}") for n in range(41)], None, "too_many_respondents"),
    ([("staff", "社工")], 1, "date_in_future"),
    ([("staff", "社工")], -20000, "date_out_of_range"),
])
def test_a_start_with_bad_respondents_or_date_is_refused_whole(cap, respondents, on, code):
    day = timezone.localdate() + dt.timedelta(days=on or 0)
    with pytest.raises(ValidationFailed) as refused:
        cap.start(on=day, respondents=respondents)
    assert code in {c for errs in refused.value.fields.values() for c, _m in errs} | {refused.value.code}
    assert not Diagnosis.objects.exists() and not Respondent.objects.exists()


def test_a_link_answers_once_every_item_at_a_level_and_unknown_links_are_not_found(cap):
    d = cap.start()
    r = d.respondents.order_by("id").first()
    partial = dict(list(levels(cap.questionnaire).items())[:5])
    with pytest.raises(ValidationFailed) as incomplete:
        cs.diagnosis_answer(token=r.token, levels=partial)
    assert incomplete.value.code == "levels_incomplete" and len(incomplete.value.fields) == 1 + 24 - 5
    with pytest.raises(ValidationFailed) as five:
        cs.diagnosis_answer(token=r.token, levels={**levels(cap.questionnaire), next(iter(partial)): 5})
    assert five.value.code == "too_large"
    with pytest.raises(ValidationFailed) as stranger:
        cs.diagnosis_answer(token=r.token, levels={**levels(cap.questionnaire), "999999": 2})
    assert stranger.value.code == "unknown_question"
    assert not Answer.objects.exists()
    answer(r, 2)
    assert Answer.objects.filter(respondent=r).count() == 24
    with pytest.raises(Conflict) as twice:
        answer(r, 4)
    assert twice.value.code == "already_answered" and set(Answer.objects.values_list("level", flat=True)) == {2}
    for token in ("x" * 43, "", None, "../../etc", "a" * 200, 12345):
        with pytest.raises(NotFound):
            cs.diagnosis_answer(token=token, levels={})


def test_dimension_scores_are_means_of_items_and_roles_that_diverge_are_flagged(cap):
    d = cap.start()
    board, director, staff1, staff2 = d.respondents.order_by("role", "id")
    assert (board.role, director.role, staff1.role) == ("board", "director", "staff")
    answer(board, {"finance": 4, "hr": 4})
    answer(director, {"finance": 3, "hr": 3})
    answer(staff1, {"finance": 2, "hr": 2})
    answer(staff2, {"finance": 2, "hr": 3})
    report = diagnosis_report(actor_scope(cap.manager), d)
    rows = {r.code: r for r in report.rows}
    assert rows["finance"].score == Decimal("2.75")  # (4 + 3 + 2 + 2) / 4, every item alike
    assert [role for role, _label in report.roles] == ["board", "director", "staff"]
    assert [v for _label, v in rows["finance"].by_role] == [Decimal("4.00"), Decimal("3.00"), Decimal("2.00")]
    assert (rows["finance"].spread, rows["finance"].divergent) == (Decimal("2.00"), True)
    assert (rows["hr"].score, rows["hr"].spread, rows["hr"].divergent) == (Decimal("3.00"), Decimal("1.50"), True)
    assert (rows["culture"].score, rows["culture"].divergent) == (Decimal("3.00"), False)
    assert report.answered == 4 and report.may_manage


def test_an_item_is_the_mean_of_its_respondents_and_a_dimension_the_mean_of_its_items(cap):
    d = cap.start(respondents=[("staff", "甲"), ("staff", "乙"), ("staff", "丙")])
    gov = list(Question.objects.filter(dimension__questionnaire=cap.questionnaire, dimension__code="governance").order_by("position"))
    given = [[1, 2, 4, 4], [2, 2, 3, 4], [2, 3, 3, 4]]  # by respondent, the four governance items
    for r, row in zip(d.respondents.order_by("id"), given, strict=True):
        cs.diagnosis_answer(token=r.token, levels={**levels(cap.questionnaire), **{q.pk: v for q, v in zip(gov, row, strict=True)}})
    closed = cs.diagnosis_close(actor=cap.manager, diagnosis=d, summary="治理基础较好")
    # items: 5/3, 7/3, 10/3, 4 → mean 34/12 = 2.8333…
    assert closed.scores["governance"] == "2.83" and closed.scores["finance"] == "3.00"
    assert closed.closed_at is not None and closed.summary == "治理基础较好"


def test_closing_needs_an_answer_freezes_the_scores_and_the_links_answer_no_more(cap):
    d = cap.start()
    with pytest.raises(Conflict) as empty:
        cs.diagnosis_close(actor=cap.manager, diagnosis=d)
    assert empty.value.code == "no_answers"
    first, *others = d.respondents.order_by("id")
    answer(first, 2)
    with pytest.raises(PermissionDenied):
        cs.diagnosis_close(actor=cap.city.users["station_worker"], diagnosis=d)
    closed = cs.diagnosis_close(actor=cap.manager, diagnosis=d)
    assert closed.status == "closed" and closed.scores == dict.fromkeys(CODES, "2.00")
    assert cs.diagnosis_close(actor=cap.manager, diagnosis=d).closed_at == closed.closed_at  # a retry changes nothing
    with pytest.raises(Conflict) as late:
        answer(others[0], 4)
    assert late.value.code == "diagnosis_closed"
    with pytest.raises(Conflict):
        cs.respondent_add(actor=cap.manager, diagnosis=d, role="staff", label="新社工")


def test_a_respondent_is_added_while_the_diagnosis_is_open_up_to_the_limit(cap):
    d = cap.start(respondents=[("staff", f"社工{n}") for n in range(cs.RESPONDENTS_MAX - 1)])
    made = cs.respondent_add(actor=cap.manager, diagnosis=d, role="board", label="理事 王")
    assert made.token and made.role == "board"
    with pytest.raises(ValidationFailed) as full:
        cs.respondent_add(actor=cap.manager, diagnosis=d, role="board", label="理事 李")
    assert full.value.code == "too_many_respondents"


# --- the report: previous, peers, advice --------------------------------------------------------------------------

def test_the_next_diagnosis_reports_the_change_since_the_previous_one(cap):
    with time_machine.travel(dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)):
        first = reported(cap, cap.org, {"finance": 2, "hr": 2}, actor=cap.manager)
    second = cap.start()
    assert second.previous_id == first.pk
    for r in second.respondents.all():
        answer(r, {"finance": 3, "hr": 2})
    rows = {r.code: r for r in diagnosis_report(actor_scope(cap.manager), second).rows}
    assert (rows["finance"].previous, rows["finance"].score, rows["finance"].change) == (Decimal("2.00"), Decimal("3.00"), Decimal("1.00"))
    assert rows["hr"].change == Decimal("0.00")


def test_the_peer_median_is_over_the_latest_diagnosis_of_other_organizations_of_the_same_kind(cap, city):
    d = cap.start()
    answer(d.respondents.first(), 2)
    peers = [peer_org(city, name) for name in ("暖阳", "和悦", "善邻")]
    with time_machine.travel(dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)):
        reported(cap, peers[0], 1)  # replaced by its later diagnosis
    reported(cap, peers[0], 2)
    assert peer_median(d).median == {} and peer_median(d).count == 1  # too few peers: no median
    reported(cap, peers[1], 3)
    reported(cap, peers[2], {"finance": 4})
    foundation = f.organization("广州市善源公益基金会二", district=city.city, kind=OrgKind.FOUNDATION)
    reported(cap, foundation, 1)  # another kind: not a peer
    median = peer_median(d)
    assert median.count == 3 and median.median["governance"] == Decimal("3.00") and median.median["finance"] == Decimal("3.00")
    report = diagnosis_report(actor_scope(cap.manager), d)
    assert [s["key"] for s in report.chart["series"]] == ["this", "peers"]
    assert report.chart["series"][1]["value"][0] == 3.0


def test_peers_answer_the_same_dimensions_and_an_open_diagnosis_is_no_peer(cap, city):
    d = cap.start()
    other = cs.questionnaire_create(actor=cap.admin, region=cap.region, kind="capacity", title="精简版", dimensions=CAPACITY[:3])
    for name in ("暖阳", "和悦", "善邻"):
        cs.diagnosis_start(actor=cap.admin, organization=peer_org(city, name), questionnaire=other, started_on=timezone.localdate(),
                           respondents=[("staff", "社工")])
    assert peer_median(d).count == 0
    same = cs.questionnaire_create(actor=cap.admin, region=cap.region, kind="capacity", title="第二版", dimensions=CAPACITY)
    for name in ("乐群", "康宁", "慧心"):
        diag = cs.diagnosis_start(actor=cap.admin, organization=peer_org(city, name), questionnaire=same,
                                  started_on=timezone.localdate(), respondents=[("staff", "社工")])
        answer(diag.respondents.get(), 4)
        cs.diagnosis_close(actor=cap.admin, diagnosis=diag)
    assert peer_median(d).count == 3 and peer_median(d).median["culture"] == Decimal("4.00")


def test_advice_is_drawn_for_weak_dimensions_from_the_organizations_regions(cap, city):
    cs.advice_add(actor=cap.admin, region=cap.region, dimension_code="finance", below="2.5", text="完善财务制度")
    cs.advice_add(actor=cap.admin, region=cap.region, dimension_code="finance", below="2", text="委托代理记账")
    cs.advice_add(actor=cap.admin, region=city.districts["天河"], dimension_code="finance", below="4", text="天河区的建议")
    cs.advice_add(actor=cap.admin, region=cap.region, dimension_code="culture", below="2.5", text="开展案例研讨")
    d = cap.start()
    answer(d.respondents.first(), {"finance": 2, "culture": 3})
    rows = {r.code: r for r in diagnosis_report(actor_scope(cap.manager), d).rows}
    assert rows["finance"].advice == ["完善财务制度"] and rows["finance"].weak
    assert rows["culture"].advice == [] and not rows["culture"].weak


def test_an_advice_line_is_removed_by_its_regions_administrators(cap, city):
    a = cs.advice_add(actor=cap.admin, region=cap.region, dimension_code="finance", below="2.5", text="完善财务制度")
    with pytest.raises(PermissionDenied):
        cs.advice_remove(actor=city.users["district_admin"], advice=a)
    cs.advice_remove(actor=cap.admin, advice=a)
    assert not Advice.objects.exists() and AuditLog.objects.filter(action="evaluation.advice.remove").exists()


# --- the action plan ----------------------------------------------------------------------------------------------

def test_the_action_plan_is_followed_up_and_overdue_items_show(cap):
    d = cap.start(on=timezone.localdate() - dt.timedelta(days=90))
    late = cs.action_add(actor=cap.manager, diagnosis=d, dimension_code="finance", text="实行出纳、会计岗位分离", owner="财务主管",
                         due_on=timezone.localdate() - dt.timedelta(days=1))
    soon = cs.action_add(actor=cap.admin, diagnosis=d, dimension_code="hr", text="制定年度培训计划", owner="人事专员",
                         due_on=timezone.localdate() + dt.timedelta(days=30))
    report = diagnosis_report(actor_scope(cap.manager), d)
    assert [(a.action.pk, a.overdue) for a in report.actions] == [(late.pk, True), (soon.pk, False)] and report.overdue == 1
    done = cs.action_follow_up(actor=cap.manager, action=late, status="done", follow_up="已分岗，制度已印发")
    assert (done.status, done.done_on, done.follow_up) == ("done", timezone.localdate(), "已分岗，制度已印发")
    assert cs.action_follow_up(actor=cap.manager, action=late, status="done", follow_up="again").follow_up == "已分岗，制度已印发"
    with pytest.raises(Conflict):
        cs.action_follow_up(actor=cap.manager, action=late, status="dropped", follow_up="不做了")
    dropped = cs.action_follow_up(actor=cap.manager, action=soon, status="dropped", follow_up="资助方要求变化")
    assert (dropped.status, dropped.done_on) == ("dropped", None)
    assert diagnosis_report(actor_scope(cap.manager), d).overdue == 0


@pytest.mark.parametrize("change, field", [
    ({"dimension_code": "money"}, "dimension_code"),
    ({"text": ""}, "text"),
    ({"owner": "负" * 33}, "owner"),
    ({"due_on": dt.date(2001, 1, 1)}, "due_on"),
    ({"due_on": "2026-01-01"}, "due_on"),
])
def test_a_bad_action_is_refused(cap, change, field):
    d = cap.start()
    given = {"dimension_code": "finance", "text": "完善预算", "owner": "财务主管", "due_on": timezone.localdate(), **change}
    with pytest.raises(ValidationFailed) as refused:
        cs.action_add(actor=cap.manager, diagnosis=d, **given)
    assert field in refused.value.fields and not ActionItem.objects.exists()


def test_a_follow_up_needs_a_note_and_a_day_not_in_the_future(cap, city):
    d = cap.start()
    a = cs.action_add(actor=cap.manager, diagnosis=d, dimension_code="finance", text="完善预算", owner="财务主管",
                      due_on=timezone.localdate())
    for kw, field in (({"follow_up": ""}, "follow_up"), ({"follow_up": "好", "done_on": timezone.localdate() + dt.timedelta(days=2)},
                                                         "done_on"), ({"follow_up": "好", "status": "maybe"}, "status")):
        with pytest.raises(ValidationFailed) as refused:
            cs.action_follow_up(actor=cap.manager, action=a, **{"status": "done", **kw})
        assert field in refused.value.fields
    with pytest.raises(PermissionDenied):
        cs.action_follow_up(actor=city.users["other_worker"], action=a, status="done", follow_up="好")
    a.refresh_from_db()
    assert a.status == "open"


# --- the PDF --------------------------------------------------------------------------------------------------------

def test_the_report_prints_as_a_pdf_with_the_radar_drawn_from_the_numbers(cap):
    d = cap.start()
    answer(d.respondents.first(), {"finance": 1, "hr": 4})
    report = diagnosis_report(actor_scope(cap.manager), d)
    svg = str(radar_svg(report.chart))
    assert svg.startswith("<svg") and svg.count("<polygon") == 4 + 1 and "财务与内控" in svg
    evil = {"indicators": [{"name": "<script>x</script>"}] * 3, "series": [{"key": "this", "value": [1, 2, "3"]}]}
    assert "<script>" not in str(radar_svg(evil))
    pdf = diagnosis_pdf(report)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
