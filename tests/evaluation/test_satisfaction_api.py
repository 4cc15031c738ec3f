"""The satisfaction API: the staff's surveys, one survey, its results and comments, setting one up, the dashboard; and the
public questions and answering by the survey's token (a device id for an anonymous survey, a bearer token by name)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shanlian.evaluation.models import Survey, SurveyResponse
from shanlian.people.services import api_token_create

from .test_satisfaction import Sat, answer, build_sat, device, make_survey

pytestmark = pytest.mark.django_db

BASE = "/api/evaluation/satisfaction"


@pytest.fixture
def sat(city) -> Sat:
    return build_sat(city)


def test_the_list_gives_each_survey_s_responses_and_rate_in_the_same_queries(client, sat, django_assert_max_num_queries):
    for n in range(4):
        answer(sat.survey, [5, 5, 4, 4, 3], n)
    client.force_login(sat.city.users["station_worker"])
    body = client.get(f"{BASE}/surveys").json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["id"] == sat.survey.pk)
    assert (row["responses"], row["rate"], row["state"], row["station_id"]) == (4, "0.8000", "open", sat.station.pk)
    with django_assert_max_num_queries(20) as few:
        client.get(f"{BASE}/surveys")
    for n in range(6):
        make_survey(sat.city.users["station_worker"], station=sat.station, title=f"第{n}期满意度调查")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{BASE}/surveys").json()["count"] == 8
    assert client.get(f"{BASE}/surveys", {"q": "实名"}).json()["count"] == 1
    assert client.get(f"{BASE}/surveys", {"year": 1999}).status_code == 400
    assert client.get(f"{BASE}/surveys", {"page": 9}).json()["code"] == "page_out_of_range"


@pytest.mark.parametrize("who, status, code", [
    ("finance", 403, "not_survey_staff"), ("volunteer", 403, "not_survey_staff"), (None, 401, "not_authenticated"),
])
def test_those_outside_are_refused(client, sat, who, status, code):
    if who:
        client.force_login(sat.city.users[who])
    for url in (f"{BASE}/surveys", f"{BASE}/surveys/{sat.survey.pk}", f"{BASE}/surveys/{sat.survey.pk}/results"):
        answered = client.get(url)
        assert (answered.status_code, answered.json()["code"]) == (status, code)


def test_one_survey_its_results_and_comments(client, sat):
    answer(sat.named, [4, 5, 3], actor=sat.resident, comment="希望多办亲子活动")
    answer(sat.named, [5, 5, 5], actor=sat.resident2)
    client.force_login(sat.city.users["street_officer"])
    one = client.get(f"{BASE}/surveys/{sat.named.pk}").json()
    assert one["questions"] == sat.named.questions and one["link"].endswith(f"/public/evaluation/satisfaction/s/{sat.named.token}/")
    results = client.get(f"{BASE}/surveys/{sat.named.pk}/results").json()
    assert (results["responses"], results["answers"], results["rate"], results["mean"]) == (2, 6, "0.8333", "4.50")
    assert results["questions"][2] == {"n": 3, "text": "总体满意度", "counts": [0, 0, 1, 0, 1], "mean": "4.00", "rate": "0.5000"}
    comments = client.get(f"{BASE}/surveys/{sat.named.pk}/comments").json()
    assert comments["count"] == 1 and comments["results"][0]["respondent"] == "李**"
    assert comments["results"][0]["comment"] == "希望多办亲子活动"
    client.force_login(sat.city.users["other_worker"])
    assert client.get(f"{BASE}/surveys/{sat.named.pk}/comments").status_code == 404
    assert client.get(f"{BASE}/surveys/2000000000").status_code == 404


def test_setting_up_a_survey(client, sat):
    today = timezone.localdate()
    body = {"title": "四点半课堂家长满意度", "audience": "beneficiary", "anonymous": True,
            "questions": ["老师的态度", "课堂的内容", "孩子的变化", "总体满意度"], "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=20)).isoformat(), "station_id": sat.station.pk}
    client.force_login(sat.city.users["station_worker"])
    made = client.post(f"{BASE}/surveys", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["questions"] == body["questions"] and made.json()["responses"] == 0
    both = client.post(f"{BASE}/surveys", {**body, "service_project_id": sat.project.pk}, content_type="application/json")
    assert (both.status_code, both.json()["code"]) == (400, "subject_required")
    out = client.post(f"{BASE}/surveys", {**body, "station_id": None, "service_project_id": sat.project.pk},
                      content_type="application/json")
    assert out.status_code == 404
    few = client.post(f"{BASE}/surveys", {**body, "questions": ["一", "二"]}, content_type="application/json")
    assert (few.status_code, few.json()["code"]) == (400, "question_count")
    client.force_login(sat.city.users["street_officer"])
    refused = client.post(f"{BASE}/surveys", body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_survey_staff")
    assert Survey.objects.filter(title="四点半课堂家长满意度").count() == 1


def test_the_dashboard(client, sat):
    answer(sat.survey, [5, 5, 4, 4, 3], 1)
    client.force_login(sat.city.users["city_admin"])
    body = client.get(f"{BASE}/dashboard").json()
    assert {r["name"] for r in body["rows"]} == {"越秀区", "天河区"} and body["total"]["responses"] == 1
    drill = client.get(f"{BASE}/dashboard", {"district_id": sat.city.districts["越秀"].pk}).json()
    assert drill["district"] == "越秀区" and [r["id"] for r in drill["rows"]][0] == sat.station.pk
    assert drill["rows"][0]["rate"] == "0.8000"
    client.force_login(sat.city.users["expert"])
    assert client.get(f"{BASE}/dashboard").status_code == 403


def test_answering_an_anonymous_survey_through_the_api(client, sat):
    url = f"{BASE}/answer/{sat.survey.token}"
    shown = client.get(url).json()
    assert shown["questions"] == sat.survey.questions and shown["state"] == "open" and len(shown["scale"]) == 5
    made = client.post(url, {"answers": [5, 4, 4, 5, 3], "comment": "很好", "device": device(7)}, content_type="application/json")
    assert made.status_code == 201
    again = client.post(url, {"answers": [1, 1, 1, 1, 1], "device": device(7)}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "already_answered")
    for body, code in (({"answers": [5, 4], "device": device(8)}, "answer_count"),
                       ({"answers": [5, 4, 4, 5, 7], "device": device(8)}, "answer_out_of_scale"),
                       ({"answers": [5, 4, 4, 5, 3]}, "device_required"),
                       ({"answers": [5, 4, 4, 5, 3], "device": device(8), "comment": "好" * 501}, "invalid_request")):
        refused = client.post(url, body, content_type="application/json")
        assert (refused.status_code, refused.json()["code"]) == (400, code)
    assert SurveyResponse.objects.count() == 1
    assert client.get(f"{BASE}/answer/{'0' * 43}").status_code == 404


def test_answering_a_named_survey_needs_the_resident_s_token(client, sat):
    url = f"{BASE}/answer/{sat.named.token}"
    anonymous = client.post(url, {"answers": [5, 5, 5]}, content_type="application/json")
    assert (anonymous.status_code, anonymous.json()["code"]) == (403, "login_required")
    client.force_login(sat.resident)  # a page's session answers through its form (CSRF-checked), not the API
    assert client.post(url, {"answers": [5, 5, 5]}, content_type="application/json").status_code == 403
    client.logout()
    _row, secret = api_token_create(actor=sat.resident, user=sat.resident, name="小程序")
    made = client.post(url, {"answers": [5, 4, 5]}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert made.status_code == 201 and SurveyResponse.objects.get().person.user == sat.resident
    bad = client.post(url, {"answers": [5, 4, 5]}, content_type="application/json", HTTP_AUTHORIZATION="Bearer sl_nope")
    assert (bad.status_code, bad.json()["code"]) == (403, "login_required")
