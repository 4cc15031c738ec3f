"""Core-staff competency: a staff member assessed by the organization's managers or its area's administrators, one level
1–4 an item, each competency the mean of its items; their individual report with the trend; coaching sessions with
person-times, totalled by organization and year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.scoping import Role
from shanlian.evaluation.models import CoachingSession, StaffAssessment, StaffScore
from shanlian.evaluation.selectors_competency import coaching_totals, staff_choices, staff_person_report
from shanlian.evaluation.services import competency as ks
from shanlian.people.selectors import actor_scope
from tests import factories as f

from .test_capacity_fixtures import assess, capacity, levels, questions

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap(city):
    return capacity(city)


def test_a_staff_member_is_assessed_and_each_competency_is_the_mean_of_its_items(cap, city):
    li = city.people["李伟"]  # lives in 北京街, where 启明 runs the station
    qs = questions(cap.competency)
    given = {q.pk: (4 if q.position == 1 else 3) for q in qs}
    a = ks.staff_assess(actor=cap.manager, organization=cap.org, person=li, questionnaire=cap.competency,
                        assessed_on=dt.date(2026, 1, 15), levels=given, note="个案记录规范")
    assert a.scores == {"ethics": "3.50", "casework": "3.50", "groupwork": "3.50"}
    assert StaffScore.objects.filter(assessment=a).count() == 6 and a.assessor == cap.manager
    with pytest.raises(Conflict) as twice:
        assess(cap, li, dt.date(2026, 1, 15))
    assert twice.value.code == "already_assessed" and StaffAssessment.objects.count() == 1


@pytest.mark.parametrize("who, allowed", [("agency_manager", True), ("district_admin", True), ("city_admin", True),
                                          ("station_worker", False), ("street_officer", False), ("expert", False),
                                          ("nobody", False)])
def test_who_may_assess_an_organizations_staff(cap, city, who, allowed):
    if allowed:
        assert assess(cap, city.people["李伟"], dt.date(2026, 1, 15), actor=city.users[who]).pk
    else:
        with pytest.raises(PermissionDenied):
            assess(cap, city.people["李伟"], dt.date(2026, 1, 15), actor=city.users[who])


def test_the_person_is_one_of_the_organizations_people_or_in_the_assessors_area(cap, city):
    zhang = city.people["张建国"]  # lives in 天河: not in 启明's streets, not on record with it
    with pytest.raises(ValidationFailed) as refused:
        assess(cap, zhang, dt.date(2026, 1, 15))
    assert refused.value.code == "not_staff"
    worker = f.user_with_role("qiming_worker", Role.STATION_WORKER, city.stations["人民街"], person_in=city.communities["东兴"],
                              name="梁嘉敏")
    person = worker.person  # lives in 天河, but works at a 启明 station
    assert person in staff_choices(actor_scope(cap.manager), cap.org)
    assert assess(cap, person, dt.date(2026, 1, 15)).person == person
    assert assess(cap, zhang, dt.date(2026, 1, 15), actor=cap.admin).person == zhang  # in the city's area


@pytest.mark.parametrize("change, code", [
    ({"assessed_on": dt.date(2099, 1, 1)}, "date_out_of_range"),
    ({"levels": {}}, "levels_incomplete"),
    ({"levels": "3"}, "invalid_levels"),
    ({"note": "x\x00y"}, "nul_character"),
])
def test_a_bad_assessment_is_refused_whole(cap, city, change, code):
    given = {"assessed_on": dt.date(2026, 1, 15), "levels": levels(cap.competency), "note": "", **change}
    with pytest.raises(ValidationFailed) as refused:
        ks.staff_assess(actor=cap.manager, organization=cap.org, person=city.people["李伟"], questionnaire=cap.competency, **given)
    assert code in {c for errs in refused.value.fields.values() for c, _m in errs} | {refused.value.code}
    assert not StaffAssessment.objects.exists()


def test_a_capacity_questionnaire_does_not_assess_people(cap, city):
    with pytest.raises(ValidationFailed) as refused:
        ks.staff_assess(actor=cap.manager, organization=cap.org, person=city.people["李伟"], questionnaire=cap.questionnaire,
                        assessed_on=dt.date(2026, 1, 15), levels={})
    assert refused.value.code == "not_competency"


def test_the_individual_report_shows_the_trend_and_the_latest_levels(cap, city):
    li = city.people["李伟"]
    assess(cap, li, dt.date(2025, 1, 10), 2)
    assess(cap, li, dt.date(2025, 7, 10), {"ethics": 3, "casework": 2})
    assess(cap, li, dt.date(2026, 1, 10), {"ethics": 4, "casework": 3, "groupwork": 4})
    ks.coaching_log(actor=cap.manager, organization=cap.org, held_on=dt.date(2025, 6, 1), topic="个案记录规范", people=[li])
    report = staff_person_report(actor_scope(cap.manager), li.pk)
    lines = {line.code: line.scores for line in report.lines}
    assert lines["ethics"] == [Decimal("2.00"), Decimal("3.00"), Decimal("4.00")]
    assert report.chart["dates"] == ["2025-01-10", "2025-07-10", "2026-01-10"] and len(report.chart["series"]) == 3
    ethics, items = report.latest[0]
    assert ethics.code == "ethics" and items[0][1] == 4 and items[0][2].startswith("能处理保密例外")
    assert [s.topic for s in report.sessions] == ["个案记录规范"]


def test_a_staff_members_report_is_theirs_and_their_evaluators(cap, city):
    worker = f.user_with_role("qiming_worker", Role.STATION_WORKER, city.stations["北京街"], person_in=city.communities["都府"],
                              name="梁嘉敏")
    assess(cap, worker.person, dt.date(2026, 1, 10))
    assert staff_person_report(actor_scope(worker), worker.person.pk).person == worker.person  # their own
    assert staff_person_report(actor_scope(city.users["district_admin"]), worker.person.pk)
    for who in ("station_worker", "street_officer", "other_worker", "expert", "nobody"):
        with pytest.raises(NotFound):
            staff_person_report(actor_scope(city.users[who]), worker.person.pk)


def test_coaching_counts_sessions_and_person_times_by_organization_and_year(cap, city):
    a, b = city.people["李伟"], city.people["王芳"]
    ks.coaching_log(actor=cap.manager, organization=cap.org, held_on=dt.date(2025, 11, 3), topic="项目中期报告撰写", people=[a, b])
    ks.coaching_log(actor=cap.manager, organization=cap.org, held_on=dt.date(2026, 2, 3), topic="结案报告", people=[a],
                    person_times=3, note="含两名实习生")
    ks.coaching_log(actor=cap.admin, organization=city.orgs["同心"], held_on=dt.date(2026, 2, 5), topic="督导反思日志",
                    people=[city.people["张建国"]])
    mine = {(t.organization, t.year): (t.sessions, t.person_times) for t in coaching_totals(actor_scope(cap.manager))}
    assert mine == {(cap.org.name, 2025): (1, 2), (cap.org.name, 2026): (1, 3)}
    everyone = coaching_totals(actor_scope(cap.admin), year=2026)
    assert sorted((t.sessions, t.person_times) for t in everyone) == [(1, 1), (1, 3)]


@pytest.mark.parametrize("kw, field", [
    ({"person_times": 1, "people": "both"}, "person_times"),
    ({"topic": ""}, "topic"),
    ({"held_on": dt.date(2099, 1, 1)}, "held_on"),
    ({"people": "stranger"}, "people"),
    ({"people": "twice"}, "people"),
    ({"people": "many"}, "people"),
])
def test_a_bad_coaching_session_is_refused(cap, city, kw, field):
    li, wang = city.people["李伟"], city.people["王芳"]
    people = {"both": [li, wang], "stranger": [city.people["张建国"]], "twice": [li, li], "many": [li] * 201}
    given = {"held_on": dt.date(2026, 2, 3), "topic": "个案记录", "people": [li], **kw}
    given["people"] = people.get(kw.get("people"), given["people"]) if isinstance(kw.get("people"), str) else given["people"]
    with pytest.raises(ValidationFailed) as refused:
        ks.coaching_log(actor=cap.manager, organization=cap.org, **given)
    assert field in refused.value.fields and not CoachingSession.objects.exists()


def test_only_evaluators_log_coaching(cap, city):
    with pytest.raises(PermissionDenied):
        ks.coaching_log(actor=city.users["station_worker"], organization=cap.org, held_on=dt.date(2026, 2, 3), topic="x", people=[])
    made = ks.coaching_log(actor=cap.manager, organization=cap.org, held_on=dt.date(2026, 2, 3), topic="机构内训", people=[],
                           person_times=12)
    assert (made.person_times, made.people.count(), made.coach) == (12, 0, cap.manager)
