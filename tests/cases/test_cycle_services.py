"""The case cycle's rules, one test each, through the services: order of the cycle (`invalid_transition`), one open case,
instruments as data (answers checked, score and band computed), plans with goals of the four kinds approved by the
supervisor and never by their own worker (`own_plan`, `own_closure`, `not_supervisor`), stale writes (`stale`),
records corrected with a trace (`already_corrected`), reviews against the goals, referrals only with consent, visits
due, notes encrypted at rest, and the monthly report's counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from shanlian.cases import instruments
from shanlian.cases import selectors_cycle as sc
from shanlian.cases import services as cs
from shanlian.cases import services_cycle as cy
from shanlian.cases import services_records as cr
from shanlian.cases.models import Case, Instrument, ServiceRecord
from shanlian.cases.monthly import by_care_area, case_work
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog

from .cycle_site import NOTE, barthel

TODAY = timezone.localdate()


def _new_case(site, who="station_worker", beneficiary=None):
    return cy.case_open(actor=site.users[who], beneficiary=beneficiary or site.child, source="community", problem="放学后无人照看",
                        opened_on=TODAY - dt.timedelta(days=20))


def _code(exc_info) -> str:
    return exc_info.value.code


def test_the_instruments_are_well_formed_data(cycle, db):
    for instrument in Instrument.objects.all():
        assert instruments.shape_problems(instrument) == [], instrument.code
    b = cycle.barthel
    assert len(b.items) == 10 and (b.min_score, b.max_score) == (0, 100)
    assert instruments.score(b, barthel(b, 9)) == 100 and instruments.band(b, 100) == "独立"
    assert [instruments.band(b, s) for s in (99, 61, 60, 41, 40, 0)] == ["轻度依赖", "轻度依赖", "中度依赖", "中度依赖", "重度依赖",
                                                                        "重度依赖"]
    assert len(cycle.gds.items) == 15 and instruments.score(cycle.gds, {i["key"]: "no" for i in cycle.gds.items}) == 5


def test_answers_are_checked_against_the_instrument(cycle, db):
    b = cycle.barthel
    partial = barthel(b, 1)
    partial.pop("stairs")
    with pytest.raises(ValidationFailed) as e:
        instruments.score(b, partial)
    assert _code(e) == "answer_required" and "stairs" in e.value.fields
    with pytest.raises(ValidationFailed) as e:
        instruments.score(b, {**barthel(b, 1), "bathing": "10"})  # bathing scores 0 or 5 only
    assert _code(e) == "invalid_answer"
    with pytest.raises(ValidationFailed) as e:
        instruments.score(b, {**barthel(b, 1), "flying": "5"})
    assert "flying" in e.value.fields


def test_the_cycle_in_order_and_the_baseline_moves_intake_to_assessed(site, cycle, db):
    case = _new_case(site)
    assert case.status == "intake"
    worker = site.users["station_worker"]
    with pytest.raises(Conflict) as e:  # a plan before the assessment
        cy.plan_write(actor=worker, case=case, goals=[cy.GoalIn("按时上学", "holistic")], starts_on=TODAY,
                      ends_on=TODAY + dt.timedelta(90))
    assert _code(e) == "invalid_transition"
    with pytest.raises(Conflict) as e:  # a review assessment before service
        cy.assessment_record(actor=worker, case=case, instrument=cycle.gds, kind="review",
                             answers={i["key"]: "no" for i in cycle.gds.items})
    assert _code(e) == "invalid_transition"
    with pytest.raises(Conflict) as e:
        cr.review_record(actor=worker, case=case, kind="midterm")
    assert _code(e) == "invalid_transition"
    with pytest.raises(Conflict) as e:
        cr.closure_request(actor=worker, case=case, version=case.version, summary="结案")
    assert _code(e) == "invalid_transition"
    a = cy.assessment_record(actor=worker, case=case, instrument=cycle.barthel, kind="baseline", answers=barthel(cycle.barthel, 2))
    case.refresh_from_db()
    assert case.status == "assessed" and a.score == 90 and a.band == "轻度依赖"
    assert json.loads(cs.crypto.decrypt(a.answers_enc))["feeding"] == "10"


def test_one_open_case_per_beneficiary(site, cycle, db):
    with pytest.raises(Conflict) as e:
        cy.case_open(actor=site.users["station_worker"], beneficiary=site.elder, source="outreach", problem="再开一个")
    assert _code(e) == "case_open"
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(beneficiary=site.elder, station=site.elder.station, owner=site.users["station_worker"],
                            opened_on=TODAY, source="outreach", problem_enc="x", opened_by=site.users["station_worker"])


def test_bad_input_to_open_a_case_is_refused_whole(site, cycle, db):
    with pytest.raises(ValidationFailed) as e:
        cy.case_open(actor=site.users["station_worker"], beneficiary=site.child, source="magic", problem="",
                     opened_on=TODAY + dt.timedelta(days=3))
    assert set(e.value.fields) == {"source", "problem", "opened_on"}
    assert not Case.objects.filter(beneficiary=site.child).exists()


def _plan_ready(site, cycle, case=None):
    case = case or _new_case(site)
    worker = site.users["station_worker"]
    cy.assessment_record(actor=worker, case=case, instrument=cycle.barthel, kind="baseline", answers=barthel(cycle.barthel, 1))
    plan = cy.plan_write(actor=worker, case=Case.objects.get(pk=case.pk), starts_on=TODAY - dt.timedelta(days=10),
                         ends_on=TODAY + dt.timedelta(days=170), home_visit_days=14,
                         goals=[cy.GoalIn("提升自理能力", "action", cycle.barthel, 80), cy.GoalIn("学习用品与营养餐", "material"),
                                cy.GoalIn("缓解分离焦虑", "psychological"), cy.GoalIn("家庭与学校共同照护", "holistic")])
    return Case.objects.get(pk=case.pk), plan


def test_a_plan_has_goals_of_the_four_kinds_with_a_measure_from_the_baseline(site, cycle, db):
    case, plan = _plan_ready(site, cycle)
    goals = list(plan.goals.order_by("order"))
    assert [g.care_kind for g in goals] == ["action", "material", "psychological", "holistic"]
    assert (goals[0].baseline_score, goals[0].target_score) == (50, 80) and goals[1].instrument is None
    with pytest.raises(ValidationFailed) as e:
        cy.plan_write(actor=site.users["station_worker"], case=case, version=plan.version, starts_on=TODAY,
                      ends_on=TODAY + dt.timedelta(days=30), goals=[cy.GoalIn("情绪", "psychological", cycle.gds, 3)])
    assert _code(e) == "measure_without_baseline"
    with pytest.raises(ValidationFailed) as e:
        cy.plan_write(actor=site.users["station_worker"], case=case, version=plan.version, starts_on=TODAY,
                      ends_on=TODAY + dt.timedelta(days=30), goals=[])
    assert _code(e) == "goals_required"


def test_the_supervisor_approves_never_the_worker_and_never_their_own(site, cycle, db):
    case, plan = _plan_ready(site, cycle)
    worker, manager = site.users["station_worker"], site.users["agency_manager"]
    plan = cy.plan_submit(actor=worker, plan=plan, version=plan.version)
    with pytest.raises(PermissionDenied) as e:
        cy.plan_approve(actor=worker, plan=plan, version=plan.version)
    assert _code(e) == "not_supervisor"
    with pytest.raises(NotFound):
        cy.plan_approve(actor=site.users["other_worker"], plan=plan, version=plan.version)
    with pytest.raises(PermissionDenied):
        cy.plan_approve(actor=site.users["street_officer"], plan=plan, version=plan.version)
    # the manager who owns a case of their own may not approve its plan
    li = cs.beneficiary_register(actor=manager, person=site.city.people["李伟"], station=site.city.stations["北京街"],
                                 categories=[site.cats["dibao"]], living_situation="family")
    own = _new_case(site, "agency_manager", beneficiary=li)
    own, own_plan = _plan_ready(site, cycle, own)
    own_plan = cy.plan_submit(actor=manager, plan=own_plan, version=own_plan.version)
    with pytest.raises(PermissionDenied) as e:
        cy.plan_approve(actor=manager, plan=own_plan, version=own_plan.version)
    assert _code(e) == "own_plan"
    approved = cy.plan_approve(actor=manager, plan=plan, version=plan.version)
    case.refresh_from_db()
    assert approved.status == "approved" and approved.decided_by == manager and case.status == "in_service"
    assert case.home_visit_days == 14


def test_a_returned_plan_goes_back_to_the_worker_with_the_reason(site, cycle, db):
    case, plan = _plan_ready(site, cycle)
    plan = cy.plan_submit(actor=site.users["station_worker"], plan=plan, version=plan.version)
    with pytest.raises(ValidationFailed):
        cy.plan_return(actor=site.users["agency_manager"], plan=plan, version=plan.version, reason="")
    returned = cy.plan_return(actor=site.users["agency_manager"], plan=plan, version=plan.version, reason="目标需可测量")
    case.refresh_from_db()
    assert returned.status == "returned" and case.status == "assessed" and returned.return_reason == "目标需可测量"
    again = cy.plan_write(actor=site.users["station_worker"], case=case, version=returned.version, starts_on=returned.starts_on,
                          ends_on=returned.ends_on, goals=[cy.GoalIn("每周两次课业辅导", "holistic")])
    assert again.goals.count() == 1 and again.version == returned.version + 1


def test_a_stale_edit_is_refused(site, cycle, db):
    case, plan = _plan_ready(site, cycle)
    worker = site.users["station_worker"]
    cy.case_update(actor=worker, case=case, version=case.version, problem="放学后无人照看，需课业辅导")
    with pytest.raises(Conflict) as e:
        cy.case_update(actor=worker, case=case, version=case.version, problem="覆盖别人的修改")
    assert _code(e) == "stale"
    with pytest.raises(Conflict) as e:
        cy.plan_submit(actor=worker, plan=plan, version=plan.version + 5)
    assert _code(e) == "stale"
    submitted = cy.plan_submit(actor=worker, plan=plan, version=plan.version)
    with pytest.raises(Conflict) as e:  # the supervisor read the plan before the worker changed and submitted it
        cy.plan_approve(actor=site.users["agency_manager"], plan=submitted, version=plan.version)
    assert _code(e) == "stale"
    assert cs.crypto.decrypt(Case.objects.get(pk=case.pk).problem_enc) == "放学后无人照看，需课业辅导"


def test_records_are_never_changed_only_corrected_with_a_trace(site, cycle, db):
    worker = site.users["station_worker"]
    fixed = cr.record_correct(actor=worker, record=cycle.visit, reason="时长记错", kind="home_visit", care_kind="action",
                              served_on=cycle.visit.served_on, minutes=90, notes=NOTE)
    old = ServiceRecord.objects.get(pk=cycle.visit.pk)
    assert not old.current and old.minutes == 60 and fixed.corrects == old and fixed.current
    with pytest.raises(Conflict) as e:
        cr.record_correct(actor=worker, record=old, reason="再改", kind="home_visit", care_kind="action",
                          served_on=old.served_on, minutes=30)
    assert _code(e) == "already_corrected"
    assert AuditLog.objects.filter(action="cases.record_correct", object_id=str(fixed.pk)).exists()


@pytest.mark.parametrize(("field", "value", "code"), [("minutes", 0, "out_of_range"), ("minutes", 721, "out_of_range"),
                                                       ("kind", "teleport", "invalid_choice"),
                                                       ("served_on", TODAY + dt.timedelta(days=1), "date_in_future"),
                                                       ("served_on", TODAY - dt.timedelta(days=365), "before_case_opened"),
                                                       ("person_times", 501, "out_of_range")])
def test_a_record_with_bad_input_is_refused(site, cycle, db, field, value, code):
    args = {"kind": "phone", "care_kind": "psychological", "served_on": TODAY, "minutes": 15, "person_times": 1, field: value}
    before = ServiceRecord.objects.count()
    with pytest.raises(ValidationFailed) as e:
        cr.record_add(actor=site.users["station_worker"], case=cycle.case, **args)
    assert field in e.value.fields and ServiceRecord.objects.count() == before
    if code != "out_of_range":
        assert e.value.fields[field][0][0] == code


def test_notes_are_encrypted_at_rest_and_shown_only_to_the_team(site, cycle, db):
    with connection.cursor() as cur:
        cur.execute("SELECT notes_enc FROM cases_servicerecord WHERE id = %s", [cycle.visit.pk])
        raw = cur.fetchone()[0]
    assert NOTE not in raw and cs.crypto.decrypt(raw) == NOTE
    team = sc.case_file(site.users["station_worker"], sc.case_get(site.users["station_worker"], cycle.case.pk))
    officer = sc.case_file(site.users["street_officer"], sc.case_get(site.users["street_officer"], cycle.case.pk))
    assert NOTE in [e.text for e in team.timeline] and NOTE not in [e.text for e in officer.timeline]
    assert officer.name == "陈**" and officer.problem == "" and team.name == "陈秀英"


def test_a_review_measures_the_goals_before_and_after(site, cycle, db):
    worker = site.users["station_worker"]
    case = Case.objects.get(pk=cycle.case.pk)
    cy.assessment_record(actor=worker, case=case, instrument=cycle.barthel, kind="review", answers=barthel(cycle.barthel, 9))
    with pytest.raises(ValidationFailed) as e:  # the unmeasured goal needs the worker's word
        cr.review_record(actor=worker, case=case, kind="midterm")
    assert _code(e) == "result_required"
    social = cycle.plan.goals.get(order=2)
    review = cr.review_record(actor=worker, case=case, kind="midterm", summary="能独立行走", results={social.pk: "partly"})
    rows = {r.goal.order: r for r in review.goals.all()}
    assert (rows[1].before_score, rows[1].after_score, rows[1].result) == (50, 100, "met") and rows[2].result == "partly"
    assert Case.objects.get(pk=case.pk).status == "reviewing"


def test_closure_needs_the_supervisor(site, cycle, db):
    worker, manager = site.users["station_worker"], site.users["agency_manager"]
    case = Case.objects.get(pk=cycle.case.pk)
    cr.review_record(actor=worker, case=case, kind="final", results={g.pk: "met" for g in cycle.plan.goals.all()},
                     after_scores={cycle.plan.goals.get(order=1).pk: 75})
    case.refresh_from_db()
    case = cr.closure_request(actor=worker, case=case, version=case.version, summary="目标达成，转为定期电话关怀")
    with pytest.raises(PermissionDenied) as e:
        cr.closure_approve(actor=worker, case=case, version=case.version)
    assert _code(e) == "not_supervisor"
    returned = cr.closure_return(actor=manager, case=case, version=case.version, reason="补充末期评估")
    assert returned.status == "reviewing"
    case = cr.closure_request(actor=worker, case=returned, version=returned.version, summary="已补充")
    closed = cr.closure_approve(actor=manager, case=case, version=case.version)
    assert closed.status == "closed" and closed.closed_on == TODAY and closed.closure_decided_by == manager
    with pytest.raises(Conflict) as e:
        cr.record_add(actor=worker, case=closed, kind="phone", care_kind="psychological", served_on=TODAY, minutes=10)
    assert _code(e) == "case_closed"
    assert _new_case(site, beneficiary=site.elder).status == "intake"  # a new case once the last one is closed


def test_a_referral_needs_a_valid_consent_naming_the_organization(site, cycle, db):
    worker = site.users["station_worker"]
    fund, fed = site.city.orgs["基金会"], site.city.orgs["慈善会"]
    with pytest.raises(PermissionDenied) as e:
        cr.referral_send(actor=worker, case=cycle.case, organization=fed, reason="申请临时救助")
    assert _code(e) == "consent_missing"
    assert AuditLog.objects.filter(action="cases.referral.denied", object_id=str(cycle.case.pk)).exists()
    sent = cr.referral_send(actor=worker, case=cycle.case, organization=fund, reason="申请助老餐补贴")
    assert sent.consent == cycle.referral_consent and sent.status == "sent"
    with pytest.raises(Conflict):
        cr.referral_update(actor=worker, referral=sent, status="completed")
    assert cr.referral_update(actor=worker, referral=sent, status="accepted").status == "accepted"
    cs.consent_withdraw(actor=worker, consent=cycle.referral_consent)
    with pytest.raises(PermissionDenied) as e:
        cr.referral_send(actor=worker, case=cycle.case, organization=fund, reason="再次转介")
    assert _code(e) == "consent_withdrawn"


def test_an_expired_referral_consent_is_refused(site, cycle, db):
    worker = site.users["station_worker"]
    old = TODAY - dt.timedelta(days=400)
    cs.consent_record(actor=worker, beneficiary=site.child, purpose="referral", recipients=["organization"],
                      organizations=[site.city.orgs["慈善会"]], given_on=old, expires_on=old + dt.timedelta(days=30),
                      given_by="guardian", guardian=site.guardian)
    case = _new_case(site)
    with pytest.raises(PermissionDenied) as e:
        cr.referral_send(actor=worker, case=case, organization=site.city.orgs["慈善会"], reason="助学")
    assert _code(e) == "consent_expired"


def test_visits_due_for_an_elder_living_alone_and_by_the_plan(site, cycle, db):
    worker = site.users["station_worker"]
    due = list(sc.visits_due(worker, TODAY))
    assert [c.pk for c in due] == [cycle.case.pk]  # visited 40 days ago, every 30 days by default
    assert not list(sc.visits_due(worker, TODAY - dt.timedelta(days=20)))
    cr.record_add(actor=worker, case=cycle.case, kind="home_visit", care_kind="action", served_on=TODAY, minutes=45)
    assert not list(sc.visits_due(worker, TODAY))
    assert not list(sc.visits_due(site.users["other_worker"], TODAY + dt.timedelta(days=60)))
    case, plan = _plan_ready(site, cycle)  # the child: not an elder, but the plan asks for a visit every 14 days
    plan = cy.plan_submit(actor=worker, plan=plan, version=plan.version)
    cy.plan_approve(actor=site.users["agency_manager"], plan=plan, version=plan.version)
    assert case.pk in [c.pk for c in sc.visits_due(worker, case.opened_on + dt.timedelta(days=14))]
    assert case.pk not in [c.pk for c in sc.visits_due(worker, case.opened_on + dt.timedelta(days=13))]
    Case.objects.filter(pk=cycle.case.pk).update(home_visit_days=14)  # a second case on the same rhythm: one term for both
    sql = str(sc.visits_due(worker, TODAY).query)
    assert sql.count("home_visit_days\" = 14") == 1, sql


def test_the_monthly_counts(site, cycle, db):
    worker = site.users["station_worker"]
    bjj, spj = site.city.stations["北京街"].pk, site.city.stations["石牌街"].pk
    start = TODAY.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    cr.record_add(actor=worker, case=cycle.case, kind="home_visit", care_kind="action", served_on=TODAY, minutes=45)
    r = cr.record_add(actor=worker, case=cycle.case, kind="group", care_kind="psychological", served_on=TODAY, minutes=90,
                      person_times=3)
    cr.record_correct(actor=worker, record=r, reason="人次记错", kind="group", care_kind="psychological", served_on=TODAY,
                      minutes=90, person_times=4)
    counts = case_work([bjj, spj], start, end)
    assert counts[bjj] == {"cases": 1, "sessions": 2, "person_times": 5} and spj not in counts
    areas = by_care_area([bjj, spj], start, end)
    assert areas[bjj] == {"elderly": 1, "hardship": 1, "children": 1} and areas[spj] == {"disability": 1}
