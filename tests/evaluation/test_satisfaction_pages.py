"""The satisfaction pages: the staff's list, the form, a survey's results, the poster, a station's and a project's years,
the dashboard; and the public answer page on a phone, anonymous (one answer per phone, by its cookie) or by name."""

from __future__ import annotations

import datetime as dt
import json
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from shanlian.evaluation.models import Survey, SurveyResponse
from shanlian.evaluation.views_public_satisfaction import DEVICE_COOKIE
from tests import factories as f

from .test_satisfaction import Sat, answer, build_sat, make_survey, register_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def sat(city) -> Sat:
    return build_sat(city)


def codes(html: str) -> set[str]:
    return set(re.findall(r'data-error-code="([^"]+)"', html))


def answer_url(s: Survey) -> str:
    return reverse("evaluation_public:satisfaction_answer", args=[s.token])


# --- staff pages ---------------------------------------------------------------------------------------------------


def test_the_list_shows_each_survey_s_responses_and_rate_in_the_same_queries(client, sat, django_assert_max_num_queries):
    for n in range(4):
        answer(sat.survey, [5, 5, 4, 4, 3], n)
    client.force_login(sat.city.users["station_worker"])
    url = reverse("evaluation:satisfaction_surveys")
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and html.count('data-testid="survey-row"') == 2
    assert f'data-survey="{sat.survey.pk}"' in html and f'data-survey="{sat.project_survey.pk}"' not in html
    assert ">80.0%<" in html and 'data-testid="new-survey"' in html and 'data-testid="tab-dashboard"' in html
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(6):
        make_survey(sat.city.users["station_worker"], station=sat.station, title=f"第{n}期满意度调查")
    with django_assert_max_num_queries(len(few.captured_queries)):
        more = client.get(url)
    assert more.content.decode().count('data-testid="survey-row"') == 8
    filtered = client.get(url, {"q": "实名", "year": "1999", "audience": "nope"})
    assert filtered.status_code == 200 and filtered.content.decode().count('data-testid="survey-row"') == 1


@pytest.mark.parametrize("who, status", [("finance", 403), ("expert", 403), ("volunteer", 403), ("nobody", 403)])
def test_those_outside_the_surveys_are_refused(client, sat, who, status):
    client.force_login(sat.city.users[who])
    for url in (reverse("evaluation:satisfaction_surveys"), reverse("evaluation:satisfaction_survey_new"),
                reverse("evaluation:satisfaction_survey", args=[sat.survey.pk]), reverse("evaluation:satisfaction_dashboard")):
        assert client.get(url).status_code == status


def test_anonymous_is_sent_to_sign_in(client, sat):
    page = client.get(reverse("evaluation:satisfaction_surveys"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))


