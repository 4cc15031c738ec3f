"""Satisfaction surveys: who sets one up and with what, answering once per phone or per resident, the results, the
rate that marks a station's or a project's evaluation, and who reads what. (Pages: test_satisfaction_pages.py; API:
test_satisfaction_api.py, which share the fixtures below.)"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from shanlian.core.context import RequestMeta, current
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from shanlian.core.models import AuditLog
from shanlian.core.scoping import Role
from shanlian.evaluation import satisfaction_counts as counts
from shanlian.evaluation import selectors_satisfaction as sel
from shanlian.evaluation.models import Survey, SurveyResponse
from shanlian.evaluation.services import satisfaction as ss
from shanlian.grants.services.projects import service_project_register
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def device(n: int) -> str:
    return f"phone-{n:04d}-abcdefghijklmnop"


def register_project(city: Any, *, actor: Any = None, station: str = "石牌街", lead: str = "同心", title: str = "石牌长者关爱") -> Any:
    return service_project_register(
        actor=actor or city.users["other_worker" if station == "石牌街" else "station_worker"], title=title, area="elderly",
        lead=city.orgs[lead], summary="为独居长者提供探访与陪伴", beneficiaries="独居长者", beneficiary_count=40,
        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31), station=city.stations[station])


def make_survey(actor: Any, *, station: Any = None, project: Any = None, audience: str = "beneficiary", anonymous: bool = True,
                questions: list[str] | None = None, opens: int = -10, closes: int = 20, title: str = "服务对象满意度调查") -> Survey:
    today = TODAY()
    return ss.survey_create(actor=actor, title=title, audience=audience, anonymous=anonymous,
                            questions=questions if questions is not None else ss.default_questions(audience)[:5],
                            opens_on=today + dt.timedelta(days=opens), closes_on=today + dt.timedelta(days=closes),
                            station=station, project=project)


def answer(survey: Survey, values: list[int], n: int = 0, comment: str = "", actor: Any = None) -> SurveyResponse:
    return ss.response_submit(survey=survey, answers=values, comment=comment, device="" if actor else device(n), actor=actor)


@dataclass
class Sat:
    city: Any
    station: Any  # 北京街
    project: Any  # 石牌街's project, led by 同心
    survey: Survey  # 北京街, anonymous, 5 questions
    named: Survey  # 北京街, residents by name, 3 questions
    project_survey: Survey
    resident: Any  # a resident of 都府 with a login
    resident2: Any


def build_sat(city: Any) -> Sat:
    """The surveys most tests start from (the pages' and the API's tests build the same)."""
    project = register_project(city)
    return Sat(
        city=city, station=city.stations["北京街"], project=project,
        survey=make_survey(city.users["station_worker"], station=city.stations["北京街"]),
        named=make_survey(city.users["district_admin"], station=city.stations["北京街"], audience="resident", anonymous=False,
                          questions=["工作人员的服务态度", "活动的内容与形式", "总体满意度"], title="北京街居民满意度（实名）"),
        project_survey=make_survey(city.users["other_worker"], project=project, title="长者关爱项目满意度"),
        resident=f.user_with_role("resident1", "", None, person_in=city.communities["都府"], name="李秀兰"),
        resident2=f.user_with_role("resident2", "", None, person_in=city.communities["盐运西"], name="黄志强"),
    )


@pytest.fixture
def sat(city) -> Sat:
    return build_sat(city)


def code_of(exc_info: Any) -> str:
    return exc_info.value.code


def field_codes(exc_info: Any) -> set[str]:
    return {c for errs in exc_info.value.fields.values() for c, _m in errs}


# --- setting up a survey -------------------------------------------------------------------------------------------


def test_a_station_s_worker_sets_up_a_survey_with_a_link_token(sat):
    s = sat.survey
    assert len(s.token) == 43 and s.questions == ss.default_questions("beneficiary")[:5] and s.anonymous
    assert Survey.objects.filter(token=s.token).count() == 1 and s.token != sat.named.token
    row = AuditLog.objects.get(action="evaluation.survey.create", object_id=str(s.pk))
    assert row.after["questions"] == 5 and row.after["station"] == sat.station.pk
    for audience in ("beneficiary", "resident"):
        assert ss.QUESTIONS_MIN <= len(ss.default_questions(audience)) <= ss.QUESTIONS_MAX


@pytest.mark.parametrize("who, allowed", [
    ("station_worker", True), ("agency_manager", True), ("district_admin", True), ("city_admin", True),
    ("street_officer", False), ("other_worker", False), ("finance", False), ("expert", False), ("volunteer", False), ("nobody", False),
])
def test_who_surveys_a_station(city, who, allowed):
    if allowed:
        assert make_survey(city.users[who], station=city.stations["北京街"]).pk
    else:
        with pytest.raises(PermissionDenied) as exc:
            make_survey(city.users[who], station=city.stations["北京街"])
        assert code_of(exc) == "not_survey_staff" and not Survey.objects.exists()


def test_who_surveys_a_project(city):
    project = register_project(city)
    lead_manager = f.user_with_role("tongxin", Role.ORG_MANAGER, city.orgs["同心"])
    for who in (city.users["other_worker"], city.users["city_admin"], lead_manager):
        make_survey(who, project=project)
    for name in ("district_admin", "agency_manager", "station_worker", "street_officer", "finance"):
        with pytest.raises(PermissionDenied):
            make_survey(city.users[name], project=project)
    assert Survey.objects.count() == 3


@pytest.mark.parametrize("change, field, code", [
    ({"questions": ["服务态度", "总体满意度"]}, "questions", "question_count"),
    ({"questions": [f"问题{i}" for i in range(11)]}, "questions", "question_count"),
    ({"questions": ["服务态度", "服务态度", "总体满意度"]}, "questions", "question_repeated"),
    ({"questions": ["服务态度", "总体满意度", "长" * 101]}, "questions", "too_long"),
    ({"questions": "服务态度"}, "questions", "invalid_questions"),
    ({"audience": "donor"}, "audience", "invalid_audience"),
    ({"title": ""}, "title", "required"),
    ({"title": "满意度\x00调查"}, "title", "nul_character"),
    ({"title": "满" * 129}, "title", "too_long"),
    ({"closes_on": -11}, "closes_on", "dates_reversed"),
    ({"closes_on": 360}, "closes_on", "survey_too_long"),
    ({"opens_on": -30, "closes_on": -1}, "closes_on", "closes_in_past"),
    ({"opens_on": dt.date(1900, 1, 1)}, "opens_on", "date_out_of_range"),
    ({"anonymous": "yes"}, "anonymous", "invalid_choice"),
])
def test_a_survey_s_setup_is_refused_with_a_code_and_nothing_written(city, change, field, code):
    today = TODAY()
    args: dict[str, Any] = {"title": "满意度调查", "audience": "beneficiary", "anonymous": True,
                            "questions": ["服务态度", "服务效果", "总体满意度"], "opens_on": today - dt.timedelta(days=10),
                            "closes_on": today + dt.timedelta(days=10)}
    for key, value in change.items():
        args[key] = today + dt.timedelta(days=value) if isinstance(value, int) and key.endswith("_on") else value
    with pytest.raises(ValidationFailed) as exc:
        ss.survey_create(actor=city.users["station_worker"], station=city.stations["北京街"], **args)
    assert field in exc.value.fields and code in field_codes(exc)
    assert not Survey.objects.exists()


def test_a_survey_is_of_a_station_or_of_a_project(city):
    project = register_project(city)
    for station, proj in ((None, None), (city.stations["石牌街"], project)):
        with pytest.raises(ValidationFailed) as exc:
            make_survey(city.users["city_admin"], station=station, project=proj)
        assert code_of(exc) == "subject_required"


# --- answering -------------------------------------------------------------------------------------------------------


def test_an_anonymous_survey_takes_one_answer_per_phone_and_keeps_no_trace_of_it(sat):
    token = current.set(RequestMeta(ip="10.1.2.3", user_agent="Mozilla/5.0 (iPhone)", via="page", credential="session"))
    try:
        made = ss.response_submit(survey=sat.survey, answers=[5, 4, "4", 3, 5], comment="社工很耐心\n谢谢", device=device(1),
                                  actor=sat.city.users["volunteer"])
    finally:
        current.reset(token)
    assert made.answers == [5, 4, 4, 3, 5] and made.person_id is None and made.comment == "社工很耐心\n谢谢"
    assert made.device_hash and device(1) not in made.device_hash and made.device_hash == sel.device_hash(sat.survey, device(1))
    row = AuditLog.objects.get(action="evaluation.survey.answer")
    assert (row.actor_id, row.ip, row.user_agent, row.credential) == (None, None, "", "") and row.via == "page"
    with pytest.raises(Conflict) as exc:
        answer(sat.survey, [1, 1, 1, 1, 1], 1)
    assert code_of(exc) == "already_answered"
    answer(sat.survey, [3, 3, 3, 3, 3], 2)
    assert SurveyResponse.objects.filter(survey=sat.survey).count() == 2
    # The same phone on another survey is another hash: a phone is not followed from survey to survey.
    other = make_survey(sat.city.users["station_worker"], station=sat.station, title="第二次调查")
    assert sel.device_hash(other, device(1)) != made.device_hash


@pytest.mark.parametrize("values, comment, phone, field, code", [
    ([5, 4, 4, 3], "", device(1), "answers", "answer_count"),
    ([5, 4, 4, 3, 5, 5], "", device(1), "answers", "answer_count"),
    ("55443", "", device(1), "answers", "answer_count"),
    ([5, 4, 4, 3, 0], "", device(1), "answers", "answer_out_of_scale"),
    ([5, 4, 4, 3, 6], "", device(1), "answers", "answer_out_of_scale"),
    ([5, 4, 4, 3, "x"], "", device(1), "answers", "answer_out_of_scale"),
    ([5, 4, 4, 3, True], "", device(1), "answers", "answer_out_of_scale"),
    ([5, 4, 4, 3, 4.5], "", device(1), "answers", "answer_out_of_scale"),
    ([5, 4, 4, 3, 5], "好" * 501, device(1), "comment", "too_long"),
    ([5, 4, 4, 3, 5], "好\x00", device(1), "comment", "nul_character"),
    ([5, 4, 4, 3, 5], "", "", "device", "device_required"),
    ([5, 4, 4, 3, 5], "", "short", "device", "device_required"),
    ([5, 4, 4, 3, 5], "", "../../etc/passwd-xxxxxxxxxx", "device", "device_required"),
])
def test_a_bad_answer_is_refused_with_a_code_and_nothing_written(sat, values, comment, phone, field, code):
    with pytest.raises(ValidationFailed) as exc:
        ss.response_submit(survey=sat.survey, answers=values, comment=comment, device=phone)
    assert field in exc.value.fields and code in field_codes(exc)
    assert not SurveyResponse.objects.exists()


def test_answers_are_taken_from_the_day_it_opens_to_the_day_it_closes(sat):
    upcoming = make_survey(sat.city.users["station_worker"], station=sat.station, opens=1, closes=5, title="下月调查")
    with pytest.raises(Conflict) as exc:
        answer(upcoming, [5, 5, 5, 5, 5], 1)
    assert code_of(exc) == "survey_not_open"
    last_day = timezone.now() + dt.timedelta(days=20)
    with mock.patch("django.utils.timezone.now", return_value=last_day):
        answer(sat.survey, [5, 5, 5, 5, 5], 1)
    with mock.patch("django.utils.timezone.now", return_value=last_day + dt.timedelta(days=1)), pytest.raises(Conflict) as exc:
        answer(sat.survey, [5, 5, 5, 5, 5], 2)
    assert code_of(exc) == "survey_closed" and SurveyResponse.objects.count() == 1


def test_a_named_survey_takes_one_answer_per_resident_on_record_not_from_its_staff(sat):
    with pytest.raises(PermissionDenied) as exc:
        ss.response_submit(survey=sat.named, answers=[5, 5, 5], actor=None)
    assert code_of(exc) == "login_required"
    with pytest.raises(PermissionDenied) as exc:
        ss.response_submit(survey=sat.named, answers=[5, 5, 5], actor=sat.city.users["nobody"])
    assert code_of(exc) == "not_a_resident"
    staff = f.user_with_role("worker_resident", Role.STATION_WORKER, sat.station, person_in=sat.city.communities["都府"])
    with pytest.raises(PermissionDenied) as exc:
        ss.response_submit(survey=sat.named, answers=[5, 5, 5], actor=staff)
    assert code_of(exc) == "own_staff"
    made = answer(sat.named, [4, 5, 3], actor=sat.resident, comment="希望多办亲子活动")
    assert made.person.user == sat.resident and made.device_hash == ""
    assert AuditLog.objects.get(action="evaluation.survey.answer").actor_id == sat.resident.pk
    with pytest.raises(Conflict) as exc:
        answer(sat.named, [1, 1, 1], actor=sat.resident)
    assert code_of(exc) == "already_answered" and SurveyResponse.objects.count() == 1


# --- results ---------------------------------------------------------------------------------------------------------


def test_results_count_each_answer_and_the_rate_is_the_share_of_fours_and_fives(sat):
    for n, values in enumerate(([5, 4, 3, 2, 1], [5, 5, 4, 4, 3], [4, 4, 4, 1, 5], [2, 3, 5, 5, 5])):
        answer(sat.survey, values, n, comment="环境可以再改善" if n == 0 else "")
    r = counts.survey_results(sat.survey)
    assert (r.responses, r.answers) == (4, 20)
    assert [q.counts for q in r.questions] == [[0, 1, 0, 1, 2], [0, 0, 1, 2, 1], [0, 0, 1, 2, 1], [1, 1, 0, 1, 1], [1, 0, 1, 0, 2]]
    assert [q.rate for q in r.questions] == [Decimal("0.7500"), Decimal("0.7500"), Decimal("0.7500"), Decimal("0.5000"), Decimal("0.5000")]
    assert [q.mean for q in r.questions] == [Decimal("4.00"), Decimal("4.00"), Decimal("4.00"), Decimal("3.00"), Decimal("3.50")]
    assert r.rate == Decimal("0.6500") and r.percent == Decimal("65.0") and r.mean == Decimal("3.70")
    chart = r.chart()
    assert chart["questions"] == ["Q1", "Q2", "Q3", "Q4", "Q5"] and chart["shares"][0] == [0.0, 25.0, 0.0, 25.0, 50.0]
    assert len(chart["labels"]) == 5
    comments = list(counts.survey_comments(sat.survey))
    assert [c.comment for c in comments] == ["环境可以再改善"] and counts.respondent_name(sat.survey, comments[0]) == ""


def test_a_named_survey_s_comments_show_a_masked_name(sat):
    answer(sat.named, [4, 5, 3], actor=sat.resident, comment="希望多办亲子活动")
    (c,) = counts.survey_comments(sat.named)
    assert counts.respondent_name(sat.named, c) == "李**"


def test_no_answer_no_rate(sat):
    r = counts.survey_results(sat.survey)
    assert (r.responses, r.rate, r.mean, r.percent) == (0, None, None, None)
    assert all(q.rate is None and q.shares == [0] * 5 for q in r.questions)


# --- the rate that marks an evaluation ---------------------------------------------------------------------------------


@pytest.fixture
def few(settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "EVALUATION_SATISFACTION_MIN_RESPONSES": 3}


def test_a_station_s_rate_pools_its_surveys_and_its_projects_of_the_year(city, few):
    shipai = city.stations["石牌街"]
    project = register_project(city)
    own = make_survey(city.users["other_worker"], station=shipai, questions=["服务态度", "服务效果", "总体满意度"])
    of_project = make_survey(city.users["other_worker"], project=project, questions=["服务态度", "服务效果", "总体满意度", "环境"])
    year = TODAY().year
    assert counts.satisfaction_rate(station=shipai, year=year) is None
    answer(own, [5, 5, 5], 1)
    answer(own, [4, 2, 1], 2)
    assert counts.satisfaction_rate(station=shipai, year=year) is None  # 2 responses: too few to mark (3 here)
    answer(of_project, [5, 4, 3, 3], 3)
    # own: 5,5,5,4 good of 6; project: 5,4 good of 4 → 6 of 10
    assert counts.satisfaction_rate(station=shipai, year=year) == Decimal("0.6000")
    assert counts.satisfaction_pool(station=shipai, year=year).responses == 3
    assert counts.satisfaction_rate(project=project, year=year) is None  # one response
    answer(of_project, [5, 5, 5, 5], 4)
    answer(of_project, [1, 1, 1, 1], 5)
    assert counts.satisfaction_rate(project=project, year=year) == Decimal("0.5000")  # 2 + 4 + 0 good of 12
    assert counts.satisfaction_rate(station=shipai, year=year - 1) is None
    assert counts.satisfaction_rate(station=city.stations["北京街"], year=year) is None
    leaf = SimpleNamespace(code="3.2.1", points=Decimal("50.00"), source="satisfaction")
    rate = counts.satisfaction_rate(station=shipai, year=year)  # 4 + 6 good of 6 + 12 answers
    assert rate == Decimal("0.5556")
    assert counts.satisfaction_points(leaf=leaf, station=shipai, year=year) == Decimal("27.78")
    assert counts.satisfaction_points(leaf=leaf, station=city.stations["北京街"], year=year) is None
    with pytest.raises(ValueError):
        counts.satisfaction_points(leaf=SimpleNamespace(code="1.1", points=Decimal(10), source=""), station=shipai, year=year)
    with pytest.raises(ValueError):
        counts.satisfaction_rate(station=shipai, project=project, year=year)


def test_a_survey_counts_in_the_year_it_opens(city, few):
    shipai = city.stations["石牌街"]
    last_year = dt.datetime(TODAY().year - 1, 6, 15, 10, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=last_year):
        old = make_survey(city.users["other_worker"], station=shipai, questions=["服务态度", "服务效果", "总体满意度"])
        for n in range(3):
            answer(old, [5, 4, 1], n)
    year = TODAY().year
    assert counts.satisfaction_rate(station=shipai, year=year - 1) == Decimal("0.6667")
    assert counts.satisfaction_rate(station=shipai, year=year) is None


def test_the_rate_needs_ten_responses_by_default(city):
    s = make_survey(city.users["other_worker"], station=city.stations["石牌街"], questions=["服务态度", "服务效果", "总体满意度"])
    for n in range(9):
        answer(s, [5, 5, 4], n)
    year = TODAY().year
    assert counts.satisfaction_rate(station=city.stations["石牌街"], year=year) is None
    answer(s, [1, 1, 1], 9)
    assert counts.satisfaction_rate(station=city.stations["石牌街"], year=year) == Decimal("0.9000")


# --- who reads what ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, sees", [
    ("city_admin", {"survey", "named", "project_survey"}),
    ("district_admin", {"survey", "named"}),
    ("street_officer", {"survey", "named"}),
    ("agency_manager", {"survey", "named"}),
    ("station_worker", {"survey", "named"}),
    ("other_worker", {"project_survey"}),
    ("tongxin", {"project_survey"}),
])
def test_each_reads_the_surveys_in_scope(sat, who, sees):
    user = f.user_with_role("tongxin", Role.ORG_MANAGER, sat.city.orgs["同心"]) if who == "tongxin" else sat.city.users[who]
    got = {name for name in ("survey", "named", "project_survey") if getattr(sat, name) in sel.surveys_list(actor=user)}
    assert got == sees
    for name in ("survey", "named", "project_survey"):
        s = getattr(sat, name)
        assert sel.may_read_survey(sel.actor_scope(user), s) == (name in sees)
        if name not in sees:
            with pytest.raises(NotFound):
                sel.survey_get(actor=user, survey_id=s.pk)
    assert sel.surveys_list(actor=user).filter(pk__in=[getattr(sat, n).pk for n in sees]).count() == len(sees)


@pytest.mark.parametrize("who", ["finance", "expert", "volunteer", "donor", "nobody"])
def test_others_do_not_open_the_surveys(sat, who):
    with pytest.raises(PermissionDenied) as exc:
        sel.surveys_list(actor=sat.city.users[who])
    assert code_of(exc) == "not_survey_staff"
    with pytest.raises(PermissionDenied):
        sel.survey_get(actor=sat.city.users[who], survey_id=sat.survey.pk)


def test_a_look_out_of_scope_is_logged_and_answered_as_missing(sat):
    with pytest.raises(NotFound):
        sel.survey_get(actor=sat.city.users["other_worker"], survey_id=sat.survey.pk)
    assert AuditLog.objects.filter(action="access.denied", object_type="evaluation.survey", object_id=str(sat.survey.pk)).exists()
    with pytest.raises(NotFound):
        sel.survey_public_get("x" * 65)
    with pytest.raises(NotFound):
        sel.survey_public_get("0" * 43)
    assert sel.survey_public_get(sat.survey.token) == sat.survey


# --- the dashboard ---------------------------------------------------------------------------------------------------


def test_the_dashboard_goes_from_districts_to_stations_in_scope(sat, django_assert_max_num_queries):
    for n in range(4):
        answer(sat.survey, [5, 5, 4, 4, 3], n)
    answer(sat.project_survey, [5, 5, 5, 5, 5], 9)
    year = TODAY().year
    with django_assert_max_num_queries(12):
        board = sel.dashboard(actor=sat.city.users["city_admin"], year=year)
    by_name = {r.name: r for r in board.rows}
    assert set(by_name) == {"越秀区", "天河区"} and by_name["越秀区"].stations == 2 and by_name["天河区"].stations == 1
    assert (by_name["越秀区"].pool.responses, by_name["越秀区"].pool.rate) == (4, Decimal("0.8000"))
    assert (by_name["天河区"].pool.responses, by_name["天河区"].pool.rate) == (1, Decimal("1.0000"))
    assert board.total.pool.responses == 5 and board.total.pool.rate == Decimal("0.8400") and board.total.stations == 3
    drill = sel.dashboard(actor=sat.city.users["city_admin"], year=year, district_id=sat.city.districts["越秀"].pk)
    assert [(r.name, r.pool.responses) for r in drill.rows] == [(sat.station.name, 4), (sat.city.stations["人民街"].name, 0)]
    assert drill.rows[1].pool.rate is None
    mine = sel.dashboard(actor=sat.city.users["district_admin"], year=year)
    assert [r.name for r in mine.rows] == ["越秀区"]
    with pytest.raises(NotFound):
        sel.dashboard(actor=sat.city.users["district_admin"], year=year, district_id=sat.city.districts["天河"].pk)
    worker = sel.dashboard(actor=sat.city.users["station_worker"], year=year, district_id=sat.city.districts["越秀"].pk)
    assert [r.name for r in worker.rows] == [sat.station.name]
    for who in ("finance", "expert", "nobody"):
        with pytest.raises(PermissionDenied):
            sel.dashboard(actor=sat.city.users[who], year=year)


def test_the_dashboard_reads_a_city_in_the_same_queries_however_many_surveys(sat, django_assert_max_num_queries):
    for name in ("人民街",):
        s = make_survey(sat.city.users["agency_manager"], station=sat.city.stations[name])
        for n in range(3):
            answer(s, [4, 4, 4, 4, 4], n)
    with django_assert_max_num_queries(12):
        sel.dashboard(actor=sat.city.users["city_admin"], year=TODAY().year, district_id=sat.city.districts["越秀"].pk)


# --- the demo ----------------------------------------------------------------------------------------------------------


def test_the_demo_surveys_the_city_s_stations_and_a_second_run_makes_nothing(city):
    from shanlian.demo.evaluation_satisfaction import seed_satisfaction

    register_project(city, station="北京街", lead="启明", title="「耆乐安居」长者居家安全社工服务项目")
    made = seed_satisfaction(admin=city.users["city_admin"], city=city.city)
    assert made["evaluation_surveys"] == Survey.objects.count() >= 7
    assert made["evaluation_survey_responses"] == SurveyResponse.objects.count()
    year = TODAY().year
    for street in ("北京街", "人民街", "石牌街"):
        pool = counts.satisfaction_pool(station=city.stations[street], year=year)
        assert pool.responses >= 20 and Decimal("0.7") <= pool.rate <= Decimal("0.99")
    assert counts.satisfaction_pool(station=city.stations["北京街"], year=year - 1).responses > 0  # last year's, for a trend
    assert SurveyResponse.objects.exclude(comment="").exists()
    assert seed_satisfaction(admin=city.users["city_admin"], city=city.city) == Counter()
