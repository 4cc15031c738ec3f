"""The case cycle's pages and API for every role: the case team sees the case with its notes (and the read is logged),
the street, district and city officers see it masked, another station's worker, the federation's finance officer, an
expert, a volunteer, a donor and a user without a role see nothing (404, logged); a worker carries a case through the
pages on a phone; the supervisor's queue; the API's refusals with their codes; the caseload's query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shanlian.cases import services_cycle as cy
from shanlian.cases.models import Assessment, Case, Referral, ServiceRecord
from shanlian.core.models import AuditLog

from .cycle_site import NOTE, barthel

TEAM = ("station_worker", "agency_manager")
OFFICERS = ("street_officer", "district_admin", "city_admin")
NOBODY = ("other_worker", "finance", "expert", "volunteer", "donor", "nobody")
TODAY = timezone.localdate()


@pytest.mark.parametrize("role", TEAM + OFFICERS + NOBODY + ("anonymous",))
def test_the_case_page_and_api_by_role(site, cycle, db, role):
    client = site.client(role)
    page = client.get(reverse("cases:case", args=[cycle.case.pk]))
    api = client.get(f"/api/cases/cases/{cycle.case.pk}")
    if role == "anonymous":
        assert page.status_code == 302 and api.status_code == 401
        return
    if role in NOBODY:
        assert page.status_code == 404 and api.status_code == 404 and NOTE not in page.content.decode()
        assert AuditLog.objects.filter(action="access.denied", object_type="cases.case", actor=site.users[role]).exists()
        return
    body = page.content.decode()
    data = api.json()
    assert page.status_code == 200 and api.status_code == 200
    if role in TEAM:
        assert "陈秀英" in body and NOTE in body and data["records"][0]["notes"] == NOTE and data["sight"] == "values"
        assert data["assessments"][0]["answers"]["feeding"] == "5"
        assert AuditLog.objects.filter(action="cases.case_read", object_id=str(cycle.case.pk), actor=site.users[role]).exists()
    else:
        assert "陈秀英" not in body and NOTE not in body and "陈**" in body and 'data-testid="masked-note"' in body
        assert data["name"] == "陈**" and data["records"][0]["notes"] == "" and data["problem"] == "" and data["sight"] == "masked"
        assert data["assessments"][0]["answers"] is None and data["plan"]["goals"][0]["text"] == ""


@pytest.mark.parametrize("role", NOBODY)
def test_nobody_else_writes_or_lists(site, cycle, db, role):
    client = site.client(role)
    record = client.post(reverse("cases:case_record_new", args=[cycle.case.pk]),
                         {"kind": "phone", "care_kind": "psychological", "served_on": TODAY.isoformat(), "minutes": 10, "person_times": 1})
    assert record.status_code == 404
    listed = client.get("/api/cases/cases")
    assert listed.status_code == 403 or cycle.case.pk not in [r["id"] for r in listed.json()["results"]]
    assert client.get(reverse("cases:approvals")).status_code == 403


def test_an_officer_cannot_write(site, cycle, db):
    response = site.client("street_officer").post(f"/api/cases/cases/{cycle.case.pk}/records", {
        "kind": "phone", "care_kind": "psychological", "served_on": TODAY.isoformat(), "minutes": 10},
        content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "not_case_team"


def test_a_worker_runs_a_case_on_the_pages(site, cycle, db):
    client = site.client("station_worker")
    assert client.get(reverse("cases:case_new", args=[site.child.pk])).status_code == 200
    done = client.post(reverse("cases:case_new", args=[site.child.pk]), {"source": "community", "problem": "放学后无人照看",
                                                                        "opened_on": TODAY.isoformat()})
    case = Case.objects.get(beneficiary=site.child)
    assert done.status_code == 302 and done["Location"] == reverse("cases:case", args=[case.pk])
    url = reverse("cases:case_assess", args=[case.pk]) + "?instrument=barthel"
    form = client.get(url).content.decode()
    assert "进食" in form and "上下楼梯" in form
    answers = {f"item_{k}": v for k, v in barthel(cycle.barthel, 2).items()}
    bad = client.post(url, {**answers, "item_bathing": "15", "kind": "baseline", "assessed_on": TODAY.isoformat()})
    assert bad.status_code == 400 and not Assessment.objects.filter(case=case).exists()
    assert client.post(url, {**answers, "kind": "baseline", "assessed_on": TODAY.isoformat()}).status_code == 302
    plan_url = reverse("cases:case_plan", args=[case.pk])
    assert client.get(plan_url).status_code == 200
    posted = client.post(plan_url, {"starts_on": TODAY.isoformat(), "ends_on": (TODAY + dt.timedelta(days=120)).isoformat(),
                                    "goal_1_text": "提升自理", "goal_1_care_kind": "action", "goal_1_instrument": cycle.barthel.pk,
                                    "goal_1_target": "95", "goal_2_text": "每周课业辅导", "goal_2_care_kind": "holistic",
                                    "submit_now": "on"})
    assert posted.status_code == 302
    case.refresh_from_db()
    assert case.status == "plan_submitted"
    record = client.post(reverse("cases:case_record_new", args=[case.pk]), {
        "kind": "home_visit", "care_kind": "holistic", "served_on": TODAY.isoformat(), "minutes": 50, "person_times": 2,
        "notes": "祖父腰痛，孩子作业未完成"})
    assert record.status_code == 302 and ServiceRecord.objects.filter(case=case).count() == 1
    assert 'data-draft-key' in client.get(reverse("cases:case_record_new", args=[case.pk])).content.decode()
    # the supervisor's queue and decision
    manager = site.client("agency_manager")
    queue = manager.get(reverse("cases:approvals")).content.decode()
    assert f'data-plan="{case.plan.pk}"' in queue and "林小雨" in queue
    refused = client.post(reverse("cases:case_plan_decide", args=[case.plan.pk]), {"version": case.plan.version,
                                                                                    "decision": "approve"}, follow=True)
    assert 'data-error-code="not_supervisor"' in refused.content.decode() or "not_supervisor" in refused.content.decode()
    approved = manager.post(reverse("cases:case_plan_decide", args=[case.plan.pk]), {"version": case.plan.version, "decision": "approve"})
    assert approved.status_code == 302 and Case.objects.get(pk=case.pk).status == "in_service"
    review = client.post(reverse("cases:case_review", args=[case.pk]), {"kind": "midterm", "reviewed_on": TODAY.isoformat(),
                                                                         f"goal_{case.plan.goals.get(order=2).pk}_result": "met",
                                                                         f"goal_{case.plan.goals.get(order=1).pk}_result": "partly"})
    assert review.status_code == 302
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert 'data-testid="goal-results"' in page and 'data-result="met"' in page and "祖父腰痛" in page
    closure = client.post(reverse("cases:case_closure", args=[case.pk]), {"version": Case.objects.get(pk=case.pk).version,
                                                                          "summary": "目标基本达成"})
    assert closure.status_code == 302 and Case.objects.get(pk=case.pk).status == "closure_submitted"
    c = Case.objects.get(pk=case.pk)
    manager.post(reverse("cases:case_closure_decide", args=[case.pk]), {"version": c.version, "decision": "approve"})
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_a_visit_names_other_workers_and_volunteers_on_the_page(site, cycle, db):
    from shanlian.timebank import services as ts

    helper = site.users["volunteer"]
    ts.volunteer_register(actor=helper, person=helper.person, station=cycle.case.station)
    client = site.client("station_worker")
    url = reverse("cases:case_record_new", args=[cycle.case.pk])
    form = client.get(url).content.decode()
    manager, other = site.users["agency_manager"], site.users["other_worker"]
    assert f'name="co_workers" value="{manager.pk}"' in form and f'value="{other.pk}"' not in form  # the station's staff only
    assert f'name="volunteers" value="{helper.person.pk}"' in form
    visit = {"kind": "home_visit", "care_kind": "action", "served_on": TODAY.isoformat(), "minutes": 40, "person_times": 1}
    bad = client.post(url, {**visit, "co_workers": [str(other.pk)]})
    assert bad.status_code == 400 and not ServiceRecord.objects.filter(case=cycle.case, minutes=40).exists()
    assert client.post(url, {**visit, "co_workers": [str(manager.pk)], "volunteers": [str(helper.person.pk)]}).status_code == 302
    record = ServiceRecord.objects.get(case=cycle.case, minutes=40)
    assert list(record.co_workers.all()) == [manager] and list(record.volunteers.all()) == [helper.person]
    page = client.get(reverse("cases:case", args=[cycle.case.pk])).content.decode()
    assert 'data-testid="record-volunteers"' in page and helper.person.real_name in page


def test_the_team_changes_the_worker_and_the_problem_on_a_page(site, cycle, db):
    client = site.client("station_worker")
    case = Case.objects.get(pk=cycle.case.pk)
    url = reverse("cases:case_edit", args=[case.pk])
    assert 'data-testid="edit-case"' in client.get(reverse("cases:case", args=[case.pk])).content.decode()
    form = client.get(url).content.decode()
    assert "独居，行动不便，情绪低落" in form  # the team sees the problem it corrects
    manager, other = site.users["agency_manager"], site.users["other_worker"]
    stale = {"version": case.version, "source": case.source, "problem": "独居，近期两次跌倒"}
    assert client.post(url, {**stale, "owner": str(other.pk)}).status_code == 400  # another station's worker is not offered
    assert client.post(url, {**stale, "owner": str(manager.pk)}).status_code == 302
    case.refresh_from_db()
    assert case.owner == manager and case.version == cycle.case.version + 1
    again = client.post(url, {**stale, "owner": str(manager.pk), "problem": "旧版本"})  # the version read is now stale
    assert again.status_code == 409 and 'data-error-code="stale"' in again.content.decode()
    assert Case.objects.get(pk=case.pk).version == case.version  # nothing written
    assert site.client("street_officer").get(url).status_code == 403
    assert site.client("other_worker").get(url).status_code == 404


def test_a_stale_page_write_is_refused(site, cycle, db):
    client = site.client("station_worker")
    case = Case.objects.get(pk=cycle.case.pk)
    cy.case_update(actor=site.users["station_worker"], case=case, version=case.version, problem="更新")
    response = client.post(f"/api/cases/cases/{case.pk}/update", {"version": case.version, "problem": "旧版本的修改"},
                           content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "stale"


def test_the_api_refuses_out_of_order_and_bad_input(site, cycle, db):
    client = site.client("station_worker")
    made = client.post("/api/cases/cases", {"beneficiary_id": site.child.pk, "source": "request", "problem": "家属求助"},
                       content_type="application/json")
    assert made.status_code == 201
    case_id = made.json()["id"]
    again = client.post("/api/cases/cases", {"beneficiary_id": site.child.pk, "source": "request", "problem": "重复"},
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "case_open"
    order = client.post(f"/api/cases/cases/{case_id}/reviews", {"kind": "midterm"}, content_type="application/json")
    assert order.status_code == 409 and order.json()["code"] == "invalid_transition"
    bad = client.post(f"/api/cases/cases/{case_id}/assessments", {"instrument": "barthel", "kind": "baseline",
                                                                   "answers": {"feeding": "10"}}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "answer_required"
    huge = client.post(f"/api/cases/cases/{case_id}/records", {"kind": "phone", "care_kind": "action",
                                                                "served_on": TODAY.isoformat(), "minutes": 99999},
                       content_type="application/json")
    assert huge.status_code in (400, 422)
    referral = client.post(f"/api/cases/cases/{case_id}/referrals", {"organization_id": site.city.orgs["基金会"].pk,
                                                                      "reason": "助学金"}, content_type="application/json")
    assert referral.status_code == 403 and referral.json()["code"] == "consent_missing"
    assert not Referral.objects.filter(case_id=case_id).exists()
    ok = client.post(f"/api/cases/cases/{cycle.case.pk}/referrals", {"organization_id": site.city.orgs["基金会"].pk,
                                                                      "reason": "助餐"}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["consent_id"] == cycle.referral_consent.pk


def test_the_caseload_shows_next_steps_and_visits_due_in_few_queries(site, cycle, db):
    client = site.client("station_worker")
    client.get(reverse("cases:caseload"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("cases:caseload"))
    body = page.content.decode()
    assert page.status_code == 200 and f'data-case="{cycle.case.pk}"' in body and 'data-testid="visits-due"' in body
    assert 'data-testid="due-count">1<' in body
    assert len(queries) <= 14, [q["sql"][:120] for q in queries]
    api = client.get("/api/cases/cases/visits-due").json()
    assert [r["id"] for r in api["results"]] == [cycle.case.pk]
    officer = site.client("street_officer").get(reverse("cases:caseload")).content.decode()
    assert "陈**" in officer and "陈秀英" not in officer


def test_the_approval_queue_api(site, cycle, db):
    assert site.client("agency_manager").get("/api/cases/approvals").json() == {"plans": [], "closures": []}
    assert site.client("station_worker").get("/api/cases/approvals").status_code == 403

