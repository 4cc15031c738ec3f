"""The capacity pages: a manager starts a diagnosis, respondents answer on the public page by their link, the report
shows the radar chart beside the peer median and the previous diagnosis, the action plan is kept, the PDF prints;
questionnaires and advice are kept by administrators; staff are assessed and coaching logged. Every page refuses
whom it should, lists cost the same queries however long they grow, and bad input never writes half."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanlian.evaluation.models import ActionItem, Advice, Answer, CoachingSession, Diagnosis, Questionnaire, StaffAssessment
from shanlian.evaluation.services import capacity as cs
from shanlian.evaluation.services import competency as ks

from .test_capacity_fixtures import answer, assess, capacity, levels, peer_org, reported

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap(city):
    return capacity(city)

OUTSIDERS = ("street_officer", "station_worker", "other_worker", "finance", "expert", "volunteer", "donor", "nobody")


def radar(page: str) -> dict:
    return json.loads(re.search(r'<script id="sl-radar-data" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_a_manager_starts_a_diagnosis_on_the_page_and_sees_the_links(client, cap):
    client.force_login(cap.manager)
    assert client.get(reverse("evaluation:capacity_start")).status_code == 200
    post = {"organization": cap.org.pk, "questionnaire": cap.questionnaire.pk, "started_on": timezone.localdate().isoformat(),
            "board": "理事 陈志强", "director": "何俊杰", "staff": "林晓彤\n吴嘉欣\n\n"}
    done = client.post(reverse("evaluation:capacity_start"), post)
    d = Diagnosis.objects.get()
    assert done.status_code == 302 and d.respondents.count() == 4
    page = client.get(reverse("evaluation:capacity_diagnosis", args=[d.pk])).content.decode()
    assert page.count('data-testid="respondent-link"') == 4 and d.respondents.first().token in page
    again = client.post(reverse("evaluation:capacity_start"), post)
    assert again.status_code == 409 and 'data-error-code="diagnosis_open"' in again.content.decode()


def test_a_start_without_respondents_shows_the_error_and_saves_nothing(client, cap):
    client.force_login(cap.manager)
    post = {"organization": cap.org.pk, "questionnaire": cap.questionnaire.pk, "started_on": timezone.localdate().isoformat()}
    refused = client.post(reverse("evaluation:capacity_start"), post)
    assert refused.status_code == 400 and 'data-error-code="respondents_required"' in refused.content.decode()
    bad_org = client.post(reverse("evaluation:capacity_start"), {**post, "organization": cap.city.orgs["同心"].pk, "staff": "社工"})
    assert bad_org.status_code == 400 and not Diagnosis.objects.exists()


def test_a_respondent_answers_on_the_public_page_once(client, cap):
    d = cap.start()
    r = d.respondents.order_by("id").first()
    url = reverse("evaluation_public:capacity_answer", args=[r.token])
    page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count('data-testid="item"') == 24
    given = {f"q{k}": v for k, v in levels(cap.questionnaire, 3).items()}
    missing = dict(list(given.items())[1:])
    refused = client.post(url, missing)
    assert refused.status_code == 400 and 'data-error-code="required"' in refused.content.decode() and not Answer.objects.exists()
    wrong = client.post(url, {**given, next(iter(given)): "5"})
    assert wrong.status_code == 400 and not Answer.objects.exists()
    assert client.post(url, given).status_code == 302
    assert Answer.objects.filter(respondent=r).count() == 24
    thanks = client.get(url).content.decode()
    assert 'data-testid="answered"' in thanks and 'data-testid="answer-form"' not in thanks
    assert client.post(url, given).status_code == 409
    for token in ("x" * 43, "²", "a" * 300, r.token[:-1]):
        assert client.get(reverse("evaluation_public:capacity_answer", args=[token])).status_code == 404


def test_the_report_shows_the_radar_beside_the_peer_median_and_the_previous_diagnosis(client, cap, city):
    first = reported(cap, cap.org, {"finance": 2}, on=timezone.localdate() - dt.timedelta(days=365))
    for name in ("暖阳", "和悦", "善邻"):
        reported(cap, peer_org(city, name), 3)
    d = cap.start()
    assert d.previous_id == first.pk
    board, director, *staff = d.respondents.order_by("role", "id")
    answer(board, {"finance": 4, "hr": 4})
    for r in (director, *staff):
        answer(r, {"finance": 3, "hr": 2})
    cs.advice_add(actor=cap.admin, region=cap.region, dimension_code="hr", below="2.6", text="建立年度培训计划")
    client.force_login(cap.manager)
    page = client.get(reverse("evaluation:capacity_diagnosis", args=[d.pk])).content.decode()
    assert 'data-testid="radar"' in page and "echarts.min.js" in page
    chart = radar(page)
    assert [s["key"] for s in chart["series"]] == ["this", "peers", "previous"] and len(chart["indicators"]) == 7
    assert chart["series"][1]["value"] == [3.0] * 7 and chart["series"][2]["value"][2] == 2.0
    assert 'data-code="finance" data-score="3.25" data-peer="3.00" data-change="1.25"' in page
    assert 'data-testid="role-row" data-code="hr" data-divergent="1"' in page
    assert 'data-testid="advice-for" data-code="hr"' in page and "建立年度培训计划" in page
    assert 'data-testid="previous-link"' in page


def test_the_plan_is_kept_on_the_report_page(client, cap):
    d = cap.start(on=timezone.localdate() - dt.timedelta(days=60))
    client.force_login(cap.manager)
    url = reverse("evaluation:capacity_action_add", args=[d.pk])
    bad = client.post(url, {"dimension_code": "finance", "text": "", "owner": "财务主管", "due_on": "2026-13-01"})
    assert bad.status_code == 400 and not ActionItem.objects.exists()
    due = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert client.post(url, {"dimension_code": "finance", "text": "按项目编制预算", "owner": "财务主管", "due_on": due}).status_code == 302
    a = ActionItem.objects.get()
    page = client.get(reverse("evaluation:capacity_diagnosis", args=[d.pk])).content.decode()
    assert 'data-testid="action" data-status="open" data-overdue="1"' in page and 'data-testid="count-overdue">1<' in page
    follow = reverse("evaluation:capacity_action", args=[a.pk])
    empty = client.post(follow, {"status": "done", "follow_up": ""})
    assert empty.status_code == 400
    assert client.post(follow, {"status": "done", "follow_up": "预算已编制并执行"}).status_code == 302
    a.refresh_from_db()
    assert (a.status, a.done_on) == ("done", timezone.localdate())


def test_closing_on_the_page_freezes_the_scores_and_the_pdf_prints(client, cap):
    d = cap.start()
    client.force_login(cap.manager)
    close = reverse("evaluation:capacity_close", args=[d.pk])
    early = client.post(close, {"summary": ""})
    assert early.status_code == 409 and 'data-error-code="no_answers"' in early.content.decode()
    answer(d.respondents.first(), 3)
    assert client.post(close, {"summary": "财务内控是主要短板"}).status_code == 302
    d.refresh_from_db()
    assert d.status == "closed" and d.scores["finance"] == "3.00"
    pdf = client.get(reverse("evaluation:capacity_pdf", args=[d.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    added = client.post(reverse("evaluation:capacity_respondent_add", args=[d.pk]), {"role": "staff", "label": "新社工"})
    assert added.status_code == 409


def test_a_respondent_is_added_on_the_page(client, cap):
    d = cap.start()
    client.force_login(cap.admin)
    url = reverse("evaluation:capacity_respondent_add", args=[d.pk])
    assert client.post(url, {"role": "chair", "label": "x"}).status_code == 400
    assert client.post(url, {"role": "board", "label": "理事 王"}).status_code == 302
    assert d.respondents.count() == 5


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_open_no_capacity_page_and_no_diagnosis(client, cap, city, who):
    d = cap.start()
    client.force_login(city.users[who])
    for name in ("evaluation:capacity", "evaluation:capacity_start", "evaluation:capacity_advice", "evaluation:competency",
                 "evaluation:competency_assess", "evaluation:coaching", "evaluation:coaching_new"):
        assert client.get(reverse(name)).status_code == 403, name
    for name in ("evaluation:capacity_diagnosis", "evaluation:capacity_pdf"):
        assert client.get(reverse(name, args=[d.pk])).status_code == 403
    assert client.post(reverse("evaluation:capacity_close", args=[d.pk])).status_code == 403


def test_an_organizations_diagnoses_are_its_managers_and_its_areas_administrators(client, cap, city):
    tongxin = reported(cap, city.orgs["同心"], 3)  # 天河
    mine = cap.start()
    for who, sees in (("agency_manager", {mine.pk}), ("district_admin", {mine.pk}), ("city_admin", {mine.pk, tongxin.pk})):
        client.force_login(city.users[who])
        page = client.get(reverse("evaluation:capacity")).content.decode()
        assert {int(x) for x in re.findall(r'data-diagnosis="(\d+)"', page)} == sees, who
    client.force_login(city.users["district_admin"])
    assert client.get(reverse("evaluation:capacity_diagnosis", args=[tongxin.pk])).status_code == 404
    assert client.get(reverse("evaluation:capacity_pdf", args=[tongxin.pk])).status_code == 404
    client.force_login(cap.manager)
    assert client.get(reverse("evaluation:capacity_diagnosis", args=[tongxin.pk])).status_code == 404


def test_the_list_pages_cost_the_same_queries_however_long(client, cap, city):
    client.force_login(cap.admin)
    reported(cap, cap.org, 3)
    assess(cap, city.people["李伟"], dt.date(2026, 1, 5))
    ks.coaching_log(actor=cap.admin, organization=cap.org, held_on=dt.date(2026, 1, 6), topic="个案记录", people=[city.people["李伟"]])
    pages = [reverse(n) for n in ("evaluation:capacity", "evaluation:competency", "evaluation:coaching",
                                  "evaluation:capacity_questionnaires", "evaluation:capacity_advice")]
    before = {}
    for url in pages:
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        before[url] = len(q)
    for n, name in enumerate(("暖阳", "和悦", "善邻", "乐群")):
        org = peer_org(city, name)
        reported(cap, org, 2)
        assess(cap, city.people["王芳"], dt.date(2026, 1, 10 + n))
        ks.coaching_log(actor=cap.admin, organization=org, held_on=dt.date(2026, 1, 6), topic="督导", people=[city.people["王芳"]])
        cs.advice_add(actor=cap.admin, region=cap.region, dimension_code="finance", below="2.5", text=f"建议{n}")
    one = [{"code": "finance", "name": "财务", "questions": [{"text": "预算", "descriptors": list("一二三四")}]}]
    cs.questionnaire_create(actor=cap.admin, region=cap.region, kind="capacity", title="第二版", dimensions=one)
    for url in pages:
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        assert len(q) == before[url], url


def test_the_diagnosis_page_costs_the_same_queries_with_more_respondents_and_actions(client, cap):
    d = cap.start()
    answer(d.respondents.first(), 3)
    client.force_login(cap.manager)
    url = reverse("evaluation:capacity_diagnosis", args=[d.pk])
    with CaptureQueriesContext(connection) as q:
        client.get(url)
    few = len(q)
    for n in range(6):
        r = cs.respondent_add(actor=cap.manager, diagnosis=d, role="staff", label=f"社工{n}")
        answer(r, 2)
        cs.action_add(actor=cap.manager, diagnosis=d, dimension_code="finance", text=f"行动{n}", owner="主任", due_on=timezone.localdate())
    with CaptureQueriesContext(connection) as q:
        client.get(url)
    assert len(q) == few


def test_an_administrator_writes_a_questionnaire_as_text_and_its_next_version(client, cap, city):
    client.force_login(cap.admin)
    source = reverse("evaluation:capacity_questionnaire_new") + f"?from={cap.questionnaire.pk}"
    page = client.get(source).content.decode()
    assert "# governance 治理结构" in page and "理事会运作 | 理事会极少召开会议" in page
    text = "# finance 财务与内控\n预算管理 | 没有预算 | 有总预算 | 按项目预算 | 预算与战略挂钩\n"
    done = client.post(reverse("evaluation:capacity_questionnaire_new"),
                       {"region": city.city.pk, "kind": "capacity", "title": "精简版", "text": text})
    made = Questionnaire.objects.get(title="精简版")
    assert done.status_code == 302 and made.version == 2 and made.dimensions.get().questions.count() == 1
    for bad, code in (("预算 | a | b | c | d", "item_outside_dimension"), ("# finance 财务\n预算 | a | b | c", "descriptors_count"),
                      ("# Finance 财务\n预算 | a | b | c | d", "invalid_code")):
        refused = client.post(reverse("evaluation:capacity_questionnaire_new"),
                              {"region": city.city.pk, "kind": "capacity", "title": "坏的", "text": bad})
        assert refused.status_code == 400 and f'data-error-code="{code}"' in refused.content.decode()
    assert not Questionnaire.objects.filter(title="坏的").exists()
    q = client.get(reverse("evaluation:capacity_questionnaire", args=[made.pk])).content.decode()
    assert q.count('data-testid="item"') == 1
    client.force_login(city.users["agency_manager"])
    assert client.get(reverse("evaluation:capacity_questionnaire_new")).status_code == 403
    assert client.get(reverse("evaluation:capacity_questionnaire", args=[made.pk])).status_code == 200  # a tool, read by all


def test_the_advice_library_is_kept_by_its_administrators(client, cap, city):
    client.force_login(cap.admin)
    url = reverse("evaluation:capacity_advice")
    assert client.post(url, {"region": city.city.pk, "dimension_code": "finance", "below": "4.5", "text": "x"}).status_code == 400
    good = {"region": city.city.pk, "dimension_code": "finance", "below": "2.50", "text": "完善财务制度"}
    assert client.post(url, good).status_code == 302
    a = Advice.objects.get()
    client.force_login(cap.manager)
    page = client.get(url).content.decode()
    assert "完善财务制度" in page and 'data-testid="advice-delete"' not in page and 'data-testid="advice-form"' not in page
    assert client.post(url, {"region": city.city.pk, "dimension_code": "finance", "below": "2", "text": "x"}).status_code == 403
    assert client.post(reverse("evaluation:capacity_advice_delete", args=[a.pk])).status_code == 404
    client.force_login(city.users["district_admin"])
    assert client.post(reverse("evaluation:capacity_advice_delete", args=[a.pk])).status_code == 404
    client.force_login(cap.admin)
    assert client.post(reverse("evaluation:capacity_advice_delete", args=[a.pk])).status_code == 302 and not Advice.objects.exists()


def test_a_staff_member_is_assessed_on_the_page_and_their_report_shows_the_trend(client, cap, city):
    li = city.people["李伟"]
    assess(cap, li, dt.date(2025, 6, 1), 2)
    client.force_login(cap.manager)
    url = reverse("evaluation:competency_assess")
    page = client.get(url).content.decode()  # the manager has one organization: chosen already
    assert 'data-testid="assess-form"' in page and page.count('data-testid="item"') == 6
    given = {f"q{k}": v for k, v in levels(cap.competency, 3).items()}
    incomplete = client.post(url, {"person": li.pk, "assessed_on": "2026-01-05", **dict(list(given.items())[1:])})
    assert incomplete.status_code == 400 and StaffAssessment.objects.count() == 1
    assert client.post(url, {"person": li.pk, "assessed_on": "2026-01-05", "note": "进步明显", **given}).status_code == 302
    report = client.get(reverse("evaluation:competency_person", args=[li.pk])).content.decode()
    assert 'data-testid="trend"' in report and report.count('data-testid="competency-row"') == 3
    assert '<td class="text-end sl-score">2.00</td><td class="text-end sl-score">3.00</td>' in report
    client.force_login(city.users["other_worker"])
    assert client.get(reverse("evaluation:competency_person", args=[li.pk])).status_code == 404


def test_coaching_is_logged_on_the_page_and_totalled(client, cap, city):
    li, wang = city.people["李伟"], city.people["王芳"]
    assess(cap, li, dt.date(2025, 6, 1))
    client.force_login(cap.manager)
    url = reverse("evaluation:coaching_new") + f"?organization={cap.org.pk}&q=王芳"
    page = client.get(url).content.decode()
    assert f'value="{li.pk}"' in page and f'value="{wang.pk}"' in page
    assert client.post(url, {"held_on": "2026-02-03", "topic": "", "people": [li.pk]}).status_code == 400
    assert client.post(url, {"held_on": "2026-02-03", "topic": "个案记录规范", "people": [li.pk, wang.pk]}).status_code == 302
    s = CoachingSession.objects.get()
    assert (s.person_times, s.people.count(), s.coach) == (2, 2, cap.manager)
    totals = client.get(reverse("evaluation:coaching")).content.decode()
    assert f'data-testid="coaching-total" data-organization="{cap.org.pk}" data-year="2026"' in totals
    assert 'data-testid="count-person-times">2<' in totals


def test_pages_take_garbage_without_a_server_error(client, cap):
    d = cap.start()
    client.force_login(cap.admin)
    for value in ("²", "x\x00y", "9" * 30):
        for name, args in (("evaluation:capacity", []), ("evaluation:competency", []), ("evaluation:coaching", []),
                           ("evaluation:competency_assess", []), ("evaluation:coaching_new", []), ("evaluation:capacity_start", []),
                           ("evaluation:capacity_questionnaire_new", []), ("evaluation:capacity_diagnosis", [d.pk])):
            url = reverse(name, args=args)
            query = {"status": value, "q": value, "organization": value, "questionnaire": value, "year": value, "from": value,
                     "page": value}
            assert client.get(url, query).status_code < 500, (name, value)
            assert client.post(url, query).status_code < 500, (name, value)
