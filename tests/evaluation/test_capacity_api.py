"""The capacity API under the pages' scopes: diagnoses with their dimension scores, peer median and change; answering by
a link's token without a login; the action plan; questionnaires; staff assessments, trends and coaching. Lists cost
the same queries however long; outsiders get nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.demo.evaluation_capacity_data import CAPACITY
from shanlian.evaluation.models import Answer, CoachingSession, Diagnosis, Questionnaire, StaffAssessment
from shanlian.evaluation.services import competency as ks

from .test_capacity_fixtures import answer, assess, capacity, levels, peer_org, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap(city):
    return capacity(city)
API = "/api/evaluation"


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_a_diagnosis_is_started_answered_by_token_and_reported_through_the_api(client, cap, city):
    for name in ("暖阳", "和悦", "善邻"):
        reported(cap, peer_org(city, name), 3)
    first = reported(cap, cap.org, 2, on=timezone.localdate() - dt.timedelta(days=400))
    client.force_login(cap.manager)
    made = post(client, f"{API}/capacity/diagnoses", {
        "organization_id": cap.org.pk, "questionnaire_id": cap.questionnaire.pk, "started_on": timezone.localdate().isoformat(),
        "respondents": [{"role": "board", "label": "理事 陈志强"}, {"role": "staff", "label": "社工 林晓彤"}]})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["previous_id"] == first.pk and body["status"] == "open" and len(body["respondents_list"]) == 2
    link = body["respondents_list"][0]["link"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    client.logout()
    form = client.get(f"{API}/capacity/answer/{token}")
    assert form.status_code == 200 and len(form.json()["dimensions"]) == 7 and not form.json()["answered"]
    given = {str(k): v for k, v in levels(cap.questionnaire, {"finance": 4}).items()}
    incomplete = post(client, f"{API}/capacity/answer/{token}", {"levels": dict(list(given.items())[1:])})
    assert incomplete.status_code == 400 and incomplete.json()["code"] == "levels_incomplete"
    assert post(client, f"{API}/capacity/answer/{token}", {"levels": given}).status_code == 201
    again = post(client, f"{API}/capacity/answer/{token}", {"levels": given})
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    assert client.get(f"{API}/capacity/answer/{'x' * 43}").status_code == 404
    client.force_login(cap.manager)
    d = body["id"]
    report = client.get(f"{API}/capacity/diagnoses/{d}").json()
    finance = next(x for x in report["dimensions"] if x["code"] == "finance")
    assert (finance["score"], finance["previous"], finance["change"], finance["peer_median"]) == ("4.00", "2.00", "2.00", "3.00")
    assert report["peers"] == 3 and report["respondents_list"][0]["answered"] != report["respondents_list"][1]["answered"]
    closed = post(client, f"{API}/capacity/diagnoses/{d}/close", {"summary": "财务改善明显"})
    assert closed.status_code == 200 and closed.json()["scores"]["finance"] == "4.00" and closed.json()["status"] == "closed"
    action = post(client, f"{API}/capacity/diagnoses/{d}/actions", {"dimension_code": "hr", "text": "制定培训计划", "owner": "人事专员",
                                                                    "due_on": timezone.localdate().isoformat()})
    assert action.status_code == 201 and action.json()["status"] == "open"
    done = post(client, f"{API}/capacity/actions/{action.json()['id']}/follow-up", {"status": "done", "follow_up": "已完成"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    bad = post(client, f"{API}/capacity/diagnoses/{d}/actions", {"dimension_code": "nope", "text": "x", "owner": "y",
                                                                 "due_on": timezone.localdate().isoformat()})
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_dimension"


def test_the_api_refuses_bad_starts_and_unknown_objects(client, cap, city):
    client.force_login(cap.manager)
    base = {"organization_id": cap.org.pk, "questionnaire_id": cap.questionnaire.pk, "started_on": timezone.localdate().isoformat(),
            "respondents": [{"role": "staff", "label": "社工"}]}
    for change, code in (({"organization_id": city.orgs["同心"].pk}, "unknown_organization"),
                         ({"questionnaire_id": 999999}, "unknown_questionnaire"),
                         ({"respondents": []}, "respondents_required"),
                         ({"started_on": "2099-01-01"}, "date_out_of_range")):
        refused = post(client, f"{API}/capacity/diagnoses", {**base, **change})
        assert refused.status_code == 400 and refused.json()["code"] == code, (change, refused.content)
    assert not Diagnosis.objects.exists()
    assert client.get(f"{API}/capacity/diagnoses/999999").status_code == 404


@pytest.mark.parametrize("who", ["street_officer", "station_worker", "other_worker", "finance", "expert", "volunteer", "nobody"])
def test_outsiders_get_no_diagnosis_assessment_or_coaching(client, cap, city, who):
    d = cap.start()
    assess(cap, city.people["李伟"], dt.date(2026, 1, 5))
    client.force_login(city.users[who])
    for url in ("/capacity/diagnoses", "/competency/assessments", "/competency/coaching", "/competency/coaching/totals"):
        assert client.get(API + url).status_code == 403, url
    assert client.get(f"{API}/capacity/diagnoses/{d.pk}").status_code == 403
    assert client.get(f"{API}/competency/people/{city.people['李伟'].pk}").status_code == 404
    assert client.get(f"{API}/capacity/questionnaires").status_code == 200  # the tools: read by anyone signed in


def test_other_areas_diagnoses_are_not_found(client, cap, city):
    theirs = reported(cap, city.orgs["同心"], 3)
    client.force_login(city.users["district_admin"])
    assert client.get(f"{API}/capacity/diagnoses/{theirs.pk}").status_code == 404
    assert client.get(f"{API}/capacity/diagnoses").json()["count"] == 0
    client.force_login(cap.admin)
    assert client.get(f"{API}/capacity/diagnoses").json()["count"] == 1


def test_the_lists_cost_the_same_queries_however_long(client, cap, city):
    client.force_login(cap.admin)
    reported(cap, cap.org, 3)
    assess(cap, city.people["李伟"], dt.date(2026, 1, 5))
    ks.coaching_log(actor=cap.admin, organization=cap.org, held_on=dt.date(2026, 1, 6), topic="个案", people=[city.people["李伟"]])
    urls = [API + u for u in ("/capacity/diagnoses", "/competency/assessments", "/competency/coaching", "/competency/coaching/totals",
                              "/capacity/questionnaires")]
    before = {}
    for url in urls:
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        before[url] = len(q)
    for n, name in enumerate(("暖阳", "和悦", "善邻")):
        org = peer_org(city, name)
        reported(cap, org, 2)
        assess(cap, city.people["王芳"], dt.date(2026, 1, 10 + n))
        ks.coaching_log(actor=cap.admin, organization=org, held_on=dt.date(2026, 1, 6), topic="督导",
                        people=[city.people["王芳"], city.people["李伟"]])
    for url in urls:
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        assert len(q) == before[url], url


def test_questionnaires_are_read_by_anyone_signed_in_and_written_by_administrators(client, cap, city):
    client.force_login(city.users["expert"])
    page = client.get(f"{API}/capacity/questionnaires?kind=capacity").json()
    assert page["count"] == 1 and page["results"][0]["dimensions"] == 7 and page["results"][0]["questions"] == 24
    detail = client.get(f"{API}/capacity/questionnaires/{cap.questionnaire.pk}").json()
    assert detail["dimensions_list"][0]["questions"][0]["descriptors"][3].startswith("理事会结构多元")
    body = {"region_id": city.city.pk, "kind": "capacity", "title": "第二版", "dimensions": CAPACITY}
    assert post(client, f"{API}/capacity/questionnaires", body).status_code == 403
    client.force_login(cap.admin)
    made = post(client, f"{API}/capacity/questionnaires", body)
    assert made.status_code == 201 and made.json()["version"] == 2
    short = post(client, f"{API}/capacity/questionnaires", {**body, "dimensions": [{**CAPACITY[0], "questions": [
        {"text": "理事会", "descriptors": ["一", "二", "三"]}]}]})
    assert short.status_code == 400 and short.json()["code"] == "descriptors_count" and Questionnaire.objects.count() == 3


def test_staff_are_assessed_their_trend_read_and_coaching_logged_through_the_api(client, cap, city):
    li = city.people["李伟"]
    assess(cap, li, dt.date(2025, 6, 1), 2)
    client.force_login(cap.manager)
    body = {"organization_id": cap.org.pk, "person_id": li.pk, "questionnaire_id": cap.competency.pk, "assessed_on": "2026-01-05",
            "levels": {str(k): v for k, v in levels(cap.competency, 4).items()}, "note": "进步明显"}
    made = post(client, f"{API}/competency/assessments", body)
    assert made.status_code == 201 and made.json()["scores"] == {"ethics": "4.00", "casework": "4.00", "groupwork": "4.00"}
    assert post(client, f"{API}/competency/assessments", body).status_code == 409
    stranger = post(client, f"{API}/competency/assessments", {**body, "person_id": city.people["张建国"].pk, "assessed_on": "2026-01-06"})
    assert stranger.status_code == 400 and stranger.json()["code"] == "not_staff" and StaffAssessment.objects.count() == 2
    trend = client.get(f"{API}/competency/people/{li.pk}").json()
    assert trend["dates"] == ["2025-06-01", "2026-01-05"] and trend["competencies"][0]["scores"] == ["2.00", "4.00"]
    logged = post(client, f"{API}/competency/coaching", {"organization_id": cap.org.pk, "held_on": "2026-02-01", "topic": "结案报告",
                                                         "people_ids": [li.pk], "person_times": 3})
    assert logged.status_code == 201 and logged.json()["person_times"] == 3 and logged.json()["people"][0]["id"] == li.pk
    fewer = post(client, f"{API}/competency/coaching", {"organization_id": cap.org.pk, "held_on": "2026-02-01", "topic": "x",
                                                        "people_ids": [li.pk, city.people["王芳"].pk], "person_times": 1})
    assert fewer.status_code == 400 and CoachingSession.objects.count() == 1
    totals = client.get(f"{API}/competency/coaching/totals?year=2026").json()
    assert totals == [{"organization": {"id": cap.org.pk, "name": cap.org.name}, "year": 2026, "sessions": 1, "person_times": 3}]


def test_a_closed_diagnosis_takes_no_answers_through_the_api(client, cap):
    d = cap.start()
    first, second = d.respondents.order_by("id")[:2]
    answer(first, 3)
    from shanlian.evaluation.services import capacity as cs

    cs.diagnosis_close(actor=cap.manager, diagnosis=d)
    late = post(client, f"{API}/capacity/answer/{second.token}", {"levels": {str(k): v for k, v in levels(cap.questionnaire).items()}})
    assert late.status_code == 409 and late.json()["code"] == "diagnosis_closed"
    assert Answer.objects.filter(respondent=second).count() == 0