def test_a_worker_sets_up_a_survey_on_the_form(client, sat):
    client.force_login(sat.city.users["station_worker"])
    url = reverse("evaluation:satisfaction_survey_new")
    form = client.get(url, {"station": sat.station.pk})
    html = form.content.decode()
    assert form.status_code == 200 and f'value="station:{sat.station.pk}" selected' in html and "社工的服务态度" in html
    assert f'value="station:{sat.city.stations["石牌街"].pk}"' not in html
    today = timezone.localdate()
    post = {"subject": f"station:{sat.station.pk}", "title": "长者饭堂满意度调查", "audience": "beneficiary", "anonymous": "on",
            "questions": "饭菜口味\n用餐环境\n工作人员态度\n总体满意度", "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=14)).isoformat()}
    done = client.post(url, post)
    made = Survey.objects.get(title="长者饭堂满意度调查")
    assert done.status_code == 302 and done["Location"] == reverse("evaluation:satisfaction_survey", args=[made.pk])
    assert made.questions == ["饭菜口味", "用餐环境", "工作人员态度", "总体满意度"] and made.anonymous and made.station == sat.station
    refused = client.post(url, {**post, "title": "再来一次", "questions": "饭菜口味\n总体满意度"})
    assert refused.status_code == 400 and "question_count" in codes(refused.content.decode())
    reversed_ = client.post(url, {**post, "title": "再来一次", "closes_on": (today - dt.timedelta(days=1)).isoformat()})
    assert reversed_.status_code == 400 and "dates_reversed" in codes(reversed_.content.decode())
    other = client.post(url, {**post, "title": "再来一次", "subject": f"station:{sat.city.stations['石牌街'].pk}"})
    assert other.status_code == 400 and not Survey.objects.filter(title="再来一次").exists()


def test_a_street_officer_reads_but_does_not_set_up(client, sat):
    client.force_login(sat.city.users["street_officer"])
    assert client.get(reverse("evaluation:satisfaction_survey", args=[sat.survey.pk])).status_code == 200
    assert client.get(reverse("evaluation:satisfaction_survey_new")).status_code == 403
    assert 'data-testid="new-survey"' not in client.get(reverse("evaluation:satisfaction_surveys")).content.decode()


def test_the_results_page_shows_the_chart_the_questions_and_comments(client, sat):
    answer(sat.survey, [5, 4, 3, 2, 1], 1, comment="活动室有点小，夏天很热")
    answer(sat.survey, [5, 5, 5, 5, 4], 2)
    client.force_login(sat.city.users["agency_manager"])
    page = client.get(reverse("evaluation:satisfaction_survey", args=[sat.survey.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and html.count('data-testid="question-row"') == 5 and 'data-testid="chart"' in html
    data = json.loads(re.search(r'<script id="sl-satisfaction-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert data["counts"][0] == [0, 0, 0, 0, 2] and data["questions"][0] == "Q1"
    assert 'data-testid="stat-responses">2<' in html and 'data-testid="stat-rate">70.0%<' in html
    assert "活动室有点小，夏天很热" in html and 'data-testid="respondent"' not in html
    assert "<svg" in html and sat.survey.token in html and "echarts.min.js" in html
    assert client.get(reverse("evaluation:satisfaction_poster", args=[sat.survey.pk])).status_code == 200


def test_a_named_survey_s_comments_carry_masked_names_only(client, sat):
    answer(sat.named, [4, 5, 3], actor=sat.resident, comment="希望多办亲子活动")
    client.force_login(sat.city.users["district_admin"])
    html = client.get(reverse("evaluation:satisfaction_survey", args=[sat.named.pk])).content.decode()
    assert 'data-testid="respondent">李**<' in html and "李秀兰" not in html


def test_an_empty_survey_has_no_chart(client, sat):
    client.force_login(sat.city.users["station_worker"])
    html = client.get(reverse("evaluation:satisfaction_survey", args=[sat.survey.pk])).content.decode()
    assert 'data-testid="no-chart"' in html and 'data-testid="no-comments"' in html and "echarts.min.js" not in html


@pytest.mark.parametrize("who, sees_station, sees_project", [
    ("city_admin", True, True), ("district_admin", True, False), ("street_officer", True, False),
    ("agency_manager", True, False), ("station_worker", True, False), ("other_worker", False, True),
])
def test_a_station_s_and_a_project_s_years_are_in_scope_only(client, sat, who, sees_station, sees_project):
    answer(sat.survey, [5, 5, 4, 4, 3], 1)
    client.force_login(sat.city.users[who])
    station = client.get(reverse("evaluation:satisfaction_station", args=[sat.station.pk]))
    project = client.get(reverse("evaluation:satisfaction_project", args=[sat.project.pk]))
    survey = client.get(reverse("evaluation:satisfaction_survey", args=[sat.survey.pk]))
    assert (station.status_code, project.status_code, survey.status_code) == (
        200 if sees_station else 404, 200 if sees_project else 404, 200 if sees_station else 404)
    if sees_station:
        html = station.content.decode()
        assert f'data-year="{timezone.localdate().year}"' in html and html.count('data-testid="survey-row"') == 2


def test_a_station_s_page_counts_its_projects_surveys(client, city):
    project = register_project(city, station="北京街", lead="启明", title="北京街长者饭堂")
    s = make_survey(city.users["agency_manager"], project=project)
    answer(s, [5, 5, 5, 5, 5], 1)
    client.force_login(city.users["station_worker"])
    html = client.get(reverse("evaluation:satisfaction_station", args=[city.stations["北京街"].pk])).content.decode()
    assert f'data-survey="{s.pk}"' in html and ">100.0%<" in html and "北京街长者饭堂" in html


def test_the_dashboard_drills_from_districts_to_stations(client, sat):
    answer(sat.survey, [5, 5, 4, 4, 3], 1)
    client.force_login(sat.city.users["city_admin"])
    url = reverse("evaluation:satisfaction_dashboard")
    html = client.get(url).content.decode()
    assert html.count('data-testid="dashboard-row"') == 2 and f"district={sat.city.districts['越秀'].pk}" in html
    drill = client.get(url, {"district": sat.city.districts["越秀"].pk, "year": timezone.localdate().year}).content.decode()
    assert drill.count('data-testid="dashboard-row"') == 2 and reverse("evaluation:satisfaction_station", args=[sat.station.pk]) in drill
    assert client.get(url, {"district": "²", "year": "x"}).status_code == 200
    assert client.get(url, {"district": "99999999"}).status_code == 404
    client.force_login(sat.city.users["street_officer"])
    assert client.get(url).content.decode().count('data-testid="dashboard-row"') == 1
    client.force_login(sat.city.users["finance"])
    assert client.get(url).status_code == 403


# --- the public answer page ----------------------------------------------------------------------------------------


def posted(n: int, values: list[int], comment: str = "") -> dict[str, str]:
    return {**{f"q{i}": str(v) for i, v in enumerate(values, start=1)}, "comment": comment}


def test_a_phone_answers_an_anonymous_survey_once(client, sat):
    url = answer_url(sat.survey)
    first = client.get(url)
    html = first.content.decode()
    assert first.status_code == 200 and html.count('data-testid="question"') == 5 and DEVICE_COOKIE in first.cookies
    cookie = first.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/public/evaluation/satisfaction/s/"
    done = client.post(url, posted(5, [5, 4, 4, 5, 3], "社工姐姐很耐心，每周都来看我"))
    assert done.status_code == 302 and done["Location"] == reverse("evaluation_public:satisfaction_thanks", args=[sat.survey.token])
    made = SurveyResponse.objects.get(survey=sat.survey)
    assert made.answers == [5, 4, 4, 5, 3] and made.comment == "社工姐姐很耐心，每周都来看我" and cookie.value not in made.device_hash
    assert client.get(done["Location"]).status_code == 200
    again = client.get(url)
    assert again.status_code == 200 and 'data-code="already_answered"' in again.content.decode()
    assert client.post(url, posted(5, [1, 1, 1, 1, 1])).status_code == 409
    assert SurveyResponse.objects.count() == 1


def test_an_answer_without_the_phone_s_cookie_is_refused_and_the_cookie_given(client, sat):
    url = answer_url(sat.survey)
    refused = client.post(url, posted(5, [5, 5, 5, 5, 5]))
    assert refused.status_code == 400 and "device_required" in codes(refused.content.decode())
    assert DEVICE_COOKIE in refused.cookies and not SurveyResponse.objects.exists()
    assert client.post(url, posted(5, [5, 5, 5, 5, 5])).status_code == 302


@pytest.mark.parametrize("data, code", [
    (posted(5, [5, 4, 4, 5]), "required"),
    (posted(5, [5, 4, 4, 5, 9]), "invalid_choice"),
    (posted(5, [5, 4, 4, 5, 3], "好" * 501), "too_long"),
    (posted(5, [5, 4, 4, 5, 3], "好\x00"), "nul_character"),
    ({"q1": "²", "q2": "x\x00y", "comment": "²"}, "nul_character"),
    ({"q1": "²", "q2": "6", "q3": "-1", "comment": "²"}, "invalid_choice"),
])
def test_a_bad_answer_on_the_page_is_refused_and_nothing_written(client, sat, data, code):
    url = answer_url(sat.survey)
    client.get(url)
    page = client.post(url, data)
    assert page.status_code == 400 and code in codes(page.content.decode()) and not SurveyResponse.objects.exists()


def test_the_page_says_when_a_survey_is_not_open(client, sat):
    upcoming = make_survey(sat.city.users["station_worker"], station=sat.station, opens=3, closes=10, title="下周调查")
    page = client.get(answer_url(upcoming))
    assert page.status_code == 200 and 'data-code="survey_upcoming"' in page.content.decode()
    assert 'data-testid="answer-form"' not in page.content.decode()
    later = timezone.now() + dt.timedelta(days=40)
    with mock.patch("django.utils.timezone.now", return_value=later):
        closed = client.get(answer_url(sat.survey))
        assert 'data-code="survey_closed"' in closed.content.decode()
        assert client.post(answer_url(sat.survey), posted(5, [5, 5, 5, 5, 5])).status_code == 409
    assert client.get(reverse("evaluation_public:satisfaction_answer", args=["0" * 43])).status_code == 404
    assert client.get(reverse("evaluation_public:satisfaction_answer", args=["x" * 80])).status_code == 404
    assert client.get(reverse("evaluation_public:satisfaction_thanks", args=["0" * 43])).status_code == 404


def test_a_named_survey_asks_a_resident_to_sign_in(client, sat):
    url = answer_url(sat.named)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and 'data-code="login_required"' in html and f"?next={url}" in html
    assert DEVICE_COOKIE not in page.cookies
    assert client.post(url, posted(3, [5, 5, 5])).status_code == 403
    client.force_login(sat.city.users["nobody"])
    assert 'data-code="not_a_resident"' in client.get(url).content.decode()
    staff = f.user_with_role("worker_resident", "station_worker", sat.station, person_in=sat.city.communities["都府"])
    client.force_login(staff)
    assert 'data-code="own_staff"' in client.get(url).content.decode()
    client.force_login(sat.resident)
    assert client.get(url).content.decode().count('data-testid="question"') == 3
    assert client.post(url, posted(3, [4, 5, 4], "希望周末也开放")).status_code == 302
    assert SurveyResponse.objects.get(survey=sat.named).person.user == sat.resident
    assert 'data-code="already_answered"' in client.get(url).content.decode()
    client.force_login(sat.resident2)
    assert client.post(url, posted(3, [3, 3, 3])).status_code == 302
    assert SurveyResponse.objects.filter(survey=sat.named).count() == 2


@pytest.mark.parametrize("who", ["city_admin", "district_admin", "street_officer", "agency_manager", "station_worker", "other_worker",
                                 "finance", "expert", "volunteer", "donor", "nobody"])
def test_the_menu_s_rules_are_the_pages_rules(client, city, who):
    """The menu entries (evaluation/permissions.py) offer the pages to whom they open for."""
    from shanlian.evaluation.selectors_satisfaction import may_open_dashboard, may_open_satisfaction
    from shanlian.people.selectors import actor_scope

    client.force_login(city.users[who])
    scope = actor_scope(city.users[who])
    assert client.get(reverse("evaluation:satisfaction_surveys")).status_code == (200 if may_open_satisfaction(scope) else 403)
    assert client.get(reverse("evaluation:satisfaction_dashboard")).status_code == (200 if may_open_dashboard(scope) else 403)
